/**
 * Integration of the clusters with the GPU operator and serving: GPU node labels per platform (GKE's
 * device-plugin opt-out, the MIG profile label), GKE's driver/toolkit facts, and the EKS default
 * StorageClass and metrics-server.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { AksCluster, AksClusterArgs } from "../../components/clusters/aks";
import { EKS_DEFAULT_STORAGE_CLASS, eksDefaultStorageClass, EksCluster, EksClusterArgs, gpuNodeLabels } from "../../components/clusters/eks";
import { GKE_NO_DEFAULT_DEVICE_PLUGIN_LABEL, gkeGpuFacts, gkeGpuNodeLabels, GkeCluster, GkeClusterArgs } from "../../components/clusters/gke";
import { k3sGpuNodeLabels, K3sCluster, nodeConfigCommand } from "../../components/clusters/k3s";
import { GPU_NODE_LABEL, GpuPoolArgs, GpuSharing, MIG_CONFIG_LABEL, migConfigNodeLabels } from "../../components/clusters/types";
import * as gpuOperator from "../../components/gpu/gpuOperator";
import { clusterPins, versions } from "../../lib/versions";
import { runMocked, settle } from "../helpers/run";

const MIG: GpuSharing = { mode: "mig", profile: "all-1g.10gb" };
const network = (zones: string[]) => ({ vpcCidr: "10.0.0.0/16", podCidr: "100.64.0.0/16", serviceCidr: "172.20.0.0/16", zones, natPerZone: false });
const gpuPool = (sharing: GpuSharing): GpuPoolArgs =>
    ({ instanceType: "g6.xlarge", gpuType: "nvidia-l4", gpuCount: 1, minSize: 0, maxSize: 3, diskSizeGb: 200, sharing });
const systemPool = { instanceType: "m7i.large", minSize: 2, maxSize: 4 };

const eksArgs = (sharing: GpuSharing): EksClusterArgs => ({
    region: "eu-west-1", version: versions.kubernetes, deployerRoleArn: "arn:aws:iam::123456789012:role/ci-deployer", authorizedCidrs: ["203.0.113.0/24"],
    network: network(["eu-west-1a", "eu-west-1b"]), systemPool, gpuPool: gpuPool(sharing),
});
const gkeArgs = (sharing: GpuSharing): GkeClusterArgs => ({
    region: "europe-west4", version: versions.kubernetes, project: "acme-ml-prod", projectNumber: "123456789012",
    network: { vpcCidr: "10.42.0.0/20", podCidr: "10.128.0.0/14", serviceCidr: "10.132.0.0/20", zones: [], natPerZone: false },
    systemPool, gpuPool: gpuPool(sharing),
});
const aksArgs = (sharing: GpuSharing): AksClusterArgs => ({
    region: "westeurope", version: versions.kubernetes, tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47", subscriptionId: "3f2b6c1e-8d4a-4b7f-9e21-6a5c0d9e7f13", deployerObjectId: "0b6f2d1e-3c4a-4f5b-8e7d-9a1b2c3d4e5f",
    authorizedCidrs: ["203.0.113.0/24"],
    network: { vpcCidr: "10.43.0.0/16", podCidr: "192.168.0.0/16", serviceCidr: "10.0.0.0/16", zones: ["1", "2", "3"], natPerZone: false },
    systemPool, gpuPool: gpuPool(sharing),
});

describe("clusters: GPU node labels for the GPU operator", () => {
    it("the MIG label lives with the clusters (no clusters -> gpu import); the operator re-exports the same function", () => {
        assert.deepEqual(migConfigNodeLabels(MIG), { "nvidia.com/mig.config": "all-1g.10gb" });
        assert.deepEqual(migConfigNodeLabels({ mode: "time-slicing", replicas: 4 }), {});
        assert.equal(gpuOperator.migConfigNodeLabels, migConfigNodeLabels);
        assert.equal(gpuOperator.MIG_CONFIG_LABEL, MIG_CONFIG_LABEL);
        const dir = path.join(__dirname, "../../components/clusters");
        for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".ts"))) {
            assert.doesNotMatch(fs.readFileSync(path.join(dir, f), "utf8"), /from "\.\.\/gpu\//, `${f} imports from components/gpu`);
        }
    });

    it("GKE: the GPU pool opts out of GKE's device plugin; GKE owns the driver, the operator the toolkit (as the operator's values assume)", () => {
        assert.equal(GKE_NO_DEFAULT_DEVICE_PLUGIN_LABEL, "gke-no-default-nvidia-gpu-device-plugin");
        assert.deepEqual(gkeGpuNodeLabels({ sharing: { mode: "none" } }), { [GPU_NODE_LABEL.key]: "gpu", "gke-no-default-nvidia-gpu-device-plugin": "true" });
        const facts = gkeGpuFacts(gpuPool({ mode: "none" }));
        assert.deepEqual([facts.driver, facts.toolkit], ["platform", "operator"]);
        const values = gpuOperator.gpuOperatorValues({ platform: "gke", gpu: facts, monitoring: false, driverVersion: "x" }) as Record<string, any>;
        assert.deepEqual([values.driver.enabled, values.toolkit.enabled, values.devicePlugin.enabled], [false, true, true]);
    });

    it("pure label functions add the MIG profile in MIG mode only (EKS, GKE, k3s)", () => {
        assert.equal(gpuNodeLabels({ gpuType: "nvidia-a100", sharing: MIG })[MIG_CONFIG_LABEL], "all-1g.10gb");
        assert.equal(MIG_CONFIG_LABEL in gpuNodeLabels({ gpuType: "nvidia-l4", sharing: { mode: "none" } }), false);
        assert.equal(gkeGpuNodeLabels({ sharing: MIG })[MIG_CONFIG_LABEL], "all-1g.10gb");
        assert.deepEqual(k3sGpuNodeLabels(MIG), { [GPU_NODE_LABEL.key]: "gpu", [MIG_CONFIG_LABEL]: "all-1g.10gb" });
        const host = { name: "edge-gpu-1", address: "192.0.2.21", role: "agent" as const, gpu: true };
        assert.match(nodeConfigCommand(host, MIG), /kubectl label node edge-gpu-1 hybridml\.io\/node-pool=gpu nvidia\.com\/mig\.config=all-1g\.10gb --overwrite/);
        // Leaving MIG mode removes the label so the MIG manager stops applying the old profile.
        assert.match(nodeConfigCommand(host, { mode: "none" }), /kubectl label node edge-gpu-1 nvidia\.com\/mig\.config- \|\| true/);
    });

    it("EKS node group, GKE node pool and AKS agent pool carry nvidia.com/mig.config in MIG mode", async () => {
        const eks = await runMocked(() => new EksCluster("e", eksArgs(MIG)));
        assert.equal(eks.inputs(eks.one("aws:eks/nodeGroup:NodeGroup", "e-gpu")).labels[MIG_CONFIG_LABEL], "all-1g.10gb");
        assert.equal(MIG_CONFIG_LABEL in eks.inputs(eks.one("aws:eks/nodeGroup:NodeGroup", "e-system")).labels, false);
        const gke = await runMocked(() => new GkeCluster("gke-mig", gkeArgs(MIG)));
        assert.deepEqual(gke.inputs(gke.one("gcp:container/nodePool:NodePool", "gke-mig-gpu")).nodeConfig.labels, {
            [GPU_NODE_LABEL.key]: "gpu", "gke-no-default-nvidia-gpu-device-plugin": "true", [MIG_CONFIG_LABEL]: "all-1g.10gb",
        });
        assert.deepEqual([gke.value.gpu.driver, gke.value.gpu.toolkit], ["platform", "operator"]);
        const aks = await runMocked(() => new AksCluster("a", aksArgs(MIG)));
        assert.deepEqual(aks.inputs(aks.one("azure-native:containerservice:AgentPool", "a-gpu")).nodeLabels, { [GPU_NODE_LABEL.key]: "gpu", [MIG_CONFIG_LABEL]: "all-1g.10gb" });
        const aksNone = await runMocked(() => new AksCluster("a", aksArgs({ mode: "none" })));
        assert.deepEqual(aksNone.inputs(aksNone.one("azure-native:containerservice:AgentPool", "a-gpu")).nodeLabels, { [GPU_NODE_LABEL.key]: "gpu" });
    });

    it("k3s GPU hosts get the MIG label from the cluster's sharing; non-GPU hosts lose it", async () => {
        const hosts = [
            { name: "s1", address: "10.0.0.1", role: "server" as const, gpu: false },
            { name: "g1", address: "10.0.0.2", role: "agent" as const, gpu: true },
        ];
        const rec = await runMocked(() => new K3sCluster("edge", {
            hosts, sshUser: "ops", sshPort: 22, sshPrivateKey: "k", token: "t",
            gpu: { gpuType: "nvidia-l4", gpuCount: 1, minSize: 1, maxSize: 1, sharing: MIG },
        }));
        assert.match(rec.inputs(rec.one("command:remote:Command", "edge-g1-node")).create, /nvidia\.com\/mig\.config=all-1g\.10gb --overwrite/);
        assert.match(rec.inputs(rec.one("command:remote:Command", "edge-s1-node")).create, /nvidia\.com\/mig\.config- \|\| true/);
    });
});

describe("clusters/eks: default StorageClass and metrics-server", () => {
    it("eksDefaultStorageClass: encrypted gp3 through the EBS CSI driver, default, WaitForFirstConsumer, expandable", () => {
        assert.deepEqual(eksDefaultStorageClass(), {
            metadata: { name: EKS_DEFAULT_STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
            provisioner: "ebs.csi.aws.com",
            parameters: { type: "gp3", encrypted: "true" },
            volumeBindingMode: "WaitForFirstConsumer",
            allowVolumeExpansion: true,
            reclaimPolicy: "Delete",
        });
    });

    it("EksCluster creates the default class on its own k8s provider, after the EBS CSI add-on; metrics-server is a pinned add-on after the nodes", async () => {
        const rec = await runMocked(() => new EksCluster("e", eksArgs({ mode: "none" })));
        const sc = rec.one("kubernetes:storage.k8s.io/v1:StorageClass");
        assert.equal(sc.name, "e-default-storage-class");
        assert.deepEqual(rec.inputs(sc).parameters, { type: "gp3", encrypted: "true" });
        assert.equal(rec.inputs(sc).metadata.annotations["storageclass.kubernetes.io/is-default-class"], "true");
        const k8sProvider = rec.one("pulumi:providers:kubernetes");
        assert.ok(sc.provider.startsWith(`${k8sProvider.urn}::`), sc.provider);
        assert.equal(sc.parent, rec.one("hybridml:clusters:EksCluster").urn);
        const addon = (n: string) => rec.ofType("aws:eks/addon:Addon").find((a) => rec.inputs(a).addonName === n)!;
        assert.ok(sc.dependencies.includes(addon("aws-ebs-csi-driver").urn), "the class waits for its provisioner");
        const metrics = addon("metrics-server");
        assert.equal(rec.inputs(metrics).addonVersion, clusterPins[versions.kubernetes].eksAddons["metrics-server"]);
        assert.match(clusterPins[versions.kubernetes].eksAddons["metrics-server"], /^v\d+\.\d+\.\d+-eksbuild\.\d+$/);
        assert.ok(metrics.dependencies.includes(rec.one("aws:eks/nodeGroup:NodeGroup", "e-system").urn), "metrics-server needs nodes");
        assert.equal((await settle(rec.value.objectStore.uriPrefix)).known, true);
    });
});
