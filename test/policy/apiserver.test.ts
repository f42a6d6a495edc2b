/**
 * Custom resources and built-in objects checked the way the API server would: the CRDs' CEL rules
 * (x-kubernetes-validations, including transition rules against an old object) and what
 * `kubectl apply` rejects in built-in objects (names, labels, quantities, requests <= limits).
 */
import * as assert from "node:assert/strict";
import {
    AUTONAME_SUFFIX, celErrors, transitionErrors, validateCustomResource, validateKubernetesObject, validateRecordedCustomResource,
} from "../helpers/crds";

const cephCluster = (spec: Record<string, unknown>) => ({
    apiVersion: "ceph.rook.io/v1", kind: "CephCluster", metadata: { name: "rook-ceph", namespace: "rook-ceph" }, spec,
});
const goodCluster = { cephVersion: { image: "quay.io/ceph/ceph:v20.2.4" }, dataDirHostPath: "/var/lib/rook", mon: { count: 3, allowMultiplePerNode: false } };
const kafkaUser = (authentication: Record<string, unknown>) => ({
    apiVersion: "kafka.strimzi.io/v1", kind: "KafkaUser", metadata: { name: "model-sync", labels: { "strimzi.io/cluster": "training" } },
    spec: { authentication },
});

describe("CEL rules of the real CRDs (x-kubernetes-validations)", () => {
    it("accepts a CephCluster that keeps Rook's rules", () => {
        assert.deepEqual(validateCustomResource(cephCluster(goodCluster)), []);
    });

    it("rejects more mon zones than mons with Rook's message", () => {
        assert.deepEqual(validateCustomResource(cephCluster({ ...goodCluster, mon: { count: 1, zones: [{ name: "a" }, { name: "b" }] } })),
            ["spec.mon: zones must be less than or equal to count"]);
    });

    it("rejects a Strimzi KafkaUser with validityDays on SCRAM authentication, with Strimzi's message", () => {
        assert.deepEqual(validateCustomResource(kafkaUser({ type: "tls", validityDays: 30, renewalDays: 10 })), []);
        assert.deepEqual(validateCustomResource(kafkaUser({ type: "scram-sha-512", validityDays: 30 })),
            ["spec.authentication: 'validityDays' and 'renewalDays' can be configured only with 'type: tls'"]);
        assert.deepEqual(validateCustomResource(kafkaUser({ type: "tls", validityDays: 30 })),
            ["spec.authentication: Both 'validityDays' and 'renewalDays' must be set together, or both must be unset."]);
    });

    it("evaluates transition rules only on an update: Rook's immutable dataDirHostPath", () => {
        const moved = cephCluster({ ...goodCluster, dataDirHostPath: "/data/rook" });
        assert.deepEqual(validateCustomResource(moved), [], "a create has no old value");
        assert.deepEqual(validateCustomResource(moved, { oldObject: cephCluster(goodCluster) }), ["spec.dataDirHostPath: DataDirHostPath is immutable"]);
        assert.deepEqual(validateCustomResource(cephCluster(goodCluster), { oldObject: cephCluster(goodCluster) }), []);
        assert.deepEqual(transitionErrors(moved, cephCluster(goodCluster)), ["spec.dataDirHostPath: DataDirHostPath is immutable"]);
    });

    it("validates recorded inputs with an old version, leaving unknown values unjudged", () => {
        const type = "kubernetes:ceph.rook.io/v1:CephCluster";
        const inputs = cephCluster({ ...goodCluster, dataDirHostPath: "/data/rook" });
        assert.deepEqual(validateRecordedCustomResource(type, inputs, undefined, { oldInputs: cephCluster(goodCluster) }), ["spec.dataDirHostPath: DataDirHostPath is immutable"]);
        assert.deepEqual(validateRecordedCustomResource(type, cephCluster({ ...goodCluster, dataDirHostPath: "[unknown]" }), undefined, { oldInputs: cephCluster(goodCluster) }), []);
    });

    it("applies schema defaults before the rules and reports rule errors like the API server", () => {
        const schema = {
            type: "object",
            properties: { mode: { type: "string", default: "a" }, n: { type: "integer" } },
            "x-kubernetes-validations": [{ rule: "self.mode == 'a' || self.n > 0", message: "n must be positive unless mode is a" }, { rule: "self.missing == 1", message: "m" }],
        };
        assert.deepEqual(celErrors(schema, { n: 0 }), ["(root): m (rule error: No such key: missing)"]);
        assert.deepEqual(celErrors(schema, { mode: "b", n: 0 }).slice(0, 1), ["(root): n must be positive unless mode is a"]);
    });
});

