import * as assert from "node:assert/strict";
import { formatParity, normalise, servingParity, servingResources } from "../../tools/plan/parity";
import type { PlanResource } from "../../tools/plan/types";

/** A minimal serving plan: a component, an InferenceService, a NetworkPolicy and a ServiceAccount. */
function plan(stack: string, o: { uri: string; sa?: Record<string, string>; labels?: Record<string, string>; probePath?: string; training?: string; extra?: boolean; storeEgress?: { to: unknown[]; port: number } }) {
    const root = `urn:pulumi:${stack}::hybridml::pulumi:pulumi:Stack::hybridml-${stack}`;
    const comp = (type: string, name: string): PlanResource => ({
        urn: `urn:pulumi:${stack}::hybridml::${type}::${stack}-${name}`, type, name: `${stack}-${name}`, parent: root, provider: "",
        dependencies: [], protect: false, retainOnDelete: false, read: false, inputs: {},
    });
    const res = (parent: PlanResource, type: string, name: string, inputs: Record<string, unknown>): PlanResource => ({
        ...comp(type, name), urn: `urn:pulumi:${stack}::hybridml::${parent.type}$${type}::${stack}-${name}`, parent: parent.urn, inputs,
    });
    const isvcC = comp("hybridml:serving:InferenceService", "isvc-m");
    const nsC = comp("hybridml:serving:ModelNamespace", "models");
    const npC = comp("hybridml:serving:NetworkPolicies", "netpol");
    const resources: PlanResource[] = [
        isvcC, nsC, npC,
        res(isvcC, "kubernetes:serving.kserve.io/v1beta1:InferenceService", "isvc-m-isvc", {
            metadata: { name: "m", labels: { "hybridml.io/model-version": "1.0" } },
            spec: { predictor: {
                serviceAccountName: "model-reader", minReplicas: 1, maxReplicas: 3,
                nodeSelector: { "hybridml.io/node-pool": "gpu" }, tolerations: [{ key: "nvidia.com/gpu" }],
                ...(o.labels ? { labels: o.labels } : {}),
                model: { storageUri: o.uri, readinessProbe: { httpGet: { path: o.probePath ?? "/v2/health/ready" } } },
            } },
        }),
        res(nsC, "kubernetes:core/v1:ServiceAccount", "models-reader", { metadata: { name: "model-reader", annotations: o.sa ?? {} } }),
        res(npC, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "netpol-default-deny", { spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } }),
        ...(o.extra ? [res(npC, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "netpol-allow-all", { spec: { podSelector: {} } })] : []),
        ...(o.storeEgress ? [res(npC, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "netpol-allow-sync-training-store", {
            spec: { podSelector: { matchLabels: { app: "model-sync" } }, egress: [{ to: o.storeEgress.to, ports: [{ port: o.storeEgress.port, protocol: "TCP" }] }] },
        })] : []),
        // Not serving: never compared.
        { ...comp("aws:s3/bucket:Bucket", "bucket"), inputs: { bucket: stack } },
    ];
    if (o.training) {
        resources.push({ ...comp("pulumi:pulumi:StackReference", "training"), inputs: { name: `acme/hybridml/${o.training}` }, read: true });
    }
    return { stack, resources };
}

const aws = () => plan("prod-aws", { uri: "s3://prod-aws-models/m/1.0", sa: {}, training: "prod-training" });
const gcp = () => plan("prod-gcp", { uri: "gs://acme-prod-gcp-models/m/1.0", sa: { "iam.gke.io/gcp-service-account": "r@p.iam.gserviceaccount.com" }, training: "prod-training" });
const azure = () => plan("prod-azure", {
    uri: "https://acme.blob.core.windows.net/models/m/1.0", sa: { "azure.workload.identity/client-id": "abc" },
    labels: { "azure.workload.identity/use": "true" }, training: "prod-training",
});
const edge = () => plan("edge", { uri: "pvc://model-store/m/1.0", training: "dev" });

