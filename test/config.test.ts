import * as assert from "node:assert/strict";
import { collectConfig } from "../config/keys";
import { ConfigError, resolveConfig, RawInput } from "../config/resolve";
import { NAMESPACE } from "../config/schema";
import { listStacks, planStack, readStackConfig, StackConfig } from "../tools/plan/plan";

/** Raw input for `resolveConfig` from a stack's config map, sorted by the program's own `collectConfig`. */
function rawInput(stack: string, cfg: StackConfig): RawInput {
    const collected = collectConfig({ project: "hybridml", stack, all: cfg.config, isSecret: (k) => cfg.secretKeys.includes(k) });
    return { project: "hybridml", stack, ...collected };
}

function errorOf(fn: () => unknown): ConfigError {
    try {
        fn();
    } catch (e) {
        if (e instanceof ConfigError) return e;
        throw e;
    }
    assert.fail("expected a ConfigError");
}

/** A config map with one value replaced (path into a structured key). */
function withValue(cfg: StackConfig, key: string, path: string[], value: unknown): StackConfig {
    const full = `${NAMESPACE}:${key}`;
    if (path.length === 0) {
        const config = { ...cfg.config };
        if (value === undefined) delete config[full];
        else config[full] = typeof value === "string" ? value : JSON.stringify(value);
        return { ...cfg, config };
    }
    const root = JSON.parse(cfg.config[full] ?? "{}") as Record<string, unknown>;
    let o = root;
    for (const p of path.slice(0, -1)) {
        o[p] ??= {};
        o = o[p] as Record<string, unknown>;
    }
    if (value === undefined) delete o[path[path.length - 1]];
    else o[path[path.length - 1]] = value;
    return { ...cfg, config: { ...cfg.config, [full]: JSON.stringify(root) } };
}

