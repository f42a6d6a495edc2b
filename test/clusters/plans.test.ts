/**
 * What the shipped stacks' offline plans show about their clusters (issue 7): the runner access
 * path, unique names, retained keys and groups, pinned add-ons, GPU labels, k3s hardening.
 */
import * as assert from "node:assert/strict";
import { defaultModelBucketName } from "../../components/clusters/eks";
import { defaultKeyVaultName, defaultStorageAccountName } from "../../components/clusters/aks";
import { clusterPins, versions } from "../../lib/versions";
import { Plan, PlanResult } from "../../tools/plan/plan";
import { shippedPlans } from "../helpers/fleet";

describe("cluster plans of the shipped stacks", function () {
    this.timeout(120_000);
    let results: Map<string, PlanResult>;
    before(async () => {
        results = await shippedPlans();
    });
    const plan = (stack: string): Plan => {
        const r = results.get(stack);
        assert.ok(r && r.error === undefined, `${stack}: ${r?.error?.message}`);
        return r.plan;
    };
    const one = (p: Plan, type: string, name?: string) => {
        const found = p.resources.filter((r) => r.type === type && (name === undefined || r.name === name));
        assert.equal(found.length, 1, `${type} ${name ?? ""}: ${found.map((r) => r.name).join(", ")}`);
        return found[0];
    };

    it("prod-aws: runner-limited public endpoint, explicit deployer entry, pinned add-ons, unique retained bucket and key", () => {
        const p = plan("prod-aws");
        const cluster = one(p, "aws:eks/cluster:Cluster").inputs as Record<string, any>;
        assert.deepEqual(cluster.vpcConfig.publicAccessCidrs, ["203.0.113.0/24"]);
        assert.equal(cluster.accessConfig.bootstrapClusterCreatorAdminPermissions, false);
        const entries = p.resources.filter((r) => r.type === "aws:eks/accessEntry:AccessEntry").map((r) => r.inputs.principalArn).sort();
        assert.deepEqual(entries, ["arn:aws:iam::123456789012:role/hybridml-deployer", "arn:aws:iam::123456789012:role/platform-admin"]);
        const addons = p.resources.filter((r) => r.type === "aws:eks/addon:Addon");
        assert.equal(addons.length, 6);
        assert.deepEqual(addons.map((a) => a.inputs.addonName).sort(), ["aws-ebs-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy", "metrics-server", "vpc-cni"]);
        for (const a of addons) assert.equal(a.inputs.addonVersion, clusterPins[versions.kubernetes].eksAddons[a.inputs.addonName as keyof typeof clusterPins[string]["eksAddons"]]);
        const bucket = one(p, "aws:s3/bucket:Bucket");
        assert.equal(bucket.inputs.bucket, defaultModelBucketName("prod-aws", "123456789012", "eu-west-1"));
        for (const r of [bucket, one(p, "aws:kms/key:Key", "prod-aws-models-key"), one(p, "aws:kms/alias:Alias", "prod-aws-models-key")]) {
            assert.deepEqual([r.protect, r.retainOnDelete], [true, true], r.name);
        }
        const gpu = one(p, "aws:eks/nodeGroup:NodeGroup", "prod-aws-gpu");
        assert.equal((gpu.inputs.labels as Record<string, string>)["k8s.amazonaws.com/accelerator"], "nvidia-a10g");
        const k8s = one(p, "pulumi:providers:kubernetes", "prod-aws-k8s");
        assert.ok(k8s.dependencies.includes(gpu.urn));
    });

    it("prod-gcp: DNS endpoint, APIs enabled, webhook firewall, pools ignore initialNodeCount", () => {
        const p = plan("prod-gcp");
        const cluster = one(p, "gcp:container/cluster:Cluster");
        assert.deepEqual((cluster.inputs.controlPlaneEndpointsConfig as Record<string, unknown>).dnsEndpointConfig, { allowExternalTraffic: true });
        assert.equal(p.resources.filter((r) => r.type === "gcp:projects/service:Service").length, 6);
        assert.deepEqual(one(p, "gcp:compute/firewall:Firewall").inputs.allows, [{ protocol: "tcp", ports: ["8443", "9443", "10250"] }]);
        for (const pool of p.resources.filter((r) => r.type === "gcp:container/nodePool:NodePool")) assert.deepEqual(pool.ignoreChanges, ["initialNodeCount", "nodeCount"]);
    });

    it("prod-azure: runner-limited public endpoint, unique names, the model store's own group retained, Standard tier", () => {
        const p = plan("prod-azure");
        const sub = "3f2b6c1e-8d4a-4b7f-9e21-6a5c0d9e7f13";
        const mc = one(p, "azure-native:containerservice:ManagedCluster").inputs as Record<string, any>;
        assert.deepEqual(mc.apiServerAccessProfile, { enablePrivateCluster: false, authorizedIPRanges: ["203.0.113.0/24"] });
        assert.deepEqual(mc.sku, { name: "Base", tier: "Standard" });
        assert.equal(one(p, "azure-native:storage:StorageAccount").inputs.accountName, defaultStorageAccountName("prod-azure", sub));
        assert.equal(one(p, "azure-native:keyvault:Vault").inputs.vaultName, defaultKeyVaultName("prod-azure", sub));
        const rg = one(p, "azure-native:resources:ResourceGroup", "prod-azure-models-rg");
        assert.deepEqual([rg.protect, rg.retainOnDelete], [true, true]);
    });

    it("edge: protected installs from the pinned script, node labels per host, token kubeconfig", () => {
        const p = plan("edge");
        const commands = p.resources.filter((r) => r.type === "command:remote:Command");
        const installs = commands.filter((r) => r.name.endsWith("-install"));
        assert.equal(installs.length, 3);
        for (const r of installs) {
            assert.equal(r.protect, true, r.name);
            assert.deepEqual(r.ignoreChanges, ["stdin"]);
            assert.match(String(r.inputs.create), /raw\.githubusercontent\.com\/k3s-io\/k3s\/v1\.34\.1%2Bk3s1\/install\.sh/);
        }
        assert.equal(commands.filter((r) => r.name.endsWith("-node")).length, 3);
        assert.equal(one(p, "command:remote:Command", "edge-kubeconfig").inputs.create, "[secret]");
    });
});
