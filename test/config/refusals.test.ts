/**
 * Issue 17: configuration refuses what cannot work or is dangerous. One fast-check generator per
 * class of refusal turns a generated valid config (test/helpers/configGen.ts) into a refused one;
 * each generated case gives exactly one error line, naming its key, registers nothing when the
 * program runs, and carries no stack trace (and the error is one Pulumi prints without one). A
 * second property plants credentials in refused configs and scans every output for them: the
 * error, the console during the program run, and the preview report.
 */
import * as assert from "node:assert/strict";
import * as fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, UserError } from "../../config";
import { RESERVED_NAMESPACES } from "../../config/serving";
import { cronProblem } from "../../config/cron";
import { limits } from "../../config/limits";
import { unionSize } from "../../config/network";
import { GPU_MODELS, hasMig, migProfilesOf } from "../../lib/gpuModels";
import { CLOUD_REGIONS } from "../../lib/regions";
import { KSERVE_RUNTIMES, KserveRuntime, RUNTIME_FORMATS } from "../../lib/kserveRuntimes";
import { planFleet, planStack, PlanResult } from "../../tools/plan/plan";
import { buildReport } from "../../tools/plan/report";
import { Generated, Json, resolve, stackConfig, validConfig } from "../helpers/configGen";

/** One refused case: the key its one error line names, and the edit that makes it. */
interface Refusal { key: string; apply: (g: Generated) => void }
/** A class of refusals: a generator of cases for a valid config, or undefined where the class cannot apply. */
type RefusalClass = (g: Generated) => fc.Arbitrary<Refusal> | undefined;

const CLOUDS = ["eks", "gke", "aks"];
const cloud = (g: Generated) => CLOUDS.includes(g.provider);
const at = (o: Json, path: string[]): Json => path.reduce((x, p) => (x[p] ??= {}), o);
const refusal = (key: string, apply: (g: Generated) => void): Refusal => ({ key: `hybridml:${key}`, apply });
/** A training stack's catalogue with at least one model (outside dev with its sha256, required there: see models() in configGen). */
function withModel(g: Generated): Json {
    if (g.values.models.length === 0) {
        g.values.models.push({
            name: "churn", version: "1.0.0", format: "sklearn", runtime: "kserve-sklearnserver", artifactPath: "churn/1.0.0/", gpu: 0,
            ...(g.env !== "dev" ? { sha256: "a".repeat(64) } : {}),
        });
    }
    return g.values.models[0];
}
/** Split 0.0.0.0/0 into `splits + 2` blocks, none of them /0: a set of CIDRs that covers the whole internet. */
const internetCover = fc.array(fc.nat(), { minLength: 0, maxLength: 12 }).map((picks) => {
    let blocks: [number, number][] = [[0, 1], [2 ** 31, 1]];
    for (const p of picks) {
        const [start, prefix] = blocks[p % blocks.length];
        if (prefix >= 24) continue;
        blocks = blocks.filter((b) => b[0] !== start || b[1] !== prefix);
        blocks.push([start, prefix + 1], [start + 2 ** (31 - prefix), prefix + 1]);
    }
    const ip = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
    return blocks.map(([s, p]) => `${ip(s)}/${p}`);
});
const nonMig = Object.keys(GPU_MODELS).filter((m) => !hasMig(GPU_MODELS[m]));
const mig = Object.keys(GPU_MODELS).filter((m) => hasMig(GPU_MODELS[m]));
const allRegions = Object.values(CLOUD_REGIONS).flat();

/** Invalid cron schedules, each for a different reason. */
export const badCron = fc.oneof(
    fc.integer({ min: 60, max: 99 }).map((m) => `${m} * * * *`),
    fc.integer({ min: 24, max: 99 }).map((h) => `0 ${h} * * *`),
    fc.constantFrom("0 0 0 * *", "0 0 32 * *", "0 0 * 13 *", "0 0 * * 8", "*/0 * * * *", "5-1 * * * *", "0 0 * foo *",
        "* * * *", "0 0 * * * *", "@every 5m", "@fortnightly", "TZ=UTC */5 * * * *", "hourly", "0,,5 * * * *"),
);

/** Valid schedules, generated field by field (a property below checks the validator accepts them). */
const field = (min: number, max: number) => fc.oneof(
    fc.constant("*"),
    fc.integer({ min, max }).map(String),
    fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
    fc.integer({ min: 1, max: max - min + 1 }).map((n) => `*/${n}`),
);
const goodCron = fc.oneof(
    fc.tuple(field(0, 59), field(0, 23), field(1, 31), field(1, 12), field(0, 7)).map((f) => f.join(" ")),
    fc.constantFrom("@hourly", "@daily", "@weekly", "@monthly", "@yearly", "0 3 * * mon-fri", "30 2 1 jan,jul *", "0 0 ? * sun"),
);

