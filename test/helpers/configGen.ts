/**
 * Generators of valid stack configs across every section and provider (issue 6), shared by the
 * config property tests (test/config/properties.test.ts, test/config/refusals.test.ts).
 */
import * as fc from "fast-check";
import { resolveConfig } from "../../config";
import { collectConfig } from "../../config/keys";
import { gpuOffering, gpuRegions, GpuCloud } from "../../lib/gpuInstances";
import { GPU_MODELS, migProfilesOf } from "../../lib/gpuModels";
import type { StackConfig } from "../../tools/plan/plan";

export type Json = Record<string, any>;
export type Env = "dev" | "edge" | "prod";

/** A generated stack: its name, its `hybridml:*` values and its secret keys. */
export interface Generated {
    stack: string;
    env: Env;
    training: boolean;
    provider: string;
    values: Json;
    secrets: string[];
}

const DISABLE_DEFAULTS = JSON.stringify(["*"]);

export function stackConfig(g: Generated): StackConfig {
    const config: Record<string, string> = { "pulumi:disable-default-providers": DISABLE_DEFAULTS };
    for (const [k, v] of Object.entries(g.values)) config[`hybridml:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    for (const s of g.secrets) config[`hybridml:${s}`] = "secret-placeholder";
    return { config, secretKeys: g.secrets.map((s) => `hybridml:${s}`) };
}

export function resolve(g: Generated) {
    const cfg = stackConfig(g);
    const collected = collectConfig({ project: "hybridml", stack: g.stack, all: cfg.config, isSecret: (k) => cfg.secretKeys.includes(k) });
    return resolveConfig({ project: "hybridml", stack: g.stack, ...collected });
}

// ---- valid configs ---------------------------------------------------------------------------

export const cidr = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 8, max: 30 }))
    // Network addresses only (no host bits): b keeps only the bits inside the prefix.
    .map(([a, b, bits]) => `${a}.${bits >= 16 ? b : b & (0xff << (16 - bits)) & 0xff}.0.0/${bits}`);
export const pool = (minFloor: number) => fc.integer({ min: minFloor, max: 3 }).chain((min) => fc.integer({ min: Math.max(min, 1), max: 6 }).map((max) => ({ minSize: min, maxSize: max })));
/** GPU sharing; MIG on an A100 80GB (whose profiles these are). `serves`: no mixed MIG, whose devices GPU models cannot request. */
export const sharing = (serves: boolean) => fc.oneof(
    fc.constant({ mode: "none" }),
    fc.integer({ min: 2, max: 8 }).map((replicas) => ({ mode: "time-slicing", replicas })),
    fc.constantFrom("all-1g.10gb", "all-3g.40gb", ...(serves ? [] : ["all-balanced"])).map((profile) => ({ mode: "mig", profile })),
);
export const gpuPoolOf = (serves = true) => fc.record({ size: pool(0), gpuCount: fc.integer({ min: 1, max: 4 }), sharing: sharing(serves) })
    .map(({ size, gpuCount, sharing }) => ({ ...size, gpuCount, sharing, ...(sharing.mode === "mig" ? { gpuType: "nvidia-a100-80gb" } : {}) }));

/** Sharing a GPU `model` supports: MIG only with its own profiles (no mixed MIG where the stack serves). */
const sharingFor = (model: string, serves: boolean) => {
    const profiles = migProfilesOf(GPU_MODELS[model]).filter((p) => !serves || p !== "all-balanced");
    return fc.oneof(
        fc.constant({ mode: "none" }),
        fc.integer({ min: 2, max: 8 }).map((replicas) => ({ mode: "time-slicing", replicas })),
        ...(profiles.length > 0 ? [fc.constantFrom(...profiles).map((profile) => ({ mode: "mig", profile }))] : []),
    );
};

/** A GPU pool of a managed cloud: a machine type `region` offers, with its GPU model and count (lib/gpuInstances.ts). */
function cloudGpuPool(cloud: GpuCloud, region: string, serves: boolean) {
    const offered = gpuRegions[cloud][region].map((t) => {
        const o = gpuOffering(cloud, region, t);
        return { instanceType: t, gpuType: o.type!.model, gpuCount: o.type!.gpus };
    });
    return fc.record({ size: pool(0), machine: fc.constantFrom(...offered) })
        .chain(({ size, machine }) => sharingFor(machine.gpuType, serves).map((sharing) => ({ ...size, ...machine, sharing })));
}

/** A cluster of `provider` with every key that provider requires, and its secrets. */
export function cluster(provider: string, serves = true): fc.Arbitrary<{ cluster: Json; secrets: string[] }> {
    const gpuPool = gpuPoolOf(serves);
    const region = { eks: "eu-west-1", gke: "europe-west4", aks: "westeurope" }[provider as GpuCloud];
    const base = region ? { systemPool: pool(1), gpuPool: cloudGpuPool(provider as GpuCloud, region, serves) } : { systemPool: pool(1), gpuPool };
    switch (provider) {
        case "eks":
            return fc.record({ ...base, access: fc.constantFrom("public", "private"), cidrs: fc.array(cidr, { minLength: 1, maxLength: 2 }), threeZones: fc.boolean() })
                .map(({ access, cidrs, threeZones, ...c }) => ({
                    cluster: {
                        provider, region: "eu-west-1", ...c, apiAccess: access, ...(access === "public" ? { authorizedCidrs: cidrs } : {}),
                        network: { zones: threeZones ? ["eu-west-1a", "eu-west-1b", "eu-west-1c"] : ["eu-west-1a", "eu-west-1b"] },
                        deployerRoleArn: "arn:aws:iam::123456789012:role/ci-deployer",
                    },
                    secrets: [],
                }));
        case "gke":
            return fc.record({ ...base, access: fc.constantFrom("dns", "authorizedNetworks", "private"), cidrs: fc.array(cidr, { minLength: 1, maxLength: 2 }) })
                .map(({ access, cidrs, ...c }) => ({
                    cluster: {
                        provider, region: "europe-west4", project: "acme-ml-serving", projectNumber: "123456789012", ...c,
                        apiAccess: access, ...(access === "authorizedNetworks" ? { authorizedCidrs: cidrs } : {}),
                    },
                    secrets: [],
                }));
        case "aks":
            return fc.record({ ...base, access: fc.constantFrom("public", "private"), cidrs: fc.array(cidr, { minLength: 1, maxLength: 2 }), zoned: fc.boolean() })
                .map(({ access, cidrs, zoned, ...c }) => ({
                    cluster: {
                        provider, region: "westeurope", tenantId: "00000000-0000-0000-0000-000000000001",
                        subscriptionId: "00000000-0000-0000-0000-000000000002", deployerObjectId: "00000000-0000-0000-0000-000000000003", ...c, apiAccess: access,
                        network: { zones: zoned ? ["1", "2", "3"] : [] },
                        ...(access === "public"
                            ? { authorizedCidrs: cidrs }
                            : { runnerVnetId: "/subscriptions/00000000-0000-0000-0000-000000000002/resourceGroups/ci/providers/Microsoft.Network/virtualNetworks/runners" }),
                    },
                    secrets: [],
                }));
        case "k3s":
            // A serving stack's catalogue has GPU models: at least one GPU host when it serves.
            return fc.record({ gpuPool, agents: fc.integer({ min: serves ? 1 : 0, max: 3 }), gpuHost: serves ? fc.constant(true) : fc.boolean() }).map(({ gpuPool, agents, gpuHost }) => ({
                cluster: {
                    provider, gpuPool, installScriptSha256: "a".repeat(64),
                    hosts: [
                        { name: "edge-0", address: "192.0.2.10", role: "server" },
                        ...Array.from({ length: agents }, (_, i) => ({ name: `edge-${i + 1}`, address: `192.0.2.${11 + i}`, role: "agent", gpu: gpuHost && i === 0 })),
                    ],
                },
                secrets: ["sshPrivateKey"],
            }));
        default:
            return fc.record({ gpuPool }).map(({ gpuPool }) => ({ cluster: { provider: "onprem", context: "lab", gpuPool }, secrets: ["kubeconfig"] }));
    }
}

/** Streaming within the floors of `env`: brokers >= RF >= min ISR. */
export function streaming(env: Env, engine: fc.Arbitrary<string>): fc.Arbitrary<Json> {
    const floor = env === "dev" ? { rf: 1, isr: 1 } : { rf: 3, isr: 2 };
    return fc.record({ engine, rf: fc.integer({ min: floor.rf, max: 4 }), extra: fc.integer({ min: 0, max: 2 }), partitions: fc.integer({ min: 1, max: 24 }) })
        .chain(({ engine, rf, extra, partitions }) => fc.integer({ min: floor.isr, max: rf }).map((isr) => ({
            // Pulsar outside dev keeps a spare bookie (replicas >= ensemble + 1).
            engine, replicas: rf + (engine === "pulsar" && env !== "dev" ? Math.max(1, extra) : extra), replicationFactor: rf, minInSyncReplicas: isr,
            topics: [
                { name: "features", partitions },
                { name: "inference-requests", partitions: 6 },
                { name: "inference-feedback", partitions: 6, feedback: true },
                { name: "model-events", partitions: 1 },
            ],
        })));
}

/** Rook on an on-prem training cluster, within the floors of `env`. */
export function storage(env: Env): fc.Arbitrary<Json> {
    const dev = env === "dev";
    return fc.record({
        poolSize: fc.integer({ min: dev ? 1 : 3, max: 5 }),
        monCount: fc.constantFrom(...(dev ? [1, 3] : [3, 5])),
        rgwInstances: fc.integer({ min: dev ? 1 : 2, max: 4 }),
        m: fc.integer({ min: dev ? 1 : 2, max: 2 }),
        failureDomain: fc.constantFrom("host", "rack", "zone"),
        spare: fc.integer({ min: 0, max: 2 }),
    }).map(({ m, spare, ...rook }) => ({
        rook: {
            ...rook, osdSource: "devices", erasureCoding: { dataChunks: 2, codingChunks: m },
            // Outside dev the storage nodes are listed, at least one per replica / EC chunk.
            ...(dev ? {} : { nodes: Array.from({ length: Math.max(rook.poolSize, 2 + m) + spare }, (_, i) => `storage-${i + 1}`) }),
        },
    }));
}

export const serving = fc.record({ min: fc.integer({ min: 1, max: 3 }), extra: fc.integer({ min: 0, max: 4 }), scaleTarget: fc.integer({ min: 10, max: 100 }), metric: fc.constantFrom("cpu", "memory") })
    .map(({ min, extra, scaleTarget, metric }) => ({ minReplicas: min, maxReplicas: min + extra, scaleTarget, scaleMetric: metric }));

export const observability = fc.record({ enabled: fc.boolean(), retention: fc.constantFrom("7d", "15d", "4w"), storageSize: fc.constantFrom("50Gi", "200Gi") });

/** The catalogue; outside dev every model carries its sha256 (required there). */
export const models = (env: Env) => fc.uniqueArray(fc.record({
    name: fc.constantFrom("fraud-detector", "churn", "llm-assistant", "vision"),
    version: fc.constantFrom("1.0.0", "2.3.1", "2026.11"),
    gpu: fc.integer({ min: 0, max: 1 }),
    digest: fc.boolean(),
}), { maxLength: 3, selector: (m) => m.name }).map((ms) => ms.map((m) => ({
    name: m.name, version: m.version, gpu: m.gpu,
    format: m.gpu > 0 ? "onnx" : "sklearn", runtime: m.gpu > 0 ? "kserve-tritonserver" : "kserve-sklearnserver",
    artifactPath: `${m.name}/${m.version}/`, ...(m.digest || env !== "dev" ? { sha256: "a".repeat(64) } : {}),
})));

/** A training stack (on-prem, both roles or training only) in `env`. */
export function trainingStack(env: Env): fc.Arbitrary<Generated> {
    // protectStateful: false is refused in prod.
    const protect = env === "prod" ? fc.constantFrom(undefined, true) : fc.option(fc.boolean(), { nil: undefined });
    return fc.boolean().chain((both) => fc.record({
        both: fc.constant(both), cl: cluster("onprem", both), storage: storage(env), streaming: streaming(env, fc.constantFrom("kafka", "pulsar")),
        serving, observability, models: models(env), protect,
    })).map(({ both, cl, storage, streaming, serving, observability, models, protect }) => ({
        stack: "gen-training", env, training: true, provider: "onprem", secrets: cl.secrets,
        values: {
            environment: env, roles: both ? ["training", "serving"] : ["training"], cluster: cl.cluster, storage, streaming,
            serving, observability, models, ...(protect === undefined ? {} : { protectStateful: protect }),
        },
    }));
}

/** k3s outside dev: enough hosts without GPUs for one streaming pod per host (3 quorum nodes, `replicas` brokers/bookies). */
function withStreamingHosts(cl: Json, streaming: Json, env: Env): Json {
    if (cl.provider !== "k3s" || env === "dev") return cl;
    const hosts = [...cl.hosts];
    const cpu = () => hosts.filter((h: Json) => !h.gpu).length;
    for (let i = 0; cpu() < Math.max(3, streaming.replicas); i++) {
        hosts.push({ name: `edge-cpu-${i}`, address: `192.0.2.${100 + i}`, role: "agent" });
    }
    return { ...cl, hosts };
}

/** A serving-only stack named `prod-aws` reading the shipped prod-training stack (which lists it as a feedback producer). */
export function servingStack(env: Env, trainingEngine: string): fc.Arbitrary<Generated> {
    return fc.constantFrom("eks", "gke", "aks", "onprem", "k3s").chain((provider) => fc.record({
        cl: cluster(provider), streaming: streaming(env, fc.constant(trainingEngine)), serving, observability,
    }).map(({ cl, streaming, serving, observability }) => ({
        stack: "prod-aws", env, training: false, provider, secrets: cl.secrets,
        values: {
            environment: env, roles: ["serving"], trainingStack: "acme/hybridml/prod-training", cluster: withStreamingHosts(cl.cluster, streaming, env), streaming, observability,
            // k3s has no ReadWriteMany class of its own: the site provides one for the local model copy.
            serving: provider === "k3s" ? { ...serving, localStore: { storageClass: "longhorn" } } : serving,
            // The k3s site's traffic leaves through its NAT, an address prod-training admits (its exposure.allowedSources).
            ...(provider === "k3s" ? { exposure: { egressCidrs: ["198.51.100.11/32"] } } : {}),
        },
    })));
}

export const environment = fc.constantFrom<Env>("dev", "edge", "prod");
export const TRAINING_ENGINE = "kafka";
export const validConfig: fc.Arbitrary<Generated> = environment.chain((env) => fc.oneof(trainingStack(env), servingStack(env, TRAINING_ENGINE)));

