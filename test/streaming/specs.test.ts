/**
 * Pure specs of the streaming components: every Strimzi CR validated against the Strimzi 1.2.0 CRDs
 * (schema and CEL rules), chart values keys against the charts' values files, topics and ACLs,
 * the pulsar-admin scripts' idempotence, and the JWT tokens.
 */
import * as assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { validateCustomResource } from "../helpers/crds";
import { chartValues, unknownValuesKeys } from "../helpers/values";
import {
    feedbackProducerUser, kafkaPodMonitorSpec, kafkaSpec, KafkaUserInput, mirrorMaker2Spec, mirroredTopic, mirrorSourceUser,
    nodePoolSpec, requestLoggerUser, STRIMZI_API, strimziOperatorValues, topicSpec, trainingUser, userSpec,
} from "../../components/streaming/kafkaSpecs";
import {
    geoReplicationScript, pulsarFreeFormValues, pulsarTopic, pulsarValues, PulsarValuesInput, streamsScript,
} from "../../components/streaming/pulsarSpecs";
import { publicKeyDerBase64, signPulsarToken, tokenExpiry, verifyPulsarToken } from "../../components/streaming/jwt";
import { defaultTopics } from "../../config/streaming";

const cr = (kind: string, spec: unknown, apiVersion = STRIMZI_API) =>
    ({ apiVersion, kind, metadata: { name: "x", namespace: "kafka", labels: { "strimzi.io/cluster": "training" } }, spec });
const valid = (kind: string, spec: unknown, apiVersion?: string) => assert.deepEqual(validateCustomResource(cr(kind, spec, apiVersion)), [], kind);