/** The classes of issue 17, one generator each. */
const classes: Record<string, RefusalClass> = {
    // ---- cannot exist or schedule
    "unknown GPU type": () => fc.stringMatching(/^nvidia-[a-z0-9]{2,10}$/).filter((t) => !(t in GPU_MODELS))
        .map((t) => refusal("cluster.gpuPool.gpuType", (g) => { at(g.values, ["cluster", "gpuPool"]).gpuType = t; })),
    // On a managed cloud the GPU model is the machine type's (lib/gpuInstances.ts): the MIG cases take it as it is.
    "MIG on a GPU without MIG": (g) => {
        const own: string | undefined = cloud(g) ? g.values.cluster.gpuPool.gpuType : undefined;
        if (own !== undefined && hasMig(GPU_MODELS[own])) return undefined;
        return fc.record({ t: own === undefined ? fc.constantFrom(...nonMig) : fc.constant(own), p: fc.constantFrom("all-1g.10gb", "all-3g.40gb", "all-balanced") })
            .map(({ t, p }) => refusal("cluster.gpuPool.sharing.mode", (x) => { Object.assign(at(x.values, ["cluster", "gpuPool"]), { gpuType: t, sharing: { mode: "mig", profile: p } }); }));
    },
    "a MIG profile the GPU does not have": (g) => {
        const own: string | undefined = cloud(g) ? g.values.cluster.gpuPool.gpuType : undefined;
        if (own !== undefined && !hasMig(GPU_MODELS[own])) return undefined;
        return (own === undefined ? fc.constantFrom(...mig) : fc.constant(own)).chain((t) => {
        const foreign = [...new Set(mig.flatMap((m) => migProfilesOf(GPU_MODELS[m])))].filter((p) => !migProfilesOf(GPU_MODELS[t]).includes(p));
        return fc.constantFrom(...foreign).map((p) => refusal("cluster.gpuPool.sharing.profile", (g) => {
            Object.assign(at(g.values, ["cluster", "gpuPool"]), { gpuType: t, sharing: { mode: "mig", profile: p } });
        }));
        });
    },
    "a model asking more GPUs than a GPU node offers": (g) => (g.training && g.values.roles.includes("serving")
        ? fc.integer({ min: 1, max: 4 }).chain((n) => fc.integer({ min: n + 1, max: limits.gpusPerModel }).map((ask) => refusal("cluster.gpuPool.gpuCount", (x) => {
            Object.assign(at(x.values, ["cluster", "gpuPool"]), { gpuCount: n, sharing: { mode: "none" } });
            Object.assign(withModel(x), { gpu: ask, format: "onnx", runtime: "kserve-tritonserver" });
        })))
        : undefined),
    "a region the cloud does not have": (g) => (cloud(g)
        ? fc.oneof(fc.constantFrom(...allRegions), fc.stringMatching(/^[a-z]{2}-[a-z]{4,9}-?\d{1,2}$/))
            .filter((r) => !CLOUD_REGIONS[g.provider as "eks"].includes(r))
            .map((r) => refusal("cluster.region", (x) => { x.values.cluster.region = r; }))
        : undefined),
    "a zone that is not of the region": (g) => (cloud(g)
        ? fc.constantFrom("eu-west-2a", "europe-west1-b", "4", "a", "eu-west-1", "europe-west4-z", "eu-west-1-a").filter((z) => z !== `${g.values.cluster.region}a`)
            .map((z) => refusal("cluster.network.zones[0]", (x) => {
                const zones: string[] = at(x.values, ["cluster", "network"]).zones ?? [];
                at(x.values, ["cluster", "network"]).zones = [z, ...zones.slice(1)];
            }))
        : undefined),
    "a bucket name the cloud refuses": (g) => (g.provider === "eks"
        ? fc.constantFrom("models..prod", "192.168.1.10", "xn--models", "models-s3alias").map((b) => refusal("cluster.modelBucketName", (x) => { x.values.cluster.modelBucketName = b; }))
        : g.provider === "gke"
            ? fc.constantFrom("goog-models", "my-google-models").map((b) => refusal("cluster.modelBucketName", (x) => { x.values.cluster.modelBucketName = b; }))
            : undefined),
    "an absurd count": (g) => fc.oneof(
        fc.integer({ min: limits.gpuNodes + 1, max: 100_000 }).map((n) => refusal("cluster.gpuPool.maxSize", (x) => { at(x.values, ["cluster", "gpuPool"]).maxSize = n; })),
        fc.integer({ min: limits.systemNodes + 1, max: 100_000 }).map((n) => refusal("cluster.systemPool.maxSize", (x) => { at(x.values, ["cluster", "systemPool"]).maxSize = n; })),
        fc.integer({ min: limits.predictorReplicas + 1, max: 100_000 }).map((n) => refusal("serving.maxReplicas", (x) => { x.values.serving.maxReplicas = n; })),
        fc.integer({ min: limits.brokers + 1, max: 100_000 }).map((n) => refusal("streaming.replicas", (x) => { x.values.streaming.replicas = n; })),
        ...(g.training ? [fc.integer({ min: limits.osds + 1, max: 100_000 }).map((n) => refusal("storage.rook.osdCount", (x) => { x.values.storage.rook.osdCount = n; }))] : []),
    ),

    // ---- network
    "authorised ranges that together cover the internet": (g) => ((g.values.cluster.authorizedCidrs ?? []).length > 0
        ? internetCover.map((cidrs) => refusal("cluster.authorizedCidrs", (x) => { x.values.cluster.authorizedCidrs = cidrs; }))
        : undefined),
    "overlapping VPC, service and pod ranges": (g) => (cloud(g)
        ? fc.record({ third: fc.integer({ min: 0, max: 255 }), prefix: fc.integer({ min: 16, max: 24 }), pod: fc.boolean() }).map(({ third, prefix, pod }) => {
            const inside = prefix === 16 ? "10.40.0.0/16" : `10.40.${third & (0xff << (24 - prefix)) & 0xff}.0/${prefix}`;
            const which = pod && g.provider !== "eks" ? "podCidr" : "serviceCidr";
            return refusal(`cluster.network.${which}`, (x) => { at(x.values, ["cluster", "network"])[which] = inside; });
        })
        : undefined),
    "duplicate zones": (g) => ((g.values.cluster.network?.zones ?? []).length > 0
        ? fc.nat().map((i) => {
            const zones: string[] = g.values.cluster.network.zones;
            return refusal(`cluster.network.zones[${zones.length}]`, (x) => { x.values.cluster.network.zones = [...zones, zones[i % zones.length]]; });
        })
        : undefined),

    // ---- cross-stack names (the rules between stack files are in the fleet tests below)
    "a trainingStack of another project": (g) => (g.values.trainingStack
        ? fc.stringMatching(/^[a-z][a-z0-9-]{2,15}$/).filter((p) => p !== "hybridml")
            .map((p) => refusal("trainingStack", (x) => { x.values.trainingStack = `acme/${p}/prod-training`; }))
        : undefined),

    "a feedback producer that is the training stack itself": (g) => (g.training
        ? fc.constant(refusal("streaming.feedbackProducers[0]", (x) => { x.values.streaming.feedbackProducers = [x.stack]; }))
        : undefined),

    // ---- the catalogue, in the training stack
    "a catalogue runtime KServe does not ship": (g) => (g.training
        ? fc.stringMatching(/^[a-z][a-z0-9-]{2,20}$/).filter((r) => !(r in KSERVE_RUNTIMES))
            .map((r) => refusal("models[0].runtime", (x) => { withModel(x).runtime = r; }))
        : undefined),
    "a runtime that does not serve the model's format": (g) => {
        if (!g.training) return undefined;
        const pairs = (Object.keys(KSERVE_RUNTIMES) as KserveRuntime[]).flatMap((r) => ["onnx", "pytorch", "tensorflow", "sklearn", "xgboost", "huggingface"]
            .filter((f) => !RUNTIME_FORMATS[r].includes(f)).map((f) => [r, f] as const));
        return fc.constantFrom(...pairs).map(([r, f]) => refusal("models[0].runtime", (x) => { Object.assign(withModel(x), { runtime: r, format: f, gpu: 0 }); }));
    },
    "a catalogue version . or ..": (g) => (g.training
        ? fc.constantFrom(".", "..").map((v) => refusal("models[0].version", (x) => { withModel(x).version = v; }))
        : undefined),
    "an artefact path leaving the model's prefix or into datasets": (g) => (g.training
        ? fc.constantFrom("../x/", "{n}/../../datasets/raw/", "/abs/{n}/", "datasets/{n}/", "other-model/1.0.0/", "{n}/./1/", "{n}//1/")
            .map((p) => refusal("models[0].artifactPath", (x) => { const m = withModel(x); m.artifactPath = p.replace(/\{n\}/g, m.name); }))
        : undefined),

    // ---- Kubernetes names
    "a system or another component's namespace": () => fc.oneof(fc.constantFrom(...RESERVED_NAMESPACES), fc.stringMatching(/^kube-[a-z]{1,10}$/))
        .map((ns) => refusal("serving.namespace", (x) => { x.values.serving.namespace = ns; })),
    "an invalid cron schedule": () => badCron.map((s) => refusal("serving.modelSyncSchedule", (x) => { x.values.serving.modelSyncSchedule = s; })),

    // ---- roles and wiring
    "Rook disabled on a training stack": (g) => (g.training
        ? fc.constant(refusal("storage.rook.enabled", (x) => { x.values.storage.rook.enabled = false; }))
        : undefined),
    "protection off in prod": (g) => (g.env === "prod"
        ? fc.constant(refusal("protectStateful", (x) => { x.values.protectStateful = false; }))
        : undefined),

    // ---- secure keys that do not apply, and secrets where no secret belongs
    "a secret the provider never reads": (g) => {
        const keys = [...(g.provider !== "onprem" ? ["kubeconfig"] : []), ...(g.provider !== "k3s" ? ["sshPrivateKey", "k3sToken"] : [])];
        return fc.constantFrom(...keys).map((k) => refusal(k, (x) => { x.secrets.push(k); }));
    },
    "a structured key stored as a secret": () => fc.constant(refusal("observability", (x) => { x.secrets.push("observability"); delete x.values.observability; })),
};

