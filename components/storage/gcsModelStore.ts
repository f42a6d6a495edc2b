/**
 * GcsModelStore: a serving stack's copy of the approved models on Google Cloud Storage (versioned,
 * uniform access, public access prevented, retained on delete), with a read-only Google service
 * account for serving pods and a writer for the model sync, both bound through Workload Identity.
 *
 * Encrypted at rest with Google-managed keys (the GCS default): a customer-managed key would need the
 * project's GCS service agent, which GCP creates lazily; nothing else has to outlive the bucket.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { MODEL_READER, MODEL_WRITER, ObjectStore } from "../clusters/types";

export interface GcsModelStoreArgs {
    /** GCP project ID of the bucket and the service accounts (and of the Workload Identity pool). Required. */
    project: string;
    /** Bucket location (region). Required. */
    location: string;
    /** Globally unique bucket name (3-63 of a-z 0-9 - _ .). Required; see `gcsBucketName`. */
    bucketName: string;
    /** Prefix of the service account IDs (`<prefix>-mr`, `<prefix>-mw`, at most 30 characters in all). Required. */
    accountPrefix: string;
    /** Namespace/service account of the read-only identity. Default `MODEL_READER`. */
    reader?: { namespace: string; serviceAccountName: string };
    /** Namespace/service account of the write identity (model sync). Default `MODEL_WRITER`. */
    writer?: { namespace: string; serviceAccountName: string };
    /**
     * Resources the Workload Identity bindings wait for (the cluster: its identity pool exists only
     * once a cluster with Workload Identity does). Default [].
     */
    identityPoolReady?: pulumi.Resource[];
    /** Resources every child waits for (e.g. the enabled storage and IAM APIs). Default []. */
    dependsOn?: pulumi.Resource[];
    /** Protect the bucket from deletion. Default true. (The bucket is always retained on delete.) */
    protect?: boolean;
    /** GCP labels on the bucket. Default {}. */
    labels?: Record<string, string>;
}

/** Validates a GCS bucket name; `arg` names the argument in the error. */
export function gcsBucketName(bucket: string, arg = "GcsModelStore args.bucketName"): string {
    if (!/^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.startsWith("goog") || bucket.includes("google")) {
        throw new Error(`${arg}: ${JSON.stringify(bucket)} is not a valid GCS bucket name (3-63 characters: a-z, 0-9, '-', '_', '.'; no "goog" prefix or "google")`);
    }
    return bucket;
}

/** `gs://<bucket>`: the storage URI prefix KServe reads from. */
export function gcsUriPrefix(bucket: string): string {
    return `gs://${bucket}`;
}

/** The IAM member of a Kubernetes service account in the project's Workload Identity pool. */
export function workloadIdentityMember(project: string, namespace: string, serviceAccountName: string): string {
    return `serviceAccount:${project}.svc.id.goog[${namespace}/${serviceAccountName}]`;
}

/** Bucket roles: the reader only views; the writer creates and overwrites (versions keep the old ones). */
export const GCS_ROLES = { reader: "roles/storage.objectViewer", writer: "roles/storage.objectUser" } as const;

/**
 * Days a deleted object generation stays recoverable (the bucket's soft-delete policy). The writer
 * needs `storage.objects.delete` (the sync overwrites and purges a copy whose digest does not match),
 * and GCS IAM cannot tell a live generation from a noncurrent one: soft delete makes every delete
 * recoverable for as long as Azure keeps a deleted blob (BLOB_RETENTION_DAYS), and S3 keeps versions.
 */
export const DELETED_OBJECT_RETENTION_DAYS = 30;

/** The model bucket and its read and write identities. */
export class GcsModelStore extends pulumi.ComponentResource {
    public readonly objectStore: ObjectStore;
    public readonly readerEmail: pulumi.Output<string>;
    public readonly writerEmail: pulumi.Output<string>;

    constructor(name: string, args: GcsModelStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        const bucketName = gcsBucketName(args.bucketName);
        const ids = { reader: `${args.accountPrefix}-mr`, writer: `${args.accountPrefix}-mw` };
        for (const id of Object.values(ids)) {
            if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(id)) {
                throw new Error(`GcsModelStore ${name}: args.accountPrefix gives the service account ID ${JSON.stringify(id)}, which is not 6-30 of a-z 0-9 - starting with a letter`);
            }
        }
        super("hybridml:storage:GcsModelStore", name, {}, opts);
        const protect = args.protect ?? true;
        const reader = args.reader ?? MODEL_READER;
        const writer = args.writer ?? MODEL_WRITER;
        const after = args.dependsOn ?? [];
        const child: pulumi.CustomResourceOptions = { parent: this, dependsOn: after };

        const bucket = new gcp.storage.Bucket(`${name}-bucket`, {
            project: args.project,
            name: bucketName,
            location: args.location,
            uniformBucketLevelAccess: true,
            publicAccessPrevention: "enforced",
            versioning: { enabled: true },
            softDeletePolicy: { retentionDurationSeconds: DELETED_OBJECT_RETENTION_DAYS * 86_400 },
            forceDestroy: false,
            labels: args.labels ?? {},
        }, { ...child, protect, retainOnDelete: true });

        const identity = (id: "reader" | "writer", sa: { namespace: string; serviceAccountName: string }, what: string) => {
            const account = new gcp.serviceaccount.Account(`${name}-${id}`, {
                project: args.project,
                accountId: ids[id],
                displayName: `${what} of ${bucketName}`.slice(0, 100),
            }, child);
            const bucketRole = new gcp.storage.BucketIAMMember(`${name}-${id}`, {
                bucket: bucket.name, role: GCS_ROLES[id], member: pulumi.interpolate`serviceAccount:${account.email}`,
            }, child);
            const binding = new gcp.serviceaccount.IAMMember(`${name}-${id}-wi`, {
                serviceAccountId: pulumi.interpolate`projects/${args.project}/serviceAccounts/${account.email}`,
                role: "roles/iam.workloadIdentityUser",
                member: workloadIdentityMember(args.project, sa.namespace, sa.serviceAccountName),
            }, { parent: this, dependsOn: [...after, ...(args.identityPoolReady ?? [])] });
            return { account, grants: [bucketRole, binding] as pulumi.Resource[] };
        };
        const read = identity("reader", reader, "Model reader (read-only)");
        const write = identity("writer", writer, "Model sync (writes)");
        const [readerSa, writerSa] = [read.account, write.account];
        const annotations = (email: pulumi.Output<string>) =>
            email.apply((e): Record<string, string> => ({ "iam.gke.io/gcp-service-account": e }));

        // The bucket name is our input: the URI is known in a preview (a promotion shows in every storage
        // URI); users wait for the bucket through the grants, which name it.
        this.objectStore = {
            kind: "gcs",
            bucket: pulumi.output(bucketName),
            uriPrefix: pulumi.output(gcsUriPrefix(bucketName)),
            region: args.location,
            readIdentity: { ...reader, serviceAccountAnnotations: annotations(readerSa.email), podLabels: {}, grants: read.grants },
            writeIdentity: { ...writer, serviceAccountAnnotations: annotations(writerSa.email), podLabels: {}, grants: write.grants },
        };
        this.readerEmail = readerSa.email;
        this.writerEmail = writerSa.email;
        this.registerOutputs({ objectStore: this.objectStore, readerEmail: this.readerEmail, writerEmail: this.writerEmail });
    }
}
