/**
 * GpuOperator: the NVIDIA GPU operator (SPEC 5 "GPU") with the values a platform engineer expects
 * on each platform. Who installs the driver and the container toolkit comes from the cluster's GPU
 * facts (the platform's node image, or the operator); sharing (time-slicing or MIG) comes from the
 * GPU pool config; the DCGM exporter gets a ServiceMonitor when the stack runs monitoring.
 *
 * Operands (driver, toolkit, device plugin, GFD, DCGM exporter, MIG manager, validator) are
 * DaemonSets the operator schedules only on nodes it labels `nvidia.com/gpu.present=true` (from
 * Node Feature Discovery's NVIDIA PCI label), so they stay off the system nodes; they tolerate the
 * GPU taint. The operator Deployment and NFD's master/gc run on the (untainted) system nodes.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { versions } from "../../lib/versions";
import { chartSource, type ChartMirror } from "../../lib/charts";
import type { Cluster, GpuFacts } from "../clusters/types";

// The MIG node label lives with the clusters (their GPU pools carry it); re-exported for the operator's users.
export { MIG_CONFIG_LABEL, migConfigNodeLabels } from "../clusters/types";

/** Namespace of the GPU operator and its operands. */
export const GPU_OPERATOR_NAMESPACE = "gpu-operator";
/** Helm release name (and so the prefix of the operator's objects). */
export const GPU_OPERATOR_RELEASE = "gpu-operator";
/** ConfigMap holding the device plugin's sharing config (time-slicing). */
export const DEVICE_PLUGIN_CONFIG_MAP = "device-plugin-config";
/** Key of the time-slicing config in that ConfigMap (`devicePlugin.config.default`). */
export const TIME_SLICING_CONFIG_KEY = "time-slicing";
/** GKE: where GKE's driver installer puts the driver, and where the toolkit goes (GKE's documented install). */
export const GKE_NVIDIA_DIR = "/home/kubernetes/bin/nvidia";
/**
 * k3s: the embedded containerd. k3s regenerates `config.toml` from its template on every start, so the
 * toolkit writes the template (`config-v3.toml.tmpl`: k3s 1.31+ runs containerd 2, config version 3),
 * reading the current generated `config.toml` as its source, and signals k3s's containerd socket.
 */
export const K3S_CONTAINERD = {
    config: "/var/lib/rancher/k3s/agent/etc/containerd/config.toml",
    template: "/var/lib/rancher/k3s/agent/etc/containerd/config-v3.toml.tmpl",
    socket: "/run/k3s/containerd/containerd.sock",
} as const;

/** The platforms a cluster can be on. */
export type GpuPlatform = Cluster["platform"];
/** GPU sharing, as the cluster's GPU facts carry it. */
export type GpuSharing = GpuFacts["sharing"];

/** What the values depend on. */
export interface GpuOperatorValuesInput {
    platform: GpuPlatform;
    gpu: Pick<GpuFacts, "driver" | "toolkit" | "sharing" | "taint">;
    /** The stack runs the Prometheus operator: the DCGM exporter gets a ServiceMonitor. */
    monitoring: boolean;
    /** Driver version when the operator installs it. */
    driverVersion: string;
}

/** MIG strategy for the device plugin and GFD: `mixed` only for the mixed-size `all-balanced` profile. */
export function migStrategy(sharing: GpuSharing): "none" | "single" | "mixed" {
    if (sharing.mode !== "mig") return "none";
    return sharing.profile === "all-balanced" ? "mixed" : "single";
}

/** The device plugin's time-slicing config (device-plugin config file format v1). */
export function timeSlicingConfig(replicas: number): string {
    return [
        "version: v1",
        "flags:",
        "  migStrategy: none",
        "sharing:",
        "  timeSlicing:",
        "    renameByDefault: false",
        "    failRequestsGreaterThanOne: false",
        "    resources:",
        "      - name: nvidia.com/gpu",
        `        replicas: ${replicas}`,
        "",
    ].join("\n");
}

