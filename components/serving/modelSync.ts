/**
 * Model hand-off (SPEC 5 "Serving", 6): copies exactly the catalogue's model versions from the
 * training object store (read-only S3 credentials from the stack reference, as a Secret) to this
 * stack's local store (S3, GCS or Blob through the writer's workload identity, or a volume) through a
 * staging prefix: each version is verified against the catalogue's sha256 before it is moved into
 * place, and a mismatch fails the Job without touching the live copy. The Job's name carries a hash
 * of the catalogue, so a promotion replaces it; InferenceServices depend on it. A CronJob re-runs
 * the same sync on a schedule to repair drift.
 *
 * Digest rule: a file artefact's sha256 is the file's; a directory artefact's (path ending in `/`)
 * is the sha256 of its manifest, the lines `<sha256>  <relative path>` sorted by path (byte order),
 * each ending in a newline (what `sha256sum` prints for the files, sorted).
 */
import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { artefactLayout, artefactSubPath } from "../../lib/kserveRuntimes";
import { versions } from "../../lib/versions";

/** One catalogue entry as the sync needs it. */
export interface SyncModel {
    name: string;
    version: string;
    /** Path in the training models bucket; a trailing `/` marks a directory. */
    artifactPath: string;
    /** Expected digest (see the digest rule above); unverified when absent. */
    sha256?: string;
    /** Serving runtime: decides where under the version's URI the artefact goes (lib/kserveRuntimes.ts layouts). Default: the URI itself. */
    runtime?: string;
}

/** Where this stack keeps its copy of the models. */
export type LocalStore =
    | { kind: "s3" | "gcs" | "azureblob"; uriPrefix: pulumi.Input<string>; region?: string }
    | { kind: "pvc"; claimName: string; size: string; storageClass?: string };