/** A valid config and one case of `cls` that applies to it. */
function casesOf(cls: RefusalClass): fc.Arbitrary<{ bad: Generated; r: Refusal }> {
    return validConfig.filter((g) => cls(g) !== undefined).chain((g) => cls(g)!.map((r) => {
        const bad: Generated = { ...g, values: structuredClone(g.values), secrets: [...g.secrets] };
        r.apply(bad);
        return { bad, r };
    }));
}

function refusedBy(bad: Generated): ConfigError {
    try {
        resolve(bad);
    } catch (e) {
        if (e instanceof ConfigError) return e;
        throw e;
    }
    return assert.fail(`expected a ConfigError for ${JSON.stringify(bad.values)}`);
}

/** One line, naming the key, without a stack trace, as an error Pulumi prints without one. */
function assertOneLineNaming(err: ConfigError, key: string) {
    assert.equal(err.issues.length, 1, `expected one problem naming ${key}, got:\n${err.issues.join("\n")}`);
    assert.ok(err.issues[0].startsWith(`${key} `), `expected the line to start with ${key}:\n${err.issues[0]}`);
    assert.doesNotMatch(err.message, /^\s+at /m);
    assert.ok(pulumi.RunError.isInstance(err), "Pulumi's language host prints a RunError without a stack trace");
}

