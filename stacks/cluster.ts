/**
 * Picks and builds the stack's one cluster from config (SPEC 2): created in a cloud, an existing
 * on-prem cluster, or k3s installed on edge hosts. All yield the same `Cluster` shape.
 *
 * Each cluster module is loaded only when its provider is chosen, so a stack loads one cloud SDK
 * instead of all three (each costs ~0.2 s and tens of MB at start-up).
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig, PlatformSecrets } from "../config";
import type { CloudClusterArgs, Cluster } from "../components/clusters/types";

/** Tags/labels put on every cloud resource of the stack. */
export function stackTags(config: PlatformConfig): Record<string, string> {
    return { project: config.project, stack: config.stack, environment: config.environment, "managed-by": "pulumi" };
}

type CloudConfig = Extract<PlatformConfig["cluster"], { provider: "eks" | "gke" | "aks" }>;

/** The arguments the three managed clouds share, from config. */
export function cloudClusterArgs(config: PlatformConfig, c: CloudConfig): CloudClusterArgs {
    return {
        charts: config.charts,
        region: c.region,
        version: c.version,
        authorizedCidrs: c.authorizedCidrs,
        network: c.network,
        systemPool: c.systemPool,
        gpuPool: c.gpuPool,
        protect: config.protectStateful,
        production: config.environment === "prod",
        modelReader: { namespace: config.serving.namespace, serviceAccountName: "model-reader" },
        modelWriter: { namespace: config.serving.namespace, serviceAccountName: "model-sync" },
        tags: stackTags(config),
    };
}

/** Build the stack's cluster. `name` prefixes every resource name. */
export async function createCluster(
    name: string,
    config: PlatformConfig,
    secrets: PlatformSecrets,
    opts?: pulumi.ComponentResourceOptions,
): Promise<Cluster> {
    const c = config.cluster;
    switch (c.provider) {
        case "eks": {
            const { EksCluster } = await import("../components/clusters/eks");
            return new EksCluster(name, {
                ...cloudClusterArgs(config, c),
                apiAccess: c.apiAccess,
                deployerRoleArn: c.deployerRoleArn,
                previewRoleArn: c.previewRoleArn,
                adminRoleArns: c.adminRoleArns,
                modelBucketName: c.modelBucketName,
            }, opts);
        }
        case "gke": {
            const { GkeCluster } = await import("../components/clusters/gke");
            return new GkeCluster(name, {
                ...cloudClusterArgs(config, c),
                apiAccess: c.apiAccess,
                project: c.project,
                projectNumber: c.projectNumber,
                previewServiceAccount: c.previewServiceAccount,
                modelBucketName: c.modelBucketName,
            }, opts);
        }
        case "aks": {
            const { AksCluster } = await import("../components/clusters/aks");
            return new AksCluster(name, {
                ...cloudClusterArgs(config, c),
                apiAccess: c.apiAccess,
                runnerVnetId: c.runnerVnetId,
                tenantId: c.tenantId,
                subscriptionId: c.subscriptionId,
                adminGroupObjectIds: c.adminGroupObjectIds,
                deployerObjectId: c.deployerObjectId,
                previewObjectId: c.previewObjectId,
                kubeloginMode: c.kubeloginMode,
                storageAccountName: c.storageAccountName,
                keyVaultName: c.keyVaultName,
            }, opts);
        }
        case "onprem": {
            const { OnPremCluster } = await import("../components/clusters/onprem");
            return new OnPremCluster(name, {
                kubeconfig: required(secrets.kubeconfig, "kubeconfig"), context: c.context, gpu: c.gpuPool,
            }, opts);
        }
        case "k3s": {
            const { K3sCluster } = await import("../components/clusters/k3s");
            return new K3sCluster(name, {
                hosts: c.hosts,
                sshUser: c.sshUser,
                sshPort: c.sshPort,
                sshPrivateKey: required(secrets.sshPrivateKey, "sshPrivateKey"),
                token: secrets.k3sToken,
                gpu: c.gpuPool,
                protect: config.protectStateful,
                credentialRotation: c.credentialRotation,
                installScript: { url: c.installScriptUrl, sha256: c.installScriptSha256 },
            }, opts);
        }
    }
}

function required<T>(value: T | undefined, key: string): T {
    // config/ has already reported a missing secret; this guards direct callers.
    if (value === undefined) throw new Error(`hybridml:${key} is required for this cluster provider`);
    return value;
}
