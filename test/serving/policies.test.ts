import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import { identityEndpoints, ServingNetworkPolicies, servingNetworkPolicies } from "../../components/serving/networkPolicies";
import { ConfigError, resolveConfig } from "../../config/resolve";
import { servingIssues, servingSchema } from "../../config/serving";
import { catalogueProblems, endpointPort, servingRuntimes, trainingStorePeer } from "../../stacks/serving";
import { exposureIssues, trainingExposureIssues } from "../../config/exposure";
import { externalServiceSpec } from "../../components/storage/rookSpecs";
import { rookSpecInput } from "../../components/storage/rookCeph";
import { inClusterEndpoint } from "../../components/storage/rookSpecs";
import { runMocked } from "../helpers/run";

const rules = {
    predictors: { component: "predictor" },
    predictorPort: 9081,
    callers: ["models", "api-gateway"],
    sync: { "app.kubernetes.io/name": "model-sync" },
    trainingStore: { kind: "external" as const, cidrs: ["198.51.100.0/24"], port: 443 },
    sink: { selector: { "app.kubernetes.io/name": "feedback-sink" }, port: 8080, streamPort: 9092 },
    scrapers: { namespace: "monitoring", ports: [8080, 8002] },
};
const byName = (ps: ReturnType<typeof servingNetworkPolicies>) => Object.fromEntries(ps.map((p) => [p.name, p.spec as any]));

const resolved = servingSchema.parse({});

describe("serving: network policies", () => {
    it("default deny plus exactly DNS, predictor ingress, metrics, sink, training store (volume store: no bucket egress)", () => {
        const ps = byName(servingNetworkPolicies(rules));
        assert.deepEqual(Object.keys(ps).sort(), [
            "allow-dns", "allow-predictor-ingress", "allow-predictor-metrics", "allow-predictor-to-sink", "allow-sink", "allow-sync-training-store", "default-deny",
        ]);
        assert.deepEqual(ps["default-deny"], { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        assert.deepEqual(ps["allow-dns"].egress[0].ports, [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }]);
        // Only the known callers' namespaces, never the whole cluster.
        assert.deepEqual(ps["allow-predictor-ingress"].ingress, [{
            from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "models" } } }, { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "api-gateway" } } }],
            ports: [{ protocol: "TCP", port: 9081 }],
        }]);
        assert.deepEqual(ps["allow-predictor-metrics"].ingress[0].from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }]);
        assert.deepEqual(ps["allow-sink"].ingress[0].from, [{ podSelector: { matchLabels: { component: "predictor" } } }]);
        assert.deepEqual(ps["allow-sink"].egress[0].ports, [{ protocol: "TCP", port: 9092 }]);
        assert.deepEqual(ps["allow-predictor-to-sink"].egress[0].to, [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "feedback-sink" } } }]);
    });

    it("a cloud store adds bucket and identity-endpoint egress for predictors and sync only", () => {
        const ps = byName(servingNetworkPolicies({ ...rules, sink: undefined, scrapers: undefined, modelStore: [{ cidr: "0.0.0.0/0", port: 443 }, ...identityEndpoints("eks")] }));
        assert.ok(!("allow-sink" in ps));
        assert.deepEqual(ps["allow-predictors-model-store"].egress.map((e: any) => [e.to[0].ipBlock.cidr, e.ports[0].port]), [["0.0.0.0/0", 443], ["169.254.170.23/32", 80]]);
        assert.deepEqual(ps["allow-sync-model-store"].podSelector, { matchLabels: rules.sync });
        assert.deepEqual(identityEndpoints("gke").map((e) => e.port), [80, 988]);
        assert.deepEqual(identityEndpoints("k3s"), []);
    });

    it("the component registers one NetworkPolicy per spec in the namespace, with provider and parent", async () => {
        const rec = await runMocked(() => new ServingNetworkPolicies("np", {
            provider: new k8s.Provider("k8s", { kubeconfig: "x" }), namespace: "models", rules,
        }));
        const c = rec.one("hybridml:serving:NetworkPolicies");
        const nps = rec.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy");
        assert.equal(nps.length, 7);
        for (const np of nps) {
            assert.equal(np.parent, c.urn);
            assert.match(np.provider, /::k8s::/);
            assert.equal(rec.inputs(np).metadata.namespace, "models");
            assert.equal(np.name, `np-${rec.inputs(np).metadata.name}`);
        }
    });
});

