/**
 * The `streaming` config section: defaults (the four streams, dev sizing), durability floors outside
 * dev, and the engine/feedback checks against the training contract. Each error names its key.
 */
import * as assert from "node:assert/strict";
import { collectConfig } from "../../config/keys";
import { ConfigError, resolveConfig } from "../../config/resolve";
import { NAMESPACE } from "../../config/schema";
import { resolveStreaming, streamingContractIssues, streamingIssues } from "../../config/streaming";
import { feedbackPartitions } from "../../stacks/streaming";
import { readStackConfig, StackConfig } from "../../tools/plan/plan";

function resolveWith(stack: string, streaming: Record<string, unknown> | undefined) {
    const cfg: StackConfig = readStackConfig(stack);
    const all = { ...cfg.config };
    if (streaming === undefined) delete all[`${NAMESPACE}:streaming`];
    else all[`${NAMESPACE}:streaming`] = JSON.stringify(streaming);
    const collected = collectConfig({ project: "hybridml", stack, all, isSecret: (k) => cfg.secretKeys.includes(k) });
    return resolveConfig({ project: "hybridml", stack, ...collected });
}

/** A streaming section as config gives it (the resolved defaults without the derived rack key and quotas). */
function rawStreaming(engine: "kafka" | "pulsar") {
    const { rackTopologyKey: _derived, feedbackQuota: _defaults, ...raw } = resolveWith("dev", { engine }).streaming;
    return raw;
}

function issuesOf(fn: () => unknown): string[] {
    try {
        fn();
    } catch (e) {
        if (e instanceof ConfigError) return e.issues;
        throw e;
    }
    return assert.fail("expected a ConfigError");
}

