/**
 * The streaming components under Pulumi mocks: exact children, providers and parents, CRs depending
 * on the operator release, protect flags, secrets (CA key, SCRAM passwords, tokens) and schema validity.
 */
import * as assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { customCaSecrets, KafkaCluster } from "../../components/streaming/kafkaCluster";
import { feedbackProducerUser, mirrorSourceUser, requestLoggerUser, trainingUser } from "../../components/streaming/kafkaSpecs";
import { KafkaMirror } from "../../components/streaming/kafkaMirror";
import { verifyPulsarToken } from "../../components/streaming/jwt";
import { Pulsar } from "../../components/streaming/pulsar";
import { PulsarGeoReplication } from "../../components/streaming/pulsarGeoReplication";
import { pulsarFreeFormValues } from "../../components/streaming/pulsarSpecs";
import { certGenerationOf, StreamingCa } from "../../components/streaming/streamingCa";
import { StrimziOperator } from "../../components/streaming/strimziOperator";
import { defaultTopics } from "../../config/streaming";
import { validateRecordedCustomResource } from "../helpers/crds";
import { RecordedResource, runMocked, SecretValue, settle } from "../helpers/run";
import { unknownValuesKeys } from "../helpers/values";

const kubeconfig = "apiVersion: v1\nkind: Config\n";
const DAY_MS = 86_400_000;
const ISSUED_AT = Date.UTC(2026, 11, 4);

const isSecret = (v: unknown) => v instanceof SecretValue;
const providerUrn = (r: RecordedResource) => r.provider.split("::").slice(0, 4).join("::");

