/**
 * The typed configuration schema of a stack (SPEC 4): every key, its type and its default.
 *
 * Pure: no Pulumi imports. `config/index.ts` reads `pulumi.Config` and feeds the raw values here;
 * tests call `parsePlatformConfig` directly. Keys are documented in README.md ("Configuration").
 */
import { z } from "zod";
import { clusterSchema } from "./cluster";
import { storageSchema } from "./storage";
import { streamingSchema } from "./streaming";
import { servingSchema } from "./serving";
import { observabilitySchema } from "./observability";
import { chartsSchema } from "./charts";
import { limits } from "./limits";
import { exposureSchema } from "./exposure";

/** The Pulumi config namespace of this project (`hybridml:<key>`). */
export const NAMESPACE = "hybridml";

const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
/** True when `s` is an IPv4 CIDR block such as `10.0.0.0/16`. */
export function isCidr(s: string): boolean {
    return IPV4_CIDR.test(s);
}
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

/** The cluster section lives in config/cluster.ts (a union on provider, cross-field checks, defaults). */
const cluster = clusterSchema;

/** The storage section lives in config/storage.ts (schema, defaults, durability floors). */
const storage = storageSchema;

/** The streaming section lives in config/streaming.ts (schema, defaults, floors). */
const streaming = streamingSchema;

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
    gpu: count(0).max(limits.gpusPerModel).default(1),
});

/** The `serving` section: config/serving.ts. */
const serving = servingSchema;

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
    /** The Prometheus stack: config/observability.ts. */
    observability: observabilitySchema.prefault({}),
    /** A chart mirror for air-gapped sites: config/charts.ts. Default: the upstream repositories. */
    charts: chartsSchema.prefault({}),
    /** Cross-cluster reachability (allow-lists, egress, private connectivity): config/exposure.ts. */
    exposure: exposureSchema.prefault({}),
    /** The model catalogue published by a training stack (SPEC 6 `modelCatalog`). Default []. */
    models: z.array(modelEntry).max(limits.models).default([]),
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
export type K3sHostConfig = NonNullable<Extract<ClusterConfig, { provider: "k3s" }>["hosts"]>[number];
export type ModelEntry = RawPlatformConfig["models"][number];
