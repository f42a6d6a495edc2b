import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import { parse } from "yaml";
import { GPU_TAINT, GpuFacts, gpuFacts } from "../../components/clusters/types";
import {
    criticalPodsQuotaSpec, DEVICE_PLUGIN_CONFIG_MAP, devicePluginConfigData, GKE_NVIDIA_DIR, GpuOperator, gpuOperatorValues,
    GpuPlatform, K3S_CONTAINERD, MIG_CONFIG_LABEL, migConfigNodeLabels, migStrategy, TIME_SLICING_CONFIG_KEY, timeSlicingConfig,
} from "../../components/gpu/gpuOperator";
import { chartRepos, versions } from "../../lib/versions";
import { validateCustomResource } from "../helpers/crds";
import { runMocked } from "../helpers/run";
import { unknownValuesKeys } from "../helpers/values";

const VALUES_FILE = "gpu-operator/values-gpu-operator.yaml";
const pool = { gpuType: "nvidia-l4", gpuCount: 1, minSize: 0, maxSize: 2 };
type Sharing = GpuFacts["sharing"];
const none: Sharing = { mode: "none" };
const timeSlicing: Sharing = { mode: "time-slicing", replicas: 4 };
const mig: Sharing = { mode: "mig", profile: "all-3g.40gb" };

/** The GPU facts each platform's cluster component yields (components/clusters/*). */
const platformFacts: Record<GpuPlatform, (s: Sharing) => GpuFacts> = {
    eks: (s) => gpuFacts({ ...pool, sharing: s }, "platform"),
    gke: (s) => gpuFacts({ ...pool, sharing: s }, "platform"),
    aks: (s) => gpuFacts({ ...pool, sharing: s }, "operator"),
    onprem: (s) => gpuFacts({ ...pool, sharing: s }, "operator"),
    k3s: (s) => gpuFacts({ ...pool, sharing: s }, "operator"),
};
const platforms = Object.keys(platformFacts) as GpuPlatform[];

function values(platform: GpuPlatform, sharing: Sharing = none, monitoring = true): any {
    return gpuOperatorValues({ platform, gpu: platformFacts[platform](sharing), monitoring, driverVersion: versions.nvidiaDriver });
}

