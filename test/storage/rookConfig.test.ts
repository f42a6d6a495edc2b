import * as assert from "node:assert/strict";
import { collectConfig } from "../../config/keys";
import { ConfigError, RawInput, resolveConfig } from "../../config/resolve";
import { NAMESPACE } from "../../config/schema";
import { resolveStorage, storageFloors, storageIssues, storageSchema } from "../../config/storage";
import { inClusterEndpoint, rookNames } from "../../components/storage/rookSpecs";
import { defaultModelStoreEndpoint, inCluster, rookCephArgs } from "../../stacks/training";
import { planStack, readStackConfig, StackConfig } from "../../tools/plan/plan";

function rawInput(stack: string, cfg: StackConfig): RawInput {
    const collected = collectConfig({ project: "hybridml", stack, all: cfg.config, isSecret: (k) => cfg.secretKeys.includes(k) });
    return { project: "hybridml", stack, ...collected };
}

/** The stack's config with `hybridml:<key>` patched at `path` (deep). */
function patched(cfg: StackConfig, key: string, patch: Record<string, unknown>): StackConfig {
    const full = `${NAMESPACE}:${key}`;
    const merge = (a: any, b: any): any => (b && typeof b === "object" && !Array.isArray(b) && a && typeof a === "object"
        ? Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, k in b ? merge(a[k], b[k]) : a[k]]))
        : b);
    const root = merge(JSON.parse(cfg.config[full] ?? "{}"), patch);
    return { ...cfg, config: { ...cfg.config, [full]: JSON.stringify(root) } };
}

function issuesOf(stack: string, patch: Record<string, unknown>, extra: (c: StackConfig) => StackConfig = (c) => c): string[] {
    try {
        resolveConfig(rawInput(stack, extra(patched(readStackConfig(stack), "storage", patch))));
    } catch (e) {
        if (e instanceof ConfigError) return e.issues;
        throw e;
    }
    return [];
}

const prodCtx = { environment: "prod" as const, training: true, clusterProvider: "onprem" as const };
const parse = (v: unknown) => storageSchema.parse(v);