describe("serving: config", () => {
    it("defaults", () => {
        const s = servingSchema.parse({});
        assert.deepEqual(s.runtimes, ["kserve-tritonserver", "kserve-huggingfaceserver", "kserve-sklearnserver", "kserve-xgbserver"]);
        assert.deepEqual([s.minReplicas, s.maxReplicas, s.scaleMetric, s.scaleTarget, s.modelSyncSchedule], [1, 3, "cpu", 70, "*/15 * * * *"]);
        assert.deepEqual(s.callerNamespaces, []);
        assert.deepEqual(s.resources, { requests: { cpu: "1", memory: "4Gi" }, limits: { cpu: "2", memory: "8Gi" } });
        assert.deepEqual(s.localStore, { size: "100Gi" });
    });

    it("cross-field errors name the key, the value and the fix", () => {
        const s = servingSchema.parse({ minReplicas: 3, maxReplicas: 2, resources: { requests: { cpu: "4", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } } });
        assert.deepEqual(servingIssues(s), [
            "hybridml:serving.maxReplicas must be >= minReplicas (got 2 < 3)",
            "hybridml:serving.resources.limits.cpu must be >= resources.requests.cpu (got 2 < 4)",
        ]);
    });

    const stack = (serving: unknown) => ({
        project: "hybridml", stack: "t", secretKeysSet: new Set<string>(["kubeconfig"]),
        values: { environment: "dev", roles: ["training", "serving"], cluster: { provider: "onprem" }, serving },
    });
    it("bad values stop the config with the full key", () => {
        const err = (serving: unknown) => {
            try {
                resolveConfig(stack(serving));
            } catch (e) {
                assert.ok(e instanceof ConfigError);
                return e.issues.join("\n");
            }
            return assert.fail("no ConfigError");
        };
        assert.match(err({ runtimes: ["kserve-vllmserver"] }), /hybridml:serving\.runtimes\[0\]/);
        assert.match(err({ scaleMetric: "rps" }), /hybridml:serving\.scaleMetric/);
        assert.match(err({ minReplicas: 0 }), /hybridml:serving\.minReplicas/);
        assert.match(err({ localStore: { size: "lots" } }), /hybridml:serving\.localStore\.size/);
        assert.match(err({ minReplicas: 2, maxReplicas: 1 }), /hybridml:serving\.maxReplicas must be >= minReplicas \(got 1 < 2\)/);
    });
});