describe("GPU operator values (pure)", () => {
    it("driver: the platform's on EKS (NVIDIA AMI) and GKE (GKE-managed), the pinned operator driver elsewhere", () => {
        assert.deepEqual(values("eks").driver, { enabled: false });
        assert.deepEqual(values("gke").driver, { enabled: false });
        for (const p of ["aks", "onprem", "k3s"] as const) {
            assert.deepEqual(values(p).driver, { enabled: true, version: versions.nvidiaDriver }, p);
        }
        assert.match(versions.nvidiaDriver, /^\d{3}\.\d+\.\d+$/);
    });

    it("toolkit: off on EKS (the NVIDIA AMI ships it), on everywhere else", () => {
        assert.equal(values("eks").toolkit.enabled, false);
        for (const p of ["gke", "aks", "onprem", "k3s"] as const) assert.equal(values(p).toolkit.enabled, true, p);
    });

    it("GKE: GKE's documented install (driver dir and toolkit dir /home/kubernetes/bin/nvidia, CDI on)", () => {
        const v = values("gke");
        assert.deepEqual(v.hostPaths, { driverInstallDir: GKE_NVIDIA_DIR });
        assert.equal(v.toolkit.installDir, "/home/kubernetes/bin/nvidia");
        assert.deepEqual(v.cdi, { enabled: true });
        for (const p of ["eks", "aks", "onprem", "k3s"] as const) {
            assert.equal(values(p).hostPaths, undefined, p);
            assert.equal(values(p).toolkit.installDir, undefined, p);
        }
    });

    it("k3s: the toolkit writes k3s's containerd template (k3s regenerates config.toml) from the generated file, and signals k3s's socket", () => {
        assert.deepEqual(values("k3s").toolkit.env, [
            { name: "CONTAINERD_CONFIG", value: "/var/lib/rancher/k3s/agent/etc/containerd/config-v3.toml.tmpl" },
            { name: "RUNTIME_CONFIG_SOURCE", value: "file=/var/lib/rancher/k3s/agent/etc/containerd/config.toml" },
            { name: "CONTAINERD_SOCKET", value: "/run/k3s/containerd/containerd.sock" },
        ]);
        assert.equal(K3S_CONTAINERD.socket, "/run/k3s/containerd/containerd.sock");
        for (const p of ["eks", "aks", "onprem"] as const) assert.equal(values(p).toolkit.env, undefined, p);
    });

    it("GKE 1.33+: the toolkit reads containerd's config from the file (RUNTIME_CONFIG_SOURCE=file), never from `containerd config dump`", () => {
        assert.deepEqual(values("gke").toolkit.env, [{ name: "RUNTIME_CONFIG_SOURCE", value: "file" }]);
        assert.deepEqual(values("gke").driver, { enabled: false });
    });

    it("operands tolerate the GPU taint (any value) and run at node-critical priority; NFD, GFD, DCGM exporter on", () => {
        for (const p of platforms) {
            const v = values(p);
            assert.deepEqual(v.daemonsets.tolerations, [{ key: GPU_TAINT.key, operator: "Exists", effect: GPU_TAINT.effect }], p);
            assert.equal(v.daemonsets.priorityClassName, "system-node-critical");
            assert.deepEqual(v.nfd, { enabled: true });
            assert.deepEqual(v.gfd, { enabled: true });
            assert.equal(v.dcgmExporter.enabled, true);
            assert.equal(v.devicePlugin.enabled, true);
        }
    });

    it("DCGM exporter's ServiceMonitor only when monitoring (and its CRDs) exist", () => {
        assert.deepEqual(values("eks", none, true).dcgmExporter.serviceMonitor, { enabled: true, interval: "15s" });
        assert.equal(values("eks", none, false).dcgmExporter.serviceMonitor.enabled, false);
    });

    it("no sharing: no device-plugin config, MIG strategy none, MIG manager off", () => {
        const v = values("onprem", none);
        assert.equal(v.devicePlugin.config, undefined);
        assert.deepEqual(v.mig, { strategy: "none" });
        assert.deepEqual(v.migManager, { enabled: false });
        assert.equal(devicePluginConfigData(none), undefined);
    });

    it("time-slicing: the device plugin reads the ConfigMap's time-slicing entry with the configured replicas", () => {
        const v = values("aks", timeSlicing);
        assert.deepEqual(v.devicePlugin.config, { create: false, name: DEVICE_PLUGIN_CONFIG_MAP, default: TIME_SLICING_CONFIG_KEY });
        assert.deepEqual(v.mig, { strategy: "none" });
        assert.deepEqual(v.migManager, { enabled: false });
        const data = devicePluginConfigData(timeSlicing);
        assert.deepEqual(Object.keys(data ?? {}), [TIME_SLICING_CONFIG_KEY]);
        const cfg = parse(data?.[TIME_SLICING_CONFIG_KEY] ?? "");
        assert.equal(cfg.version, "v1");
        assert.deepEqual(cfg.sharing.timeSlicing.resources, [{ name: "nvidia.com/gpu", replicas: 4 }]);
        assert.equal(parse(timeSlicingConfig(7)).sharing.timeSlicing.resources[0].replicas, 7);
    });

    it("MIG: strategy single (mixed for all-balanced), MIG manager on, profile carried by the nvidia.com/mig.config node label", () => {
        const v = values("onprem", mig);
        assert.deepEqual(v.mig, { strategy: "single" });
        assert.deepEqual(v.migManager, { enabled: true });
        assert.equal(v.devicePlugin.config, undefined);
        assert.equal(migStrategy({ mode: "mig", profile: "all-balanced" }), "mixed");
        assert.deepEqual(migConfigNodeLabels(mig), { [MIG_CONFIG_LABEL]: "all-3g.40gb" });
        assert.equal(MIG_CONFIG_LABEL, "nvidia.com/mig.config");
        assert.deepEqual(migConfigNodeLabels(timeSlicing), {});
    });

    it("every values key exists in the chart's values.yaml (each platform and sharing mode)", () => {
        const modes: Sharing[] = [none, timeSlicing, mig];
        for (const p of platforms) {
            for (const sharing of modes) {
                for (const monitoring of [true, false]) {
                    const v: unknown = values(p, sharing, monitoring);
                    assert.deepEqual(unknownValuesKeys(v, VALUES_FILE), [], `${p} ${sharing.mode}`);
                }
            }
        }
    });

    it("unknownValuesKeys catches a key the chart does not have (the check can fail)", () => {
        assert.deepEqual(unknownValuesKeys({ ...values("eks"), devicePlugin: { timeSlicing: 4 } }, VALUES_FILE), ["devicePlugin.timeSlicing"]);
    });

    it("GKE's critical-pods quota admits the system priority classes the operands use", () => {
        const q = criticalPodsQuotaSpec() as any;
        assert.deepEqual(q.scopeSelector.matchExpressions[0].values, ["system-node-critical", "system-cluster-critical"]);
        assert.equal(q.scopeSelector.matchExpressions[0].scopeName, "PriorityClass");
        assert.ok(values("gke").daemonsets.priorityClassName.startsWith("system-"));
    });
});

