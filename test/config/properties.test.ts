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
import { ConfigError } from "../../config";
import { planFleet, planStack, PlanResult } from "../../tools/plan/plan";
import { Generated, Json, resolve, stackConfig, TRAINING_ENGINE, validConfig } from "../helpers/configGen";

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