describe("storage config (config/storage.ts)", () => {
    it("the namespace in error keys is the project's", () => {
        assert.match(storageIssues(parse({ rook: { poolSize: 2 } }), prodCtx)[0], new RegExp(`^${NAMESPACE}:storage\\.rook\\.poolSize `));
    });

    it("prod-training resolves to prod sizing: 3 mons, size 3, host, EC 2+2 on 4 listed storage nodes, 2 RGWs, TLS endpoint", () => {
        const c = resolveConfig(rawInput("prod-training", readStackConfig("prod-training")));
        assert.deepEqual(c.storage.rook, {
            enabled: true, osdSource: "devices", deviceFilter: "^nvme[1-9]n1$", osdCount: 4, osdSize: "500Gi", osdStorageClass: "",
            nodes: ["train-storage-1", "train-storage-2", "train-storage-3", "train-storage-4"],
            monCount: 3, poolSize: 3, failureDomain: "host", erasureCoding: { dataChunks: 2, codingChunks: 2 }, rgwInstances: 2,
            dataDirHostPath: "/var/lib/rook", tlsSecret: "models-rgw-tls",
        });
        assert.equal(c.storage.endpoint, "https://s3.training.acme.example");
        assert.deepEqual(c.storage.buckets, ["datasets", "models"]);
    });

    it("dev resolves to dev sizing: 1 mon, size 1, replicated object data, 1 RGW", () => {
        const c = resolveConfig(rawInput("dev", readStackConfig("dev")));
        assert.equal(c.storage.rook.enabled, true);
        assert.equal(c.storage.rook.monCount, 1);
        assert.equal(c.storage.rook.poolSize, 1);
        assert.equal(c.storage.rook.erasureCoding, undefined);
        assert.equal(c.storage.rook.rgwInstances, 1);
        assert.equal(c.storage.rook.failureDomain, "osd");
    });

    it("dev sizing only on dev: the same values are floors elsewhere", () => {
        const devValues = { rook: { poolSize: 1, monCount: 1, rgwInstances: 1, nodes: ["s1", "s2", "s3", "s4"] } };
        assert.deepEqual(storageIssues(parse(devValues), { ...prodCtx, environment: "dev" }), []);
        assert.equal(storageIssues(parse(devValues), prodCtx).length, 3);
        assert.equal(storageIssues(parse(devValues), { ...prodCtx, environment: "edge" }).length, 3);
        // Serving-only stacks get no Rook by default.
        assert.equal(resolveStorage(parse({}), { ...prodCtx, training: false }).rook.enabled, false);
    });

    describe("each unsafe prod value gives one error naming the key, the value and the floor", () => {
        const cases: [string, Record<string, unknown>, RegExp][] = [
            ["poolSize 2", { rook: { poolSize: 2 } }, /^hybridml:storage\.rook\.poolSize must be >= 3 outside environment dev \(environment is prod\) \(got 2\)/],
            ["poolSize 1", { rook: { poolSize: 1 } }, /^hybridml:storage\.rook\.poolSize must be >= 3 .*\(got 1\)/],
            ["monCount 1", { rook: { monCount: 1 } }, /^hybridml:storage\.rook\.monCount must be >= 3 .*\(got 1\)/],
            ["monCount 2 (even)", { rook: { monCount: 2 } }, /^hybridml:storage\.rook\.monCount must be odd/],
            ["EC m = 0", { rook: { erasureCoding: { dataChunks: 2, codingChunks: 0 } } }, /^hybridml:storage\.rook\.erasureCoding\.codingChunks must be >= 1 \(got 0\)/],
            ["EC k = 1", { rook: { erasureCoding: { dataChunks: 1 } } }, /^hybridml:storage\.rook\.erasureCoding\.dataChunks must be >= 2 \(got 1\)/],
            ["rgwInstances 1", { rook: { rgwInstances: 1 } }, /^hybridml:storage\.rook\.rgwInstances must be >= 2 .*\(got 1\)/],
            ["pvc OSDs fewer than replicas", { rook: { osdSource: "pvc", osdCount: 2, osdStorageClass: "local-block" } }, /^hybridml:storage\.rook\.osdCount must be >= 4 .*\(got 2\)/],
            ["EC m = 1 outside dev", { rook: { erasureCoding: { dataChunks: 2, codingChunks: 1 } } }, /^hybridml:storage\.rook\.erasureCoding\.codingChunks must be >= 2 outside environment dev .*\(got 1\): with m = 1 one lost host leaves k chunks/],
            ["failure domain osd outside dev", { rook: { failureDomain: "osd" } }, /^hybridml:storage\.rook\.failureDomain osd is refused outside environment dev/],
            ["fewer storage nodes than EC chunks", { rook: { nodes: ["a", "b", "c"] } }, /^hybridml:storage\.rook\.nodes lists 3 storage host\(s\) \(storage\.rook\.nodes\), but failureDomain host needs at least 4 for poolSize 3 and erasure coding 2\+2/],
            ["pvc OSDs with no class on-prem", { rook: { osdSource: "pvc" } }, /^hybridml:storage\.rook\.osdStorageClass is required with osdSource pvc on provider onprem/],
            ["osdStorageClass with devices", { rook: { osdStorageClass: "gp3" } }, /^hybridml:storage\.rook\.osdStorageClass is only used with osdSource pvc/],
            ["endpoint with a path", { endpoint: "https://s3.example.com/models" }, /^hybridml:storage\.endpoint must be a bare scheme:\/\/host\[:port\] URL/],
            ["endpoint not http(s)", { endpoint: "ftp://s3.example.com" }, /^hybridml:storage\.endpoint must be an http\(s\) URL/],
            ["no models bucket", { buckets: ["datasets"] }, /^hybridml:storage\.buckets must include "models" on a training stack/],
            ["unknown key", { rook: { poolsize: 3 } }, /^hybridml:storage\.rook\.poolsize is not a known key: did you mean poolSize\?/],
        ];
        for (const [label, patch, expected] of cases) {
            it(label, () => {
                const issues = issuesOf("prod-training", patch);
                assert.equal(issues.length, 1, issues.join("\n"));
                assert.match(issues[0], expected);
            });
        }
    });

    it("k3s: the hosts without GPUs are the storage nodes; failure domain osd only on dev, and then on 3+ hosts for size 3", () => {
        const ctx = { environment: "edge" as const, training: true, clusterProvider: "k3s" as const, storageHosts: 4, storageHostNames: ["s1", "s2", "s3", "s4"] };
        assert.deepEqual(resolveStorage(parse({}), ctx).rook.nodes, ["s1", "s2", "s3", "s4"]);
        assert.deepEqual(storageIssues(parse({}), ctx), []);
        assert.match(storageIssues(parse({ rook: { failureDomain: "osd" } }), ctx)[0], /^hybridml:storage\.rook\.failureDomain osd is refused outside environment dev/);
        const dev = { ...ctx, environment: "dev" as const, storageHosts: 2, storageHostNames: ["s1", "s2"] };
        assert.match(storageIssues(parse({ rook: { failureDomain: "osd", poolSize: 3 } }), dev)[0],
            /^hybridml:storage\.rook\.failureDomain osd with poolSize 3 needs at least 3 storage hosts \(got 2 hosts without GPUs\)/);
        assert.deepEqual(storageIssues(parse({ rook: { failureDomain: "osd", poolSize: 1, monCount: 1, rgwInstances: 1 } }), dev), []);
        // Failure domain host needs as many hosts as replicas / EC chunks.
        assert.match(storageIssues(parse({ rook: { erasureCoding: { dataChunks: 4, codingChunks: 2 } } }), ctx)[0],
            /^hybridml:storage\.rook\.failureDomain lists 4 storage host\(s\) \(hosts without GPUs\), but failureDomain host needs at least 6/);
        // On an existing on-prem cluster outside dev the storage nodes must be listed.
        assert.match(storageIssues(parse({}), prodCtx).join("\n"), /hybridml:storage\.rook\.nodes is required outside environment dev \(environment is prod\) with osdSource devices on provider onprem/);
    });

    it("storage keys on a serving-only stack are refused, not ignored", () => {
        const serving = { ...prodCtx, training: false, clusterProvider: "eks" as const };
        assert.deepEqual(storageIssues(parse({}), serving), []);
        assert.deepEqual(storageIssues(parse({ rook: { enabled: true, poolSize: 5 }, endpoint: "https://s3.example.com" }), serving), [
            "hybridml:storage.rook.enabled is only used on a stack with the training role (roles do not include training): remove it",
            "hybridml:storage.rook.poolSize is only used on a stack with the training role (roles do not include training): remove it",
            "hybridml:storage.endpoint is only used on a stack with the training role (roles do not include training): remove it",
        ]);
        assert.deepEqual(storageIssues(parse({ rook: { enabled: false } }), serving), []);
    });

    it("cloud stacks default the OSD class to the cloud's block class", () => {
        assert.equal(resolveStorage(parse({ rook: { osdSource: "pvc" } }), { ...prodCtx, clusterProvider: "eks" }).rook.osdStorageClass, "gp3");
        assert.equal(resolveStorage(parse({ rook: { osdSource: "pvc" } }), { ...prodCtx, clusterProvider: "gke" }).rook.osdStorageClass, "standard-rwo");
        assert.deepEqual(storageIssues(parse({ rook: { osdSource: "pvc" } }), { ...prodCtx, clusterProvider: "aks" }), []);
    });

    it("floors are the documented ones", () => {
        assert.deepEqual(storageFloors, { poolSize: 3, monCount: 3, codingChunks: 2, hostsForOsdFailureDomain: 3, rgwInstances: 2 });
    });

    it("an unsafe prod value: the plan fails with that one message and registers nothing", async function () {
        this.timeout(60_000);
        const cfg = patched(readStackConfig("prod-training"), "storage", { rook: { poolSize: 2 } });
        const r = await planStack("prod-training", { stackConfig: cfg });
        assert.ok(r.error instanceof ConfigError, String(r.error));
        assert.equal((r.error as ConfigError).issues.length, 1);
        assert.match((r.error as ConfigError).issues[0], /hybridml:storage\.rook\.poolSize must be >= 3/);
        assert.deepEqual(r.plan.resources.filter((x) => x.type !== "pulumi:pulumi:Stack"), []);
    });

    it("stacks/training maps the config to RookCeph args: dev sizing on dev only, protect from protectStateful", () => {
        const fakeCluster = { provider: undefined as never };
        const creds = { accessKeyId: "A", secretAccessKey: "B" };
        const dev = rookCephArgs(resolveConfig(rawInput("dev", readStackConfig("dev"))), fakeCluster, { monitoring: undefined }, creds);
        assert.deepEqual({ ...dev, provider: undefined, modelSyncCredentials: undefined }, {
            provider: undefined, modelSyncCredentials: undefined, namespace: "rook-ceph",
            osds: { source: "devices", deviceFilter: "^vd[b-c]$" }, monCount: 1, mgrCount: 1, allowMultiplePerNode: true, poolSize: 1,
            failureDomain: "osd", erasureCoding: false, rgwInstances: 1, endpoint: "https://s3.dev-lab.acme.example", tlsSecret: "models-rgw-tls", region: "default",
            tls: undefined, allowedSources: ["192.0.2.10/32", "192.0.2.11/32", "192.0.2.12/32", "192.0.2.13/32", "192.0.2.21/32", "192.0.2.22/32"],
            buckets: ["datasets", "models"], dataDirHostPath: "/var/lib/rook", monitoring: undefined, protect: false,
            charts: { repository: undefined, repositories: {} },
            encryption: false, retainBuckets: false,
        });
        const prod = rookCephArgs(resolveConfig(rawInput("prod-training", readStackConfig("prod-training"))), fakeCluster, { monitoring: undefined }, creds);
        assert.equal(prod.allowMultiplePerNode, false);
        assert.equal(prod.mgrCount, 2);
        assert.deepEqual(prod.erasureCoding, { dataChunks: 2, codingChunks: 2 });
        assert.deepEqual([prod.encryption, prod.retainBuckets], [true, true]);
        assert.deepEqual(prod.osds, { source: "devices", deviceFilter: "^nvme[1-9]n1$", nodes: ["train-storage-1", "train-storage-2", "train-storage-3", "train-storage-4"] });
        assert.equal(prod.protect, true);
        assert.equal(prod.endpoint, "https://s3.training.acme.example");
    });

    it("the contract's default endpoint and names are the component's", () => {
        assert.equal(defaultModelStoreEndpoint(), inClusterEndpoint(inCluster.rookNamespace));
        assert.equal(inCluster.objectStore, rookNames.objectStore);
        assert.equal(inCluster.modelsBucket, rookNames.modelsBucket);
    });
});
