/**
 * The whole fleet, planned offline exactly as `npm run plan -- --all` does: every shipped stack
 * plans cleanly, serving stacks read the training stack's plan, nothing targets an ambient
 * provider, secrets stay masked, and every custom resource matches its operator's CRD schema.
 */
import * as assert from "node:assert/strict";
import { listStacks, readStackConfig, Plan, PlanResult } from "../tools/plan/plan";
import { hasMandatory } from "../tools/plan/policies";
import { isBuiltinKubernetesType, validateRecordedCustomResource } from "./helpers/crds";
import { shippedFleet } from "./helpers/fleet";

const clusterTypes: Record<string, string> = {
    dev: "hybridml:clusters:OnPremCluster",
    edge: "hybridml:clusters:K3sCluster",
    "prod-training": "hybridml:clusters:OnPremCluster",
    "prod-aws": "hybridml:clusters:EksCluster",
    "prod-gcp": "hybridml:clusters:GkeCluster",
    "prod-azure": "hybridml:clusters:AksCluster",
};

function ofType(plan: Plan, type: string) {
    return plan.resources.filter((r) => r.type === type);
}

describe("fleet (offline plan of every shipped stack)", function () {
    this.timeout(120_000);
    let results: Map<string, PlanResult>;
    let order: string[];

    before(async () => {
        ({ results, order } = await shippedFleet());
    });

    const plan = (stack: string): Plan => {
        const r = results.get(stack);
        assert.ok(r, `no plan for ${stack}`);
        assert.equal(r.error, undefined, r.error?.message);
        return r.plan;
    };

    it("plans every shipped stack, training stacks before the stacks that read them", () => {
        assert.deepEqual([...results.keys()].sort(), listStacks());
        for (const r of results.values()) assert.equal(r.error, undefined, `${r.plan.stack}: ${r.error?.message}`);
        assert.ok(order.indexOf("prod-training") < order.indexOf("prod-aws"));
        assert.ok(order.indexOf("dev") < order.indexOf("edge"));
    });

    it("has no mandatory policy violation", () => {
        for (const stack of listStacks()) assert.equal(hasMandatory(plan(stack).violations), false, stack);
    });

    for (const [stack, type] of Object.entries(clusterTypes)) {
        it(`${stack} deploys exactly one cluster (${type.split(":").pop()})`, () => {
            const p = plan(stack);
            // PreviewAccess is a part of a cluster (the preview identity's rights), not a second cluster.
            const clusters = p.resources.filter((r) => r.type.startsWith("hybridml:clusters:") && r.type !== "hybridml:clusters:PreviewAccess");
            assert.deepEqual(clusters.map((r) => r.type), [type]);
        });
    }

    it("serving stacks read the contract from their training stack's plan", () => {
        for (const [serving, training] of [["prod-aws", "prod-training"], ["prod-gcp", "prod-training"], ["prod-azure", "prod-training"], ["edge", "dev"]]) {
            const refs = ofType(plan(serving), "pulumi:pulumi:StackReference");
            assert.equal(refs.length, 1, serving);
            assert.equal(refs[0].inputs.name, `acme/hybridml/${training}`);
            const trainingOutputs = plan(training).outputs;
            for (const key of ["contractVersion", "modelCatalog", "modelStore", "streaming", "modelStoreReadCredentials", "streamingReplicationCredentials"]) {
                assert.deepEqual(refs[0].outputs?.[key], trainingOutputs[key], `${serving} reads ${key} from ${training}`);
            }
            const served = (plan(serving).outputs.serving as { servedModels: string[] }).servedModels;
            assert.deepEqual(served, (trainingOutputs.modelCatalog as Array<{ name: string; version: string }>).map((m) => `${m.name}:${m.version}`));
        }
    });

    it("nothing targets a default (ambient) provider", () => {
        for (const stack of listStacks()) {
            const p = plan(stack);
            const providers = new Set(p.resources.filter((r) => r.type.startsWith("pulumi:providers:")).map((r) => r.urn));
            for (const r of p.resources) {
                // Every package (random, tls, command too), not only those whose defaults the stack files disable.
                if (r.type.startsWith("pulumi:") || r.type.startsWith("hybridml:")) continue;
                assert.ok(providers.has(r.provider), `${stack}: ${r.type} ${r.name} has provider "${r.provider}"`);
            }
        }
    });

    it("every shipped stack disables the default provider of every package", () => {
        for (const stack of listStacks()) {
            assert.deepEqual(JSON.parse(readStackConfig(stack).config["pulumi:disable-default-providers"] ?? "[]"), ["*"], stack);
        }
    });

    it("kubeconfigs and credentials are secrets, masked in every plan", () => {
        for (const stack of listStacks()) {
            const p = plan(stack);
            // Training stacks export no kubeconfig at all (a StackReference reader could read it); others as a secret.
            const training = JSON.parse(readStackConfig(stack).config["hybridml:roles"] ?? "[]").includes("training");
            assert.equal(p.outputs.kubeconfig, training ? undefined : "[secret]", stack);
            if (p.outputs.modelStoreReadCredentials !== undefined) assert.equal(p.outputs.modelStoreReadCredentials, "[secret]", stack);
            for (const k8sProvider of ofType(p, "pulumi:providers:kubernetes")) {
                assert.ok(["[secret]", "[unknown]"].includes(String(k8sProvider.inputs.kubeconfig)), `${stack}: ${k8sProvider.name} kubeconfig is ${String(k8sProvider.inputs.kubeconfig).slice(0, 30)}`);
            }
            const text = JSON.stringify(p);
            assert.doesNotMatch(text, /PLACEHOLDER|BEGIN [A-Z ]*PRIVATE KEY|client-key-data|fake-random-password/, stack);
        }
    });

    it("no cluster API is open to 0.0.0.0/0", () => {
        const open = (cidrs: unknown) => Array.isArray(cidrs) && cidrs.some((c) => String(c).endsWith("/0"));
        const eks = ofType(plan("prod-aws"), "aws:eks/cluster:Cluster")[0].inputs.vpcConfig as { endpointPublicAccess: boolean; publicAccessCidrs: string[] };
        assert.deepEqual(eks.publicAccessCidrs, ["203.0.113.0/24"]);
        const gke = ofType(plan("prod-gcp"), "gcp:container/cluster:Cluster")[0].inputs;
        assert.equal((gke.privateClusterConfig as { enablePrivateEndpoint: boolean }).enablePrivateEndpoint, true);
        const aks = ofType(plan("prod-azure"), "azure-native:containerservice:ManagedCluster")[0].inputs.apiServerAccessProfile as { enablePrivateCluster: boolean; authorizedIPRanges?: string[] };
        // prod-azure's runner reaches the public endpoint from its egress range only (README "Runner access").
        assert.equal(aks.enablePrivateCluster, false);
        assert.deepEqual(aks.authorizedIPRanges, ["203.0.113.0/24"]);
        assert.equal(open(aks.authorizedIPRanges), false);
    });

    it("every custom resource matches its operator's CRD schema", () => {
        let checked = 0;
        for (const stack of listStacks()) {
            for (const r of plan(stack).resources) {
                if (!r.type.startsWith("kubernetes:") || isBuiltinKubernetesType(r.type)) continue;
                assert.deepEqual(validateRecordedCustomResource(r.type, r.inputs), [], `${stack}: ${r.type} ${r.name}`);
                checked++;
            }
        }
        assert.ok(checked > 0, "the fleet emits custom resources to check");
    });

    it("stateful resources are protected in prod and not in dev", () => {
        const stateful = /^(aws:eks\/cluster:Cluster|aws:s3\/bucket:Bucket|gcp:container\/cluster:Cluster|gcp:storage\/bucket:Bucket|azure-native:containerservice:ManagedCluster|azure-native:storage:StorageAccount)$/;
        for (const stack of ["prod-aws", "prod-gcp", "prod-azure"]) {
            const found = plan(stack).resources.filter((r) => stateful.test(r.type));
            assert.ok(found.length >= 2, `${stack} has a cluster and a bucket`);
            for (const r of found) assert.equal(r.protect, true, `${stack}: ${r.type} protected`);
        }
    });

    describe("cloud clusters (issue: clusters behind one shape)", () => {
        it("EKS: tainted NVIDIA GPU group from 0 with cluster-autoscaler tags, KMS secrets, pod identity", () => {
            const p = plan("prod-aws");
            const groups = ofType(p, "aws:eks/nodeGroup:NodeGroup");
            const gpu = groups.find((g) => g.inputs.amiType === "AL2023_x86_64_NVIDIA");
            assert.ok(gpu, "a GPU node group on the NVIDIA AMI");
            assert.equal((gpu.inputs.scalingConfig as { minSize: number }).minSize, 0);
            assert.deepEqual(gpu.inputs.taints, [{ key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" }]);
            const tagKeys = ofType(p, "aws:autoscaling/tag:Tag").map((t) => (t.inputs.tag as { key: string }).key);
            assert.ok(tagKeys.includes("k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu"));
            assert.ok(ofType(p, "kubernetes:helm.sh/v3:Release").some((r) => r.inputs.chart === "cluster-autoscaler"));
            const cluster = ofType(p, "aws:eks/cluster:Cluster")[0];
            assert.deepEqual((cluster.inputs.encryptionConfig as { resources: string[] }).resources, ["secrets"]);
            assert.ok(ofType(p, "aws:eks/podIdentityAssociation:PodIdentityAssociation").length >= 1);
        });

        it("GKE: GPU pool with accelerators, taint and autoscaling from 0; encrypted secrets; Workload Identity", () => {
            const p = plan("prod-gcp");
            const pools = ofType(p, "gcp:container/nodePool:NodePool");
            const gpu = pools.find((n) => ((n.inputs.nodeConfig as { guestAccelerators?: unknown[] }).guestAccelerators ?? []).length > 0);
            assert.ok(gpu, "a GPU node pool");
            assert.equal((gpu.inputs.autoscaling as Record<string, number>).minNodeCount ?? (gpu.inputs.autoscaling as Record<string, number>).totalMinNodeCount, 0);
            assert.deepEqual((gpu.inputs.nodeConfig as { taints: unknown[] }).taints, [{ key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" }]);
            const cluster = ofType(p, "gcp:container/cluster:Cluster")[0];
            assert.equal((cluster.inputs.databaseEncryption as { state: string }).state, "ENCRYPTED");
            assert.equal((cluster.inputs.workloadIdentityConfig as { workloadPool: string }).workloadPool, "acme-ml-prod.svc.id.goog");
            assert.equal((cluster.inputs.privateClusterConfig as { enablePrivateNodes: boolean }).enablePrivateNodes, true);
        });

        it("AKS: GPU pool with taint and autoscaler from 0; KMS secrets; OIDC + workload identity", () => {
            const p = plan("prod-azure");
            const pool = ofType(p, "azure-native:containerservice:AgentPool")[0];
            assert.ok(pool, "a GPU agent pool");
            assert.equal(pool.inputs.enableAutoScaling, true);
            assert.equal(pool.inputs.minCount, 0);
            assert.deepEqual(pool.inputs.nodeTaints, ["nvidia.com/gpu=true:NoSchedule"]);
            const mc = ofType(p, "azure-native:containerservice:ManagedCluster")[0];
            // securityProfile holds the key's versioned URI, only known once the key exists: in a
            // preview it is unknown, so the plan shows the KMS key and the cluster's dependency on it.
            const key = ofType(p, "azure-native:keyvault:Key")[0];
            assert.ok(key, "a Key Vault key for KMS");
            assert.ok(mc.dependencies.includes(key.urn), "the cluster waits for its KMS key");
            assert.equal(mc.inputs.securityProfile, "[unknown]");
            assert.equal((mc.inputs.oidcIssuerProfile as { enabled: boolean }).enabled, true);
            // The model reader and the model sync's writer.
            assert.equal(ofType(p, "azure-native:managedidentity:FederatedIdentityCredential").length, 2);
        });
    });
});