/**
 * The ClusterPolicy the chart's templates/clusterpolicy.yaml (v26.7.0) renders from the keys we set
 * (the chart copies them 1:1; devicePlugin.config keeps only name/default), with the chart's own
 * defaults for the required sections we do not set.
 */
function renderedClusterPolicy(v: any): any {
    const pick = (o: any, keys: string[]) => Object.fromEntries(keys.filter((k) => o?.[k] !== undefined).map((k) => [k, o[k]]));
    return {
        apiVersion: "nvidia.com/v1",
        kind: "ClusterPolicy",
        metadata: { name: "cluster-policy" },
        spec: {
            hostPaths: { rootFS: "/", driverInstallDir: "/run/nvidia/driver", ...v.hostPaths },
            operator: { runtimeClass: "nvidia" },
            daemonsets: { ...v.daemonsets, updateStrategy: "RollingUpdate", rollingUpdate: { maxUnavailable: "1" } },
            mig: v.mig,
            cdi: { enabled: true, ...v.cdi },
            driver: { kernelModuleType: "auto", ...v.driver },
            toolkit: v.toolkit,
            devicePlugin: { enabled: v.devicePlugin.enabled, ...(v.devicePlugin.config ? { config: pick(v.devicePlugin.config, ["name", "default"]) } : {}) },
            dcgm: { enabled: false },
            dcgmExporter: v.dcgmExporter,
            gfd: v.gfd,
            migManager: { ...v.migManager, config: { default: "all-disabled", name: "" } },
            nodeStatusExporter: { enabled: false },
        },
    };
}

describe("ClusterPolicy rendered from the values", () => {
    it("validates against the nvidia.com/v1 ClusterPolicy CRD for every platform and sharing mode", () => {
        const modes: Sharing[] = [none, timeSlicing, mig];
        for (const p of platforms) {
            for (const sharing of modes) assert.deepEqual(validateCustomResource(renderedClusterPolicy(values(p, sharing))), [], `${p} ${sharing.mode}`);
        }
    });

    it("the CRD would refuse a MIG profile as the MIG manager default (hence the node label)", () => {
        const cp = renderedClusterPolicy(values("onprem", mig));
        cp.spec.migManager.config.default = "all-3g.40gb";
        assert.notDeepEqual(validateCustomResource(cp), []);
    });
});

