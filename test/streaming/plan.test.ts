/**
 * The streaming backbone in the offline plans of the shipped stacks: both engines planned, the four
 * streams, TLS and authentication, feedback replication from serving to training wired from the
 * training stack's outputs (CA and credentials through the StackReference, masked), durability
 * settings per environment, no secret in clear, and the engine-mismatch error.
 */
import * as assert from "node:assert/strict";
import { ConfigError } from "../../config/resolve";
import { Plan, PlanResult, planStack, readStackConfig } from "../../tools/plan/plan";
import { reveal, SecretValue } from "../../tools/plan/recorder";
import { validateRecordedCustomResource } from "../helpers/crds";
import { shippedPlans } from "../helpers/fleet";

const STREAMS = ["features", "inference-requests", "inference-feedback", "model-events"];
const K = "kubernetes:kafka.strimzi.io/v1:";
const ofType = (p: Plan, t: string) => p.resources.filter((r) => r.type === t);
const one = (p: Plan, t: string, suffix = "") => {
    const found = ofType(p, t).filter((r) => r.name.endsWith(suffix));
    assert.equal(found.length, 1, `${p.stack}: one ${t} *${suffix} (found ${found.map((r) => r.name).join(", ")})`);
    return found[0];
};
const helm = (p: Plan, chart: string) => ofType(p, "kubernetes:helm.sh/v3:Release").filter((r) => String(r.inputs.chart).endsWith(chart));