describe("config refusals (issue 17): one generator per class", function () {
    this.timeout(180_000);
    let training: PlanResult;
    before(async () => {
        training = (await planFleet(["prod-training"])).get("prod-training") as PlanResult;
        assert.equal(training.error, undefined);
    });
    const references = (s: string) => (s === "prod-training" ? training.rawOutputs : undefined);

    for (const [name, cls] of Object.entries(classes)) {
        it(`${name}: refused with one line naming the key, nothing registered, no stack trace`, async () => {
            fc.assert(fc.property(casesOf(cls), ({ bad, r }) => assertOneLineNaming(refusedBy(bad), r.key)), { numRuns: 40 });
            await fc.assert(fc.asyncProperty(casesOf(cls), async ({ bad, r }) => {
                const run = await planStack(bad.stack, { stackConfig: stackConfig(bad), references });
                assert.ok(run.error instanceof ConfigError, `expected a ConfigError, got ${String(run.error)}`);
                assertOneLineNaming(run.error, r.key);
                assert.deepEqual(run.recorded.map((x) => x.type), ["pulumi:pulumi:Stack"]);
            }), { numRuns: 2 });
        });
    }

    it("the internet-covering sets really cover every address and contain no /0", () => {
        fc.assert(fc.property(internetCover, (cidrs) => {
            assert.equal(unionSize(cidrs), 2 ** 32);
            assert.ok(cidrs.every((c) => !c.endsWith("/0")));
        }));
    });

    it("valid cron schedules pass, invalid ones are refused", () => {
        fc.assert(fc.property(goodCron, (s) => assert.equal(cronProblem(s), undefined, s)));
        fc.assert(fc.property(badCron, (s) => assert.notEqual(cronProblem(s), undefined, s)));
    });
});

