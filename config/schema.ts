/**
 * The typed configuration schema of a stack (SPEC 4): every key, its type and its default.
 *
 * Pure: no Pulumi imports. `config/index.ts` reads `pulumi.Config` and feeds the raw values here;
 * tests call `parsePlatformConfig` directly. Keys are documented in README.md ("Configuration").
 */
import { z } from "zod";
import { versions } from "../lib/versions";

/** The Pulumi config namespace of this project (`hybridml:<key>`). */
export const NAMESPACE = "hybridml";

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
/** True when `s` is an IPv4 CIDR block such as `10.0.0.0/16`. */
export function isCidr(s: string): boolean {
    return IPV4_CIDR.test(s);
}
const cidr = z.string().refine(isCidr, { message: "must be an IPv4 CIDR block such as 10.0.0.0/16" });
const count = (min: number) => z.number().int().min(min);
/** DNS-1123 label: lower-case letters, digits and '-', starting with a letter. */
const dnsName = z.string().regex(/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/, {
    message: "must be lower-case letters, digits and '-', start with a letter, at most 40 characters",
});

export const environments = ["dev", "edge", "prod"] as const;
export const roles = ["training", "serving"] as const;
export const clusterProviders = ["eks", "gke", "aks", "onprem", "k3s"] as const;
export type Environment = (typeof environments)[number];
export type Role = (typeof roles)[number];
export type ClusterProvider = (typeof clusterProviders)[number];

/** How GPUs are shared between pods (GPU operator device-plugin config). */
const sharing = z.discriminatedUnion("mode", [
    z.strictObject({ mode: z.literal("none") }),
    /** Time-slicing: each GPU is advertised `replicas` times. */
    z.strictObject({ mode: z.literal("time-slicing"), replicas: count(2).max(48) }),
    /** MIG: the GPU operator's mig-manager applies `profile` (e.g. `all-1g.10gb`). */
    z.strictObject({ mode: z.literal("mig"), profile: z.string().regex(/^all-(balanced|\d+g\.\d+gb)$/, {
        message: "must be a mig-parted profile such as all-1g.10gb, all-3g.40gb or all-balanced",
    }) }),
]);

const systemPool = z.strictObject({
    /** Machine type; default per provider (see `defaultInstanceTypes`). */
    instanceType: z.string().min(1).optional(),
    /** Minimum node count. Default 2. */
    minSize: count(1).default(2),
    /** Maximum node count. Default 4. */
    maxSize: count(1).default(4),
});

const gpuPool = z.strictObject({
    /** Machine type with GPUs attached; default per provider. */
    instanceType: z.string().min(1).optional(),
    /** Accelerator type (GKE accelerator name, informational elsewhere); default per provider. */
    gpuType: z.string().min(1).optional(),
    /** GPUs per node. Default 1. */
    gpuCount: count(1).max(16).default(1),
    /** Minimum node count; 0 lets the pool scale to zero. Default 0. */
    minSize: count(0).default(0),
    /** Maximum node count. Default 2. */
    maxSize: count(1).default(2),
    /** Node root disk in GiB (model images are large). Default 200. */
    diskSizeGb: count(50).max(4096).default(200),
    /** GPU sharing. Default `{ mode: none }`. */
    sharing: sharing.default({ mode: "none" }),
});

const k3sHost = z.strictObject({
    /** Node name (DNS-1123). */
    name: dnsName,
    /** Address that Pulumi reaches over SSH and the agents reach on 6443. */
    address: z.string().regex(/^[A-Za-z0-9.:-]+$/, { message: "must be an IP address or host name" }),
    /** `server` (control plane) or `agent`. */
    role: z.enum(["server", "agent"]),
    /** The host has NVIDIA GPUs: it is labelled and tainted for GPU work. Default false. */
    gpu: z.boolean().default(false),
});

