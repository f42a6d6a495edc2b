/**
 * BlobModelStore: a serving stack's copy of the approved models on Azure Blob Storage, in a resource
 * group of its own (deleting a resource group deletes everything in it, so the group that holds the
 * data is protected and retained with it), with a read-only managed identity for serving pods and a
 * writer for the model sync, both federated with Kubernetes service accounts (workload identity).
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import { MODEL_READER, MODEL_WRITER, ObjectStore } from "../clusters/types";

export interface BlobModelStoreArgs {
    /** Azure location. Required. */
    location: string;
    /** Name of the store's own resource group (1-90 characters). Required. */
    resourceGroupName: string;
    /** Globally unique storage account name (3-24 lower-case letters and digits). Required; see `storageAccountName`. */
    accountName: string;
    /** OIDC issuer URL of the cluster the identities federate with. Required. */
    oidcIssuerUrl: pulumi.Input<string>;
    /** Namespace/service account of the read-only identity. Default `MODEL_READER`. */
    reader?: { namespace: string; serviceAccountName: string };
    /** Namespace/service account of the write identity (model sync). Default `MODEL_WRITER`. */
    writer?: { namespace: string; serviceAccountName: string };
    /** Protect the group, account and container from deletion. Default true. (They are always retained on delete.) */
    protect?: boolean;
    /** Azure tags. Default {}. */
    tags?: Record<string, string>;
}

/** Built-in Azure roles the store grants (GUIDs are the same in every tenant). */
export const BLOB_ROLES = {
    /** Read blobs and list containers; nothing else. */
    reader: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    /** Storage Blob Data Contributor: read, write and delete blobs (versioning and soft delete keep old data). */
    writer: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
} as const;
/** The Blob container holding the model copy. */
export const MODELS_CONTAINER = "models";
/** Days deleted blobs, blob versions and containers can be restored. */
export const BLOB_RETENTION_DAYS = 30;
/** Audience of Entra ID workload identity federation tokens. */
export const WORKLOAD_IDENTITY_AUDIENCE = "api://AzureADTokenExchange";
/** Labels a pod (not its namespace) needs for the workload identity webhook to inject the token. */
export const WORKLOAD_IDENTITY_POD_LABELS: Readonly<Record<string, string>> = { "azure.workload.identity/use": "true" };

/** Validates a storage account name; `arg` names the argument in the error. */
export function storageAccountName(name: string, arg = "BlobModelStore args.accountName"): string {
    if (!/^[a-z0-9]{3,24}$/.test(name)) {
        throw new Error(`${arg}: ${JSON.stringify(name)} is not a valid storage account name (3-24 lower-case letters and digits)`);
    }
    return name;
}

/** `https://<account>.blob.core.windows.net/<container>`: the storage URI prefix KServe reads from. */
export function blobUriPrefix(accountName: string, containerName: string): string {
    return `https://${accountName}.blob.core.windows.net/${containerName}`;
}

/** Subject of a federated credential: the Kubernetes service account `namespace/name`. */
export function serviceAccountSubject(namespace: string, serviceAccountName: string): string {
    return `system:serviceaccount:${namespace}:${serviceAccountName}`;
}

/** Full ID of a built-in role definition in the subscription of `resourceId` (`/subscriptions/<id>/...`). */
export function roleDefinitionId(resourceId: string, roleGuid: string): string {
    const subscription = /^\/subscriptions\/([^/]+)/i.exec(resourceId)?.[1] ?? resourceId;
    return `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`;
}

/** The model store: own resource group, storage account, container, read and write identities. */
export class BlobModelStore extends pulumi.ComponentResource {
    public readonly objectStore: ObjectStore;
    /** The store's own resource group (protected, retained). */
    public readonly resourceGroupName: pulumi.Output<string>;
    public readonly readerClientId: pulumi.Output<string>;
    public readonly writerClientId: pulumi.Output<string>;