describe("serving: catalogue checks", () => {
    it("runtimes: the configured ones plus the catalogue's; an unknown runtime names the model and the fix", () => {
        assert.deepEqual(servingRuntimes(["kserve-tritonserver"], [{ name: "a", runtime: "kserve-huggingfaceserver" }, { name: "b", runtime: "kserve-tritonserver" }]),
            ["kserve-huggingfaceserver", "kserve-tritonserver"]);
        assert.throws(() => servingRuntimes(["kserve-tritonserver"], [{ name: "a", runtime: "kserve-vllmserver" }]),
            /modelCatalog entry a names serving runtime "kserve-vllmserver", which KServe v0\.20\.0 does not ship .*fix hybridml:models in the training stack/);
    });

    it("catalogue artefacts have their runtime's layout: Triton and Hugging Face take directories", () => {
        assert.deepEqual(catalogueProblems([{ name: "a", version: "1", runtime: "kserve-tritonserver", artifactPath: "a/1/" }]), []);
        assert.deepEqual(catalogueProblems([{ name: "s", version: "1", runtime: "kserve-sklearnserver", artifactPath: "s/1/model.joblib" }]), []);
        assert.match(catalogueProblems([{ name: "a", version: "1", runtime: "kserve-tritonserver", artifactPath: "a/1/model.onnx" }])[0],
            /modelCatalog entry model a: runtime kserve-tritonserver serves a Triton model directory .*artifactPath must end in "\/"/);
        assert.equal(catalogueProblems([{ name: "h", version: "1", runtime: "kserve-huggingfaceserver", artifactPath: "h/1/model.bin" }]).length, 1);
    });

    it("outside dev every catalogue model needs its sha256; layouts are checked in the training stack's config", () => {
        const models = [
            { name: "a", version: "1", format: "onnx", runtime: "kserve-tritonserver", artifactPath: "a/1/" },
            { name: "b", version: "1", format: "onnx", runtime: "kserve-tritonserver", artifactPath: "b/1/model.onnx", sha256: "c".repeat(64) },
        ];
        const issues = (environment: string) => {
            try {
                resolveConfig({ project: "hybridml", stack: "t", secretKeysSet: new Set(["kubeconfig"]),
                    values: { environment, roles: ["training"], cluster: { provider: "onprem" }, storage: { rook: { enabled: false } }, models } });
            } catch (e) {
                if (e instanceof ConfigError) return e.issues;
                throw e;
            }
            return [];
        };
        const prod = issues("prod");
        assert.ok(prod.some((i) => /^hybridml:models\[0\]\.sha256 is required outside dev \(model a, environment prod\)/.test(i)), prod.join("\n"));
        assert.ok(prod.some((i) => /^hybridml:models\[1\]\.artifactPath: model b: runtime kserve-tritonserver/.test(i)), prod.join("\n"));
        assert.equal(prod.filter((i) => /sha256/.test(i)).length, 1);
        const dev = issues("dev");
        assert.equal(dev.filter((i) => /sha256 is required/.test(i)).length, 0);
    });

    it("names and versions an InferenceService and a storage path can carry", () => {
        assert.deepEqual(catalogueProblems([{ name: "fraud-detector", version: "3.2.0" }]), []);
        assert.equal(catalogueProblems([{ name: "x".repeat(46), version: "1" }]).length, 1);
        assert.match(catalogueProblems([{ name: "Bad_Name", version: "1" }])[0], /DNS-1123 label of at most 45 characters/);
        assert.match(catalogueProblems([{ name: "ok", version: "../1" }])[0], /version "\.\.\/1"/);
    });

    it("the in-cluster RGW is allowed on its pods' container port (8080), not the Service port 80; an external store on the URL's port", () => {
        const peer = trainingStorePeer(inClusterEndpoint("rook-ceph"));
        assert.deepEqual(peer, { kind: "pods", namespace: "rook-ceph", podLabels: { app: "rook-ceph-rgw", rook_cluster: "rook-ceph", rook_object_store: "models" }, port: 8080 });
        // The port is the one Rook's RGW container serves: the external Service targets it too.
        const ext = externalServiceSpec(rookSpecInput({ endpoint: "http://s3.example:80" }))!;
        assert.equal((ext.spec.ports as any)[0].targetPort, peer.port);
        assert.deepEqual(ext.spec.selector, peer.kind === "pods" ? peer.podLabels : undefined);
        const ps = byName(servingNetworkPolicies({ ...rules, trainingStore: peer }));
        assert.deepEqual(ps["allow-sync-training-store"].egress, [{
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "rook-ceph" } }, podSelector: { matchLabels: peer.kind === "pods" ? peer.podLabels : {} } }],
            ports: [{ protocol: "TCP", port: 8080 }],
        }]);
        assert.deepEqual(trainingStorePeer("https://s3.training.acme.example", ["198.51.100.7/32"]), { kind: "external", cidrs: ["198.51.100.7/32"], port: 443 });
        const ext2 = byName(servingNetworkPolicies(rules));
        assert.deepEqual(ext2["allow-sync-training-store"].egress, [{ to: [{ ipBlock: { cidr: "198.51.100.0/24" } }], ports: [{ protocol: "TCP", port: 443 }] }]);
    });

    it("a training stack outside dev publishes where its exposed store answers, or is refused naming the key", () => {
        const e = { allowedSources: { "prod-aws": ["198.51.100.7/32"] }, privateConnectivity: false };
        const issues = trainingExposureIssues(e, { environment: "prod", storageEndpoint: "https://s3.training.acme.example" });
        assert.equal(issues.length, 1);
        assert.match(issues[0], /^hybridml:exposure\.endpointAddresses is required outside dev .*pulumi config set --path 'hybridml:exposure\.endpointAddresses\[0\]'/);
        assert.deepEqual(trainingExposureIssues({ ...e, endpointAddresses: ["203.0.113.16/28"] }, { environment: "prod", storageEndpoint: "https://s3.training.acme.example" }), []);
        assert.deepEqual(trainingExposureIssues({ allowedSources: {}, privateConnectivity: false }, { environment: "dev", storageEndpoint: "http://s3.lab" }), []);
        assert.deepEqual(exposureIssues({ ...e, allowedSources: {}, endpointAddresses: ["203.0.113.16/28"] }, { training: false, serving: true, clusterProvider: "eks" }),
            ["hybridml:exposure.endpointAddresses publishes where a training stack's endpoints answer; this stack has no training role: remove it"]);
    });

    it("the cloud model bucket: any address on 443 unless serving.modelStoreEgressCidrs names the private endpoint's range", () => {
        const s = (cidrs?: string[]) => servingIssues({ ...resolved, modelStoreEgressCidrs: cidrs } as any, { serving: true, clusterProvider: "onprem", rook: false });
        assert.deepEqual(s(["10.40.8.0/24"]), ["hybridml:serving.modelStoreEgressCidrs describes how a cloud cluster reaches its model bucket; on onprem the model copy is a local volume: remove it"]);
        assert.deepEqual(servingIssues({ ...resolved, modelStoreEgressCidrs: ["10.40.8.0/24"] } as any, { serving: true, clusterProvider: "eks", rook: false }), []);
        assert.match(servingIssues({ ...resolved, modelStoreEgressCidrs: ["0.0.0.0/0"] } as any, { serving: true, clusterProvider: "gke", rook: false }).join(), /contains a \/0/);
        const ps = byName(servingNetworkPolicies({ ...rules, modelStore: [{ cidr: "10.40.8.0/24", port: 443 }] }));
        assert.deepEqual(ps["allow-sync-model-store"].egress, [{ to: [{ ipBlock: { cidr: "10.40.8.0/24" } }], ports: [{ protocol: "TCP", port: 443 }] }]);
    });

    it("training store ports", () => {
        assert.equal(endpointPort("https://s3.training.acme.example"), 443);
        assert.equal(endpointPort("http://rook-ceph-rgw-models.rook-ceph.svc"), 80);
        assert.equal(endpointPort("http://rgw:8080"), 8080);
    });
});