// ---- credentials planted in refused configs --------------------------------------------------

const secretText = fc.stringMatching(/^[A-Za-z0-9]{10,20}$/).map((s) => `Pl4nt${s}`);

/** Places a credential can be typed where config refuses it; each returns the key refused. */
const plants: ((g: Generated, secret: string) => string | undefined)[] = [
    (g, s) => { if (!g.training) return undefined; g.values.storage.endpoint = `https://admin:${s}@s3.training.example.com/`; return "storage.endpoint"; },
    (g, s) => { g.values.cluster.password = s; return "cluster.password"; },
    (g, s) => { g.values.apiToken = s; return "apiToken"; },
    (g, s) => { g.values["cluster.gpuPool.secretAccessKey"] = s; return "cluster.gpuPool.secretAccessKey"; },
    (g, s) => { g.values["storage.endpoint"] = `https://u:${s}@s3.example.com`; return "storage.endpoint"; },
    (g, s) => { if (!g.values.trainingStack) return undefined; g.values.trainingStack = `https://bot:${s}@git.example.com/acme/hybridml`; return "trainingStack"; },
    (g, s) => { g.values.streaming.bootstrap = `svc:${s}@kafka.example.com:9094`; return "streaming.bootstrap"; },
    (g, s) => { if (g.provider !== "k3s") return undefined; g.values.cluster.hosts[0].address = `root:${s}@192.0.2.10`; return "cluster.hosts[0].address"; },
    (g, s) => { g.values.charts = { mirror: `https://ci:${s}@charts.example.com/hybridml` }; return "charts.mirror"; },
    (g, s) => { g.values.serving.resources = { requests: { cpu: "1", memory: "1Gi", token: s }, limits: { cpu: "2", memory: "2Gi" } }; return "serving.resources.requests.token"; },
];

const planted = validConfig.chain((g) => fc.record({
    secret: secretText,
    which: fc.subarray([...plants.keys()], { minLength: 1, maxLength: 3 }),
}).map(({ secret, which }) => {
    const bad: Generated = { ...g, values: structuredClone(g.values), secrets: [...g.secrets] };
    const keys = which.map((i) => plants[i](bad, secret)).filter((k): k is string => k !== undefined);
    return { bad, secret, keys };
}).filter(({ keys }) => keys.length > 0));

/** Everything the program and the tools print for a refused config: console, the error, the report line. */
async function allOutput(bad: Generated, references: (s: string) => Record<string, unknown> | undefined): Promise<{ text: string; result: PlanResult }> {
    const printed: string[] = [];
    const keep = { log: console.log, error: console.error, warn: console.warn, write: process.stderr.write };
    console.log = console.error = console.warn = (...a: unknown[]) => { printed.push(a.map(String).join(" ")); };
    try {
        const result = await planStack(bad.stack, { stackConfig: stackConfig(bad), references });
        const message = result.error?.message ?? "";
        const report = buildReport({ base: new Map(), head: [], errors: new Map([[bad.stack, message]]) });
        return { text: [...printed, message, report].join("\n"), result };
    } finally {
        Object.assign(console, { log: keep.log, error: keep.error, warn: keep.warn });
    }
}

describe("config refusals never echo a credential (issue 17)", function () {
    this.timeout(180_000);
    let training: PlanResult;
    before(async () => {
        training = (await planFleet(["prod-training"])).get("prod-training") as PlanResult;
    });

    it("a planted credential appears in no output of a refused config: errors, Fix commands, plan summary, report", async () => {
        await fc.assert(fc.asyncProperty(planted, async ({ bad, secret, keys }) => {
            const { text, result } = await allOutput(bad, (s) => (s === "prod-training" ? training.rawOutputs : undefined));
            assert.ok(result.error instanceof UserError, `expected a refusal, got ${String(result.error)}`);
            // Schema problems are reported before the rules between keys, so at least one planted key is named.
            assert.ok(keys.some((k) => (result.error as ConfigError).issues.some((l) => l.startsWith(`hybridml:${k} `))), `a line names one of ${keys.join(", ")}:\n${result.error.message}`);
            assert.ok(!text.includes(secret), `the planted credential ${secret} was printed:\n${text}`);
            assert.deepEqual(result.recorded.map((x) => x.type), ["pulumi:pulumi:Stack"]);
        }), { numRuns: 60 });
    });
});
