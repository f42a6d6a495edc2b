/**
 * What every stack runs whatever its roles (SPEC 2, 5): the Prometheus stack, where the cluster
 * has GPU nodes the NVIDIA GPU operator, and cert-manager where KServe or Pulsar needs it. Built right after the cluster and handed to the
 * roles, so that their monitors and GPU workloads can depend on them.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import type { Cluster } from "../components/clusters/types";
import { GpuOperator } from "../components/gpu/gpuOperator";
import { CertManager } from "../components/serving/certManager";
import { Monitoring } from "../components/observability/monitoring";

/** The platform services the roles build on. */
export interface BaseServices {
    /**
     * The monitoring stack's release (it installs the monitoring.coreos.com CRDs): components that
     * emit ServiceMonitors/PodMonitors (or switch them on in an operator) depend on it. Undefined
     * when the stack runs no monitoring.
     */
    monitoring: pulumi.Resource | undefined;
    /** The GPU operator's release (undefined on a cluster without GPU nodes): GPU workloads depend on it. */
    gpuOperator: pulumi.Resource | undefined;
    /**
     * cert-manager's release (its CRDs and webhook): KServe's webhook certificates and Pulsar's TLS
     * Issuer need it first. Installed where either runs: every serving stack and every Pulsar stack.
     */
    certManager: pulumi.Resource | undefined;
}

/** cert-manager runs where KServe (serving role) or the Pulsar chart's TLS issuer (engine pulsar) needs it. */
export function needsCertManager(config: Pick<PlatformConfig, "roles" | "streaming">): boolean {
    return config.roles.serving || config.streaming.engine === "pulsar";
}

/**
 * True when the cluster has (or may scale up) GPU nodes: k3s hosts flagged `gpu: true`, or a GPU
 * pool whose maximum is above zero on every other platform.
 */
export function hasGpuNodes(config: PlatformConfig, cluster: Pick<Cluster, "platform" | "gpu">): boolean {
    if (config.cluster.provider === "k3s") return config.cluster.hosts.some((h) => h.gpu);
    return cluster.gpu.maxNodes > 0;
}

/** Deploy the base services onto `cluster`. */
export function deployBase(name: string, config: PlatformConfig, cluster: Cluster): BaseServices {
    const o = config.observability;
    const monitoring = o.enabled
        ? new Monitoring(`${name}-monitoring`, {
            charts: config.charts,
            provider: cluster.provider,
            retention: o.retention,
            retentionSize: o.retentionSize,
            storageSize: o.storageSize,
            storageClassName: o.storageClass,
            grafana: o.grafana,
            replicas: o.replicas,
        })
        : undefined;
    const gpuOperator = hasGpuNodes(config, cluster)
        ? new GpuOperator(`${name}-gpu`, {
            charts: config.charts,
            provider: cluster.provider,
            platform: cluster.platform,
            gpu: cluster.gpu,
            monitoring: monitoring?.release,
        })
        : undefined;
    const certManager = needsCertManager(config)
        ? new CertManager(`${name}-cert-manager`, { charts: config.charts, provider: cluster.provider, replicas: config.environment === "prod" ? 2 : 1 })
        : undefined;
    return { monitoring: monitoring?.release, gpuOperator: gpuOperator?.release, certManager: certManager?.release };
}
