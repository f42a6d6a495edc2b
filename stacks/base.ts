/**
 * What every stack runs whatever its roles (SPEC 2, 5): the Prometheus stack and, where the
 * cluster has GPU nodes, the NVIDIA GPU operator. Built right after the cluster and handed to the
 * roles, so that their monitors and GPU workloads can depend on them.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import type { Cluster } from "../components/clusters/types";

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
}

/** Deploy the base services onto `cluster`. */
export function deployBase(_name: string, _config: PlatformConfig, _cluster: Cluster): BaseServices {
    return { monitoring: undefined, gpuOperator: undefined };
}