describe("serving parity (pure)", () => {
    it("selects only resources inside serving components", () => {
        assert.deepEqual(servingResources(aws().resources).map((r) => r.name).sort(),
            ["prod-aws-isvc-m-isvc", "prod-aws-models-reader", "prod-aws-netpol-default-deny"]);
    });

    it("passes when stacks differ only in storage scheme, identity annotations/labels/SA, GPU scheduling and sizing", () => {
        const r = servingParity([aws(), gcp(), azure(), edge()]);
        assert.deepEqual(r.differences, []);
        assert.deepEqual(r.stacks, ["edge", "prod-aws", "prod-azure", "prod-gcp"]);
        assert.equal(formatParity(r), "serving parity: OK across 4 stacks (edge, prod-aws, prod-azure, prod-gcp)");
    });

    it("keeps the model and version of the storage URI", () => {
        const isvc = aws().resources.find((r) => r.type === "kubernetes:serving.kserve.io/v1beta1:InferenceService")!;
        assert.equal((normalise(isvc, new Set()) as any).spec.predictor.model.storageUri, "<local store>/m/1.0");
    });

    it("the egress to the training store may name it as each cluster reaches it (RGW's pods, an address range); its ports are still compared", () => {
        const inCluster = { to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "rook-ceph" } }, podSelector: { matchLabels: { app: "rook-ceph-rgw" } } }], port: 8080 };
        const external = { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], port: 8080 };
        const dev = plan("dev", { uri: "pvc://model-store/m/1.0", storeEgress: inCluster });
        assert.deepEqual(servingParity([dev, plan("edge", { uri: "pvc://model-store/m/1.0", training: "dev", storeEgress: external })]).differences, []);
        const wrongPort = servingParity([dev, plan("edge", { uri: "pvc://model-store/m/1.0", training: "dev", storeEgress: { ...external, port: 443 } })]);
        assert.deepEqual(wrongPort.differences.map((d) => d.field), ["spec.egress[0].ports[0].port"]);
    });

    it("reports a non-platform field by stack, resource and field", () => {
        const bad = plan("prod-gcp", { uri: "gs://b/m/1.0", probePath: "/healthz", training: "prod-training" });
        const r = servingParity([aws(), bad, azure()]);
        assert.deepEqual(r.differences, [{
            stack: "prod-gcp", reference: "prod-aws", resource: "kubernetes:serving.kserve.io/v1beta1:InferenceService isvc-m-isvc",
            field: "spec.predictor.model.readinessProbe.httpGet.path", expected: "/v2/health/ready", actual: "/healthz",
        }]);
        assert.match(formatParity(r), /serving parity: 1 difference\(s\) across 3 stacks\n {2}prod-gcp: kubernetes:serving\.kserve\.io\/v1beta1:InferenceService isvc-m-isvc: spec\.predictor\.model\.readinessProbe\.httpGet\.path: \/healthz \(prod-aws: \/v2\/health\/ready\)/);
    });

    it("reports a model version that differs between stacks of one training stack", () => {
        const r = servingParity([aws(), plan("prod-gcp", { uri: "gs://b/m/0.9", training: "prod-training" })]);
        assert.equal(r.differences.length, 1);
        assert.equal(r.differences[0].field, "spec.predictor.model.storageUri");
        assert.equal(r.differences[0].actual, "<local store>/m/0.9");
    });

    it("reports a resource that exists on one stack only", () => {
        const r = servingParity([aws(), plan("prod-azure", { uri: "https://a.blob.core.windows.net/c/m/1.0", training: "prod-training", extra: true })]);
        assert.deepEqual(r.differences.map((d) => [d.stack, d.resource, d.field, d.expected, d.actual]),
            [["prod-azure", "kubernetes:networking.k8s.io/v1:NetworkPolicy netpol-allow-all", "(resource)", "absent", "present"]]);
    });

    it("a catalogue difference between stacks of different training stacks is not a parity failure", () => {
        const devModel = plan("edge", { uri: "pvc://model-store/m/0.1", training: "dev" });
        assert.deepEqual(servingParity([aws(), devModel]).differences, []);
    });

    it("across training stacks the serving-side fields of the models both serve are still compared (dev and edge cannot drift unseen)", () => {
        const devGroup = [plan("dev", { uri: "pvc://model-store/m/0.1", probePath: "/healthz" }), plan("edge", { uri: "pvc://model-store/m/0.1", probePath: "/healthz", training: "dev" })];
        const r = servingParity([aws(), gcp(), ...devGroup]);
        assert.deepEqual(r.differences.map((d) => [d.stack, d.reference, d.resource, d.field, d.actual]),
            [["prod-aws", "dev", "kubernetes:serving.kserve.io/v1beta1:InferenceService isvc-m-isvc", "spec.predictor.model.readinessProbe.httpGet.path", "/v2/health/ready"]]);
        // Within the dev group they agree, and with the prod probe they pass across too.
        assert.deepEqual(servingParity([aws(), plan("dev", { uri: "pvc://model-store/m/1.0" }), edge()]).differences, []);
    });

    it("unknown preview values match anything", () => {
        assert.deepEqual(servingParity([aws(), plan("prod-azure", { uri: "[unknown]", training: "prod-training" })]).differences, []);
    });
});