const cluster = z.strictObject({
    /** Where the cluster comes from: eks | gke | aks (created), onprem (existing), k3s (installed on hosts). */
    provider: z.enum(clusterProviders),
    /** Cloud region (eks, gke) or Azure location (aks). Required for the clouds. */
    region: z.string().min(1).optional(),
    /** Kubernetes minor version. Default `versions.kubernetes`. */
    version: z.string().regex(/^1\.\d{2}$/, { message: "must be a Kubernetes minor version such as 1.34" }).default(versions.kubernetes),
    /** Expose the API server publicly (only to `authorizedCidrs`). Default false: private endpoint only. */
    publicEndpoint: z.boolean().default(false),
    /** CIDRs allowed to reach a public API endpoint. Required, non-empty, when publicEndpoint is true. */
    authorizedCidrs: z.array(cidr).default([]),
    network: z.strictObject({
        /** VPC / VNet address space. Default 10.40.0.0/16. */
        vpcCidr: cidr.default("10.40.0.0/16"),
        /** Pod CIDR (GKE secondary range, AKS overlay). Default 100.64.0.0/14. */
        podCidr: cidr.default("100.64.0.0/14"),
        /** Service CIDR. Default 172.20.0.0/16. */
        serviceCidr: cidr.default("172.20.0.0/16"),
        /** Availability zones. Default: `<region>a|b|c` on eks, the region's zones on gke, 1-3 on aks. */
        zones: z.array(z.string().min(1)).min(1).optional(),
        /** One NAT gateway per zone (true) or one shared (false). Default: true in prod. */
        natPerZone: z.boolean().optional(),
    }).prefault({}),
    systemPool: systemPool.prefault({}),
    gpuPool: gpuPool.prefault({}),
    /** AWS: IAM principals (role ARNs) granted cluster-admin through EKS access entries. Default []. */
    adminRoleArns: z.array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, {
        message: "must be an IAM role ARN such as arn:aws:iam::123456789012:role/platform-admin",
    })).default([]),
    /** GCP: project ID. Required for gke. */
    project: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, { message: "must be a GCP project ID" }).optional(),
    /** GCP: project number (its GKE service agent gets the secrets-encryption key). Required for gke. */
    projectNumber: z.preprocess((v) => (typeof v === "number" ? String(v) : v),
        z.string().regex(/^\d{6,20}$/, { message: "must be the GCP project number (digits)" })).optional(),
    /** Azure: Entra ID tenant. Required for aks. */
    tenantId: z.uuid({ message: "must be an Entra ID tenant GUID" }).optional(),
    /** Azure: Entra ID groups that are cluster admins (Azure RBAC). Default []. */
    adminGroupObjectIds: z.array(z.uuid({ message: "must be an Entra ID group object GUID" })).default([]),
    /** On-prem: kubeconfig context to use (the kubeconfig itself is the secret key `hybridml:kubeconfig`). */
    context: z.string().min(1).optional(),
    /** k3s: the hosts. Required for k3s; at least one `server`. */
    hosts: z.array(k3sHost).default([]),
    /** k3s: SSH user with passwordless sudo. Default `ubuntu`. */
    sshUser: z.string().min(1).default("ubuntu"),
    /** k3s: SSH port. Default 22. */
    sshPort: count(1).max(65535).default(22),
});

const storage = z.strictObject({
    rook: z.strictObject({
        /** Deploy Rook-Ceph. Default: true on stacks with the training role. */
        enabled: z.boolean().optional(),
        /** OSDs on raw host devices, or PVC-backed on cloud block storage. Default `devices`. */
        osdSource: z.enum(["devices", "pvc"]).default("devices"),
        /** Regex of host devices for OSDs (osdSource devices). Default `^(sd[b-z]|nvme[1-9]n1)$`. */
        deviceFilter: z.string().min(1).default("^(sd[b-z]|nvme[1-9]n1)$"),
        /** Number of PVC-backed OSDs (osdSource pvc). Default 3. */
        osdCount: count(1).default(3),
        /** Size of each PVC-backed OSD. Default 500Gi. */
        osdSize: z.string().regex(/^\d+(Gi|Ti)$/, { message: "must be a size such as 500Gi" }).default("500Gi"),
        /** Replicas of each block/file pool. Default 3 (dev: 1). */
        poolSize: count(1).max(7).optional(),
        /** CRUSH failure domain. Default host. */
        failureDomain: z.enum(["host", "zone", "rack", "osd"]).default("host"),
        /** Object store data pool erasure coding (k data + m coding chunks). Default 2+1. */
        erasureCoding: z.strictObject({ dataChunks: count(2).default(2), codingChunks: count(1).default(1) }).prefault({}),
    }).prefault({}),
    /** S3 endpoint of the training object store as serving stacks reach it. Default: the in-cluster RGW service. */
    endpoint: z.url({ message: "must be a URL such as https://s3.training.example.com" }).optional(),
    /** S3 region name the object store answers to (RGW zone group). Default `default`. */
    region: z.string().min(1).default("default"),
    /** Buckets on the training object store. Default [datasets, models]. */
    buckets: z.array(dnsName).min(1).default(["datasets", "models"]),
});

const topic = z.strictObject({
    name: z.string().regex(/^[a-z0-9._-]{1,200}$/, { message: "must be a topic name (a-z 0-9 . _ -)" }),
    /** Partitions. Default 6. */
    partitions: count(1).default(6),
    /** Inference feedback flowing back from serving stacks to training. Default false. */
    feedback: z.boolean().default(false),
});

