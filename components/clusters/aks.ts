/**
 * AksCluster: an AKS cluster with Azure CNI overlay (Cilium), Entra ID authentication with Azure
 * RBAC, OIDC issuer + workload identity, KMS-encrypted secrets, a GPU agent pool that scales from
 * zero, and a versioned Blob container for the model copy (SPEC 5 "Clusters"). Yields the common
 * `Cluster` shape.
 */
import { createHash } from "node:crypto";
import * as authorization from "@pulumi/azure-native/authorization";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as network from "@pulumi/azure-native/network";
import { Provider as AzureProvider } from "@pulumi/azure-native/provider";
import * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    CloudClusterArgs, Cluster, GPU_NODE_LABEL, GPU_TAINT, GpuFacts, gpuFacts, MODEL_READER, ObjectStore,
} from "./types";

export interface AksClusterArgs extends CloudClusterArgs {
    /** Entra ID tenant GUID of the cluster's users and of the Key Vault (config `hybridml:cluster.tenantId`). Required. */
    tenantId: string;
    /**
     * Entra ID group object IDs that are cluster admins (config `hybridml:cluster.adminGroupObjectIds`).
     * Default []. The identity running Pulumi must be in one of them (or hold an AKS RBAC role on the
     * cluster) to deploy into the cluster, since local accounts are disabled.
     */
    adminGroupObjectIds?: string[];
}

/** Built-in Azure role definitions (GUIDs are the same in every tenant). */
export const AZURE_ROLES = {
    /** Read blobs and list containers; nothing else. */
    storageBlobDataReader: "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    /** Cryptographic operations with keys (what the AKS KMS plugin needs on an RBAC vault). */
    keyVaultCryptoUser: "12338af0-0e69-4776-bea7-57ae8d297424",
    /** Join and manage network resources (the control plane's load balancers in the node subnet). */
    networkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
} as const;

/** The GPU taint in AKS node-pool form: `nvidia.com/gpu=true:NoSchedule`. */
export const GPU_POOL_TAINT = `${GPU_TAINT.key}=${GPU_TAINT.value}:${GPU_TAINT.effect}`;
/** Agent pool names (lower-case alphanumerics, at most 12 characters on Linux). */
export const POOL_NAMES = { system: "system", gpu: "gpu" } as const;
/** The Blob container holding the model copy. */
export const MODELS_CONTAINER = "models";
/** Name of the etcd-encryption key in the cluster's Key Vault. */
export const KMS_KEY_NAME = "etcd-encryption";
/** Audience of Entra ID workload identity federation tokens. */
export const WORKLOAD_IDENTITY_AUDIENCE = "api://AzureADTokenExchange";
/** Days deleted blobs, blob versions and containers can be restored. */
export const BLOB_RETENTION_DAYS = 30;
/** Days a deleted Key Vault (and its key) can be recovered; purge protection holds it that long. */
export const KEY_VAULT_RETENTION_DAYS = 90;

/**
 * Validate what the config schema cannot see on its own, before anything is registered. Throws
 * an Error naming the config key and the fix.
 */
export function validateAksArgs(args: AksClusterArgs): void {
    if (!args.tenantId) {
        throw new Error("hybridml:cluster.tenantId is required for an AKS cluster: set it to the Entra ID tenant GUID");
    }
    apiServerAccessProfile(args.publicEndpoint ?? false, args.authorizedCidrs ?? []);
    nodeSubnetCidr(args.network.vpcCidr);
    dnsServiceIp(args.network.serviceCidr);
}

/** The cluster's `apiServerAccessProfile`. */
export interface ApiServerAccess {
    enablePrivateCluster: boolean;
    /** `system`: AKS creates and links the private DNS zone of a private cluster. */
    privateDNSZone?: string;
    authorizedIPRanges?: string[];
}

/**
 * API server access: a private cluster (private endpoint and private DNS zone) unless `publicEndpoint`,
 * in which case the public endpoint answers only `authorizedCidrs`. Throws when the public endpoint
 * would be open to everyone (a `/0` range, or no range at all).
 */