describe("config", () => {
    const stacks = listStacks();

    it("ships the six stacks of SPEC 2", () => {
        assert.deepEqual(stacks, ["dev", "edge", "prod-aws", "prod-azure", "prod-gcp", "prod-training"]);
    });

    for (const stack of stacks) {
        it(`loads the shipped stack ${stack} with every default applied`, () => {
            const c = resolveConfig(rawInput(stack, readStackConfig(stack)));
            assert.equal(c.stack, stack);
            assert.equal(c.protectStateful, c.environment !== "dev");
            assert.ok(c.cluster.gpuPool.maxSize >= c.cluster.gpuPool.minSize);
            assert.ok(c.streaming.minInSyncReplicas <= c.streaming.replicationFactor);
            if (["eks", "gke", "aks"].includes(c.cluster.provider)) assert.ok(c.cluster.gpuPool.instanceType.length > 0);
        });
    }

    describe("defaults", () => {
        const base = rawInput("prod-aws", readStackConfig("prod-aws"));

        it("derives zones, NAT layout and instance types for EKS", () => {
            const c = resolveConfig(base);
            assert.ok(c.cluster.provider === "eks");
            assert.deepEqual(c.cluster.network.zones, ["eu-west-1a", "eu-west-1b", "eu-west-1c"]);
            assert.equal(c.cluster.network.natPerZone, true);
            assert.equal(c.cluster.systemPool.instanceType, "m7i.xlarge");
            assert.deepEqual(c.cluster.gpuPool.sharing, { mode: "none" });
        });

        it("refuses network.podCidr on EKS and authorizedCidrs where the API access does not use them, naming the key", () => {
            const aws = readStackConfig("prod-aws");
            const pod = errorOf(() => resolveConfig(rawInput("prod-aws", withValue(aws, "cluster", ["network", "podCidr"], "100.64.0.0/14"))));
            assert.deepEqual(pod.issues, ["hybridml:cluster.network.podCidr has no use on eks (the VPC CNI gives pods addresses of the VPC's subnets, network.vpcCidr): remove it"]);
            const gcp = readStackConfig("prod-gcp");
            const dns = errorOf(() => resolveConfig(rawInput("prod-gcp", withValue(gcp, "cluster", ["authorizedCidrs"], ["198.51.100.0/24"]))));
            assert.deepEqual(dns.issues, ["hybridml:cluster.authorizedCidrs is not used with apiAccess dns (the DNS endpoint is authorised by IAM): remove it, or set apiAccess: authorizedNetworks"]);
            // GKE's and AKS's pod ranges are used: the shipped prod-gcp and prod-azure set theirs; the default applies elsewhere.
            const c = resolveConfig(rawInput("prod-gcp", gcp));
            assert.ok(c.cluster.provider === "gke" && c.cluster.network.podCidr === "10.128.0.0/14");
        });

        it("uses small replication on dev and 3/2 in prod", () => {
            const dev = resolveConfig(rawInput("dev", readStackConfig("dev")));
            assert.deepEqual([dev.streaming.replicas, dev.streaming.replicationFactor, dev.streaming.minInSyncReplicas], [1, 1, 1]);
            assert.equal(dev.storage.rook.poolSize, 1);
            const prod = resolveConfig(rawInput("prod-training", readStackConfig("prod-training")));
            assert.deepEqual([prod.streaming.replicas, prod.streaming.replicationFactor, prod.streaming.minInSyncReplicas], [3, 3, 2]);
            assert.equal(prod.storage.rook.poolSize, 3);
            assert.equal(prod.storage.rook.enabled, true);
        });

        it("an explicit protectStateful wins over the environment default (outside prod)", () => {
            const edge = { ...base, values: { ...base.values, environment: "edge", protectStateful: false } };
            assert.equal(resolveConfig(edge).protectStateful, false);
            const dev = rawInput("dev", readStackConfig("dev"));
            assert.equal(resolveConfig({ ...dev, values: { ...dev.values, protectStateful: true } }).protectStateful, true);
        });

        it("protectStateful: false in prod is one error naming the key, not a violation per resource", () => {
            const err = errorOf(() => resolveConfig({ ...base, values: { ...base.values, protectStateful: false } })) as ConfigError;
            assert.deepEqual(err.issues, ["hybridml:protectStateful must not be false in environment prod: clusters, keys, buckets, Ceph and Kafka "
                + "would be deletable by one pulumi up or destroy; remove the key (default true outside dev)"]);
        });
    });

    describe("errors name the key, what was given and what is valid", () => {
        const base = readStackConfig("prod-aws");
        const cases: Array<[string, StackConfig, RegExp]> = [
            ["wrong type", withValue(base, "cluster", ["gpuPool", "maxSize"], "ten"), /hybridml:cluster\.gpuPool\.maxSize must be a number \(got "ten"\)/],
            ["out of range", withValue(base, "cluster", ["gpuPool", "gpuCount"], 0), /hybridml:cluster\.gpuPool\.gpuCount must be >= 1 \(got 0\)/],
            ["min above max", withValue(base, "cluster", ["gpuPool", "minSize"], 9), /hybridml:cluster\.gpuPool\.maxSize must be >= minSize \(got 6 < 9\)/],
            ["unknown enum", withValue(base, "cluster", ["provider"], "eksctl"), /hybridml:cluster\.provider must be one of eks \| gke \| aks \| onprem \| k3s \(got "eksctl"\)/],
            ["typo in a nested key", withValue(base, "cluster", ["gpuPol"], {}), /hybridml:cluster\.gpuPol is not a known key: did you mean gpuPool\?/],
            ["typo in a top-level key", withValue(base, "trainingStak", [], "a/b/c"), /hybridml:trainingStak is not a known key: did you mean trainingStack\?/],
            ["not a CIDR", withValue(base, "cluster", ["authorizedCidrs"], ["10.0.0.300/8"]), /hybridml:cluster\.authorizedCidrs\[0\] must be an IPv4 CIDR block .* \(got "10\.0\.0\.300\/8"\)/],
            ["API open to the internet", withValue(base, "cluster", ["authorizedCidrs"], ["0.0.0.0/0"]), /hybridml:cluster\.authorizedCidrs\[0\] opens the API to the whole internet/],
            ["public endpoint without CIDRs", withValue(base, "cluster", ["authorizedCidrs"], []), /hybridml:cluster\.authorizedCidrs must list at least one CIDR/],
            ["serving without a training stack", withValue(base, "trainingStack", [], undefined), /hybridml:trainingStack is required on a serving-only stack/],
            ["missing region", withValue(base, "cluster", ["region"], undefined), /hybridml:cluster\.region is required for provider eks/],
            ["bad sharing mode", withValue(base, "cluster", ["gpuPool", "sharing"], { mode: "mps" }), /hybridml:cluster\.gpuPool\.sharing\.mode must be one of none \| time-slicing \| mig \(got "mps"\)/],
            ["onprem without kubeconfig", withValue(base, "cluster", [], { provider: "onprem" }), /hybridml:kubeconfig is required for provider onprem: pulumi config set --secret/],
            ["k3s without hosts or key", withValue(base, "cluster", [], { provider: "k3s" }), /hybridml:cluster\.hosts is required for provider k3s[\s\S]*hybridml:sshPrivateKey is required for provider k3s/],
        ];
        for (const [what, cfg, expected] of cases) {
            it(`${what}: the key is named and the program registers nothing`, async () => {
                const err = errorOf(() => resolveConfig(rawInput("prod-aws", cfg)));
                assert.match(err.message, expected);
                const run = await planStack("prod-aws", { stackConfig: cfg });
                assert.ok(run.error instanceof ConfigError);
                assert.deepEqual(run.recorded.map((r) => r.type), ["pulumi:pulumi:Stack"]);
            });
        }

        it("a credential stored in plain text is refused", () => {
            const training = readStackConfig("prod-training");
            const cfg = { config: { ...training.config, "hybridml:kubeconfig": "apiVersion: v1" }, secretKeys: [] };
            assert.match(errorOf(() => resolveConfig(rawInput("prod-training", cfg))).message, /hybridml:kubeconfig holds a credential but is stored in plain text/);
        });

        it("a secret key the provider never reads is refused, secret or plain", () => {
            for (const secretKeys of [[], ["hybridml:kubeconfig"]]) {
                const cfg = { config: { ...base.config, "hybridml:kubeconfig": "apiVersion: v1" }, secretKeys };
                const err = errorOf(() => resolveConfig(rawInput("prod-aws", cfg))) as ConfigError;
                assert.equal(err.issues.length, 1, err.message);
                assert.match(err.issues[0], /^hybridml:kubeconfig is only read with cluster\.provider onprem \(this stack's provider is eks\), so it would be ignored.*: pulumi config rm hybridml:kubeconfig$/);
                assert.doesNotMatch(err.message, /apiVersion/);
            }
        });

        it("k3s: the first host must be a server and names unique", () => {
            const hosts = [{ name: "a", address: "192.0.2.1", role: "agent" }, { name: "a", address: "192.0.2.2", role: "server" }];
            const cfg = withValue(withValue(base, "cluster", [], { provider: "k3s" }), "cluster", ["hosts"], hosts);
            const err = errorOf(() => resolveConfig(rawInput("prod-aws", { ...cfg, secretKeys: ["hybridml:sshPrivateKey"], config: { ...cfg.config, "hybridml:sshPrivateKey": "[secret]" } })));
            assert.match(err.message, /hybridml:cluster\.hosts\[0\]\.role must be server/);
            assert.match(err.message, /hybridml:cluster\.hosts has duplicate names/);
        });
    });
});