    constructor(name: string, args: BlobModelStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        const accountName = storageAccountName(args.accountName);
        if (!/^[-\w._()]{1,90}$/.test(args.resourceGroupName) || args.resourceGroupName.endsWith(".")) {
            throw new Error(`BlobModelStore ${name}: args.resourceGroupName ${JSON.stringify(args.resourceGroupName)} is not a valid resource group name (1-90 of letters, digits, - _ . ( ), not ending in '.')`);
        }
        super("hybridml:storage:BlobModelStore", name, {}, opts);
        const protect = args.protect ?? true;
        const tags = args.tags ?? {};
        const location = args.location;
        const reader = args.reader ?? MODEL_READER;
        const writer = args.writer ?? MODEL_WRITER;
        const child: pulumi.CustomResourceOptions = { parent: this };
        const kept: pulumi.CustomResourceOptions = { parent: this, protect, retainOnDelete: true };

        const rg = new resources.ResourceGroup(`${name}-rg`, { resourceGroupName: args.resourceGroupName, location, tags }, kept);
        const resourceGroupName = rg.name;
        const account = new storage.StorageAccount(`${name}-account`, {
            accountName,
            resourceGroupName,
            location,
            kind: "StorageV2",
            sku: { name: "Standard_ZRS" },
            accessTier: "Hot",
            allowBlobPublicAccess: false,
            allowSharedKeyAccess: false,
            defaultToOAuthAuthentication: true,
            allowCrossTenantReplication: false,
            minimumTlsVersion: "TLS1_2",
            enableHttpsTrafficOnly: true,
            encryption: { keySource: "Microsoft.Storage", services: { blob: { enabled: true, keyType: "Account" } } },
            tags,
        }, kept);
        new storage.BlobServiceProperties(`${name}-blob`, {
            resourceGroupName,
            accountName: account.name,
            blobServicesName: "default",
            isVersioningEnabled: true,
            deleteRetentionPolicy: { enabled: true, days: BLOB_RETENTION_DAYS },
            containerDeleteRetentionPolicy: { enabled: true, days: BLOB_RETENTION_DAYS },
        }, child);
        const container = new storage.BlobContainer(`${name}-container`, {
            resourceGroupName, accountName: account.name, containerName: MODELS_CONTAINER, publicAccess: "None",
        }, kept);

        const identity = (id: "reader" | "writer", sa: { namespace: string; serviceAccountName: string }) => {
            const mi = new managedidentity.UserAssignedIdentity(`${name}-${id}`, { resourceGroupName, location, tags }, child);
            const federation = new managedidentity.FederatedIdentityCredential(`${name}-${id}`, {
                resourceGroupName,
                resourceName: mi.name,
                issuer: args.oidcIssuerUrl,
                subject: serviceAccountSubject(sa.namespace, sa.serviceAccountName),
                audiences: [WORKLOAD_IDENTITY_AUDIENCE],
            }, child);
            const assignment = new authorization.RoleAssignment(`${name}-${id}`, {
                principalId: mi.principalId,
                principalType: "ServicePrincipal",
                roleDefinitionId: rg.id.apply((rid) => roleDefinitionId(rid, BLOB_ROLES[id])),
                scope: container.id,
            }, child);
            return { mi, grants: [assignment, federation] as pulumi.Resource[] };
        };
        const read = identity("reader", reader);
        const write = identity("writer", writer);
        const [readerMi, writerMi] = [read.mi, write.mi];
        const annotations = (clientId: pulumi.Output<string>) =>
            clientId.apply((c): Record<string, string> => ({ "azure.workload.identity/client-id": c }));

        // The account and container names are ours (known before anything exists), so the URI is known in
        // a preview and a promotion shows in every storage URI. Users wait for the container through the
        // grants: the role assignments are scoped to it.
        this.objectStore = {
            kind: "azureblob",
            bucket: pulumi.output(MODELS_CONTAINER),
            uriPrefix: pulumi.output(blobUriPrefix(accountName, MODELS_CONTAINER)),
            region: location,
            readIdentity: {
                ...reader, serviceAccountAnnotations: annotations(readerMi.clientId), podLabels: { ...WORKLOAD_IDENTITY_POD_LABELS }, grants: read.grants,
            },
            writeIdentity: {
                ...writer, serviceAccountAnnotations: annotations(writerMi.clientId), podLabels: { ...WORKLOAD_IDENTITY_POD_LABELS }, grants: write.grants,
            },
        };
        this.resourceGroupName = resourceGroupName;
        this.readerClientId = readerMi.clientId;
        this.writerClientId = writerMi.clientId;
        this.registerOutputs({
            objectStore: this.objectStore, resourceGroupName: this.resourceGroupName,
            readerClientId: this.readerClientId, writerClientId: this.writerClientId,
        });
    }
}