export function apiServerAccessProfile(publicEndpoint: boolean, authorizedCidrs: string[]): ApiServerAccess {
    const open = authorizedCidrs.filter((c) => c.trim().endsWith("/0"));
    if (open.length > 0) {
        throw new Error(
            `hybridml:cluster.authorizedCidrs must not contain ${open.join(", ")}: that opens the AKS API server to the whole internet. ` +
            "List the networks that need the API (VPN, CI runners), or set publicEndpoint to false.",
        );
    }
    if (!publicEndpoint) return { enablePrivateCluster: true, privateDNSZone: "system" };
    if (authorizedCidrs.length === 0) {
        throw new Error(
            "hybridml:cluster.authorizedCidrs must list at least one CIDR when hybridml:cluster.publicEndpoint is true " +
            "(the public endpoint is reachable only from these networks); or set publicEndpoint to false.",
        );
    }
    return { enablePrivateCluster: false, authorizedIPRanges: [...authorizedCidrs] };
}

/** Parse an IPv4 CIDR into its network address (as an unsigned 32-bit number) and prefix length. */
function parseCidr(cidr: string, key: string): { base: number; prefix: number } {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
    const octets = m ? m.slice(1, 5).map(Number) : [];
    const prefix = m ? Number(m[5]) : NaN;
    if (!m || octets.some((o) => o > 255) || prefix > 32) {
        throw new Error(`hybridml:${key} must be an IPv4 CIDR block such as 10.40.0.0/16 (got "${cidr}")`);
    }
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    const size = 2 ** (32 - prefix);
    return { base: address - (address % size), prefix };
}