describe("streaming config", () => {
    it("defaults: kafka, the four streams (inference-feedback is the feedback topic), 3/3/2 and 100Gi outside dev", () => {
        const c = resolveWith("prod-training", undefined).streaming;
        assert.equal(c.engine, "kafka");
        assert.deepEqual(c.topics.map((t) => [t.name, t.feedback]), [["features", false], ["inference-requests", false], ["inference-feedback", true], ["model-events", false]]);
        assert.deepEqual([c.replicas, c.replicationFactor, c.minInSyncReplicas, c.storageSize], [3, 3, 2, "100Gi"]);
        assert.deepEqual(c.feedbackProducers, []);
        assert.equal(c.crossClusterReplication, true);
    });

    it("dev sizing: 1 broker/bookie, RF 1, min ISR 1, 10Gi", () => {
        const c = resolveWith("dev", { engine: "pulsar" }).streaming;
        assert.deepEqual([c.replicas, c.replicationFactor, c.minInSyncReplicas, c.storageSize], [1, 1, 1, "10Gi"]);
    });

    it("the shipped stacks: prod-training accepts feedback from the three clouds, dev from edge; both engines are used", () => {
        assert.deepEqual(resolveWith("prod-training", JSON.parse(readStackConfig("prod-training").config["hybridml:streaming"])).streaming.feedbackProducers, ["prod-aws", "prod-gcp", "prod-azure"]);
        const engines = ["dev", "edge", "prod-training", "prod-aws", "prod-gcp", "prod-azure"].map((s) => JSON.parse(readStackConfig(s).config["hybridml:streaming"]).engine);
        assert.deepEqual(engines, ["pulsar", "pulsar", "kafka", "kafka", "kafka", "kafka"]);
    });

    it("durability floors outside dev: one error per key, naming it, the value and the floor (Kafka wording)", () => {
        const issues = issuesOf(() => resolveWith("prod-training", { engine: "kafka", replicas: 2, replicationFactor: 2, minInSyncReplicas: 1 }));
        assert.deepEqual(issues.filter((i) => i.includes("streaming")), [
            "hybridml:streaming.replicas must be >= 3 outside dev (brokers; got 2 in prod): only dev may run below the durability floor",
            "hybridml:streaming.replicationFactor must be >= 3 outside dev (replication factor; got 2 in prod): only dev may run below the durability floor",
            "hybridml:streaming.minInSyncReplicas must be >= 2 outside dev (min in-sync replicas; got 1 in prod): only dev may run below the durability floor",
        ]);
    });

    it("Pulsar floors speak of quorums and bookies; edge is outside dev too", () => {
        const issues = streamingIssues({ ...rawStreaming("pulsar"), replicas: 3, replicationFactor: 2, minInSyncReplicas: 1 }, "edge", { training: false, serving: true });
        assert.deepEqual(issues, [
            "hybridml:streaming.replicationFactor must be >= 3 outside dev (write quorum; got 2 in edge): only dev may run below the durability floor",
            "hybridml:streaming.minInSyncReplicas must be >= 2 outside dev (ack quorum; got 1 in edge): only dev may run below the durability floor",
        ]);
    });

    it("feedback quotas: defaulted for a Kafka training stack, refused where nothing would apply them", () => {
        const raw = { ...rawStreaming("kafka"), replicas: 3, replicationFactor: 3, minInSyncReplicas: 2 };
        assert.deepEqual(resolveStreaming(raw, "prod").feedbackQuota, { producerByteRate: 5 * 1024 * 1024, requestPercentage: 25, controllerMutationRate: 2 });
        assert.equal(resolveStreaming({ ...raw, feedbackQuota: { producerByteRate: 1048576 } }, "prod").feedbackQuota.producerByteRate, 1048576);
        assert.deepEqual(streamingIssues({ ...raw, feedbackQuota: { requestPercentage: 10 } }, "prod", { training: true, serving: false }), []);
        assert.deepEqual(streamingIssues({ ...raw, feedbackQuota: { requestPercentage: 10 } }, "prod", { training: false, serving: true }),
            ["hybridml:streaming.feedbackQuota limits the feedback users of a Kafka training stack (this stack has no training role): remove it"]);
        const pulsar = { ...rawStreaming("pulsar"), replicas: 4, replicationFactor: 3, minInSyncReplicas: 2, feedbackQuota: {} };
        assert.match(streamingIssues(pulsar, "prod", { training: true, serving: false }).join("\n"), /feedbackQuota .*engine is pulsar/);
    });

    it("Pulsar outside dev: bookies >= ensemble + 1, so a restarting bookie leaves a spare", () => {
        const issues = streamingIssues({ ...rawStreaming("pulsar"), replicas: 3, replicationFactor: 3, minInSyncReplicas: 2 }, "prod", { training: true, serving: false });
        assert.deepEqual(issues, [
            "hybridml:streaming.replicas must be >= replicationFactor + 1 with Pulsar outside dev (got 3 bookies for an ensemble of 3): a restarting bookie must leave a spare, or writes stop until it is back",
        ]);
        assert.deepEqual(streamingIssues({ ...rawStreaming("pulsar"), replicas: 4, replicationFactor: 3, minInSyncReplicas: 2 }, "prod", { training: true, serving: false }), []);
        // Kafka has no such rule (a broker restart keeps min ISR with RF 3).
        assert.deepEqual(streamingIssues({ ...rawStreaming("kafka"), replicas: 3, replicationFactor: 3, minInSyncReplicas: 2 }, "prod", { training: true, serving: false }), []);
    });

    it("k3s: the floors count the hosts streaming pods can run on (GPU hosts are tainted); the shipped edge has 4 for 3 ZooKeepers and 4 bookies", () => {
        const edge = resolveWith("edge", JSON.parse(readStackConfig("edge").config["hybridml:streaming"]));
        assert.equal(edge.streaming.replicas, 4);
        assert.equal(edge.cluster.provider === "k3s" && edge.cluster.hosts.filter((h) => !h.gpu).length, 4);
        // The edge of before: one server without GPUs and two tainted GPU hosts could never place them.
        const pulsar = { ...rawStreaming("pulsar"), replicas: 4, replicationFactor: 3, minInSyncReplicas: 2 };
        assert.deepEqual(streamingIssues(pulsar, "edge", { training: false, serving: true }, { clusterProvider: "k3s", schedulableHosts: 1 }), [
            "hybridml:cluster.hosts has 1 host(s) without GPUs, but 3 ZooKeepers and 4 bookies need 4 hosts outside dev (one per host; GPU hosts are tainted): add hosts without gpu to hybridml:cluster.hosts or lower hybridml:streaming.replicas",
        ]);
        assert.deepEqual(streamingIssues(pulsar, "edge", { training: false, serving: true }, { clusterProvider: "k3s", schedulableHosts: 4 }), []);
        // Unknown host counts (clouds, existing clusters) are not judged; dev is not either.
        assert.deepEqual(streamingIssues(pulsar, "edge", { training: false, serving: true }, { clusterProvider: "onprem" }), []);
        assert.deepEqual(streamingIssues({ ...pulsar, replicas: 1, replicationFactor: 1, minInSyncReplicas: 1 }, "dev", { training: true, serving: true }, { clusterProvider: "k3s", schedulableHosts: 1 }), []);
    });

    it("Kafka rack key: the zone on the clouds, the host on-prem; a key the platform does not guarantee is refused", () => {
        assert.equal(resolveWith("prod-training", { engine: "kafka" }).streaming.rackTopologyKey, "kubernetes.io/hostname");
        assert.equal(resolveWith("prod-aws", { engine: "kafka" }).streaming.rackTopologyKey, "topology.kubernetes.io/zone");
        const onprem = issuesOf(() => resolveWith("prod-training", { engine: "kafka", rackTopologyKey: "topology.kubernetes.io/zone" }));
        assert.deepEqual(onprem.filter((i) => i.includes("rackTopologyKey")), [
            "hybridml:streaming.rackTopologyKey \"topology.kubernetes.io/zone\" is not a label provider onprem guarantees on every node (guaranteed: kubernetes.io/hostname): Strimzi's broker init container exits on a node without it; use one of those or remove the key",
        ]);
        assert.equal(resolveWith("prod-gcp", { engine: "kafka", rackTopologyKey: "topology.kubernetes.io/region" }).streaming.rackTopologyKey, "topology.kubernetes.io/region");
        const pulsar = issuesOf(() => resolveWith("dev", { engine: "pulsar", rackTopologyKey: "kubernetes.io/hostname" }));
        assert.ok(pulsar.includes("hybridml:streaming.rackTopologyKey is only used with engine kafka (engine is pulsar): remove it"), pulsar.join("\n"));
    });

    it("dev may run 1/1/1 but not min ISR above RF or RF above replicas", () => {
        assert.doesNotThrow(() => resolveWith("dev", { engine: "pulsar", replicas: 1, replicationFactor: 1, minInSyncReplicas: 1 }));
        const issues = issuesOf(() => resolveWith("dev", { engine: "pulsar", replicas: 1, replicationFactor: 2, minInSyncReplicas: 3 }));
        assert.ok(issues.includes("hybridml:streaming.minInSyncReplicas must be <= replicationFactor (got 3 > 2)"), issues.join("\n"));
        assert.ok(issues.some((i) => i.startsWith("hybridml:streaming.replicationFactor must be <= replicas (got 2 > 1)")), issues.join("\n"));
    });

    it("feedbackProducers and bootstrap only on training stacks, no duplicates; topics need a feedback topic when replicating", () => {
        const serving = issuesOf(() => resolveWith("prod-aws", { engine: "kafka", feedbackProducers: ["prod-gcp"] }));
        assert.ok(serving.some((i) => i.startsWith("hybridml:streaming.feedbackProducers is a training stack's list")), serving.join("\n"));
        const bootstrap = issuesOf(() => resolveWith("prod-aws", { engine: "kafka", bootstrap: "kafka.example:9094" }));
        assert.ok(bootstrap.some((i) => i.startsWith("hybridml:streaming.bootstrap is the address a training stack publishes")), bootstrap.join("\n"));
        const dup = issuesOf(() => resolveWith("prod-training", { feedbackProducers: ["prod-aws", "prod-aws"] }));
        assert.ok(dup.some((i) => i.startsWith("hybridml:streaming.feedbackProducers lists a stack twice")), dup.join("\n"));
        const noFeedback = issuesOf(() => resolveWith("prod-training", { topics: [{ name: "features" }] }));
        assert.ok(noFeedback.some((i) => i.startsWith("hybridml:streaming.topics has no feedback topic")), noFeedback.join("\n"));
        const badTopic = issuesOf(() => resolveWith("prod-training", { topics: [{ name: "Features_1", feedback: true }] }));
        assert.ok(badTopic.some((i) => i.startsWith("hybridml:streaming.topics[0].name")), badTopic.join("\n"));
    });

    it("engine mismatch and a serving stack the training stack does not accept: errors naming the keys", () => {
        const issues = streamingContractIssues({ engine: "kafka", crossClusterReplication: true }, "edge",
            { stack: "acme/hybridml/dev", engine: "pulsar", feedbackProducers: ["prod-aws"] });
        assert.equal(issues.length, 2);
        assert.match(issues[0], /^hybridml:streaming\.engine is "kafka" but training stack acme\/hybridml\/dev runs "pulsar": .*set hybridml:streaming\.engine: pulsar/);
        assert.match(issues[1], /^hybridml:streaming\.feedbackProducers of training stack acme\/hybridml\/dev does not list this stack \(edge\): add "edge"/);
        assert.deepEqual(streamingContractIssues({ engine: "pulsar", crossClusterReplication: true }, "edge", { stack: "d", engine: "pulsar", feedbackProducers: ["edge"] }), []);
        assert.deepEqual(streamingContractIssues({ engine: "pulsar", crossClusterReplication: false }, "edge", { stack: "d", engine: "pulsar", feedbackProducers: [] }), []);
    });

    it("a feedback topic with other partitions than the training stack's mirror of it is refused, naming the topic's key", () => {
        const topics = [
            { name: "inference-requests", partitions: 3, feedback: false, retentionHours: 72 },
            { name: "inference-feedback", partitions: 12, feedback: true, retentionHours: 336 },
        ];
        const training = { stack: "acme/hybridml/prod-training", engine: "kafka", feedbackProducers: ["edge"], feedbackPartitions: { "inference-feedback": 6 } };
        assert.deepEqual(streamingContractIssues({ engine: "kafka", crossClusterReplication: true, topics }, "edge", training), [
            "hybridml:streaming.topics[1].partitions is 12 but training stack acme/hybridml/prod-training mirrors inference-feedback into 6 partitions: "
            + "replication maps partition to partition and this stack's replication user may not add partitions there; set partitions: 6",
        ]);
        topics[1].partitions = 6;
        assert.deepEqual(streamingContractIssues({ engine: "kafka", crossClusterReplication: true, topics }, "edge", training), []);
        // Not replicating, or a training stack that predates the field: nothing to compare.
        topics[1].partitions = 12;
        assert.deepEqual(streamingContractIssues({ engine: "kafka", crossClusterReplication: false, topics }, "edge", training), []);
        assert.deepEqual(streamingContractIssues({ engine: "kafka", crossClusterReplication: true, topics }, "edge", { ...training, feedbackPartitions: undefined }), []);
    });

    it("the training stacks publish the partitions of their feedback topics", () => {
        assert.deepEqual(feedbackPartitions(resolveWith("prod-training", {}).streaming.topics), { "inference-feedback": 6 });
    });
});
