/**
 * Property tests of the configuration (issue 6, SPEC 9): valid configs generated across every
 * section (cluster of each provider, storage, streaming, serving, observability, models, k3s hosts)
 * resolve and plan; one to three mutations of such a config give exactly one error line per
 * mutated key, naming it, and register nothing.
 *
 * Mutations come in two classes that are not mixed in one draw: schema mutations (a wrong type, an
 * out-of-range value, an unknown key) and cross-field mutations (a rule between keys, a durability
 * floor). The program reports every schema problem at once and the cross-field rules only once the
 * values parse, so a draw mixing both would (rightly) show only the schema problems.
 */
import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import { ConfigError, resolveConfig } from "../../config";
import { gpuOffering, gpuRegions, GpuCloud } from "../../lib/gpuInstances";
import { collectConfig } from "../../config/keys";
import { planFleet, planStack, PlanResult, StackConfig } from "../../tools/plan/plan";

type Json = Record<string, any>;
type Env = "dev" | "edge" | "prod";

/** A generated stack: its name, its `hybridml:*` values and its secret keys. */
interface Generated {
    stack: string;
    env: Env;
    training: boolean;
    provider: string;
    values: Json;
    secrets: string[];
}

const DISABLE_DEFAULTS = JSON.stringify(["*"]);