function formatIp(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/**
 * The node subnet: the lower half of the VNet (`10.40.0.0/16` -> `10.40.0.0/17`). With CNI overlay
 * only nodes take VNet addresses; the upper half stays free for private endpoints and later subnets.
 */
export function nodeSubnetCidr(vpcCidr: string): string {
    const { base, prefix } = parseCidr(vpcCidr, "cluster.network.vpcCidr");
    if (prefix > 27) {
        throw new Error(`hybridml:cluster.network.vpcCidr is too small for an AKS node subnet (got "${vpcCidr}"): use a /27 or larger, e.g. /16`);
    }
    return `${formatIp(base)}/${prefix + 1}`;
}

/** The cluster DNS service address: the 10th address of the service CIDR, as AKS does by default. */
export function dnsServiceIp(serviceCidr: string): string {
    const { base, prefix } = parseCidr(serviceCidr, "cluster.network.serviceCidr");
    if (prefix > 28) {
        throw new Error(`hybridml:cluster.network.serviceCidr is too small (got "${serviceCidr}"): use a /28 or larger, e.g. /16`);
    }
    return formatIp(base + 10);
}

/** A short, stable hash of `s`, for names that must be unique and short. */
function shortHash(s: string): string {
    return createHash("sha256").update(s).digest("hex").slice(0, 6);
}

/**
 * Storage account name for the model copy: globally unique in Azure, 3-24 lower-case letters and
 * digits. `st` + the component name's letters and digits (at most 16) + a 6-character hash of the
 * whole name, so that names differing only in dropped characters do not collide.
 */
export function storageAccountName(name: string): string {
    const clean = name.toLowerCase().replace(/[^a-z0-9]/g, "");
    return `st${clean.slice(0, 16)}${shortHash(name)}`;
}

/**
 * Key Vault name: globally unique, 3-24 letters, digits and single hyphens, starting with a letter.
 * `kv-` + the component name (at most 14 characters) + `-` + a 6-character hash of the whole name.
 */
export function keyVaultName(name: string): string {
    const clean = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    const middle = clean.slice(0, 14).replace(/-+$/, "");
    return middle ? `kv-${middle}-${shortHash(name)}` : `kv-${shortHash(name)}`;
}

/** DNS prefix of the API server FQDN: 1-54 letters, digits and hyphens, starting and ending alphanumeric. */
export function aksDnsPrefix(name: string): string {
    const clean = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    if (!clean) return `aks-${shortHash(name)}`;
    if (clean.length <= 54) return clean;
    return `${clean.slice(0, 47).replace(/-+$/, "")}-${shortHash(name)}`;
}

/** `https://<account>.blob.core.windows.net/<container>`: the storage URI prefix KServe reads models from. */
export function blobUriPrefix(accountName: string, containerName: string): string {
    return `https://${accountName}.blob.core.windows.net/${containerName}`;
}

/** Annotations binding a Kubernetes service account to a managed identity (AKS workload identity). */
export function workloadIdentityAnnotations(clientId: string): Record<string, string> {
    return { "azure.workload.identity/client-id": clientId };
}

/** Labels a pod needs for the workload identity webhook to inject the federated token. */
export const WORKLOAD_IDENTITY_POD_LABELS: Record<string, string> = { "azure.workload.identity/use": "true" };

/** Subject of the federated credential: the Kubernetes service account `namespace/name`. */
export function serviceAccountSubject(namespace: string, serviceAccountName: string): string {
    return `system:serviceaccount:${namespace}:${serviceAccountName}`;
}

/**
 * Subscription ID of an Azure resource ID (`/subscriptions/<id>/...`). A string that is no resource
 * ID (Pulumi's mock runtime, which gives every resource the ID `<name>-id`) is returned whole.
 */
export function subscriptionIdOf(resourceId: string): string {
    return /^\/subscriptions\/([^/]+)/i.exec(resourceId)?.[1] ?? resourceId;
}

/** Full ID of a built-in role definition in the subscription of `resourceId`. */
export function roleDefinitionId(resourceId: string, roleGuid: string): string {
    return `/subscriptions/${subscriptionIdOf(resourceId)}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`;
}

/**
 * The cluster's OIDC issuer URL, which workload identity federation trusts. AKS reports it once the
 * cluster exists: in a preview of a new cluster it is unknown; after deployment its absence is an error.
 */
export function oidcIssuerUrl(profile: { issuerURL?: string } | undefined, preview: boolean): pulumi.Output<string> {
    if (profile?.issuerURL) return pulumi.output(profile.issuerURL);
    if (preview) return pulumi.output(pulumi.unknown as string);
    throw new Error("the AKS cluster reports no OIDC issuer URL: oidcIssuerProfile.enabled must be true");
}

/**
 * Arguments of `listManagedClusterUserCredentials`: the cluster-user kubeconfig in `exec` format,
 * which authenticates through `kubelogin` with Entra ID tokens (the `azure` format relies on the
 * auth-provider plugin removed from kubectl; local accounts, hence static tokens, are disabled).
 */
export function userCredentialsRequest(
    resourceGroupName: pulumi.Input<string>,
    clusterName: pulumi.Input<string>,
): containerservice.ListManagedClusterUserCredentialsOutputArgs {
    return { resourceGroupName, resourceName: clusterName, format: "exec" };
}

/**
 * The kubeconfig out of `listManagedClusterUserCredentials` (base64-encoded, `clusterUser` first).
 * Asked for in `exec` format, it authenticates with `kubelogin` against Entra ID: no static token.
 */
export function decodeKubeconfig(kubeconfigs: { name: string; value: string }[]): string {
    const entry = kubeconfigs.find((k) => k.name === "clusterUser") ?? kubeconfigs[0];
    if (!entry) throw new Error("AKS returned no user kubeconfig for the cluster");
    return Buffer.from(entry.value, "base64").toString("utf8");
}

/**
 * An AKS cluster with everything the platform needs from it.
 *
 * - Networking: a VNet (`network.vpcCidr`) with a node subnet (its lower half); Azure CNI overlay, so
 *   pods take addresses from `network.podCidr`, not from the VNet; Cilium dataplane and network
 *   policy. Egress through the cluster's standard load balancer, which is zone-redundant:
 *   `network.natPerZone` has no meaning on AKS.
 * - Control plane: a user-assigned identity (Network Contributor on the node subnet, Key Vault
 *   Crypto User on the KMS vault, both granted before the cluster is created), Entra ID
 *   authentication with Azure RBAC and no local accounts, OIDC issuer and workload identity, secrets
 *   encrypted in etcd with a Key Vault key (KMS), automatic patch upgrades and node OS security
 *   patches. Private cluster unless `publicEndpoint` (then reachable only from `authorizedCidrs`);
 *   with a private cluster, Pulumi must run from a network that reaches the VNet.
 * - Pools: an untainted System pool across `network.zones` (it also runs the platform's non-GPU
 *   workloads: cert-manager, KServe, monitoring, as the system pools of EKS and GKE do), and a separate GPU
 *   pool (autoscaled, from zero when `gpuPool.minSize` is 0) tainted and labelled like every
 *   platform's GPU nodes. AKS's own GPU driver install is skipped: the NVIDIA GPU operator installs
 *   driver and container toolkit (`gpu.driver` and `gpu.toolkit` are `operator`).
 * - Kubeconfig: the cluster-user kubeconfig in exec format (kubelogin, Entra ID tokens), as a
 *   secret. kubelogin's login method follows `AAD_LOGIN_METHOD` (e.g. `azurecli`, `workloadidentity`).
 * - Model store: a ZRS StorageV2 account (no public blob access, no shared keys, TLS 1.2, HTTPS only)
 *   with versioning and soft delete, and a private `models` container, both retained on delete;
 *   readable (only) by a `model-reader` managed identity federated with a Kubernetes service account.
 */
export class AksCluster extends pulumi.ComponentResource implements Cluster {
    public readonly provider: k8s.Provider;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly platform = "aks" as const;
    public readonly gpu: GpuFacts;
    public readonly objectStore: ObjectStore;
    /** The AKS cluster's name. */
    public readonly clusterName: pulumi.Output<string>;
    /** The resource group holding the cluster, its network, key vault and model storage. */
    public readonly resourceGroupName: pulumi.Output<string>;

    constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        validateAksArgs(args);
        super("hybridml:clusters:AksCluster", name, {}, opts);

        const protect = args.protect ?? true;
        const tags = args.tags ?? {};
        const location = args.region;
        const reader = args.modelReader ?? MODEL_READER;

        const azureProvider = new AzureProvider(`${name}-azure`, { location }, { parent: this });
        /** Options of an Azure child, with `extra` merged in. */
        const child = (extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions =>
            pulumi.mergeOptions({ parent: this, provider: azureProvider }, extra);

        const rg = new resources.ResourceGroup(`${name}-rg`, { location, tags }, child());
        const resourceGroupName = rg.name;
        /** ID of a built-in role in this subscription (taken from the resource group's ID). */
        const builtInRole = (guid: string) => rg.id.apply((id) => roleDefinitionId(id, guid));

        // Networking.
        const vnet = new network.VirtualNetwork(`${name}-vnet`, {
            resourceGroupName,
            location,
            addressSpace: { addressPrefixes: [args.network.vpcCidr] },
            tags,
        }, child());
        const nodeSubnet = new network.Subnet(`${name}-nodes`, {
            resourceGroupName,
            virtualNetworkName: vnet.name,
            addressPrefix: nodeSubnetCidr(args.network.vpcCidr),
            // Egress goes through the cluster's load balancer, not Azure's implicit default outbound access.
            defaultOutboundAccess: false,
        }, child());

        // Control-plane identity, with what it needs before the cluster exists.
        const controlPlane = new managedidentity.UserAssignedIdentity(`${name}-control-plane`, {
            resourceGroupName,
            location,
            tags,
        }, child());
        const subnetGrant = new authorization.RoleAssignment(`${name}-control-plane-subnet`, {
            principalId: controlPlane.principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: builtInRole(AZURE_ROLES.networkContributor),
            scope: nodeSubnet.id,
        }, child());

        // Secrets encryption (KMS). Deleting the key or vault makes the cluster's secrets unrecoverable,
        // hence purge protection and `protect`. The name is fixed, so a purged name is only free again
        // after KEY_VAULT_RETENTION_DAYS.
        const vault = new keyvault.Vault(`${name}-kms`, {
            vaultName: keyVaultName(name),
            resourceGroupName,
            location,
            properties: {
                tenantId: args.tenantId,
                sku: { family: "A", name: "standard" },
                enableRbacAuthorization: true,
                enableSoftDelete: true,
                softDeleteRetentionInDays: KEY_VAULT_RETENTION_DAYS,
                enablePurgeProtection: true,
                // keyVaultNetworkAccess "Public": the KMS plugin reaches the vault over its public endpoint
                // (AKS does not support a vault firewall in this mode); access is by Entra ID RBAC only.
                publicNetworkAccess: "Enabled",
            },
            tags,
        }, child({ protect }));
        // No rotation policy: AKS KMS pins a key version (`keyId`), so rotation is a deliberate update.
        const key = new keyvault.Key(`${name}-kms-key`, {
            resourceGroupName,
            vaultName: vault.name,
            keyName: KMS_KEY_NAME,
            properties: { kty: "RSA", keySize: 2048 },
            tags,
        }, child({ protect }));
        const kmsGrant = new authorization.RoleAssignment(`${name}-control-plane-kms`, {
            principalId: controlPlane.principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: builtInRole(AZURE_ROLES.keyVaultCryptoUser),
            scope: vault.id,
        }, child());

        const cluster = new containerservice.ManagedCluster(`${name}-aks`, {
            resourceGroupName,
            location,
            kubernetesVersion: args.version,
            dnsPrefix: aksDnsPrefix(name),
            identity: { type: "UserAssigned", userAssignedIdentities: [controlPlane.id] },
            enableRBAC: true,
            aadProfile: {
                managed: true,
                enableAzureRBAC: true,
                tenantID: args.tenantId,
                adminGroupObjectIDs: args.adminGroupObjectIds ?? [],
            },
            disableLocalAccounts: true,
            oidcIssuerProfile: { enabled: true },
            securityProfile: {
                workloadIdentity: { enabled: true },
                azureKeyVaultKms: { enabled: true, keyId: key.keyUriWithVersion, keyVaultNetworkAccess: "Public" },
            },
            networkProfile: {
                networkPlugin: "azure",
                networkPluginMode: "overlay",
                networkDataplane: "cilium",
                networkPolicy: "cilium",
                podCidr: args.network.podCidr,
                serviceCidr: args.network.serviceCidr,
                dnsServiceIP: dnsServiceIp(args.network.serviceCidr),
                outboundType: "loadBalancer",
                loadBalancerSku: "standard",
            },
            apiServerAccessProfile: apiServerAccessProfile(args.publicEndpoint ?? false, args.authorizedCidrs ?? []),
            autoUpgradeProfile: { upgradeChannel: "patch", nodeOSUpgradeChannel: "SecurityPatch" },
            agentPoolProfiles: [{
                name: POOL_NAMES.system,
                mode: "System",
                type: "VirtualMachineScaleSets",
                osType: "Linux",
                vmSize: args.systemPool.instanceType,
                orchestratorVersion: args.version,
                enableAutoScaling: true,
                count: args.systemPool.minSize,
                minCount: args.systemPool.minSize,
                maxCount: args.systemPool.maxSize,
                availabilityZones: args.network.zones,
                vnetSubnetID: nodeSubnet.id,
                tags,
            }],
            tags,
        }, child({
            protect,
            dependsOn: [subnetGrant, kmsGrant],
            // The autoscaler owns the node count.
            ignoreChanges: ["agentPoolProfiles[0].count"],
        }));

        const gpuPool = new containerservice.AgentPool(`${name}-gpu`, {
            resourceGroupName,
            resourceName: cluster.name,
            agentPoolName: POOL_NAMES.gpu,
            mode: "User",
            type: "VirtualMachineScaleSets",
            osType: "Linux",
            // Ubuntu: the node OS the GPU operator's driver containers support.
            osSKU: "Ubuntu",
            vmSize: args.gpuPool.instanceType,
            orchestratorVersion: args.version,
            osDiskSizeGB: args.gpuPool.diskSizeGb,
            enableAutoScaling: true,
            count: args.gpuPool.minSize,
            minCount: args.gpuPool.minSize,
            maxCount: args.gpuPool.maxSize,
            // No zones: GPU sizes are often not offered in every zone, so take capacity anywhere in the region.
            vnetSubnetID: nodeSubnet.id,
            nodeTaints: [GPU_POOL_TAINT],
            nodeLabels: { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value },
            // This SDK has the agent pool's gpuProfile, so AKS is told not to install the NVIDIA driver
            // (`driver: "None"`, the successor of the `SkipGPUDriverInstall=true` node-pool tag): the GPU
            // operator installs driver and container toolkit, hence gpuFacts(..., "operator") below.
            gpuProfile: { driver: "None" },
            tags,
        }, child({ ignoreChanges: ["count"] })); // the autoscaler owns the node count

        this.clusterName = cluster.name;
        this.resourceGroupName = resourceGroupName;

        const credentials = containerservice.listManagedClusterUserCredentialsOutput(
            userCredentialsRequest(resourceGroupName, cluster.name),
            { parent: this, provider: azureProvider },
        );
        this.kubeconfig = pulumi.secret(credentials.kubeconfigs.apply(decodeKubeconfig));
        // Depending on the GPU pool makes workloads wait for it and be deleted before it.
        this.provider = new k8s.Provider(`${name}-k8s`, {
            kubeconfig: this.kubeconfig,
            clusterIdentifier: cluster.id,
        }, { parent: this, dependsOn: [gpuPool] });

        // Model store.
        const accountName = storageAccountName(name);
        const account = new storage.StorageAccount(`${name}-models`, {
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
            encryption: {
                keySource: "Microsoft.Storage",
                services: { blob: { enabled: true, keyType: "Account" } },
            },
            tags,
        }, child({ protect, retainOnDelete: true }));
        new storage.BlobServiceProperties(`${name}-models-blob`, {
            resourceGroupName,
            accountName: account.name,
            blobServicesName: "default",
            isVersioningEnabled: true,
            deleteRetentionPolicy: { enabled: true, days: BLOB_RETENTION_DAYS },
            containerDeleteRetentionPolicy: { enabled: true, days: BLOB_RETENTION_DAYS },
        }, child());
        const container = new storage.BlobContainer(`${name}-models-container`, {
            resourceGroupName,
            accountName: account.name,
            containerName: MODELS_CONTAINER,
            publicAccess: "None",
        }, child({ protect, retainOnDelete: true }));

        // Read-only identity for serving pods: managed identity <- federated Kubernetes service account.
        const readerIdentity = new managedidentity.UserAssignedIdentity(`${name}-model-reader`, {
            resourceGroupName,
            location,
            tags,
        }, child());
        new managedidentity.FederatedIdentityCredential(`${name}-model-reader-federation`, {
            resourceGroupName,
            resourceName: readerIdentity.name,
            issuer: cluster.oidcIssuerProfile.apply((profile) => oidcIssuerUrl(profile, pulumi.runtime.isDryRun())),
            subject: serviceAccountSubject(reader.namespace, reader.serviceAccountName),
            audiences: [WORKLOAD_IDENTITY_AUDIENCE],
        }, child());
        new authorization.RoleAssignment(`${name}-model-reader-blob`, {
            principalId: readerIdentity.principalId,
            principalType: "ServicePrincipal",
            roleDefinitionId: builtInRole(AZURE_ROLES.storageBlobDataReader),
            scope: container.id,
        }, child());

        this.gpu = gpuFacts(args.gpuPool, "operator");
        // The names are ours (set above); taking them through the container's ID makes readers wait for it.
        const onceContainerExists = <T>(value: T) => container.id.apply(() => value);
        this.objectStore = {
            kind: "azureblob",
            bucket: onceContainerExists(MODELS_CONTAINER),
            uriPrefix: onceContainerExists(blobUriPrefix(accountName, MODELS_CONTAINER)),
            region: args.region,
            readIdentity: {
                namespace: reader.namespace,
                serviceAccountName: reader.serviceAccountName,
                serviceAccountAnnotations: readerIdentity.clientId.apply(workloadIdentityAnnotations),
                podLabels: { ...WORKLOAD_IDENTITY_POD_LABELS },
            },
        };

        this.registerOutputs({
            clusterName: this.clusterName,
            resourceGroupName: this.resourceGroupName,
            kubeconfig: this.kubeconfig,
            platform: this.platform,
            gpu: this.gpu,
            modelBucket: this.objectStore.bucket,
            modelUriPrefix: this.objectStore.uriPrefix,
            modelReaderClientId: readerIdentity.clientId,
        });
    }
}