describe("GpuOperator component", () => {
    const provider = () => new k8s.Provider("cluster", { kubeconfig: "apiVersion: v1\nkind: Config" });

    async function run(platform: GpuPlatform, sharing: Sharing, withMonitoring: boolean) {
        return runMocked(() => {
            const p = provider();
            const monitoring = withMonitoring
                ? new k8s.helm.v3.Release("mon", { chart: "kube-prometheus-stack", version: "88.3.0" }, { provider: p })
                : undefined;
            return new GpuOperator("stk-gpu", { provider: p, platform, gpu: platformFacts[platform](sharing), monitoring });
        });
    }

    it("installs the pinned chart from NVIDIA's repo into its privileged namespace", async () => {
        const rec = await run("onprem", none, true);
        const release = rec.one("kubernetes:helm.sh/v3:Release", "stk-gpu-release");
        const inputs = rec.inputs(release);
        assert.equal(inputs.chart, "gpu-operator");
        assert.equal(inputs.version, "v26.7.0");
        assert.equal(inputs.version, versions.charts.gpuOperator);
        assert.deepEqual(inputs.repositoryOpts, { repo: chartRepos.gpuOperator });
        assert.equal(chartRepos.gpuOperator, "https://helm.ngc.nvidia.com/nvidia");
        assert.equal(inputs.name, "gpu-operator");
        assert.equal(inputs.namespace, "gpu-operator");
        assert.deepEqual(inputs.values.driver, { enabled: true, version: versions.nvidiaDriver });
        const ns = rec.one("kubernetes:core/v1:Namespace", "stk-gpu-ns");
        assert.equal(rec.inputs(ns).metadata.labels["pod-security.kubernetes.io/enforce"], "privileged");
        assert.ok(release.dependencies.includes(ns.urn));
    });

    it("every child has the cluster provider and the component as parent", async () => {
        for (const [platform, sharing] of [["gke", timeSlicing], ["k3s", mig]] as const) {
            const rec = await run(platform, sharing, true);
            const component = rec.one("hybridml:gpu:GpuOperator");
            const providerUrn = rec.one("pulumi:providers:kubernetes").urn;
            const children = rec.resources.filter((r) => r.parent === component.urn);
            assert.ok(children.length >= 2);
            for (const c of children) {
                assert.ok(c.provider.startsWith(`${providerUrn}::`), `${c.type} ${c.name} provider ${c.provider}`);
            }
        }
    });

    it("exact children per platform: GKE adds the critical-pods quota, time-slicing adds the device-plugin ConfigMap", async () => {
        const children = (rec: Awaited<ReturnType<typeof run>>) => {
            const component = rec.one("hybridml:gpu:GpuOperator");
            return rec.resources.filter((r) => r.parent === component.urn).map((r) => `${r.type} ${r.name}`).sort();
        };
        assert.deepEqual(children(await run("eks", none, true)), [
            "kubernetes:core/v1:Namespace stk-gpu-ns", "kubernetes:helm.sh/v3:Release stk-gpu-release",
        ]);
        const gke = await run("gke", timeSlicing, true);
        assert.deepEqual(children(gke), [
            "kubernetes:core/v1:ConfigMap stk-gpu-device-plugin", "kubernetes:core/v1:Namespace stk-gpu-ns",
            "kubernetes:core/v1:ResourceQuota stk-gpu-critical-pods", "kubernetes:helm.sh/v3:Release stk-gpu-release",
            "kubernetes:yaml/v2:ConfigFile stk-gpu-gke-driver-installer",
        ]);
        // GKE's driver comes from Google's installer (pinned manifest), applied before the operator's release.
        const installer = gke.one("kubernetes:yaml/v2:ConfigFile");
        assert.match(String(gke.inputs(installer).file), /^https:\/\/raw\.githubusercontent\.com\/GoogleCloudPlatform\/container-engine-accelerators\/[0-9a-f]{40}\/nvidia-driver-installer\/cos\/daemonset-preloaded\.yaml$/);
        assert.match(installer.provider, /::k8s::|providers:kubernetes/);
        assert.ok(gke.one("kubernetes:helm.sh/v3:Release", "stk-gpu-release").dependencies.includes(installer.urn));
        for (const p of ["eks", "aks", "onprem", "k3s"] as const) {
            assert.equal((await run(p, none, false)).ofType("kubernetes:yaml/v2:ConfigFile").length, 0, p);
        }
        const cm = gke.inputs(gke.one("kubernetes:core/v1:ConfigMap"));
        assert.equal(cm.metadata.name, DEVICE_PLUGIN_CONFIG_MAP);
        assert.equal(cm.metadata.namespace, "gpu-operator");
        assert.equal(parse(cm.data[TIME_SLICING_CONFIG_KEY]).sharing.timeSlicing.resources[0].replicas, 4);
        const quota = gke.inputs(gke.one("kubernetes:core/v1:ResourceQuota"));
        assert.equal(quota.metadata.namespace, "gpu-operator");
        assert.deepEqual(quota.spec, criticalPodsQuotaSpec());
        // The release waits for the ConfigMap and the quota, so the device plugin and operands can start.
        const release = gke.one("kubernetes:helm.sh/v3:Release", "stk-gpu-release");
        assert.ok(release.dependencies.includes(gke.one("kubernetes:core/v1:ConfigMap").urn));
        assert.ok(release.dependencies.includes(gke.one("kubernetes:core/v1:ResourceQuota").urn));
    });

    it("depends on the monitoring release when there is one (CRDs before the DCGM ServiceMonitor)", async () => {
        const rec = await run("aks", none, true);
        const mon = rec.one("kubernetes:helm.sh/v3:Release", "mon");
        const release = rec.one("kubernetes:helm.sh/v3:Release", "stk-gpu-release");
        assert.ok(release.dependencies.includes(mon.urn));
        assert.equal(rec.inputs(release).values.dcgmExporter.serviceMonitor.enabled, true);

        const bare = await run("aks", none, false);
        const r2 = bare.one("kubernetes:helm.sh/v3:Release", "stk-gpu-release");
        assert.equal(bare.inputs(r2).values.dcgmExporter.serviceMonitor.enabled, false);
    });
});