export interface ModelSyncArgs {
    /** Provider of the target cluster (required). */
    provider: k8s.Provider;
    /** Namespace of the sync (the serving namespace). Required. */
    namespace: pulumi.Input<string>;
    /** The catalogue entries to copy. Required. */
    models: SyncModel[];
    /** The training object store (S3 API). Required. */
    source: { endpoint: string; bucket: string; region: string };
    /**
     * PEM CA the training store's certificate chains to (from the contract). When set, rclone trusts
     * it in addition to the system roots (the cloud destination still verifies against those). Default none.
     */
    sourceCaCert?: pulumi.Input<string>;
    /** Read-only credentials of the training store (a secret Output). Required. */
    sourceCredentials: pulumi.Output<{ accessKeyId: string; secretAccessKey: string }>;
    /** The local store. Required. */
    store: LocalStore;
    /** Service account the sync runs as (the writer identity, never the model reader). Required. */
    writer: { serviceAccountName: string; annotations?: pulumi.Input<Record<string, string>>; podLabels?: Record<string, string> };
    /** Cron schedule of the re-sync. Required. */
    schedule: string;
    /** Sync image. Default `versions.servingImages.modelSync`. */
    image?: string;
    /** Protect the local store volume (pvc stores) from deletion. Default false. */
    protect?: boolean;
    /** Deadline of one sync run (Job `activeDeadlineSeconds`; Pulumi waits as long). Default 4 hours. */
    deadlineSeconds?: number;
    /** Resources that must exist before the copy runs (e.g. the bucket's IAM bindings). Default []. */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** Pod label of the sync pods (network policies select it). */
export const SYNC_POD_LABELS = { "app.kubernetes.io/name": "model-sync", "app.kubernetes.io/part-of": "hybridml" } as const;
/** Mount path of the local store volume in the sync pod (pvc stores). */
export const STORE_MOUNT = "/mnt/models";
export const SOURCE_SECRET_NAME = "model-store-training-read";
/** ConfigMap with the training store's CA (`ca.crt`) and where the sync pod mounts it. */
export const SOURCE_CA_CONFIGMAP = "model-store-training-ca";
export const SOURCE_CA_MOUNT = "/etc/hybridml/training-ca";

/**
 * Shell lines that make rclone trust the training CA besides the system roots: Go reads SSL_CERT_FILE,
 * so the bundle is the image's roots plus the CA (rclone's --ca-cert would replace the roots and break
 * the cloud destination).
 */
export function trustSourceCaScript(): string {
    return [
        `cat /etc/ssl/certs/ca-certificates.crt ${SOURCE_CA_MOUNT}/ca.crt > /tmp/ca-bundle.crt || { echo "model-sync: cannot build the CA bundle" >&2; exit 1; }`,
        "export SSL_CERT_FILE=/tmp/ca-bundle.crt",
    ].join("\n") + "\n";
}

/** Storage URI prefix of a local store: s3://bucket, gs://bucket, https://account.blob.core.windows.net/container, pvc://claim. */
export function storeUriPrefix(store: LocalStore): pulumi.Output<string> {
    return store.kind === "pvc" ? pulumi.output(`pvc://${store.claimName}`) : pulumi.output(store.uriPrefix);
}

/**
 * The storage URI of a model's local copy: exactly that version. For a Triton model it is the model
 * repository root (the model's folder `<name>/` with `config.pbtxt` is below it); otherwise the model itself.
 */
export function modelStorageUri(prefix: string, m: { name: string; version: string }): string {
    return `${prefix.replace(/\/+$/, "")}/${m.name}/${m.version}`;
}

/** Where under `<name>/<version>` the artefact goes: its own folder in a Triton repository, else the version folder itself. */
function subPath(m: SyncModel): string {
    return m.runtime ? artefactSubPath({ name: m.name, runtime: m.runtime }) : "";
}

/** The 10-hex-digit hash in the Job's name: the catalogue (sorted by name) and the sync image. */
export function catalogueHash(models: SyncModel[], image: string = versions.servingImages.modelSync): string {
    const canonical = [...models].sort((a, b) => a.name.localeCompare(b.name))
        .map((m) => [m.name, m.version, m.artifactPath, m.sha256 ?? "", subPath(m)]);
    return crypto.createHash("sha256").update(JSON.stringify({ canonical, image })).digest("hex").slice(0, 10);
}

/** Name of the sync Job for this catalogue (DNS-1123, well under 63 characters). */
export function syncJobName(models: SyncModel[], image?: string): string {
    return `model-sync-${catalogueHash(models, image)}`;
}

/** Exit code of a digest mismatch: the Job fails at once (no retry), unlike a copy error (retried). */
export const MISMATCH_EXIT = 3;

/** Default deadline of one sync run: copying and re-hashing large models takes long. 4 hours. */
export const SYNC_DEADLINE_SECONDS = 4 * 3600;

/** Where a version is staged (under the store root) until its digest is verified. */
export const STAGING_PREFIX = ".staging";

/** The Job spec: retries for transient copy errors, none for a digest mismatch. */
export function syncJobSpec(template: Record<string, any>, deadlineSeconds: number = SYNC_DEADLINE_SECONDS): k8s.types.input.batch.v1.JobSpec {
    return {
        backoffLimit: 2,
        activeDeadlineSeconds: deadlineSeconds,
        podFailurePolicy: { rules: [{ action: "FailJob", onExitCodes: { containerName: "sync", operator: "In", values: [MISMATCH_EXIT] } }] },
        template,
    };
}

/**
 * How long Pulumi waits for the sync Job: its deadline plus a margin for scheduling and the image
 * pull (the provider's default for a Job is 10 minutes, shorter than a real copy).
 */
export function syncJobTimeouts(deadlineSeconds: number = SYNC_DEADLINE_SECONDS): { create: string; update: string } {
    const minutes = `${Math.ceil(deadlineSeconds / 60) + 10}m`;
    return { create: minutes, update: minutes };
}

/**
 * Job annotation: a Job that failed (or never got ready) is replaced on the next `pulumi up`
 * instead of failing it again (pulumi-kubernetes `pulumi.com/replaceUnready`).
 */
export const REPLACE_UNREADY = { "pulumi.com/replaceUnready": "true" } as const;

const shellQuote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/**
 * The sync script (sh in the rclone image, busybox ash: `pipefail` set, so a failing `rclone hashsum`
 * is a retryable error, never a mismatch). Per model: a live copy at `$DEST_ROOT/<name>/<version>`
 * whose digest matches is left alone; otherwise the version is copied into
 * `$DEST_ROOT/.staging/<name>/<version>`, verified there and only then synced into place, so a changed
 * source never overwrites (and a mismatch never purges) a live copy. A mismatch removes the staged copy
 * and exits `MISMATCH_EXIT` (the Job fails loudly, without retries); a copy or hashing error exits 1 (retried).
 */
export function syncScript(models: SyncModel[]): string {
    const lines = [
        "set -eu",
        "set -o pipefail",
        "fail() { echo \"model-sync: FATAL: $*\" >&2; exit 1; }",
        `mismatch() { echo "model-sync: FATAL: $*" >&2; exit ${MISMATCH_EXIT}; }`,
        "digest() {",
        "  rclone hashsum sha256 --download \"$1\" | LC_ALL=C sort -k 2 > /tmp/manifest || return 1",
        "  if [ \"$2\" = file ]; then cut -d ' ' -f 1 /tmp/manifest; else sha256sum < /tmp/manifest | cut -d ' ' -f 1; fi",
        "}",
        "sync_model() {",
        "  name=$1; version=$2; src=\"training:$SOURCE_BUCKET/$3\"; kind=$4; want=$5; sub=$6; layout=$7",
        "  dst=\"$DEST_ROOT/$name/$version${sub:+/$sub}\"",
        `  stage="$DEST_ROOT/${STAGING_PREFIX}/$name/$version\${sub:+/$sub}"`,
        "  if [ -n \"$want\" ] && [ -n \"$(rclone lsf \"$dst\" 2>/dev/null || true)\" ]; then",
        "    live=$(digest \"$dst\" \"$kind\") || fail \"$name $version: cannot hash the live copy $dst\"",
        "    if [ \"$live\" = \"$want\" ]; then echo \"model-sync: $name $version: live copy verified (sha256 $live)\"; return 0; fi",
        "  fi",
        "  echo \"model-sync: $name $version: $src -> $stage\"",
        "  rclone purge \"$stage\" >/dev/null 2>&1 || true",
        "  rclone copy --checksum --retries 3 \"$src\" \"$stage\" || fail \"$name $version: copy from $src failed\"",
        "  if [ \"$layout\" = repository ] && [ -z \"$(rclone lsf \"$stage/config.pbtxt\" 2>/dev/null || true)\" ]; then",
        "    rclone purge \"$stage\" || true",
        "    mismatch \"$name $version: not a Triton model directory (no config.pbtxt at its top; the storage URI is the model repository holding $name/config.pbtxt)\"",
        "  fi",
        "  if [ -z \"$want\" ]; then",
        "    echo \"model-sync: WARNING: $name $version has no sha256 in the catalogue: not verified\" >&2",
        "  else",
        "    got=$(digest \"$stage\" \"$kind\") || fail \"$name $version: cannot hash $stage\"",
        "    if [ \"$got\" != \"$want\" ]; then",
        "      rclone purge \"$stage\" || true",
        "      mismatch \"$name $version: sha256 mismatch: catalogue says $want, the copy has $got (staged copy removed, live copy untouched; check the artefact in the training store)\"",
        "    fi",
        "    echo \"model-sync: $name $version: sha256 $got verified\"",
        "  fi",
        "  rclone sync --checksum \"$stage\" \"$dst\" || fail \"$name $version: moving $stage into place failed\"",
        "  rclone purge \"$stage\" || true",
        "  echo \"model-sync: $name $version: in place at $dst\"",
        "}",
    ];
    for (const m of [...models].sort((a, b) => a.name.localeCompare(b.name))) {
        const kind = m.artifactPath.endsWith("/") ? "dir" : "file";
        const layout = m.runtime ? artefactLayout(m.runtime) : "model-dir";
        lines.push(`sync_model ${[m.name, m.version, m.artifactPath, kind, m.sha256 ?? "", subPath(m), layout].map(shellQuote).join(" ")}`);
    }
    lines.push(`echo "model-sync: ${models.length} model(s) in place"`);
    return lines.join("\n") + "\n";
}

type EnvVar = { name: string; value?: string; valueFrom?: unknown };

/** rclone settings of the destination (`local:` remote) and DEST_ROOT, from the store and its URI prefix. */
export function destinationEnv(store: { kind: LocalStore["kind"]; region?: string }, uriPrefix: string): EnvVar[] {
    const v = (name: string, value: string): EnvVar => ({ name, value });
    const path = uriPrefix.replace(/^[a-z0-9]+:\/\//, "").replace(/\/+$/, "");
    switch (store.kind) {
        case "s3":
            return [v("RCLONE_CONFIG_LOCAL_TYPE", "s3"), v("RCLONE_CONFIG_LOCAL_PROVIDER", "AWS"), v("RCLONE_CONFIG_LOCAL_ENV_AUTH", "true"),
                v("RCLONE_CONFIG_LOCAL_REGION", store.region ?? ""), v("DEST_ROOT", `local:${path}`)];
        case "gcs":
            return [v("RCLONE_CONFIG_LOCAL_TYPE", "google cloud storage"), v("RCLONE_CONFIG_LOCAL_ENV_AUTH", "true"),
                v("RCLONE_CONFIG_LOCAL_BUCKET_POLICY_ONLY", "true"), v("DEST_ROOT", `local:${path}`)];
        case "azureblob": {
            const m = /^([a-z0-9]+)\.blob\.core\.windows\.net\/(.+)$/.exec(path);
            // In a preview the account is unknown: keep the shape, the value comes at deploy time.
            const [account, container] = m ? [m[1], m[2]] : ["", path];
            return [v("RCLONE_CONFIG_LOCAL_TYPE", "azureblob"), v("RCLONE_CONFIG_LOCAL_ACCOUNT", account),
                v("RCLONE_CONFIG_LOCAL_ENV_AUTH", "true"), v("DEST_ROOT", `local:${container}`)];
        }
        case "pvc":
            return [v("RCLONE_CONFIG_LOCAL_TYPE", "local"), v("DEST_ROOT", `local:${STORE_MOUNT}`)];
    }
}

/** The sync pod (Job and CronJob share it): non-root, read-only root file system, no API token. */
export function syncPodSpec(a: {
    image: string; models: SyncModel[]; serviceAccountName: string; source: ModelSyncArgs["source"];
    destination: pulumi.Input<EnvVar[]>; claimName?: string; podLabels?: Record<string, string>;
    /** Mount the training CA ConfigMap and trust it (see `trustSourceCaScript`). */
    trustSourceCa?: boolean;
}): Record<string, any> {
    const secret = (key: string) => ({ valueFrom: { secretKeyRef: { name: SOURCE_SECRET_NAME, key } } });
    const sourceEnv: EnvVar[] = [
        { name: "RCLONE_CONFIG_TRAINING_TYPE", value: "s3" },
        { name: "RCLONE_CONFIG_TRAINING_PROVIDER", value: "Ceph" },
        { name: "RCLONE_CONFIG_TRAINING_ENDPOINT", value: a.source.endpoint },
        { name: "RCLONE_CONFIG_TRAINING_REGION", value: a.source.region },
        { name: "RCLONE_CONFIG_TRAINING_ACCESS_KEY_ID", ...secret("accessKeyId") },
        { name: "RCLONE_CONFIG_TRAINING_SECRET_ACCESS_KEY", ...secret("secretAccessKey") },
        { name: "SOURCE_BUCKET", value: a.source.bucket },
        { name: "HOME", value: "/tmp" },
        { name: "RCLONE_CONFIG", value: "/tmp/rclone.conf" },
    ];
    return {
        metadata: { labels: { ...SYNC_POD_LABELS, ...(a.podLabels ?? {}) } },
        spec: {
            serviceAccountName: a.serviceAccountName,
            automountServiceAccountToken: false,
            restartPolicy: "Never",
            securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
            containers: [{
                name: "sync",
                image: a.image,
                command: ["/bin/sh", "-c", (a.trustSourceCa ? trustSourceCaScript() : "") + syncScript(a.models)],
                env: pulumi.output(a.destination).apply((d) => [...sourceEnv, ...d]),
                resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                volumeMounts: [
                    { name: "tmp", mountPath: "/tmp" },
                    ...(a.claimName ? [{ name: "models", mountPath: STORE_MOUNT }] : []),
                    ...(a.trustSourceCa ? [{ name: "training-ca", mountPath: SOURCE_CA_MOUNT, readOnly: true }] : []),
                ],
            }],
            volumes: [
                { name: "tmp", emptyDir: {} },
                ...(a.claimName ? [{ name: "models", persistentVolumeClaim: { claimName: a.claimName } }] : []),
                ...(a.trustSourceCa ? [{ name: "training-ca", configMap: { name: SOURCE_CA_CONFIGMAP } }] : []),
            ],
        },
    };
}

export class ModelSync extends pulumi.ComponentResource {
    /** The one-off sync of this catalogue: InferenceServices depend on it. */
    public readonly job: k8s.batch.v1.Job;
    public readonly jobName: pulumi.Output<string>;
    public readonly cronJob: k8s.batch.v1.CronJob;
    /** Storage URI prefix of the local copies (append `/<name>/<version>`). */
    public readonly uriPrefix: pulumi.Output<string>;
    /** The local store volume (pvc stores only). */
    public readonly claim: k8s.core.v1.PersistentVolumeClaim | undefined;

    constructor(name: string, args: ModelSyncArgs, opts?: pulumi.ComponentResourceOptions) {
        super("hybridml:serving:ModelSync", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        const image = args.image ?? versions.servingImages.modelSync;
        const labels = { ...SYNC_POD_LABELS };
        const secret = new k8s.core.v1.Secret(`${name}-source`, {
            metadata: { name: SOURCE_SECRET_NAME, namespace: args.namespace, labels },
            type: "Opaque",
            stringData: {
                accessKeyId: pulumi.secret(args.sourceCredentials.apply((c) => c.accessKeyId)),
                secretAccessKey: pulumi.secret(args.sourceCredentials.apply((c) => c.secretAccessKey)),
            },
        }, child);
        const sa = new k8s.core.v1.ServiceAccount(`${name}-writer`, {
            metadata: { name: args.writer.serviceAccountName, namespace: args.namespace, labels, annotations: args.writer.annotations ?? {} },
            automountServiceAccountToken: false,
        }, child);
        const caMap = args.sourceCaCert !== undefined ? new k8s.core.v1.ConfigMap(`${name}-source-ca`, {
            metadata: { name: SOURCE_CA_CONFIGMAP, namespace: args.namespace, labels },
            data: { "ca.crt": args.sourceCaCert },
        }, child) : undefined;
        const store = args.store;
        this.claim = store.kind === "pvc" ? new k8s.core.v1.PersistentVolumeClaim(`${name}-store`, {
            metadata: { name: store.claimName, namespace: args.namespace, labels },
            spec: {
                accessModes: ["ReadWriteMany"],
                resources: { requests: { storage: store.size } },
                ...(store.storageClass ? { storageClassName: store.storageClass } : {}),
            },
        }, { ...child, retainOnDelete: true, protect: args.protect ?? false }) : undefined;
        this.uriPrefix = storeUriPrefix(store);
        const destination = this.uriPrefix.apply((p) => destinationEnv(store, p));
        const template = syncPodSpec({
            image, models: args.models, serviceAccountName: args.writer.serviceAccountName, source: args.source, destination,
            claimName: store.kind === "pvc" ? store.claimName : undefined, podLabels: args.writer.podLabels, trustSourceCa: caMap !== undefined,
        });
        const deps = [secret, sa, ...(caMap ? [caMap] : []), ...(this.claim ? [this.claim] : []), ...(args.dependsOn ?? [])];
        const deadline = args.deadlineSeconds ?? SYNC_DEADLINE_SECONDS;
        this.job = new k8s.batch.v1.Job(`${name}-job`, {
            metadata: { name: syncJobName(args.models, image), namespace: args.namespace, labels, annotations: { ...REPLACE_UNREADY } },
            spec: syncJobSpec(template, deadline),
        }, { ...child, dependsOn: deps, deleteBeforeReplace: true, customTimeouts: syncJobTimeouts(deadline) });
        this.cronJob = new k8s.batch.v1.CronJob(`${name}-cron`, {
            metadata: { name: "model-sync", namespace: args.namespace, labels },
            spec: {
                schedule: args.schedule,
                concurrencyPolicy: "Forbid",
                startingDeadlineSeconds: 600,
                successfulJobsHistoryLimit: 1,
                failedJobsHistoryLimit: 3,
                jobTemplate: { metadata: { labels }, spec: syncJobSpec(template, deadline) },
            },
        }, { ...child, dependsOn: [...deps, this.job] });
        this.jobName = this.job.metadata.name;
        this.registerOutputs({ job: this.job, jobName: this.jobName, cronJob: this.cronJob, uriPrefix: this.uriPrefix, claim: this.claim });
    }
}