const streaming = z.strictObject({
    /** kafka (Strimzi) | pulsar. Default kafka. */
    engine: z.enum(["kafka", "pulsar"]).default("kafka"),
    /** Brokers (Kafka) or bookies (Pulsar). Default 3 (dev: 1). */
    replicas: count(1).optional(),
    /** Topic replication factor / write quorum. Default 3 (dev: 1). */
    replicationFactor: count(1).optional(),
    /** Min in-sync replicas / ack quorum. Default 2 (dev: 1). */
    minInSyncReplicas: count(1).optional(),
    /** Bootstrap address serving stacks use (host:port). Default: the in-cluster TLS bootstrap service. */
    bootstrap: z.string().regex(/^[A-Za-z0-9.-]+:\d{2,5}$/, { message: "must be host:port" }).optional(),
    /** Topics. Default: `inference-feedback` (feedback) and `training-events`. */
    topics: z.array(topic).min(1).default([
        { name: "inference-feedback", partitions: 6, feedback: true },
        { name: "training-events", partitions: 6, feedback: false },
    ]),
    /** Mirror feedback topics from serving stacks back to training (MirrorMaker 2 / geo-replication). Default true. */
    crossClusterReplication: z.boolean().default(true),
});

const modelEntry = z.strictObject({
    name: dnsName,
    version: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: "must be a version string such as 1.4.0" }),
    /** Artefact format: onnx | pytorch | tensorflow | sklearn | xgboost | huggingface. */
    format: z.enum(["onnx", "pytorch", "tensorflow", "sklearn", "xgboost", "huggingface"]),
    /** KServe serving runtime name (e.g. kserve-tritonserver, kserve-huggingfaceserver). */
    runtime: z.string().regex(/^[a-z][-a-z0-9]*$/, { message: "must be a serving runtime name" }),
    /** Path of the artefact inside the models bucket. */
    artifactPath: z.string().regex(/^[A-Za-z0-9._/-]+$/, { message: "must be a relative object path" }),
    /** Expected sha256 of the artefact. */
    sha256: z.string().regex(/^[a-f0-9]{64}$/, { message: "must be 64 lower-case hex characters" }).optional(),
    /** GPUs per replica. Default 1; 0 serves on CPU. */
    gpu: count(0).default(1),
});

const serving = z.strictObject({
    /** Namespace of the InferenceServices. Default `models`. */
    namespace: dnsName.default("models"),
    /** Serving runtimes to install. Default [kserve-tritonserver, kserve-huggingfaceserver]. */
    runtimes: z.array(z.string().regex(/^[a-z][-a-z0-9]*$/)).min(1).default(["kserve-tritonserver", "kserve-huggingfaceserver"]),
    /** Replicas per InferenceService. Default 1..3. */
    minReplicas: count(0).default(1),
    maxReplicas: count(1).default(3),
    /** Cron schedule of the model sync. Default every 15 minutes. */
    modelSyncSchedule: z.string().regex(/^(\S+\s+){4}\S+$/, { message: "must be a 5-field cron expression" }).default("*/15 * * * *"),
});

/** Every plain (non-secret) key under the `hybridml:` namespace. */
export const configSchema = z.strictObject({
    /** dev | edge | prod. Required. */
    environment: z.enum(environments),
    /** Roles of this stack: training, serving or both. Required. */
    roles: z.array(z.enum(roles)).min(1),
    /** `organization/project/stack` of the training stack; required for serving-only stacks. */
    trainingStack: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, {
        message: "must be organization/project/stack",
    }).optional(),
    /** Protect stateful resources (buckets, clusters, Ceph, Kafka) from deletion. Default: true outside dev. */
    protectStateful: z.boolean().optional(),
    cluster: cluster,
    storage: storage.prefault({}),
    streaming: streaming.prefault({}),
    serving: serving.prefault({}),
    /** The model catalogue published by a training stack (SPEC 6 `modelCatalog`). Default []. */
    models: z.array(modelEntry).default([]),
});

/** Config keys that hold secrets: never plain, read with `getSecret`. */
export const secretKeys = {
    /** Kubeconfig of an existing (onprem) cluster. */
    kubeconfig: "kubeconfig",
    /** SSH private key for the k3s hosts (OpenSSH PEM). */
    sshPrivateKey: "sshPrivateKey",
    /** k3s join token; generated (random, secret) when unset. */
    k3sToken: "k3sToken",
} as const;
export type SecretKey = keyof typeof secretKeys;

export type RawPlatformConfig = z.output<typeof configSchema>;
export type ClusterConfig = RawPlatformConfig["cluster"];
export type GpuPoolConfig = ClusterConfig["gpuPool"];
export type GpuSharing = GpuPoolConfig["sharing"];
export type K3sHostConfig = ClusterConfig["hosts"][number];
export type ModelEntry = RawPlatformConfig["models"][number];