describe("streaming in the offline plans", function () {
    this.timeout(120_000);
    let results: Map<string, PlanResult>;
    const plan = (s: string) => {
        const r = results.get(s);
        assert.ok(r && !r.error, `${s}: ${r?.error?.message}`);
        return r.plan;
    };
    before(async () => {
        results = await shippedPlans();
    });

    describe("Kafka (prod-training -> prod-gcp)", () => {
        it("training: Strimzi operator, KRaft Kafka RF 3 / min ISR 2, node pools 3+3, four streams, protected", () => {
            const p = plan("prod-training");
            const op = one(p, "kubernetes:helm.sh/v3:Release", "strimzi-release");
            const kafka = one(p, `${K}Kafka`);
            const cfg = (kafka.inputs.spec as any).kafka.config;
            assert.deepEqual([cfg["default.replication.factor"], cfg["min.insync.replicas"], cfg["offsets.topic.replication.factor"], cfg["transaction.state.log.min.isr"]], [3, 2, 3, 2]);
            assert.deepEqual(ofType(p, `${K}KafkaNodePool`).map((n) => [(n.inputs.spec as any).roles[0], (n.inputs.spec as any).replicas, n.protect]),
                [["controller", 3, true], ["broker", 3, true]]);
            assert.equal(kafka.protect, true);
            const topics = ofType(p, `${K}KafkaTopic`).map((t) => (t.inputs.spec as any).topicName ?? (t.inputs.metadata as any).name);
            assert.deepEqual(topics, [...STREAMS, "prod-aws.inference-feedback", "prod-gcp.inference-feedback", "prod-azure.inference-feedback"]);
            for (const t of ofType(p, `${K}KafkaTopic`)) assert.equal((t.inputs.spec as any).replicas, 3);
            for (const r of p.resources.filter((x) => x.type.startsWith(K))) {
                assert.ok(r.dependencies.includes(op.urn), `${r.name} depends on the operator`);
                assert.deepEqual(validateRecordedCustomResource(r.type, r.inputs), [], r.name);
            }
            const listeners = (kafka.inputs.spec as any).kafka.listeners;
            assert.deepEqual(listeners.map((l: any) => [l.name, l.type, l.tls, l.authentication.type]), [["tls", "internal", true, "tls"], ["external", "loadbalancer", true, "scram-sha-512"]]);
        });

        it("training: one SCRAM user per listed serving stack (password Secret masked), plus the training user", () => {
            const p = plan("prod-training");
            assert.deepEqual(ofType(p, `${K}KafkaUser`).map((u) => (u.inputs.metadata as any).name).sort(),
                ["feedback-prod-aws", "feedback-prod-azure", "feedback-prod-gcp", "training"]);
            for (const s of ["prod-aws", "prod-gcp", "prod-azure"]) {
                // Masked: "[secret]", or "[unknown]" while the password is not generated yet (preview).
                const secret = one(p, "kubernetes:core/v1:Secret", `feedback-${s}-scram`);
                assert.match(JSON.stringify(secret.inputs.stringData), /^("\[(secret|unknown)\]"|\{"password":"\[(secret|unknown)\]"\})$/, s);
            }
        });

        it("training exports streaming {engine, bootstrap, caCert, feedbackTopics, feedbackProducers} and the credentials as a secret", () => {
            const o = plan("prod-training").outputs;
            const { exposure, ...rest } = o.streaming as Record<string, any>;
            assert.deepEqual(rest, {
                engine: "kafka", bootstrap: "kafka.training.acme.example:9094", caCert: "[unknown]",
                feedbackTopics: ["inference-feedback"], feedbackPartitions: { "inference-feedback": 6 }, feedbackProducers: ["prod-aws", "prod-gcp", "prod-azure"],
            });
            assert.deepEqual(exposure.sans.slice(0, 2), ["kafka.training.acme.example", "kafka-{nodeId}.training.acme.example"]);
            assert.equal(o.streamingReplicationCredentials, "[secret]");
        });

        it("serving: a small local Kafka with the four streams and MirrorMaker 2 to the training bootstrap as its own user", () => {
            const p = plan("prod-gcp");
            const ref = one(p, "pulumi:pulumi:StackReference");
            assert.equal(ref.outputs?.streamingReplicationCredentials, "[secret]");
            assert.deepEqual(ofType(p, `${K}KafkaTopic`).map((t) => (t.inputs.metadata as any).name), STREAMS);
            const kafka = one(p, `${K}Kafka`);
            assert.equal((kafka.inputs.metadata as any).name, "feedback");
            assert.equal((kafka.inputs.spec as any).kafka.listeners.length, 1, "no external listener on a serving cluster");
            const mm2 = one(p, `${K}KafkaMirrorMaker2`);
            const spec = mm2.inputs.spec as any;
            assert.equal(spec.target.bootstrapServers, (plan("prod-training").outputs.streaming as any).bootstrap);
            assert.equal(spec.target.authentication.username, "feedback-prod-gcp");
            assert.equal(spec.mirrors[0].source.alias, "prod-gcp");
            assert.deepEqual(validateRecordedCustomResource(mm2.type, mm2.inputs), []);
            for (const s of ["mirror-target-ca", "mirror-target-password"]) {
                assert.equal(one(p, "kubernetes:core/v1:Secret", s).inputs.stringData, "[secret]", s);
                assert.ok(mm2.dependencies.includes(one(p, "kubernetes:core/v1:Secret", s).urn));
            }
        });

        it("serving built from a training stack's concrete outputs: the CA and this stack's password come from the StackReference, masked", async () => {
            const training = results.get("prod-training")!;
            const pem = "-----BEGIN CERTIFICATE-----\nTRAININGCA\n-----END CERTIFICATE-----\n";
            const outputs = {
                ...training.rawOutputs,
                streaming: { ...(training.rawOutputs.streaming as object), caCert: pem },
                streamingReplicationCredentials: new SecretValue({
                    "prod-gcp": { username: "feedback-prod-gcp", password: "gcp-s3cret-password" },
                    "prod-aws": { username: "feedback-prod-aws", password: "aws-s3cret-password" },
                }),
            };
            const r = await planStack("prod-gcp", { references: () => outputs });
            assert.equal(r.error, undefined, r.error?.message);
            const rec = (suffix: string) => r.recorded.find((x) => x.name.endsWith(suffix))!;
            assert.equal((reveal(rec("mirror-target-ca").inputs) as any).stringData["ca.crt"], pem);
            assert.equal((reveal(rec("mirror-target-password").inputs) as any).stringData.password, "gcp-s3cret-password");
            // The CA certificate is public (it shows in the reference's outputs); passwords never show.
            assert.doesNotMatch(JSON.stringify(r.plan), /s3cret-password/);
            assert.equal(r.plan.resources.find((x) => x.name.endsWith("mirror-target-password"))?.inputs.stringData, "[secret]");
            assert.equal((r.plan.resources.find((x) => x.type === "pulumi:pulumi:StackReference")?.outputs as any).streamingReplicationCredentials, "[secret]");
        });
    });

    describe("Pulsar (dev -> edge)", () => {
        it("dev (training + serving): the chart with dev sizing 1/1/1, TLS, JWT, no bundled monitoring, streams Job; feedback sink on the same engine", () => {
            const p = plan("dev");
            const [rel] = helm(p, "pulsar");
            const v = rel.inputs.values as any;
            assert.deepEqual([v.bookkeeper.replicaCount, v.broker.replicaCount, v.zookeeper.replicaCount], [1, 1, 1]);
            assert.deepEqual(v.broker.configData, { managedLedgerDefaultEnsembleSize: "1", managedLedgerDefaultWriteQuorum: "1", managedLedgerDefaultAckQuorum: "1" });
            assert.deepEqual([v.tls.broker.enabled, v.tls.proxy.enabled, v.auth.authentication.jwt.enabled], [true, true, true]);
            assert.equal(v["victoria-metrics-k8s-stack"].enabled, false);
            assert.equal(rel.protect, false);
            assert.deepEqual(v.tls.proxy.dnsNames, ["pulsar.dev-lab.acme.example"], "the external address is on the proxy certificate");
            assert.equal(v.proxy.service.type, "LoadBalancer");
            const job = one(p, "kubernetes:batch/v1:Job", "pulsar-streams");
            const script = (job.inputs.spec as any).template.spec.containers[0].command[2] as string;
            for (const s of STREAMS) assert.match(script, new RegExp(`create-partitioned-topic persistent://hybridml/(streams|feedback)/${s} `));
            assert.match(script, /grant-permission hybridml\/feedback --role 'feedback-edge' --actions produce/);
            const { exposure, ...streaming } = plan("dev").outputs.streaming as Record<string, any>;
            assert.deepEqual(streaming, {
                engine: "pulsar", bootstrap: "pulsar.dev-lab.acme.example:6651", caCert: "[unknown]",
                feedbackTopics: ["inference-feedback"], feedbackPartitions: { "inference-feedback": 6 }, feedbackProducers: ["edge"], clusterName: "dev",
            });
            assert.deepEqual(exposure.allowedSources, ["192.0.2.10/32", "192.0.2.11/32", "192.0.2.12/32", "192.0.2.13/32", "192.0.2.21/32", "192.0.2.22/32"]);
            assert.equal(plan("dev").outputs.streamingReplicationCredentials, "[secret]");
        });

        it("edge: its own Pulsar at the prod floor (4 bookies: quorum 3/2 plus a spare), one ZooKeeper/bookie per host, protected, and the geo-replication Job to dev", () => {
            const p = plan("edge");
            const [rel] = helm(p, "pulsar");
            const v = rel.inputs.values as any;
            assert.deepEqual(v.broker.configData, { managedLedgerDefaultEnsembleSize: "3", managedLedgerDefaultWriteQuorum: "3", managedLedgerDefaultAckQuorum: "2" });
            assert.equal(v.bookkeeper.replicaCount, 4);
            assert.equal(v.zookeeper.replicaCount, 3);
            for (const c of ["zookeeper", "bookkeeper"]) assert.equal(v[c].affinity.type, "requiredDuringSchedulingIgnoredDuringExecution", c);
            assert.equal(v.proxy.affinity.type, "preferredDuringSchedulingIgnoredDuringExecution");
            assert.equal(v.clusterName, "edge");
            assert.equal(rel.protect, true);
            const job = one(p, "kubernetes:batch/v1:Job", "georep-job");
            const script = (job.inputs.spec as any).template.spec.containers[0].command[2] as string;
            assert.match(script, /clusters create 'dev'/);
            assert.match(script, /--url-secure https:\/\/pulsar\.dev-lab\.acme\.example:443 --broker-url-secure pulsar\+ssl:\/\/pulsar\.dev-lab\.acme\.example:6651/);
            assert.ok(job.dependencies.includes(rel.urn));
            assert.equal(one(p, "kubernetes:core/v1:Secret", "georep-remote-token").inputs.stringData, "[secret]");
            assert.equal(one(p, "kubernetes:core/v1:Secret", "pulsar-remote-ca").inputs.stringData, "[secret]");
        });
    });

    it("no password, token, private key or generated secret in clear in any of these plans", () => {
        for (const s of ["prod-training", "prod-gcp", "dev", "edge"]) {
            const text = JSON.stringify(plan(s));
            assert.doesNotMatch(text, /BEGIN [A-Z ]*PRIVATE KEY|eyJ[A-Za-z0-9_-]{5,}\.|fake-random|ZmFrZS1yYW5k/, s);
        }
    });

    it("a serving stack on another engine than its training stack: one config error naming hybridml:streaming.engine, nothing but the reference registered", async () => {
        const cfg = readStackConfig("edge");
        const config = { ...cfg.config, "hybridml:streaming": JSON.stringify({ engine: "kafka" }) };
        const dev = results.get("dev")!;
        const r = await planStack("edge", { stackConfig: { ...cfg, config }, references: () => dev.rawOutputs });
        assert.ok(r.error instanceof ConfigError, String(r.error));
        assert.match(r.error.message, /hybridml:streaming\.engine is "kafka" but training stack acme\/hybridml\/dev runs "pulsar"/);
        assert.deepEqual(r.recorded.filter((x) => x.custom && !x.type.startsWith("pulumi:")).map((x) => x.type), []);
    });
});