describe("built-in objects: what kubectl apply would reject", () => {
    it("accepts valid names, labels and resources", () => {
        assert.deepEqual(validateKubernetesObject("kubernetes:apps/v1:Deployment", {
            metadata: { name: "model-sync", namespace: "models", labels: { "app.kubernetes.io/name": "model-sync" } },
            spec: {
                selector: { matchLabels: { app: "model-sync" } },
                template: {
                    metadata: { labels: { app: "model-sync" } },
                    spec: { containers: [{ name: "sync", resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: 1, memory: "256Mi" } } }] },
                },
            },
        }), []);
    });

    it("rejects names that are not DNS-1123 or too long, counting Pulumi's auto-name suffix", () => {
        assert.deepEqual(validateKubernetesObject("kubernetes:core/v1:Namespace", { metadata: { name: "Models" } }),
            ['metadata.name: "Models" is not a DNS-1123 label (lower case alphanumerics and \'-\')']);
        assert.deepEqual(validateKubernetesObject("kubernetes:core/v1:Service", { metadata: { name: "1api" } }),
            ["metadata.name: \"1api\" is not a DNS-1035 label (lower case alphanumerics and '-', starting with a letter)"]);
        const long = "n".repeat(56);
        assert.equal(AUTONAME_SUFFIX.length, 8);
        assert.deepEqual(validateKubernetesObject("kubernetes:core/v1:Namespace", {}, long),
            [`metadata.name (auto-named "${long}-xxxxxxx"): "${long}-xxxxxxx" is 64 characters, must be at most 63`]);
        assert.deepEqual(validateKubernetesObject("kubernetes:core/v1:Namespace", {}, "n".repeat(55)), []);
        assert.deepEqual(validateKubernetesObject("kubernetes:helm.sh/v3:Release", { name: "prod-azure-kube-prometheus-stack-with-a-very-long-name" }),
            ['name: release name "prod-azure-kube-prometheus-stack-with-a-very-long-name" is 54 characters, Helm allows at most 53']);
    });

    it("rejects bad label keys and values", () => {
        assert.deepEqual(validateKubernetesObject("kubernetes:core/v1:ConfigMap", { metadata: { name: "c", labels: { "hybridml.io/model": "fraud detector" } } }),
            ['metadata.labels["hybridml.io/model"]: "fraud detector" is not a valid label value (<= 63 alphanumerics, \'-\', \'_\', \'.\')']);
        assert.deepEqual(validateKubernetesObject("kubernetes:core/v1:ConfigMap", { metadata: { name: "c", labels: { v: "x".repeat(64) } } }).length, 1);
    });

    it("rejects bad quantities, requests above limits and GPU requests that differ from limits", () => {
        const pod = (resources: Record<string, unknown>) => ({ metadata: { name: "p" }, spec: { containers: [{ name: "c", resources }] } });
        assert.deepEqual(validateKubernetesObject("kubernetes:core/v1:Pod", pod({ requests: { memory: "4 GB" } })),
            ['spec.containers[0].resources.requests.memory: "4 GB" is not a quantity']);
        assert.deepEqual(validateKubernetesObject("kubernetes:core/v1:Pod", pod({ requests: { cpu: "2" }, limits: { cpu: "500m" } })),
            ["spec.containers[0].resources.requests.cpu: 2 must be less than or equal to the cpu limit 500m"]);
        assert.deepEqual(validateKubernetesObject("kubernetes:core/v1:Pod", pod({ requests: { "nvidia.com/gpu": 1 }, limits: { "nvidia.com/gpu": 2 } })),
            ["spec.containers[0].resources.requests.nvidia.com/gpu: must equal the limit for an extended resource (1 != 2)"]);
    });

    it("runs through validateRecordedCustomResource for built-in types", () => {
        assert.deepEqual(validateRecordedCustomResource("kubernetes:core/v1:Namespace", { metadata: { name: "x" } }), []);
        assert.equal(validateRecordedCustomResource("kubernetes:core/v1:Namespace", { metadata: { name: "X_y" } }).length, 1);
    });
});