function stackConfig(g: Generated): StackConfig {
    const config: Record<string, string> = { "pulumi:disable-default-providers": DISABLE_DEFAULTS };
    for (const [k, v] of Object.entries(g.values)) config[`hybridml:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    for (const s of g.secrets) config[`hybridml:${s}`] = "secret-placeholder";
    return { config, secretKeys: g.secrets.map((s) => `hybridml:${s}`) };
}

function resolve(g: Generated) {
    const cfg = stackConfig(g);
    const collected = collectConfig({ project: "hybridml", stack: g.stack, all: cfg.config, isSecret: (k) => cfg.secretKeys.includes(k) });
    return resolveConfig({ project: "hybridml", stack: g.stack, ...collected });
}

// ---- valid configs ---------------------------------------------------------------------------

const cidr = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 8, max: 30 }))
    .map(([a, b, bits]) => `${a}.${b}.0.0/${bits}`);
const pool = (minFloor: number) => fc.integer({ min: minFloor, max: 3 }).chain((min) => fc.integer({ min: Math.max(min, 1), max: 6 }).map((max) => ({ minSize: min, maxSize: max })));
const sharing = fc.oneof(
    fc.constant({ mode: "none" }),
    fc.integer({ min: 2, max: 8 }).map((replicas) => ({ mode: "time-slicing", replicas })),
    fc.constantFrom("all-1g.10gb", "all-3g.40gb", "all-balanced").map((profile) => ({ mode: "mig", profile })),
);
const gpuPool = fc.record({ size: pool(0), gpuCount: fc.integer({ min: 1, max: 4 }), sharing })
    .map(({ size, gpuCount, sharing }) => ({ ...size, gpuCount, sharing }));

/** A GPU pool of a managed cloud: a machine type `region` offers, with its GPU model and count (lib/gpuInstances.ts). */
function cloudGpuPool(cloud: GpuCloud, region: string) {
    const offered = gpuRegions[cloud][region].map((t) => {
        const o = gpuOffering(cloud, region, t);
        return { instanceType: t, gpuType: o.type!.model, gpuCount: o.type!.gpus };
    });
    return fc.record({ size: pool(0), machine: fc.constantFrom(...offered), sharing })
        .map(({ size, machine, sharing }) => ({ ...size, ...machine, sharing }));
}

/** A cluster of `provider` with every key that provider requires, and its secrets. */
function cluster(provider: string): fc.Arbitrary<{ cluster: Json; secrets: string[] }> {
    const base = { systemPool: pool(1), gpuPool };
    const region = { eks: "eu-west-1", gke: "europe-west4", aks: "westeurope" }[provider as GpuCloud];
    const cloud = region ? { systemPool: pool(1), gpuPool: cloudGpuPool(provider as GpuCloud, region) } : base;
    switch (provider) {
        case "eks":
            return fc.record({ ...cloud, access: fc.constantFrom("public", "private"), cidrs: fc.array(cidr, { minLength: 1, maxLength: 2 }), threeZones: fc.boolean() })
                .map(({ access, cidrs, threeZones, ...c }) => ({
                    cluster: {
                        provider, region: "eu-west-1", ...c, apiAccess: access, ...(access === "public" ? { authorizedCidrs: cidrs } : {}),
                        network: { zones: threeZones ? ["eu-west-1a", "eu-west-1b", "eu-west-1c"] : ["eu-west-1a", "eu-west-1b"] },
                        deployerRoleArn: "arn:aws:iam::123456789012:role/ci-deployer",
                    },
                    secrets: [],
                }));
        case "gke":
            return fc.record({ ...cloud, access: fc.constantFrom("dns", "authorizedNetworks", "private"), cidrs: fc.array(cidr, { minLength: 1, maxLength: 2 }) })
                .map(({ access, cidrs, ...c }) => ({
                    cluster: {
                        provider, region: "europe-west4", project: "acme-ml-serving", projectNumber: "123456789012", ...c,
                        apiAccess: access, ...(access === "authorizedNetworks" ? { authorizedCidrs: cidrs } : {}),
                    },
                    secrets: [],
                }));
        case "aks":
            return fc.record({ ...cloud, access: fc.constantFrom("public", "private"), cidrs: fc.array(cidr, { minLength: 1, maxLength: 2 }), zoned: fc.boolean() })
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
            return fc.record({ gpuPool, agents: fc.integer({ min: 0, max: 3 }), gpuHost: fc.boolean() }).map(({ gpuPool, agents, gpuHost }) => ({
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
function streaming(env: Env, engine: fc.Arbitrary<string>): fc.Arbitrary<Json> {
    const floor = env === "dev" ? { rf: 1, isr: 1 } : { rf: 3, isr: 2 };
    return fc.record({ engine, rf: fc.integer({ min: floor.rf, max: 4 }), extra: fc.integer({ min: 0, max: 2 }), partitions: fc.integer({ min: 1, max: 24 }) })
        .chain(({ engine, rf, extra, partitions }) => fc.integer({ min: floor.isr, max: rf }).map((isr) => ({
            engine, replicas: rf + extra, replicationFactor: rf, minInSyncReplicas: isr,
            topics: [
                { name: "features", partitions },
                { name: "inference-requests", partitions: 6 },
                { name: "inference-feedback", partitions: 6, feedback: true },
                { name: "model-events", partitions: 1 },
            ],
        })));
}

/** Rook on an on-prem training cluster, within the floors of `env`. */
function storage(env: Env): fc.Arbitrary<Json> {
    const dev = env === "dev";
    return fc.record({
        poolSize: fc.integer({ min: dev ? 1 : 3, max: 5 }),
        monCount: fc.constantFrom(...(dev ? [1, 3] : [3, 5])),
        rgwInstances: fc.integer({ min: dev ? 1 : 2, max: 4 }),
        m: fc.integer({ min: 1, max: 2 }),
        failureDomain: fc.constantFrom("host", "rack", "zone"),
    }).map(({ m, ...rook }) => ({ rook: { ...rook, osdSource: "devices", erasureCoding: { dataChunks: 2, codingChunks: m } } }));
}

const serving = fc.record({ min: fc.integer({ min: 1, max: 3 }), extra: fc.integer({ min: 0, max: 4 }), scaleTarget: fc.integer({ min: 10, max: 100 }), metric: fc.constantFrom("cpu", "memory") })
    .map(({ min, extra, scaleTarget, metric }) => ({ minReplicas: min, maxReplicas: min + extra, scaleTarget, scaleMetric: metric }));

const observability = fc.record({ enabled: fc.boolean(), retention: fc.constantFrom("7d", "15d", "4w"), storageSize: fc.constantFrom("50Gi", "200Gi") });

const models = fc.uniqueArray(fc.record({
    name: fc.constantFrom("fraud-detector", "churn", "llm-assistant", "vision"),
    version: fc.constantFrom("1.0.0", "2.3.1", "2026.11"),
    gpu: fc.integer({ min: 0, max: 1 }),
    digest: fc.boolean(),
}), { maxLength: 3, selector: (m) => m.name }).map((ms) => ms.map((m) => ({
    name: m.name, version: m.version, gpu: m.gpu,
    format: m.gpu > 0 ? "onnx" : "sklearn", runtime: m.gpu > 0 ? "kserve-tritonserver" : "kserve-sklearnserver",
    artifactPath: `${m.name}/${m.version}/`, ...(m.digest ? { sha256: "a".repeat(64) } : {}),
})));

/** A training stack (on-prem, both roles or training only) in `env`. */
function trainingStack(env: Env): fc.Arbitrary<Generated> {
    return fc.record({
        both: fc.boolean(), cl: cluster("onprem"), storage: storage(env), streaming: streaming(env, fc.constantFrom("kafka", "pulsar")),
        serving, observability, models, protect: fc.option(fc.boolean(), { nil: undefined }),
    }).map(({ both, cl, storage, streaming, serving, observability, models, protect }) => ({
        stack: "gen-training", env, training: true, provider: "onprem", secrets: cl.secrets,
        values: {
            environment: env, roles: both ? ["training", "serving"] : ["training"], cluster: cl.cluster, storage, streaming,
            serving, observability, models, ...(protect === undefined ? {} : { protectStateful: protect }),
        },
    }));
}

/** A serving-only stack named `prod-aws` reading the shipped prod-training stack (which lists it as a feedback producer). */
function servingStack(env: Env, trainingEngine: string): fc.Arbitrary<Generated> {
    return fc.constantFrom("eks", "gke", "aks", "onprem", "k3s").chain((provider) => fc.record({
        cl: cluster(provider), streaming: streaming(env, fc.constant(trainingEngine)), serving, observability,
    }).map(({ cl, streaming, serving, observability }) => ({
        stack: "prod-aws", env, training: false, provider, secrets: cl.secrets,
        values: {
            environment: env, roles: ["serving"], trainingStack: "acme/hybridml/prod-training", cluster: cl.cluster, streaming, observability,
            // k3s has no ReadWriteMany class of its own: the site provides one for the local model copy.
            serving: provider === "k3s" ? { ...serving, localStore: { storageClass: "longhorn" } } : serving,
            // The k3s site's traffic leaves through its NAT, an address prod-training admits (its exposure.allowedSources).
            ...(provider === "k3s" ? { exposure: { egressCidrs: ["198.51.100.11/32"] } } : {}),
        },
    })));
}

const environment = fc.constantFrom<Env>("dev", "edge", "prod");
const TRAINING_ENGINE = "kafka";
const validConfig: fc.Arbitrary<Generated> = environment.chain((env) => fc.oneof(trainingStack(env), servingStack(env, TRAINING_ENGINE)));

// ---- mutations -------------------------------------------------------------------------------

interface Mutation {
    /** The full key the one error line must start with. */
    key: string;
    /** Can it apply to this config? */
    applies: (g: Generated) => boolean;
    apply: (values: Json) => void;
}

const at = (o: Json, path: string[]): Json => path.reduce((x, p) => (x[p] ??= {}), o);
const all = () => true;

/** Each makes the value of one key invalid on its own. */
const schemaMutations: Mutation[] = [
    { key: "hybridml:environment", applies: all, apply: (v) => { v.environment = "staging"; } },
    { key: "hybridml:cluster.gpuPool.gpuCount", applies: all, apply: (v) => { at(v, ["cluster", "gpuPool"]).gpuCount = 0; } },
    { key: "hybridml:cluster.gpuPool.minSize", applies: all, apply: (v) => { at(v, ["cluster", "gpuPool"]).minSize = "none"; } },
    { key: "hybridml:cluster.gpuPoool", applies: all, apply: (v) => { v.cluster.gpuPoool = {}; } },
    { key: "hybridml:streaming.topics[0].partitions", applies: all, apply: (v) => { v.streaming.topics[0].partitions = 0; } },
    { key: "hybridml:streaming.engine", applies: all, apply: (v) => { v.streaming.engine = "rabbitmq"; } },
    { key: "hybridml:serving.scaleTarget", applies: all, apply: (v) => { v.serving.scaleTarget = 5; } },
    { key: "hybridml:serving.modelSyncSchedule", applies: all, apply: (v) => { v.serving.modelSyncSchedule = "hourly"; } },
    { key: "hybridml:observability.retention", applies: all, apply: (v) => { v.observability.retention = "forever"; } },
    { key: "hybridml:trainingStak", applies: all, apply: (v) => { v.trainingStak = "acme/hybridml/x"; } },
    { key: "hybridml:storage.rook.osdSize", applies: (g) => g.training, apply: (v) => { v.storage.rook.osdSize = "big"; } },
    { key: "hybridml:storage.rook.failureDomain", applies: (g) => g.training, apply: (v) => { v.storage.rook.failureDomain = "datacenter"; } },
    { key: "hybridml:models[0].sha256", applies: (g) => g.training && g.values.models.length > 0, apply: (v) => { v.models[0].sha256 = "not-a-digest"; } },
    { key: "hybridml:models[0].format", applies: (g) => g.training && g.values.models.length > 0, apply: (v) => { v.models[0].format = "pickle"; } },
    { key: "hybridml:cluster.hosts[0].address", applies: (g) => g.provider === "k3s", apply: (v) => { v.cluster.hosts[0].address = "not an address!"; } },
    { key: "hybridml:cluster.region", applies: (g) => ["eks", "gke", "aks"].includes(g.provider), apply: (v) => { v.cluster.region = 42; } },
];

/** Each breaks one rule between keys (or a durability floor) while every value stays well-typed. */
const crossFieldMutations: Mutation[] = [
    { key: "hybridml:cluster.gpuPool.maxSize", applies: all, apply: (v) => { Object.assign(at(v, ["cluster", "gpuPool"]), { minSize: 3, maxSize: 2 }); } },
    { key: "hybridml:cluster.systemPool.maxSize", applies: (g) => ["eks", "gke", "aks"].includes(g.provider), apply: (v) => { Object.assign(at(v, ["cluster", "systemPool"]), { minSize: 4, maxSize: 2 }); } },
    { key: "hybridml:serving.localStore.storageClass", applies: (g) => g.provider === "k3s" && !g.training, apply: (v) => { delete v.serving.localStore; } },
    { key: "hybridml:serving.maxReplicas", applies: all, apply: (v) => { Object.assign(v.serving, { minReplicas: 3, maxReplicas: 2 }); } },
    { key: "hybridml:serving.resources.limits.cpu", applies: all, apply: (v) => { v.serving.resources = { requests: { cpu: "2", memory: "1Gi" }, limits: { cpu: "1", memory: "2Gi" } }; } },
    { key: "hybridml:streaming.minInSyncReplicas", applies: all, apply: (v) => { v.streaming.minInSyncReplicas = v.streaming.replicationFactor + 1; } },
    { key: "hybridml:storage.rook.poolSize", applies: (g) => g.training && g.env !== "dev", apply: (v) => { v.storage.rook.poolSize = 2; } },
    { key: "hybridml:storage.rook.monCount", applies: (g) => g.training && g.env !== "dev", apply: (v) => { v.storage.rook.monCount = 1; } },
    { key: "hybridml:models", applies: (g) => g.training && g.values.models.length > 0, apply: (v) => { v.models.push({ ...v.models[0] }); } },
    { key: "hybridml:cluster.hosts", applies: (g) => g.provider === "k3s" && g.values.cluster.hosts.length > 1, apply: (v) => { v.cluster.hosts[1].name = v.cluster.hosts[0].name; } },
    { key: "hybridml:cluster.authorizedCidrs[0]", applies: (g) => (g.values.cluster.authorizedCidrs ?? []).length > 0, apply: (v) => { v.cluster.authorizedCidrs[0] = "0.0.0.0/0"; } },
];

/** A valid config and one to three applicable mutations of one class, on distinct keys. */
const mutated = validConfig.chain((g) => fc.constantFrom(schemaMutations, crossFieldMutations).chain((set) => {
    const applicable = set.filter((m) => m.applies(g));
    return fc.subarray(applicable, { minLength: 1, maxLength: Math.min(3, applicable.length) }).map((ms) => {
        const values = structuredClone(g.values);
        for (const m of ms) m.apply(values);
        return { g, bad: { ...g, values }, mutations: ms };
    });
}));

function configError(fn: () => unknown): ConfigError {
    try {
        fn();
    } catch (e) {
        if (e instanceof ConfigError) return e;
        throw e;
    }
    return assert.fail("expected a ConfigError");
}

/** Exactly one line per mutation, each starting with its key, and nothing else. */
function assertNamesEachKeyOnce(err: ConfigError, mutations: Mutation[]) {
    const lines = err.issues;
    assert.equal(lines.length, mutations.length, `expected ${mutations.length} problem(s) for ${mutations.map((m) => m.key).join(", ")}, got:\n${lines.join("\n")}`);
    for (const m of mutations) {
        const naming = lines.filter((l) => l.startsWith(`${m.key} `));
        assert.equal(naming.length, 1, `expected exactly one line naming ${m.key}, got:\n${lines.join("\n")}`);
    }
    assert.doesNotMatch(err.message, /^\s+at /m, "no stack trace in the message");
}

describe("config properties", function () {
    this.timeout(120_000);
    let training: PlanResult;
    before(async () => {
        training = (await planFleet(["prod-training"])).get("prod-training") as PlanResult;
        assert.equal(training.error, undefined);
        assert.equal((training.rawOutputs.streaming as Json).engine, TRAINING_ENGINE, "the generated serving stacks follow the shipped training engine");
    });

    it("every generated valid config resolves", () => {
        fc.assert(fc.property(validConfig, (g) => {
            const c = resolve(g);
            assert.equal(c.environment, g.env);
            assert.equal(c.roles.training, g.training);
            assert.equal(c.cluster.provider, g.provider);
        }), { numRuns: 300 });
    });

    it("every generated valid config plans (training stacks alone, serving stacks against the shipped training plan)", async () => {
        await fc.assert(fc.asyncProperty(validConfig, async (g) => {
            const r = await planStack(g.stack, { stackConfig: stackConfig(g), references: (s) => (s === "prod-training" ? training.rawOutputs : undefined) });
            assert.equal(r.error, undefined, `${g.provider}/${g.env}: ${String(r.error?.message)}`);
            assert.ok(r.recorded.some((x) => x.type === "kubernetes:core/v1:Namespace"), "the stack deploys into its cluster");
        }), { numRuns: 12 });
    });

    it("one to three mutations: one error line per mutated key, naming it, and the exact count", () => {
        fc.assert(fc.property(mutated, ({ bad, mutations }) => {
            assertNamesEachKeyOnce(configError(() => resolve(bad)), mutations);
        }), { numRuns: 300 });
    });

    it("a mutated config registers nothing when the program runs", async () => {
        await fc.assert(fc.asyncProperty(mutated, async ({ bad, mutations }) => {
            const r = await planStack(bad.stack, { stackConfig: stackConfig(bad), references: (s) => (s === "prod-training" ? training.rawOutputs : undefined) });
            assert.ok(r.error instanceof ConfigError, `expected a ConfigError, got ${String(r.error)}`);
            assertNamesEachKeyOnce(r.error, mutations);
            assert.deepEqual(r.recorded.map((x) => x.type), ["pulumi:pulumi:Stack"]);
        }), { numRuns: 25 });
    });
});