/** Data of the device plugin ConfigMap, or undefined when the device plugin needs no config. */
export function devicePluginConfigData(sharing: GpuSharing): Record<string, string> | undefined {
    return sharing.mode === "time-slicing" ? { [TIME_SLICING_CONFIG_KEY]: timeSlicingConfig(sharing.replicas) } : undefined;
}

/**
 * GKE only lets pods with the `system-node-critical` / `system-cluster-critical` priority classes
 * run outside kube-system when a ResourceQuota in their namespace admits them (GKE's documented
 * install of the GPU operator creates this quota). The operands use `system-node-critical`.
 */
export function criticalPodsQuotaSpec(): { hard: Record<string, string>; scopeSelector: unknown } {
    return {
        hard: { pods: "100" },
        scopeSelector: {
            matchExpressions: [{ operator: "In", scopeName: "PriorityClass", values: ["system-node-critical", "system-cluster-critical"] }],
        },
    };
}

/** Namespace labels: the operands are privileged (driver, toolkit, MIG manager edit the host). */
export function gpuOperatorNamespaceLabels(): Record<string, string> {
    return {
        "app.kubernetes.io/part-of": "hybridml",
        "pod-security.kubernetes.io/enforce": "privileged",
        "pod-security.kubernetes.io/warn": "privileged",
    };
}

/**
 * Toolkit container environment per platform.
 * - GKE: `RUNTIME_CONFIG_SOURCE=file`: on GKE 1.33+ the toolkit's default (`containerd config dump`)
 *   writes back a config containerd cannot load; it must read the file.
 * - k3s: write k3s's template (k3s regenerates `config.toml`), from the generated file, and signal k3s's socket.
 */
export function toolkitEnv(platform: GpuPlatform): Array<{ name: string; value: string }> {
    switch (platform) {
        case "gke": return [{ name: "RUNTIME_CONFIG_SOURCE", value: "file" }];
        case "k3s": return [
            { name: "CONTAINERD_CONFIG", value: K3S_CONTAINERD.template },
            { name: "RUNTIME_CONFIG_SOURCE", value: `file=${K3S_CONTAINERD.config}` },
            { name: "CONTAINERD_SOCKET", value: K3S_CONTAINERD.socket },
        ];
        default: return [];
    }
}

/**
 * Helm values of the gpu-operator chart for one cluster. Every key exists in the chart's values.yaml.
 *
 * - driver: off where the platform ships it (EKS NVIDIA AMI; on GKE Google's installer DaemonSet),
 *   else the pinned data-centre driver (on-prem, edge, AKS pools with `gpuProfile.driver: None`);
 * - toolkit: off where the node image ships it (EKS NVIDIA AMI); on GKE installed next to the driver
 *   of Google's installer in `/home/kubernetes/bin/nvidia` with CDI, reading containerd's config from the
 *   file (NVIDIA's GKE guide); on k3s writing k3s's containerd template;
 * - device plugin: time-slicing through a ConfigMap, or MIG (strategy + MIG manager);
 * - NFD on, GFD on, DCGM exporter on with a ServiceMonitor when monitoring runs.
 */
export function gpuOperatorValues(input: GpuOperatorValuesInput): Record<string, unknown> {
    const { platform, gpu } = input;
    const gke = platform === "gke";
    const toolkitOn = gke || gpu.toolkit === "operator";
    const env = toolkitEnv(platform);
    const sharing = gpu.sharing;
    const values: Record<string, unknown> = {
        nfd: { enabled: true },
        daemonsets: {
            priorityClassName: "system-node-critical",
            tolerations: [{ key: gpu.taint.key, operator: "Exists", effect: gpu.taint.effect }],
        },
        driver: gpu.driver === "operator" ? { enabled: true, version: input.driverVersion } : { enabled: false },
        toolkit: {
            enabled: toolkitOn,
            ...(gke ? { installDir: GKE_NVIDIA_DIR } : {}),
            ...(toolkitOn && env.length > 0 ? { env } : {}),
        },
        devicePlugin: {
            enabled: true,
            ...(sharing.mode === "time-slicing"
                ? { config: { create: false, name: DEVICE_PLUGIN_CONFIG_MAP, default: TIME_SLICING_CONFIG_KEY } }
                : {}),
        },
        mig: { strategy: migStrategy(sharing) },
        migManager: { enabled: sharing.mode === "mig" },
        gfd: { enabled: true },
        dcgmExporter: {
            enabled: true,
            serviceMonitor: { enabled: input.monitoring, interval: "15s" },
        },
    };
    if (gke) {
        values.hostPaths = { driverInstallDir: GKE_NVIDIA_DIR };
        values.cdi = { enabled: true };
    }
    return values;
}