describe("streaming: Strimzi 1.2.0 custom resources (kafka.strimzi.io/v1)", () => {
    const prod = kafkaSpec({ version: "4.3.1", rackTopologyKey: "topology.kubernetes.io/zone", replicationFactor: 3, minInSyncReplicas: 2, external: { bootstrapHost: "kafka.training.acme.example" } });

    it("Kafka (KRaft): mTLS internal + SCRAM external TLS listeners, simple authz, rack, RF/ISR on internal topics, custom CA", () => {
        valid("Kafka", prod);
        const k = prod.kafka as Record<string, any>;
        assert.deepEqual(k.listeners, [
            { name: "tls", port: 9093, type: "internal", tls: true, authentication: { type: "tls" } },
            { name: "external", port: 9094, type: "loadbalancer", tls: true, authentication: { type: "scram-sha-512" },
                configuration: {
                    // Named by external-dns (bootstrap and every broker), brokers advertise those names; no allow-list given: none set.
                    externalTrafficPolicy: "Local",
                    bootstrap: { alternativeNames: ["kafka.training.acme.example"], annotations: { "external-dns.alpha.kubernetes.io/hostname": "kafka.training.acme.example" } },
                    advertisedHostTemplate: "kafka-{nodeId}.training.acme.example",
                    perBrokerAnnotationsTemplate: { "external-dns.alpha.kubernetes.io/hostname": "kafka-{nodeId}.training.acme.example" },
                } },
        ]);
        const listed = kafkaSpec({ version: "4.3.1", rackTopologyKey: "topology.kubernetes.io/zone", replicationFactor: 3, minInSyncReplicas: 2, external: { bootstrapHost: "kafka.training.acme.example", allowedSources: ["198.51.100.7/32"] } });
        valid("Kafka", listed);
        assert.deepEqual(((listed.kafka as any).listeners[1].configuration).loadBalancerSourceRanges, ["198.51.100.7/32"]);
        assert.deepEqual(k.authorization, { type: "simple" });
        assert.deepEqual(k.rack, { topologyKey: "topology.kubernetes.io/zone" });
        assert.equal(k.version, "4.3.1", "Kafka pinned: an operator upgrade must not upgrade the brokers by surprise");
        assert.equal(k.config["offsets.topic.replication.factor"], 3);
        assert.equal(k.config["transaction.state.log.replication.factor"], 3);
        assert.equal(k.config["transaction.state.log.min.isr"], 2);
        assert.equal(k.config["default.replication.factor"], 3);
        assert.equal(k.config["min.insync.replicas"], 2);
        assert.equal(k.metricsConfig.type, "strimziMetricsReporter");
        assert.deepEqual(prod.clusterCa, { generateCertificateAuthority: false });
        assert.deepEqual(prod.clientsCa, { generateCertificateAuthority: false });
        assert.ok((prod.entityOperator as Record<string, unknown>).topicOperator && (prod.entityOperator as Record<string, unknown>).userOperator);
        assert.equal("zookeeper" in prod, false);
    });

    it("an internal-only Kafka (serving side) and dev sizing are valid too", () => {
        const dev = kafkaSpec({ version: "4.3.1", rackTopologyKey: "kubernetes.io/hostname", replicationFactor: 1, minInSyncReplicas: 1 });
        valid("Kafka", dev);
        assert.equal((dev.kafka as { listeners: unknown[] }).listeners.length, 1);
        assert.equal((dev.kafka as { config: Record<string, number> }).config["offsets.topic.replication.factor"], 1);
    });

    it("the validator evaluates the CRD's CEL rules: a metrics or rack config they refuse fails", () => {
        const k = prod.kafka as Record<string, unknown>;
        const badMetrics = { ...prod, kafka: { ...k, metricsConfig: { type: "jmxPrometheusExporter" } } };
        assert.match(validateCustomResource(cr("Kafka", badMetrics)).join("\n"), /valueFrom property is required/);
        const badRack = { ...prod, kafka: { ...k, rack: { type: "topology-label" } } };
        assert.notDeepEqual(validateCustomResource(cr("Kafka", badRack)), []);
    });

    it("KafkaNodePools: controllers and brokers on JBOD persistent claims, deleteClaim false outside dev", () => {
        const brokers = nodePoolSpec({ role: "broker", replicas: 3, size: "500Gi", deleteClaim: false, storageClass: "ceph-block", cluster: "training", pool: "brokers", rackTopologyKey: "topology.kubernetes.io/zone" });
        const controllers = nodePoolSpec({ role: "controller", replicas: 3, size: "10Gi", deleteClaim: false, cluster: "training", pool: "controllers", rackTopologyKey: "kubernetes.io/hostname" });
        valid("KafkaNodePool", brokers);
        valid("KafkaNodePool", controllers);
        assert.deepEqual(brokers.roles, ["broker"]);
        assert.deepEqual(controllers.roles, ["controller"]);
        // Strimzi adds no spread constraints when rack is set: the pools spread their pods over hosts and the rack key themselves.
        const spread = (p: any) => p.template.pod.topologySpreadConstraints.map((c: any) => [c.topologyKey, c.maxSkew, c.whenUnsatisfiable, c.labelSelector.matchLabels["strimzi.io/pool-name"]]);
        assert.deepEqual(spread(brokers), [["kubernetes.io/hostname", 1, "DoNotSchedule", "brokers"], ["topology.kubernetes.io/zone", 1, "DoNotSchedule", "brokers"]]);
        assert.deepEqual(spread(controllers), [["kubernetes.io/hostname", 1, "DoNotSchedule", "controllers"]]);
        assert.deepEqual(brokers.storage, { type: "jbod", volumes: [{ id: 0, type: "persistent-claim", size: "500Gi", deleteClaim: false, kraftMetadata: "shared", class: "ceph-block" }] });
    });

    it("KafkaTopics: the four streams with partitions, replicas, retention and min ISR from config", () => {
        assert.deepEqual(defaultTopics.map((t) => t.name), ["features", "inference-requests", "inference-feedback", "model-events"]);
        assert.deepEqual(defaultTopics.filter((t) => t.feedback).map((t) => t.name), ["inference-feedback"]);
        for (const t of defaultTopics) {
            const spec = topicSpec(t, 3, 2);
            valid("KafkaTopic", spec);
            assert.deepEqual(spec, { partitions: t.partitions, replicas: 3, config: { "retention.ms": t.retentionHours * 3_600_000, "min.insync.replicas": 2, "cleanup.policy": "delete" } });
        }
        valid("KafkaTopic", topicSpec(defaultTopics[2], 3, 2, "prod-aws.inference-feedback"));
    });

    describe("KafkaUsers and least-privilege ACLs", () => {
        const feedback = ["inference-feedback"];
        const users: KafkaUserInput[] = [
            trainingUser(defaultTopics, ["prod-aws"]), feedbackProducerUser("prod-aws", feedback), mirrorSourceUser(feedback), requestLoggerUser(defaultTopics),
        ];
        it("every user is a valid KafkaUser", () => {
            for (const u of users) valid("KafkaUser", userSpec(u));
        });
        it("a feedback user carries its broker quotas; the CRD refuses a negative one", () => {
            const quotas = { producerByteRate: 5242880, requestPercentage: 25, controllerMutationRate: 2 };
            const spec = userSpec(feedbackProducerUser("prod-aws", feedback, quotas));
            assert.deepEqual(spec.quotas, quotas);
            valid("KafkaUser", spec);
            assert.equal(userSpec(trainingUser(defaultTopics, ["prod-aws"])).quotas, undefined);
            assert.throws(() => valid("KafkaUser", userSpec(feedbackProducerUser("prod-aws", feedback, { producerByteRate: -1 }))));
        });
        it("a serving stack's replication user writes only its own mirrored feedback topic and its Connect topics; never reads features", () => {
            const u = feedbackProducerUser("prod-aws", feedback);
            assert.equal(u.authentication, "scram-sha-512");
            assert.deepEqual(userSpec(u).authentication, { type: "scram-sha-512", password: { valueFrom: { secretKeyRef: { name: "feedback-prod-aws-scram", key: "password" } } } });
            const topicAcls = u.acls.filter((a) => a.resource.type === "topic");
            assert.deepEqual(topicAcls[0], { resource: { type: "topic", name: "prod-aws.inference-feedback", patternType: "literal" }, operations: ["Write", "Describe"] });
            for (const a of topicAcls) {
                assert.ok(a.resource.name === mirroredTopic("prod-aws", "inference-feedback") || a.resource.name?.startsWith("mirrormaker2-prod-aws-"), JSON.stringify(a));
                assert.ok(!(a.resource.patternType === "prefix" && "features".startsWith(a.resource.name ?? "")), "no prefix covering features");
            }
            const canRead = (name: string) => topicAcls.some((a) => a.operations.includes("Read")
                && (a.resource.patternType === "prefix" ? name.startsWith(a.resource.name ?? "") : a.resource.name === name));
            assert.equal(canRead("features"), false);
            assert.equal(canRead("inference-requests"), false);
            assert.equal(canRead("prod-gcp.inference-feedback"), false);
            assert.equal(u.acls.some((a) => a.resource.type === "cluster"), false);
        });
        it("the training user reads every stream and the mirrored feedback, and writes no feedback", () => {
            const t = trainingUser(defaultTopics, ["prod-aws", "prod-gcp"]);
            const ops = (name: string) => t.acls.find((a) => a.resource.name === name)?.operations;
            assert.deepEqual(ops("features"), ["Read", "Write", "Describe"]);
            assert.deepEqual(ops("inference-feedback"), ["Read", "Describe"]);
            assert.deepEqual(ops("prod-gcp.inference-feedback"), ["Read", "Describe"]);
        });
        it("serving-side users: MirrorMaker reads feedback only; the request logger writes requests and feedback only", () => {
            const mm = mirrorSourceUser(feedback);
            assert.equal(mm.acls.some((a) => a.resource.name === "features"), false);
            assert.deepEqual(userSpec(requestLoggerUser(defaultTopics)).authentication, { type: "tls-external" });
            assert.deepEqual(requestLoggerUser(defaultTopics).acls.map((a) => [a.resource.name, a.operations]),
                [["inference-requests", ["Write", "Describe"]], ["inference-feedback", ["Write", "Describe"]]]);
        });
    });

    it("KafkaMirrorMaker2: local feedback to training with SCRAM + the training CA, DefaultReplicationPolicy", () => {
        const spec = mirrorMaker2Spec({
            sourceAlias: "prod-aws", sourceBootstrap: "feedback-kafka-bootstrap.kafka.svc:9093", sourceCaSecret: "feedback-cluster-ca-cert",
            sourceUserSecret: "mirror-maker", targetAlias: "training", targetBootstrap: "kafka.training.acme.example:9094",
            targetCaSecret: "training-cluster-ca", targetUsername: "feedback-prod-aws", targetPasswordSecret: "training-replication",
            topics: ["inference-feedback"], replicas: 2,
        });
        valid("KafkaMirrorMaker2", spec);
        const target = spec.target as Record<string, any>;
        assert.deepEqual(target.authentication, { type: "scram-sha-512", username: "feedback-prod-aws", passwordSecret: { secretName: "training-replication", password: "password" } });
        assert.deepEqual(target.tls, { trustedCertificates: [{ secretName: "training-cluster-ca", certificate: "ca.crt" }] });
        assert.equal(target.groupId, "mirrormaker2-prod-aws");
        const mirror = (spec.mirrors as Array<Record<string, any>>)[0];
        assert.equal(mirror.source.alias, "prod-aws");
        assert.equal(mirror.topicsPattern, "inference-feedback");
        assert.equal(mirror.sourceConnector.config["replication.policy.class"], "org.apache.kafka.connect.mirror.DefaultReplicationPolicy");
        // The Connect topics the target user may use are exactly the ones MirrorMaker is told to use.
        const acl = feedbackProducerUser("prod-aws", ["inference-feedback"]).acls.find((a) => a.resource.patternType === "prefix");
        for (const t of [target.configStorageTopic, target.statusStorageTopic, target.offsetStorageTopic]) assert.ok(String(t).startsWith(acl?.resource.name ?? "?"), t);
    });

    it("PodMonitor for the metrics reporter validates against the prometheus-operator CRD", () => {
        assert.deepEqual(validateCustomResource({ apiVersion: "monitoring.coreos.com/v1", kind: "PodMonitor", metadata: { name: "k", namespace: "kafka" }, spec: kafkaPodMonitorSpec("training", "kafka") }), []);
    });

    it("Strimzi operator values: every key exists in the chart; watches exactly the given namespaces", () => {
        const v = strimziOperatorValues(["kafka"]);
        assert.deepEqual(unknownValuesKeys(v, "strimzi/values-strimzi-kafka-operator.yaml"), []);
        assert.deepEqual(v.watchNamespaces, ["kafka"]);
        assert.equal(v.watchAnyNamespace, false);
    });
});

