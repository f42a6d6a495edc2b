import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GPU_NODE_LABEL, gpuToleration } from "../../components/clusters/types";
import { CertManager, certManagerValues } from "../../components/serving/certManager";
import { FeedbackSink, sinkPipeline, sinkUrl, streamPort } from "../../components/serving/feedbackSink";
import { InferenceService, inferenceServiceSpec, predictorSelector } from "../../components/serving/inferenceService";
import { KServe, kserveResourcesValues, kserveRuntimeValues, RUNTIME_VALUES_KEYS } from "../../components/serving/kserve";
import { KSERVE_RUNTIMES } from "../../config/serving";
import { versions } from "../../lib/versions";
import { validateCustomResource } from "../helpers/crds";
import { RecordedResource, runMocked, SecretValue } from "../helpers/run";
import { unknownValuesKeys } from "../helpers/values";

const provider = () => new k8s.Provider("k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
const childOf = (r: RecordedResource, parent: RecordedResource) => {
    assert.equal(r.parent, parent.urn, `${r.name} is not a child of ${parent.name}`);
    assert.match(r.provider, /pulumi:providers:kubernetes::k8s::/, `${r.name} has no explicit provider`);
};

const base = {
    storageUri: "s3://prod-aws-models/fraud-detector/3.2.0",
    serviceAccountName: "model-reader",
    gpuScheduling: { nodeSelector: { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value }, toleration: gpuToleration() },
    scaling: { minReplicas: 1, maxReplicas: 3, metric: "cpu" as const, target: 70 },
    resources: { requests: { cpu: "1", memory: "4Gi" }, limits: { cpu: "2", memory: "8Gi" } },
    loggerUrl: sinkUrl("models"),
};
const gpuModel = { name: "fraud-detector", version: "3.2.0", format: "onnx", runtime: "kserve-tritonserver", gpu: 1 };
const cpuModel = { name: "churn", version: "0.9.1", format: "sklearn", runtime: "kserve-sklearnserver", gpu: 0 };
const isvc = (spec: Record<string, unknown>, name = "fraud-detector") => ({
    apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService", metadata: { name, namespace: "models" }, spec,
});

describe("serving: Helm values", () => {
    it("cert-manager installs and keeps its CRDs; every key exists in the chart's values", () => {
        const v = certManagerValues(2) as any;
        assert.deepEqual(v.crds, { enabled: true, keep: true });
        assert.equal(v.webhook.replicaCount, 2);
        assert.equal(v.podDisruptionBudget.enabled, true);
        assert.equal((certManagerValues(1) as any).podDisruptionBudget.enabled, false);
        assert.deepEqual(unknownValuesKeys(v, "cert-manager/values-cert-manager.yaml"), []);
    });

    it("kserve-resources runs in Standard mode (the chart default is Knative) without ingress creation", () => {
        const v = kserveResourcesValues() as any;
        assert.equal(v.kserve.controller.deploymentMode, "Standard");
        assert.equal(v.kserve.controller.gateway.disableIngressCreation, true);
        // No storage.s3 settings: the chart reads them only for credentials it creates, and pod identity needs none.
        assert.equal(v.kserve.storage, undefined);
        assert.deepEqual(unknownValuesKeys(v, "kserve/values-kserve-resources.yaml"), []);
    });

    it("kserve-runtime-configs enables exactly the requested runtimes, pins Triton, and never the `latest` vllm", () => {
        const v = kserveRuntimeValues(["kserve-tritonserver", "kserve-huggingfaceserver", "kserve-sklearnserver"]) as any;
        const sr = v.kserve.servingruntime;
        assert.equal(sr.enabled, true);
        assert.deepEqual(sr.tritonserver, { disabled: false, tag: versions.servingImages.tritonTag });
        assert.equal(sr.huggingfaceserver.disabled, false);
        assert.equal(sr.sklearnserver.disabled, false);
        assert.equal(sr.xgbserver.disabled, true);
        assert.equal(sr.torchserve.disabled, true);
        assert.equal(sr.vllmserver.disabled, true);
        assert.deepEqual(unknownValuesKeys(v, "kserve/values-kserve-runtime-configs.yaml"), []);
        assert.throws(() => kserveRuntimeValues(["kserve-nope"]), /unknown KServe serving runtime\(s\) kserve-nope/);
    });

    it("the config's runtime list and the component's agree", () => {
        assert.deepEqual(KSERVE_RUNTIMES, RUNTIME_VALUES_KEYS);
    });
});

describe("serving: InferenceService spec", () => {
    it("a GPU model gets GPU limits, the GPU taint toleration and node selector, probes, logger, and validates", () => {
        const spec = inferenceServiceSpec({ ...base, model: gpuModel });
        const p = spec.predictor;
        assert.deepEqual(p.nodeSelector, { "hybridml.io/node-pool": "gpu" });
        assert.deepEqual(p.tolerations, [{ key: "nvidia.com/gpu", operator: "Equal", value: "true", effect: "NoSchedule" }]);
        assert.equal(p.model.resources.limits["nvidia.com/gpu"], "1");
        assert.equal(p.model.resources.requests["nvidia.com/gpu"], "1");
        assert.deepEqual(p.model.modelFormat, { name: "onnx" });
        assert.equal(p.model.runtime, "kserve-tritonserver");
        assert.equal(p.model.storageUri, base.storageUri);
        assert.equal(p.serviceAccountName, "model-reader");
        assert.deepEqual([p.minReplicas, p.maxReplicas, p.scaleMetric, p.scaleTarget], [1, 3, "cpu", 70]);
        assert.equal(p.model.readinessProbe.httpGet.path, "/v2/health/ready");
        assert.equal(p.model.livenessProbe.httpGet.path, "/v2/health/live");
        assert.deepEqual(p.logger, { mode: "all", url: "http://feedback-sink.models.svc.cluster.local:8080/" });
        assert.deepEqual(validateCustomResource(isvc(spec)), []);
    });

    it("a CPU model has no GPU resource, toleration or node selector, and validates", () => {
        const spec = inferenceServiceSpec({ ...base, model: cpuModel, podLabels: { "azure.workload.identity/use": "true" } });
        const p = spec.predictor;
        assert.equal(p.nodeSelector, undefined);
        assert.equal(p.tolerations, undefined);
        assert.equal(p.model.resources.limits["nvidia.com/gpu"], undefined);
        assert.deepEqual(p.labels, { "azure.workload.identity/use": "true" });
        assert.deepEqual(validateCustomResource(isvc(spec, "churn")), []);
    });

    it("the validator catches a bad spec (it could fail)", () => {
        const spec = inferenceServiceSpec({ ...base, model: gpuModel });
        spec.predictor.scaleMetric = "latency";
        assert.ok(validateCustomResource(isvc(spec)).some((e) => /scaleMetric/.test(e)));
    });
});

describe("serving: components under mocks", () => {
    it("CertManager: one pinned release with the CRDs, on the given provider", async () => {
        const rec = await runMocked(() => new CertManager("s", { provider: provider(), replicas: 2 }));
        const c = rec.one("hybridml:serving:CertManager");
        const r = rec.one("kubernetes:helm.sh/v3:Release");
        assert.equal(r.name, "s-chart");
        childOf(r, c);
        const i = rec.inputs(r);
        assert.deepEqual([i.chart, i.version, i.repositoryOpts.repo, i.namespace, i.createNamespace], ["cert-manager", "v1.21.1", "https://charts.jetstack.io", "cert-manager", undefined]);
        // The namespace is the program's (Helm never deletes a namespace it created, so destroy would leave it).
        const ns = rec.one("kubernetes:core/v1:Namespace");
        childOf(ns, c);
        assert.ok(r.dependencies.includes(ns.urn));
    });

    it("KServe: CRD, resources (after cert-manager) and runtimes (after the controller), pinned to the OCI charts", async () => {
        const rec = await runMocked(() => {
            const p = provider();
            const cm = new CertManager("cm", { provider: p });
            return new KServe("s", { provider: p, certManager: cm.release, runtimes: ["kserve-tritonserver"] });
        });
        const k = rec.one("hybridml:serving:KServe");
        const [crd, res, rt] = ["s-crd", "s-resources", "s-runtimes"].map((n) => rec.one("kubernetes:helm.sh/v3:Release", n));
        for (const r of [crd, res, rt]) {
            childOf(r, k);
            assert.equal(rec.inputs(r).version, "v0.20.0");
            assert.equal(rec.inputs(r).namespace, "kserve");
        }
        assert.equal(rec.inputs(crd).chart, "oci://ghcr.io/kserve/charts/kserve-crd");
        assert.equal(rec.inputs(res).chart, "oci://ghcr.io/kserve/charts/kserve-resources");
        assert.equal(rec.inputs(rt).chart, "oci://ghcr.io/kserve/charts/kserve-runtime-configs");
        assert.ok(res.dependencies.includes(crd.urn));
        assert.ok(res.dependencies.includes(rec.one("kubernetes:helm.sh/v3:Release", "cm-chart").urn));
        assert.ok(rt.dependencies.includes(res.urn));
        assert.equal(rec.inputs(res).values.kserve.controller.deploymentMode, "Standard");
        const ns = rec.one("kubernetes:core/v1:Namespace", "s-ns");
        for (const r of [crd, res, rt]) assert.ok(r.dependencies.includes(ns.urn) && rec.inputs(r).createNamespace !== true);
    });

    it("InferenceService: the CR depends on what it is given; a PDB only above one replica", async () => {
        const rec = await runMocked(() => {
            const p = provider();
            const job = new k8s.batch.v1.Job("sync", { metadata: { name: "model-sync-x" }, spec: { template: { spec: { containers: [] } } } }, { provider: p });
            new InferenceService("one", { provider: p, namespace: "models", model: gpuModel, ...base, dependsOn: [job] });
            new InferenceService("two", { provider: p, namespace: "models", model: cpuModel, ...base, scaling: { ...base.scaling, minReplicas: 2 }, dependsOn: [job] });
        });
        const job = rec.one("kubernetes:batch/v1:Job");
        const one = rec.one("kubernetes:serving.kserve.io/v1beta1:InferenceService", "one-isvc");
        const two = rec.one("kubernetes:serving.kserve.io/v1beta1:InferenceService", "two-isvc");
        childOf(one, rec.one("hybridml:serving:InferenceService", "one"));
        assert.ok(one.dependencies.includes(job.urn));
        assert.ok(two.dependencies.includes(job.urn));
        assert.equal(rec.inputs(one).metadata.name, "fraud-detector");
        assert.equal(rec.inputs(one).metadata.labels["hybridml.io/model-version"], "3.2.0");
        // KServe annotates the predictor pods for the PodMonitor only when the InferenceService asks.
        assert.equal(rec.inputs(one).metadata.annotations["serving.kserve.io/enable-prometheus-scraping"], "true");
        const pdb = rec.one("kubernetes:policy/v1:PodDisruptionBudget");
        assert.equal(pdb.name, "two-pdb");
        childOf(pdb, rec.one("hybridml:serving:InferenceService", "two"));
        assert.deepEqual(rec.inputs(pdb).spec, { maxUnavailable: 1, selector: { matchLabels: predictorSelector("churn") } });
        assert.deepEqual(validateCustomResource(rec.inputs(one) as any), []);
    });

    it("FeedbackSink: pinned image by digest, ConfigMap pipeline to the topic, Service, PDB with 2 replicas", async () => {
        const rec = await runMocked(() => new FeedbackSink("s", {
            provider: provider(), namespace: "models", replicas: 2,
            stream: { engine: "kafka", address: pulumi.output("feedback-kafka-bootstrap.streaming.svc:9092"), topic: "inference-feedback" },
        }));
        const c = rec.one("hybridml:serving:FeedbackSink");
        for (const t of ["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service", "kubernetes:core/v1:ConfigMap", "kubernetes:policy/v1:PodDisruptionBudget"]) childOf(rec.one(t), c);
        const d = rec.inputs(rec.one("kubernetes:apps/v1:Deployment"));
        assert.match(d.spec.template.spec.containers[0].image, /^docker\.redpanda\.com\/redpandadata\/connect:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
        assert.equal(d.spec.replicas, 2);
        const cfg = rec.inputs(rec.one("kubernetes:core/v1:ConfigMap")).data["connect.yaml"];
        assert.match(cfg, /kafka_franz:/);
        assert.match(cfg, /- feedback-kafka-bootstrap\.streaming\.svc:9092/);
        assert.match(cfg, /topic: inference-feedback/);
        assert.equal(rec.inputs(rec.one("kubernetes:core/v1:Service")).spec.ports[0].port, 8080);
    });

    it("FeedbackSink with a TLS listener: the CA and credential go to a Secret (secret), mounted, never into the ConfigMap", async () => {
        const rec = await runMocked(() => new FeedbackSink("s", {
            provider: provider(), namespace: "models",
            stream: {
                engine: "pulsar", address: "pulsar+ssl://pulsar-broker.pulsar.svc.cluster.local:6651", topic: "persistent://hybridml/feedback/inference-feedback",
                client: { caCert: "-----BEGIN CERTIFICATE-----\nCA\n", token: pulumi.secret("jwt-token-of-the-request-logger") },
            },
        }));
        const secret = rec.one("kubernetes:core/v1:Secret");
        assert.equal(rec.inputs(secret).stringData.token, "jwt-token-of-the-request-logger");
        assert.ok(secret.inputs.stringData instanceof SecretValue || (secret.inputs.stringData as any).token instanceof SecretValue, "token not recorded as a secret");
        const cfg = rec.inputs(rec.one("kubernetes:core/v1:ConfigMap")).data["connect.yaml"];
        assert.ok(!cfg.includes("jwt-token-of-the-request-logger"));
        assert.match(cfg, /root_cas_file: \/etc\/connect\/tls\/ca\.crt/);
        assert.match(cfg, /token: \$\{PULSAR_TOKEN\}/);
        const deploy = rec.one("kubernetes:apps/v1:Deployment");
        const c = rec.inputs(deploy).spec.template.spec.containers[0];
        assert.deepEqual(c.env, [{ name: "PULSAR_TOKEN", valueFrom: { secretKeyRef: { name: "feedback-sink-client", key: "token" } } }]);
        assert.ok(c.volumeMounts.some((m: any) => m.mountPath === "/etc/connect/tls"));
        assert.ok(deploy.dependencies.includes(secret.urn));
        const kafka = sinkPipeline({ engine: "kafka", address: "k:9093", topic: "t" }, { ca: true, clientCert: true, token: false });
        assert.match(kafka, /client_certs:\n\s+- cert_file: \/etc\/connect\/tls\/user\.crt\n\s+key_file: \/etc\/connect\/tls\/user\.key/);
    });

    it("sink pipelines for both engines; stream ports", () => {
        assert.match(sinkPipeline({ engine: "pulsar", address: "pulsar://pulsar-proxy.pulsar.svc:6650", topic: "persistent://public/default/inference-feedback" }), /pulsar:\n\s+url: pulsar:\/\/pulsar-proxy/);
        assert.equal(streamPort("kafka", "k.svc:9093"), 9093);
        assert.equal(streamPort("pulsar", "pulsar://p.svc:6651"), 6651);
        assert.equal(streamPort("pulsar", "pulsar://p.svc"), 6650);
    });
});