export interface GpuOperatorArgs {
    /** Chart mirror replacing the upstream chart repositories (lib/charts.ts). Default: upstream. */
    charts?: ChartMirror;
    /** Provider of the target cluster (required: nothing lands on an ambient cluster). */
    provider: k8s.Provider;
    /** The cluster's platform (eks, gke, aks, onprem, k3s): picks the platform-specific values. Required. */
    platform: GpuPlatform;
    /** The cluster's GPU facts: driver/toolkit ownership, taint, sharing. Required. */
    gpu: GpuFacts;
    /**
     * The monitoring stack's release (installs the monitoring.coreos.com CRDs). When set, the DCGM
     * exporter's ServiceMonitor is switched on and the operator release depends on it. Default: none
     * (no ServiceMonitor).
     */
    monitoring?: pulumi.Resource;
    /** Namespace of the operator. Default `gpu-operator`. */
    namespace?: string;
    /** NVIDIA driver version where the operator installs it. Default `versions.nvidiaDriver`. */
    driverVersion?: string;
    /** GKE: manifest of Google's NVIDIA driver installer DaemonSet. Default `versions.gkeDriverInstaller`. */
    gkeDriverInstaller?: string;
}

/** The NVIDIA GPU operator on one cluster. */
export class GpuOperator extends pulumi.ComponentResource {
    /** The operator's Helm release: GPU workloads depend on it. */
    public readonly release: k8s.helm.v3.Release;
    /** Namespace the operator runs in. */
    public readonly namespace: pulumi.Output<string>;
    /** Helm values given to the chart (plain data, for stack outputs and tests). */
    public readonly values: Record<string, unknown>;

    constructor(name: string, args: GpuOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("hybridml:gpu:GpuOperator", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        const nsName = args.namespace ?? GPU_OPERATOR_NAMESPACE;

        const ns = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: { name: nsName, labels: gpuOperatorNamespaceLabels() },
        }, child);
        const prerequisites: pulumi.Resource[] = [ns];

        if (args.platform === "gke") {
            // The driver: Google's installer DaemonSet (kube-system) on pools created without a GKE-managed driver.
            prerequisites.push(new k8s.yaml.v2.ConfigFile(`${name}-gke-driver-installer`, { file: args.gkeDriverInstaller ?? versions.gkeDriverInstaller }, child));
            prerequisites.push(new k8s.core.v1.ResourceQuota(`${name}-critical-pods`, {
                metadata: { name: "gpu-operator-critical-pods", namespace: ns.metadata.name },
                spec: criticalPodsQuotaSpec() as k8s.types.input.core.v1.ResourceQuotaSpec,
            }, child));
        }
        const pluginData = devicePluginConfigData(args.gpu.sharing);
        if (pluginData) {
            prerequisites.push(new k8s.core.v1.ConfigMap(`${name}-device-plugin`, {
                metadata: { name: DEVICE_PLUGIN_CONFIG_MAP, namespace: ns.metadata.name },
                data: pluginData,
            }, child));
        }

        this.values = gpuOperatorValues({
            platform: args.platform,
            gpu: args.gpu,
            monitoring: args.monitoring !== undefined,
            driverVersion: args.driverVersion ?? versions.nvidiaDriver,
        });
        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: GPU_OPERATOR_RELEASE,
            ...chartSource("gpu-operator", args.charts),
            namespace: ns.metadata.name,
            createNamespace: false,
            values: this.values,
        }, { parent: this, provider: args.provider, dependsOn: [...prerequisites, ...(args.monitoring ? [args.monitoring] : [])] });

        this.namespace = ns.metadata.name;
        this.registerOutputs({ release: this.release, namespace: this.namespace, values: this.values });
    }
}
