/**
 * Picks and builds the stack's one cluster from config (SPEC 2): created in a cloud, an existing
 * on-prem cluster, or k3s installed on edge hosts. All yield the same `Cluster` shape.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig, PlatformSecrets } from "../config";
import { AksCluster } from "../components/clusters/aks";
import { EksCluster } from "../components/clusters/eks";
import { GkeCluster } from "../components/clusters/gke";
import { K3sCluster } from "../components/clusters/k3s";
import { OnPremCluster } from "../components/clusters/onprem";
import { CloudClusterArgs, Cluster } from "../components/clusters/types";

/** Tags/labels put on every cloud resource of the stack. */
export function stackTags(config: PlatformConfig): Record<string, string> {
    return { project: config.project, stack: config.stack, environment: config.environment, "managed-by": "pulumi" };
}

/** The arguments the three managed clouds share, from config. */
export function cloudClusterArgs(config: PlatformConfig): CloudClusterArgs {
    const c = config.cluster;
    return {
        region: c.region ?? "",
        version: c.version,
        publicEndpoint: c.publicEndpoint,
        authorizedCidrs: c.authorizedCidrs,
        network: c.network,
        systemPool: c.systemPool,
        gpuPool: c.gpuPool,
        protect: config.protectStateful,
        modelReader: { namespace: config.serving.namespace, serviceAccountName: "model-reader" },
        tags: stackTags(config),
    };
}

/** Build the stack's cluster. `name` prefixes every resource name. */
export function createCluster(name: string, config: PlatformConfig, secrets: PlatformSecrets, opts?: pulumi.ComponentResourceOptions): Cluster {
    const c = config.cluster;
    switch (c.provider) {
        case "eks":
            return new EksCluster(name, { ...cloudClusterArgs(config), adminRoleArns: c.adminRoleArns }, opts);
        case "gke":
            return new GkeCluster(name, {
                ...cloudClusterArgs(config), project: c.project ?? "", projectNumber: c.projectNumber ?? "",
            }, opts);
        case "aks":
            return new AksCluster(name, {
                ...cloudClusterArgs(config), tenantId: c.tenantId ?? "", adminGroupObjectIds: c.adminGroupObjectIds,
            }, opts);
        case "onprem":
            return new OnPremCluster(name, {
                kubeconfig: required(secrets.kubeconfig, "kubeconfig"), context: c.context, gpu: c.gpuPool,
            }, opts);
        case "k3s":
            return new K3sCluster(name, {
                hosts: c.hosts, sshUser: c.sshUser, sshPort: c.sshPort,
                sshPrivateKey: required(secrets.sshPrivateKey, "sshPrivateKey"), token: secrets.k3sToken, gpu: c.gpuPool,
            }, opts);
    }
}

function required<T>(value: T | undefined, key: string): T {
    // config/ has already reported a missing secret; this guards direct callers.
    if (value === undefined) throw new Error(`hybridml:${key} is required for this cluster provider`);
    return value;
}