describe("streaming: Apache Pulsar chart values and admin scripts", () => {
    const base: PulsarValuesInput = {
        clusterName: "prod-training", namespace: "pulsar", dev: false, replicas: 3, ensembleSize: 3, writeQuorum: 3, ackQuorum: 2,
        storageSize: "100Gi", storageClass: "ceph-block", exposeProxy: true, proxyHost: "pulsar.example", podMonitors: true, remoteCa: true,
    };
    it("every values key exists in pulsar/values.yaml (4.7.0)", () => {
        assert.deepEqual(unknownValuesKeys(pulsarValues(base), "pulsar/values.yaml", pulsarFreeFormValues), []);
        assert.deepEqual(unknownValuesKeys(pulsarValues({ ...base, dev: true, storageClass: undefined, remoteCa: false, podMonitors: false }), "pulsar/values.yaml", pulsarFreeFormValues), []);
    });
    it("quorums, sizing, TLS on broker and proxy, JWT key-pair auth, bundled monitoring off", () => {
        const v = pulsarValues(base) as Record<string, any>;
        assert.deepEqual(v.broker.configData, { managedLedgerDefaultEnsembleSize: "3", managedLedgerDefaultWriteQuorum: "3", managedLedgerDefaultAckQuorum: "2" });
        assert.equal(v.bookkeeper.replicaCount, 3);
        assert.equal(v.broker.replicaCount, 3);
        assert.equal(v.zookeeper.replicaCount, 3);
        assert.deepEqual(v.bookkeeper.pdb, { usePolicy: true, maxUnavailable: 1 });
        assert.deepEqual([v.tls.enabled, v.tls.broker.enabled, v.tls.proxy.enabled], [true, true, true]);
        assert.deepEqual(v.auth.authentication, { enabled: true, jwt: { enabled: true, usingSecretKey: false } });
        assert.equal(v.auth.authorization.enabled, true);
        assert.equal(v["victoria-metrics-k8s-stack"].enabled, false);
        assert.equal(v.components.functions, false);
        assert.equal(v.proxy.service.type, "LoadBalancer");
        const dev = pulsarValues({ ...base, dev: true, replicas: 1, ensembleSize: 1, writeQuorum: 1, ackQuorum: 1, exposeProxy: false, podMonitors: false }) as Record<string, any>;
        assert.deepEqual([dev.zookeeper.replicaCount, dev.bookkeeper.replicaCount, dev.proxy.replicaCount, dev.broker.podMonitor.enabled, dev.proxy.service.type], [1, 1, 1, false, "ClusterIP"]);
    });

    it("placement per component (the chart reads only <component>.affinity): ZooKeeper and bookies one per host, the rest preferred; none on dev", () => {
        const v = pulsarValues(base) as Record<string, any>;
        const req = "requiredDuringSchedulingIgnoredDuringExecution";
        const pref = "preferredDuringSchedulingIgnoredDuringExecution";
        for (const c of ["zookeeper", "bookkeeper"]) assert.deepEqual(v[c].affinity, { anti_affinity: true, anti_affinity_topology_key: "kubernetes.io/hostname", type: req }, c);
        for (const c of ["broker", "proxy", "autorecovery"]) assert.deepEqual(v[c].affinity, { anti_affinity: true, anti_affinity_topology_key: "kubernetes.io/hostname", type: pref }, c);
        // The chart's own default for the proxy is hard anti-affinity: ours overrides it.
        assert.equal((chartValues("pulsar/values.yaml") as any).proxy.affinity.type, req);
        const dev = pulsarValues({ ...base, dev: true }) as Record<string, any>;
        for (const c of ["zookeeper", "bookkeeper", "broker", "proxy", "autorecovery"]) assert.equal(dev[c].affinity.anti_affinity, false, c);
    });

    const admin = { adminUrl: "https://pulsar-broker.pulsar.svc.cluster.local:8443", caPath: "/pulsar/ca/ca.crt", tokenPath: "/pulsar/admin-token/TOKEN" };
    /** Every line that creates something is guarded by a check of the same object on the same line. */
    const assertGuardedCreates = (script: string) => {
        const creates = script.split("\n").filter((l) => /\$A \S+ create/.test(l));
        assert.ok(creates.length > 0);
        for (const line of creates) assert.match(line, /^if (!\s)?\$A \S+ (get|list|list-partitioned-topics) /, line);
    };
    it("the streams Job's script checks before it creates (tenant, namespaces, partitioned topics) and sets quorums and retention", () => {
        const s = streamsScript({ ...admin, clusterName: "dev", topics: defaultTopics, ensembleSize: 3, writeQuorum: 3, ackQuorum: 2, trainingRole: "training", feedbackRoles: ["feedback-edge"] });
        assertGuardedCreates(s);
        // One-way replication into training (upstream 1-way geo-replication): training registers and allows no serving
        // cluster and replicates nowhere; it merges only itself into the tenant's clusters.
        assert.doesNotMatch(s, /clusters create|set-allowed-clusters|set-clusters/);
        assert.match(s, /tenants create hybridml --allowed-clusters 'dev'; fi/);
        assert.match(s, /for c in dev; do case ",\$new," in/);
        assert.match(s, /^set -eu/);
        assert.match(s, /if ! \$A topics list-partitioned-topics hybridml\/feedback \| grep -qx 'persistent:\/\/hybridml\/feedback\/inference-feedback'; then \$A topics create-partitioned-topic persistent:\/\/hybridml\/feedback\/inference-feedback --partitions 6; fi/);
        assert.match(s, /set-persistence hybridml\/feedback --bookkeeper-ensemble 3 --bookkeeper-write-quorum 3 --bookkeeper-ack-quorum 2/);
        assert.match(s, /topics set-retention persistent:\/\/hybridml\/streams\/features --time 168h/);
        assert.match(s, /grant-permission hybridml\/feedback --role 'feedback-edge' --actions produce\n/);
        assert.doesNotMatch(s, /grant-permission hybridml\/streams --role 'feedback-edge'/);
    });
    it("the geo-replication Job's script is idempotent: cluster create-or-update, tenant create-or-update, namespace checked, set-clusters", () => {
        const s = geoReplicationScript({ ...admin, localCluster: "edge", remoteCluster: "dev", remoteHost: "pulsar-proxy.pulsar.svc", remoteBrokerPort: 6651, remoteWebPort: 443, remoteTokenPath: "/pulsar/remote/token" });
        assertGuardedCreates(s);
        assert.match(s, /if \$A clusters get 'dev' >\/dev\/null 2>&1; then \$A clusters update 'dev' "\$@"; else \$A clusters create 'dev' "\$@"; fi/);
        assert.match(s, /--broker-url-secure pulsar\+ssl:\/\/pulsar-proxy.pulsar.svc:6651/);
        assert.match(s, /--tls-trust-certs-filepath \/pulsar\/certs\/remote\/ca.crt/);
        assert.match(s, /namespaces set-clusters hybridml\/feedback --clusters 'edge,dev'/);
        assert.doesNotMatch(s, /eyJ/, "no token in the script: it is read from the mounted Secret");
    });
    it("topic addresses: feedback in its own (replicated) namespace", () => {
        assert.equal(pulsarTopic("inference-feedback", true), "persistent://hybridml/feedback/inference-feedback");
        assert.equal(pulsarTopic("features", false), "persistent://hybridml/streams/features");
    });
    it("JWT tokens: RS256, deterministic within a rotation window, verifiable only with the key pair's public key, expiring", () => {
        const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048, privateKeyEncoding: { type: "pkcs1", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
        const other = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
        const day = 86_400_000;
        const issued = Date.UTC(2026, 11, 4, 12);
        const exp = tokenExpiry(issued, 180);
        // Windows of 90 days: the same exp (and token) all window long, between 90 and 180 days ahead.
        assert.equal(tokenExpiry(issued + day, 180), exp);
        assert.ok(exp * 1000 - issued >= 90 * day && exp * 1000 - issued <= 180 * day);
        assert.notEqual(tokenExpiry(issued + 91 * day, 180), exp);
        const t = signPulsarToken("feedback-edge", privateKey, exp);
        assert.equal(t, signPulsarToken("feedback-edge", privateKey, exp));
        assert.equal(verifyPulsarToken(t, publicKey, issued), "feedback-edge");
        assert.equal(verifyPulsarToken(t, other.publicKey, issued), undefined);
        assert.equal(verifyPulsarToken(t, publicKey, exp * 1000), undefined, "expired");
        assert.deepEqual(JSON.parse(Buffer.from(t.split(".")[0], "base64url").toString()), { alg: "RS256" });
        assert.deepEqual(JSON.parse(Buffer.from(t.split(".")[1], "base64url").toString()), { sub: "feedback-edge", exp });
        // The broker's key file: DER, as `pulsar tokens create-key-pair` writes it.
        assert.deepEqual(Buffer.from(publicKeyDerBase64(publicKey), "base64"), createPublicKey(publicKey).export({ type: "spki", format: "der" }));
    });
});