describe("streaming components (mocked)", () => {
    it("StrimziOperator: pinned OCI chart, watched namespace created first", async () => {
        const rec = await runMocked(() => new StrimziOperator("op", { provider: new k8s.Provider("c", { kubeconfig }), watchNamespaces: ["kafka"] }));
        const release = rec.one("kubernetes:helm.sh/v3:Release");
        const v = rec.inputs(release);
        assert.equal(v.chart, "oci://quay.io/strimzi-helm/strimzi-kafka-operator");
        assert.equal(v.version, "1.2.0");
        assert.equal(v.namespace, "strimzi-system");
        assert.deepEqual(v.values.watchNamespaces, ["kafka"]);
        const watched = rec.one("kubernetes:core/v1:Namespace", "watch-kafka");
        assert.ok(release.dependencies.includes(watched.urn));
        assert.deepEqual(unknownValuesKeys(v.values, "strimzi/values-strimzi-kafka-operator.yaml"), []);
        // Helm never upgrades a chart's crds/: the pinned version's CRDs are applied explicitly, before the release, which skips its own.
        assert.equal(v.skipCrds, true);
        const crds = rec.one("kubernetes:yaml/v2:ConfigGroup");
        const files = rec.inputs(crds).files as string[];
        assert.equal(files.length, 10);
        for (const f of files) assert.match(f, /^https:\/\/raw\.githubusercontent\.com\/strimzi\/strimzi-kafka-operator\/1\.2\.0\/install\/cluster-operator\/04\d-Crd-[a-z0-9]+\.yaml$/);
        // The locked copies of the same tag are among them (the schemas the tests validate against).
        for (const f of ["040-Crd-kafka.yaml", "043-Crd-kafkatopic.yaml", "044-Crd-kafkauser.yaml", "045-Crd-kafkanodepool.yaml", "048-Crd-kafkamirrormaker2.yaml"]) {
            assert.ok(files.some((u) => u.endsWith(`/${f}`)), f);
        }
        assert.ok(release.dependencies.includes(crds.urn));
        // The CRDs go to the server as it stores them (no perpetual diff on the kafkas CRD).
        assert.deepEqual(crds.transforms, ["storedCrdSchemas"]);
        const kept = await runMocked(() => new StrimziOperator("op", { provider: new k8s.Provider("c", { kubeconfig }), watchNamespaces: ["kafka"], protect: true }));
        assert.deepEqual([kept.one("kubernetes:yaml/v2:ConfigGroup").protect, kept.one("kubernetes:yaml/v2:ConfigGroup").retainOnDelete], [true, true]);
    });

    describe("StreamingCa renewal (Strimzi custom CA)", () => {
        const caOf = (generation: number, protect = true) => runMocked(() => new StreamingCa("ca", { tlsProvider: new tls.Provider("t", {}), commonName: "CA", generation, protect }));
        it("generation 0 keeps its names; the key is protected, the certificate renews itself 30 days before its end", async () => {
            const rec = await caOf(0);
            const key = rec.one("tls:index/privateKey:PrivateKey");
            const cert = rec.one("tls:index/selfSignedCert:SelfSignedCert");
            assert.deepEqual([key.name, cert.name], ["ca-key", "ca-cert"]);
            assert.deepEqual([key.protect, cert.protect], [true, false], "a protected certificate could not be re-issued");
            assert.equal(cert.inputs.earlyRenewalHours, 720);
            assert.equal((await settle(rec.value.trustBundlePem)).value, (await settle(rec.value.certPem)).value);
            assert.equal((await settle(rec.value.certGeneration)).value, certGenerationOf("2026-12-04T00:00:00Z"));
        });
        it("a key replacement adds the new generation (protected) and keeps the previous one unprotected in the trust bundle; older ones go", async () => {
            const rec = await caOf(2);
            const keys = rec.ofType("tls:index/privateKey:PrivateKey").map((k) => [k.name, k.protect]);
            assert.deepEqual(keys, [["ca-key-g2", true], ["ca-key-g1", false]]);
            const bundle = (await settle(rec.value.trustBundlePem)).value ?? "";
            assert.deepEqual(bundle.match(/fake-[a-z0-9-]+/g), ["fake-ca-cert-g2", "fake-ca-cert-g1"]);
            assert.equal(rec.value.keyGeneration, 2);
        });
        it("the Strimzi Secrets carry both generations and keep the previous certificate under another name", () => {
            const s = customCaSecrets({ certPem: "NEW", privateKeyPem: "KEY", certGeneration: 491000, keyGeneration: 2, previousCertPem: "OLD" }, { cert: "c-cert", key: "c-key" });
            assert.deepEqual(Object.keys(s.cert.stringData), ["ca.crt", "ca-g1.crt"]);
            assert.equal(s.key.annotations["strimzi.io/ca-key-generation"], "2");
            assert.deepEqual(Object.keys(customCaSecrets({ certPem: "C", privateKeyPem: "K" }, { cert: "a", key: "b" }).cert.stringData), ["ca.crt"]);
            assert.equal(certGenerationOf("2026-12-04T00:00:00Z") < certGenerationOf("2027-01-01T00:00:00Z"), true, "a later certificate has a higher generation");
        });
    });

    it("KafkaCluster: paused reconciliation while a CA key is replaced (Strimzi's documented order)", async () => {
        const rec = await runMocked(() => {
            const provider = new k8s.Provider("c", { kubeconfig });
            const op = new StrimziOperator("op", { provider, watchNamespaces: ["kafka"] });
            const tlsProvider = new tls.Provider("tls", {});
            return new KafkaCluster("k", {
                provider, namespace: "kafka", clusterName: "training", operator: op.release, brokers: 3, replicationFactor: 3, minInSyncReplicas: 2, storageSize: "10Gi",
                topics: [], ca: new StreamingCa("ca", { tlsProvider, commonName: "CA", generation: 1 }), clientsCa: new StreamingCa("cl", { tlsProvider, commonName: "CL", generation: 1 }),
                pauseReconciliation: true,
            });
        });
        const kafka = rec.inputs(rec.one("kubernetes:kafka.strimzi.io/v1:Kafka"));
        assert.deepEqual(kafka.metadata.annotations, { "strimzi.io/pause-reconciliation": "true" });
        const cert = rec.inputs(rec.one("kubernetes:core/v1:Secret", "k-cluster-ca-cert"));
        assert.deepEqual(Object.keys(cert.stringData).sort(), ["ca-g0.crt", "ca.crt"]);
        assert.match(cert.stringData["ca-g0.crt"], /fake-ca-cert\n/, "generation 0's certificate kept");
        assert.equal(rec.inputs(rec.one("kubernetes:core/v1:Secret", "k-cluster-ca")).metadata.annotations["strimzi.io/ca-key-generation"], "1");
        assert.deepEqual(validateRecordedCustomResource("kubernetes:kafka.strimzi.io/v1:Kafka", kafka), []);
    });

    describe("KafkaCluster (training side)", () => {
        let rec: Awaited<ReturnType<typeof runMocked<KafkaCluster>>>;
        before(async () => {
            rec = await runMocked(() => {
                const provider = new k8s.Provider("c", { kubeconfig });
                const op = new StrimziOperator("op", { provider, watchNamespaces: ["kafka"] });
                const tlsProvider = new tls.Provider("tls", {});
                const ca = new StreamingCa("ca", { tlsProvider, commonName: "test CA" });
                const clientsCa = new StreamingCa("clients-ca", { tlsProvider, commonName: "test clients CA" });
                const monitoring = new k8s.helm.v3.Release("mon", { chart: "kube-prometheus-stack", version: "88.3.0" }, { provider });
                return new KafkaCluster("k", {
                    provider, randomProvider: new random.Provider("rnd", {}), namespace: "kafka", clusterName: "training", operator: op.release,
                    brokers: 3, replicationFactor: 3, minInSyncReplicas: 2, storageSize: "500Gi",
                    topics: defaultTopics, extraTopics: [{ topicName: "prod-aws.inference-feedback", resourceName: "prod-aws.inference-feedback", topic: defaultTopics[2] }],
                    users: [trainingUser(defaultTopics, ["prod-aws"]), feedbackProducerUser("prod-aws", ["inference-feedback"]), requestLoggerUser(defaultTopics)],
                    external: { bootstrapHost: "kafka.example" }, ca, clientsCa, tlsProvider, monitoring, protect: true,
                });
            });
        });

        it("registers exactly the expected children", () => {
            const kinds = rec.resources.filter((r) => r.parent.endsWith("::k")).map((r) => `${r.type.split(":").pop()}/${r.name}`).sort();
            assert.deepEqual(kinds, [
                "Kafka/k-kafka", "KafkaNodePool/k-brokers", "KafkaNodePool/k-controllers",
                "KafkaTopic/k-topic-features", "KafkaTopic/k-topic-inference-feedback", "KafkaTopic/k-topic-inference-requests",
                "KafkaTopic/k-topic-model-events", "KafkaTopic/k-topic-prod-aws.inference-feedback",
                "KafkaUser/k-user-feedback-prod-aws", "KafkaUser/k-user-request-logger", "KafkaUser/k-user-training", "PodMonitor/k-podmonitor",
                "RandomPassword/k-feedback-prod-aws-password",
                "Secret/k-clients-ca", "Secret/k-clients-ca-cert", "Secret/k-cluster-ca", "Secret/k-cluster-ca-cert", "Secret/k-feedback-prod-aws-scram",
                "tls:index/certRequest:CertRequest/k-request-logger-csr", "tls:index/locallySignedCert:LocallySignedCert/k-request-logger-cert",
                "tls:index/privateKey:PrivateKey/k-request-logger-key",
            ].map((x) => x.replace(/^tls:index\/\w+:/, "")).sort());
        });

        it("every child has its parent and an explicit provider; every CR depends on the operator release and validates", () => {
            const op = rec.one("kubernetes:helm.sh/v3:Release", "op-release");
            const k8sProvider = rec.one("pulumi:providers:kubernetes");
            for (const r of rec.resources.filter((x) => x.parent.endsWith("::k"))) {
                assert.ok(r.provider !== "", `${r.name} has a provider`);
                if (r.type.startsWith("kubernetes:")) assert.equal(providerUrn(r), k8sProvider.urn, r.name);
                if (/kafka\.strimzi\.io/.test(r.type)) {
                    assert.ok(r.dependencies.includes(op.urn), `${r.name} depends on the operator`);
                    assert.deepEqual(validateRecordedCustomResource(r.type, r.inputs), [], r.name);
                }
            }
            assert.equal(providerUrn(rec.one("random:index/randomPassword:RandomPassword")), rec.one("pulumi:providers:random").urn);
            assert.equal(providerUrn(rec.one("tls:index/locallySignedCert:LocallySignedCert")), rec.one("pulumi:providers:tls").urn);
        });

        it("protects the Kafka CR, its node pools and the topics (deleting a KafkaTopic deletes the topic and its data)", () => {
            assert.equal(rec.one("kubernetes:kafka.strimzi.io/v1:Kafka").protect, true);
            for (const p of rec.ofType("kubernetes:kafka.strimzi.io/v1:KafkaNodePool")) assert.equal(p.protect, true);
            const topics = rec.ofType("kubernetes:kafka.strimzi.io/v1:KafkaTopic");
            assert.ok(topics.length > 0);
            for (const t of topics) assert.equal(t.protect, true, t.name);
            for (const u of rec.ofType("kubernetes:kafka.strimzi.io/v1:KafkaUser")) assert.equal(u.protect, false, u.name);
        });

        it("custom CA secrets Strimzi reads (key is secret); SCRAM password secret referenced by its KafkaUser", () => {
            const cert = rec.one("kubernetes:core/v1:Secret", "k-cluster-ca-cert");
            assert.equal(rec.inputs(cert).metadata.name, "training-cluster-ca-cert");
            assert.deepEqual(rec.inputs(cert).metadata.labels, { "strimzi.io/cluster": "training", "strimzi.io/kind": "Kafka" });
            // Generations from the CA: the certificate's start hour (a renewed certificate is higher), the key's generation.
            assert.equal(rec.inputs(cert).metadata.annotations["strimzi.io/ca-cert-generation"], String(certGenerationOf("2026-12-04T00:00:00Z")));
            assert.equal(rec.inputs(rec.one("kubernetes:core/v1:Secret", "k-cluster-ca")).metadata.annotations["strimzi.io/ca-key-generation"], "0");
            assert.equal(rec.inputs(rec.one("kubernetes:kafka.strimzi.io/v1:Kafka")).metadata.annotations, undefined, "reconciliation not paused");
            const key = rec.one("kubernetes:core/v1:Secret", "k-cluster-ca");
            assert.equal(rec.inputs(key).metadata.name, "training-cluster-ca");
            assert.ok(isSecret((key.inputs.stringData as Record<string, unknown>)["ca.key"]) || isSecret(key.inputs.stringData), "ca.key is secret");
            const scram = rec.one("kubernetes:core/v1:Secret", "k-feedback-prod-aws-scram");
            assert.ok(isSecret((scram.inputs.stringData as Record<string, unknown>).password) || isSecret(scram.inputs.stringData));
            assert.equal(rec.inputs(scram).stringData.password, "fake-random-password-0123456789abcdef");
            const user = rec.one("kubernetes:kafka.strimzi.io/v1:KafkaUser", "feedback-prod-aws");
            assert.equal(rec.inputs(user).spec.authentication.password.valueFrom.secretKeyRef.name, rec.inputs(scram).metadata.name);
            assert.ok(user.dependencies.includes(scram.urn));
            const kafka = rec.one("kubernetes:kafka.strimzi.io/v1:Kafka");
            assert.ok(kafka.dependencies.includes(cert.urn) && kafka.dependencies.includes(key.urn));
            const clients = rec.one("kubernetes:core/v1:Secret", "k-clients-ca");
            assert.equal(rec.inputs(clients).metadata.name, "training-clients-ca");
            assert.ok(kafka.dependencies.includes(clients.urn));
        });

        it("the PodMonitor depends on the monitoring release; scramPasswords is a secret output", async () => {
            const pm = rec.one("kubernetes:monitoring.coreos.com/v1:PodMonitor");
            assert.ok(pm.dependencies.includes(rec.one("kubernetes:helm.sh/v3:Release", "mon").urn));
            assert.deepEqual(validateRecordedCustomResource(pm.type, pm.inputs), []);
            const pw = await settle(rec.value.scramPasswords);
            assert.equal(pw.secret, true);
            assert.deepEqual(Object.keys(pw.value ?? {}), ["feedback-prod-aws"]);
            const certs = await settle(rec.value.clientCertificates);
            assert.equal(certs.secret, true);
            assert.deepEqual(Object.keys(certs.value ?? {}), ["request-logger"]);
            const csr = rec.one("tls:index/certRequest:CertRequest");
            assert.deepEqual(rec.inputs(csr).subject, { commonName: "request-logger" });
            assert.equal(rec.inputs(rec.one("kubernetes:kafka.strimzi.io/v1:KafkaUser", "request-logger")).spec.authentication.type, "tls-external");
        });
    });

    it("KafkaMirror: target CA and password in Secrets (password secret), MM2 CR after operator, local Kafka and Secrets", async () => {
        const rec = await runMocked(() => {
            const provider = new k8s.Provider("c", { kubeconfig });
            const op = new StrimziOperator("op", { provider, watchNamespaces: ["kafka"] });
            const local = new k8s.apiextensions.CustomResource("local", { apiVersion: "kafka.strimzi.io/v1", kind: "Kafka", metadata: { name: "feedback" } }, { provider });
            return new KafkaMirror("m", {
                provider, namespace: "kafka", operator: op.release, localKafka: local,
                source: { alias: "prod-aws", bootstrap: "feedback-kafka-bootstrap.kafka.svc:9093", caSecretName: "feedback-cluster-ca-cert", userSecretName: mirrorSourceUser([]).name },
                target: { alias: "training", bootstrap: "kafka.example:9094", caCert: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n", username: "feedback-prod-aws", password: pulumi.secret("pw") },
                topics: ["inference-feedback"],
            });
        });
        const mm2 = rec.one("kubernetes:kafka.strimzi.io/v1:KafkaMirrorMaker2");
        assert.deepEqual(validateRecordedCustomResource(mm2.type, mm2.inputs), []);
        const pw = rec.one("kubernetes:core/v1:Secret", "target-password");
        assert.ok(isSecret(pw.inputs.stringData) || isSecret((pw.inputs.stringData as Record<string, unknown>).password));
        for (const dep of [rec.one("kubernetes:helm.sh/v3:Release").urn, rec.one("kubernetes:kafka.strimzi.io/v1:Kafka").urn, pw.urn, rec.one("kubernetes:core/v1:Secret", "target-ca").urn]) {
            assert.ok(mm2.dependencies.includes(dep), dep);
        }
        assert.equal(rec.inputs(mm2).spec.target.authentication.passwordSecret.secretName, rec.inputs(pw).metadata.name);
        assert.equal(rec.inputs(mm2).spec.mirrors[0].source.authentication.certificateAndKey.secretName, "mirror-maker");
    });

    describe("Pulsar", () => {
        let rec: Awaited<ReturnType<typeof runMocked<Pulsar>>>;
        before(async () => {
            rec = await runMocked(() => {
                const provider = new k8s.Provider("c", { kubeconfig });
                const ca = new StreamingCa("ca", { tlsProvider: new tls.Provider("tls", {}), commonName: "test CA" });
                return new Pulsar("p", {
                    provider, tlsProvider: new tls.Provider("tls-p", {}), tokenIssuedAt: ISSUED_AT, namespace: "pulsar", clusterName: "prod-training",
                    replicas: 3, writeQuorum: 3, ackQuorum: 2, storageSize: "100Gi", exposeProxy: true, ca, topics: defaultTopics,
                    trainingRole: "training", feedbackRoles: ["feedback-edge"], protect: true,
                });
            });
        });
        it("the chart pinned to 4.7.0, protected, values keys known, after its Secrets", () => {
            const release = rec.one("kubernetes:helm.sh/v3:Release");
            const v = rec.inputs(release);
            assert.deepEqual([v.chart, v.version, v.repositoryOpts.repo, v.name, v.namespace], ["pulsar", "4.7.0", "https://pulsar.apache.org/charts", "pulsar", "pulsar"]);
            assert.equal(release.protect, true);
            assert.deepEqual(unknownValuesKeys(v.values, "pulsar/values.yaml", pulsarFreeFormValues), []);
            assert.equal(v.values.broker.podMonitor.enabled, false, "no PodMonitor without the platform's Prometheus");
            for (const s of rec.ofType("kubernetes:core/v1:Secret")) assert.ok(release.dependencies.includes(s.urn), s.name);
        });
        it("token key and role tokens: the public key (DER) only in the cluster, expiring RS256 tokens signed by the private key", async () => {
            const names = rec.ofType("kubernetes:core/v1:Secret").map((s) => rec.inputs(s).metadata.name).sort();
            assert.deepEqual(names, ["pulsar-ca-tls", "pulsar-token-admin", "pulsar-token-asymmetric-key", "pulsar-token-broker-admin", "pulsar-token-proxy-admin", "pulsar-token-training"]);
            const keyPair = rec.one("tls:index/privateKey:PrivateKey", "p-token-key");
            assert.deepEqual([keyPair.inputs.algorithm, keyPair.inputs.rsaBits], ["RSA", 2048]);
            const { publicKeyPem } = await settle(rec.value.tokenPublicKeyPem).then((o) => ({ publicKeyPem: o.value ?? "" }));
            const key = rec.ofType("kubernetes:core/v1:Secret").find((s) => rec.inputs(s).metadata.name === "pulsar-token-asymmetric-key")!;
            assert.deepEqual(Object.keys(rec.inputs(key).data), ["PUBLICKEY"], "never the private key");
            assert.equal(rec.inputs(key).data.PUBLICKEY, createPublicKey(publicKeyPem).export({ type: "spki", format: "der" }).toString("base64"));
            const admin = rec.ofType("kubernetes:core/v1:Secret").find((s) => rec.inputs(s).metadata.name === "pulsar-token-admin");
            assert.ok(admin && (isSecret(admin.inputs.stringData) || isSecret((admin.inputs.stringData as Record<string, unknown>).TOKEN)));
            assert.equal(verifyPulsarToken(rec.inputs(admin!).stringData.TOKEN, publicKeyPem, ISSUED_AT), "admin");
            const tokens = await settle(rec.value.roleTokens);
            assert.equal(tokens.secret, true);
            const edge = tokens.value?.["feedback-edge"] ?? "";
            assert.equal(verifyPulsarToken(edge, publicKeyPem, ISSUED_AT), "feedback-edge");
            // Expires with the default lifetime: valid at least half of it from issue, never past a whole one.
            assert.equal(verifyPulsarToken(edge, publicKeyPem, ISSUED_AT + 90 * DAY_MS - 1), "feedback-edge");
            assert.equal(verifyPulsarToken(edge, publicKeyPem, ISSUED_AT + 180 * DAY_MS), undefined);
        });
        it("the streams Job runs the pinned pulsar image after the release, with the admin token and CA mounted", () => {
            const job = rec.one("kubernetes:batch/v1:Job");
            assert.ok(job.dependencies.includes(rec.one("kubernetes:helm.sh/v3:Release").urn));
            const spec = rec.inputs(job).spec.template.spec;
            assert.equal(spec.containers[0].image, "apachepulsar/pulsar:4.0.12");
            assert.deepEqual(spec.volumes.map((v: { secret?: { secretName: string }; emptyDir?: object; name: string }) => v.secret?.secretName ?? `emptyDir:${v.name}`),
                ["pulsar-token-admin", "pulsar-ca-tls", "emptyDir:scratch", "emptyDir:pulsar-logs"]);
            // Restricted: read-only root filesystem, writable scratch only where the CLI writes.
            assert.equal(spec.containers[0].securityContext.readOnlyRootFilesystem, true);
            assert.deepEqual(spec.containers[0].volumeMounts.filter((m: { readOnly?: boolean }) => !m.readOnly).map((m: { mountPath: string }) => m.mountPath), ["/tmp", "/pulsar/logs"]);
            assert.match(spec.containers[0].command[2], /grant-permission hybridml\/feedback --role 'feedback-edge' --actions produce/);
        });
    });

    it("PulsarGeoReplication: the remote token in a secret Secret, the Job after the local release", async () => {
        const rec = await runMocked(() => {
            const provider = new k8s.Provider("c", { kubeconfig });
            const rel = new k8s.helm.v3.Release("pulsar", { chart: "pulsar", version: "4.7.0" }, { provider });
            return new PulsarGeoReplication("g", {
                provider, namespace: "pulsar", localCluster: "edge",
                local: { adminUrl: "https://pulsar-broker.pulsar.svc.cluster.local:8443", adminTokenSecret: "pulsar-token-admin", caSecret: "pulsar-ca-tls" },
                remote: { clusterName: "dev", host: "pulsar.dev.example", brokerPort: 6651, webPort: 443, token: pulumi.secret("eyJ.token.sig") },
                dependsOn: [rel],
            });
        });
        const secret = rec.one("kubernetes:core/v1:Secret");
        assert.ok(isSecret(secret.inputs.stringData) || isSecret((secret.inputs.stringData as Record<string, unknown>).token));
        const job = rec.one("kubernetes:batch/v1:Job");
        assert.ok(job.dependencies.includes(rec.one("kubernetes:helm.sh/v3:Release").urn));
        assert.ok(job.dependencies.includes(secret.urn));
        assert.doesNotMatch(JSON.stringify(rec.inputs(job)), /eyJ\.token/);
    });
});
