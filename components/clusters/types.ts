/**
 * The one shape every cluster component yields (SPEC 2, 5 "Clusters"), so that the role
 * components (storage, streaming, GPU, serving) never care where the cluster came from.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ChartMirror } from "../../lib/charts";

/** Where a cluster comes from (config `hybridml:cluster.provider`). */
export type ClusterPlatform = "eks" | "gke" | "aks" | "onprem" | "k3s";

/** How GPUs are shared between pods (applied by the GPU operator's device plugin). */
export type GpuSharing =
    | { mode: "none" }
    /** Each GPU is advertised `replicas` times. */
    | { mode: "time-slicing"; replicas: number }
    /** The GPU operator's mig-manager applies `profile` (e.g. `all-1g.10gb`). */
    | { mode: "mig"; profile: string };

/** Label put on every GPU node on every platform, so that workloads select GPU nodes identically. */
export const GPU_NODE_LABEL = { key: "hybridml.io/node-pool", value: "gpu" } as const;
/** Taint put on every GPU node: only pods that tolerate it (GPU workloads, GPU operator) land there. */
export const GPU_TAINT = { key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" } as const;
/** Node label the GPU operator's MIG manager reads to pick the mig-parted profile of a node. */
export const MIG_CONFIG_LABEL = "nvidia.com/mig.config";

/**
 * The label that selects a node's MIG profile (`nvidia.com/mig.config=<profile>`). The MIG manager
 * applies the profile named by this node label (the ClusterPolicy default can only be
 * `all-disabled`), so the GPU nodes must carry it: node-pool labels on the clouds, node labels on
 * k3s GPU hosts, `kubectl label node` by the site admins on-prem. Empty when not in MIG mode.
 */
export function migConfigNodeLabels(sharing: GpuSharing): Record<string, string> {
    return sharing.mode === "mig" ? { [MIG_CONFIG_LABEL]: sharing.profile } : {};
}

/** Facts about the GPU pool that the GPU operator and serving components need. */
export interface GpuFacts {
    /** Node selector matching the GPU nodes (the same on every platform). */
    nodeSelector: Record<string, string>;
    /** Taint on the GPU nodes, to be tolerated by GPU workloads. */
    taint: typeof GPU_TAINT;
    /**
     * Who installs the NVIDIA driver: `platform` (EKS NVIDIA AMI, GKE-managed drivers) or `operator`
     * (the GPU operator's driver container: on-prem, edge, and AKS pools created with driver "None").
     */
    driver: "platform" | "operator";
    /** Who installs the NVIDIA container toolkit: `platform` or `operator`. */
    toolkit: "platform" | "operator";
    /** Accelerator type (for labels, dashboards and GKE accelerators). */
    gpuType: string;
    /** GPUs per node. */
    gpusPerNode: number;
    /** Pool bounds; minNodes 0 means the pool scales from zero. */
    minNodes: number;
    maxNodes: number;
    /** Sharing mode applied by the GPU operator. */
    sharing: GpuSharing;
}

/** A cloud identity bound to a Kubernetes service account (workload identity), with no static keys. */
export interface ModelIdentity {
    /** Kubernetes namespace and service account the cloud identity is bound to. */
    namespace: string;
    serviceAccountName: string;
    /** Annotations to put on that service account (GKE, AKS); empty where the binding is cloud-side (EKS pod identity). */
    serviceAccountAnnotations: pulumi.Output<Record<string, string>>;
    /**
     * Labels the pods (pod templates, never the namespace) must carry: AKS workload identity needs
     * `azure.workload.identity/use: "true"` on the pod for its webhook to inject the token. {} elsewhere.
     */
    podLabels: Record<string, string>;
    /**
     * The cloud resources that give this identity its access (EKS pod-identity association and role
     * policy incl. KMS; GCS bucket IAM member and Workload Identity binding; Azure role assignment and
     * federated credential). Workloads using the identity depend on them, so their first run has its
     * permissions.
     */
    grants: pulumi.Resource[];
}

/** Workload identity that lets serving pods read the model bucket (read-only). */
export type ModelReadIdentity = ModelIdentity;
/**
 * Workload identity of the model sync: may list, read and write (not delete versions of) the model
 * bucket; on EKS also encrypt with the bucket key. Bound to `MODEL_WRITER.serviceAccountName` in
 * the serving namespace. Only the model-sync job uses it; serving pods use `readIdentity`.
 */
export type ModelWriteIdentity = ModelIdentity;

/** The cloud object store holding this stack's copy of the approved models. */
export interface ObjectStore {
    kind: "s3" | "gcs" | "azureblob";
    /** Bucket (S3, GCS) or container (Azure) name. */
    bucket: pulumi.Output<string>;
    /** Storage URI prefix KServe reads from: s3://bucket, gs://bucket, https://account.blob.core.windows.net/container. */
    uriPrefix: pulumi.Output<string>;
    region: string;
    /** Identity with read-only access to the bucket (serving pods). */
    readIdentity: ModelReadIdentity;
    /** Identity that may write the bucket (the model sync, service account `model-sync`). */
    writeIdentity: ModelWriteIdentity;
}

/** What every cluster component yields. */
export interface Cluster {
    /** Provider for everything deployed into the cluster. Never the ambient default. */
    readonly provider: k8s.Provider;
    /** Kubeconfig (secret) using exec-based auth where the platform has it. */
    readonly kubeconfig: pulumi.Output<string>;
    readonly platform: ClusterPlatform;
    readonly gpu: GpuFacts;
    /**
     * The cloud model bucket and its read identity. Undefined on onprem and k3s, where the
     * in-cluster object store (Rook-Ceph RGW, storage component) holds models instead.
     */
    readonly objectStore: ObjectStore | undefined;
    /**
     * The static public addresses the cluster's outbound traffic leaves from (`a.b.c.d/32`): the
     * reserved cloud NAT / outbound addresses on EKS, GKE and AKS, which the training stack allows
     * (`hybridml:exposure.allowedSources`). Undefined on onprem and k3s, where the site decides.
     */
    readonly egress?: pulumi.Output<string[]>;
}

/** The `Cluster` fields every cluster component registers as outputs (plus its own). */
export function clusterOutputs(c: Cluster): Record<keyof Cluster, unknown> {
    return { provider: c.provider, kubeconfig: c.kubeconfig, platform: c.platform, gpu: c.gpu, objectStore: c.objectStore, egress: c.egress };
}

/** Toleration for the GPU taint, as Kubernetes expects it in pod specs and Helm values. */
export function gpuToleration(): { key: string; operator: "Equal"; value: string; effect: string } {
    return { key: GPU_TAINT.key, operator: "Equal", value: GPU_TAINT.value, effect: GPU_TAINT.effect };
}

/** GPU facts for a pool described by config; `driver`/`toolkit` are the platform's choice. */
export function gpuFacts(
    pool: { gpuType: string; gpuCount: number; minSize: number; maxSize: number; sharing: GpuSharing },
    driver: GpuFacts["driver"],
    toolkit: GpuFacts["toolkit"] = driver,
): GpuFacts {
    return {
        nodeSelector: { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value },
        taint: GPU_TAINT,
        driver,
        toolkit,
        gpuType: pool.gpuType,
        gpusPerNode: pool.gpuCount,
        minNodes: pool.minSize,
        maxNodes: pool.maxSize,
        sharing: pool.sharing,
    };
}

/** Default namespace and service account that serving workloads use to read models. */
export const MODEL_READER = { namespace: "models", serviceAccountName: "model-reader" } as const;
/** Default namespace and service account of the model sync, which writes the model bucket. */
export const MODEL_WRITER = { namespace: "models", serviceAccountName: "model-sync" } as const;

/** A node pool as the cluster components take it. */
export interface PoolArgs {
    /** Machine type (EC2 instance type, GCE machine type, Azure VM size). */
    instanceType: string;
    minSize: number;
    maxSize: number;
}

/** The GPU pool as the cluster components take it. */
export interface GpuPoolArgs extends PoolArgs {
    /** Accelerator type, e.g. nvidia-l4 (GKE accelerator name; informational elsewhere). */
    gpuType: string;
    /** GPUs per node (>= 1). */
    gpuCount: number;
    /** Root disk size in GiB. */
    diskSizeGb: number;
    /** GPU sharing applied by the GPU operator. */
    sharing: GpuSharing;
}

/** Arguments shared by the managed-cloud clusters (EksCluster, GkeCluster, AksCluster). */
export interface CloudClusterArgs {
    /** Chart mirror replacing the upstream chart repositories (lib/charts.ts). Default: upstream. */
    charts?: ChartMirror;
    /** Region (AWS, GCP) or location (Azure). Required. */
    region: string;
    /** Kubernetes minor version, e.g. "1.34". Required. */
    version: string;
    /**
     * CIDRs allowed to reach the API server where the access mode uses authorised networks (see each
     * cluster's `apiAccess`). Never a /0. Default [].
     */
    authorizedCidrs?: string[];
    /** VPC/VNet address space, pod and service CIDRs, zones (explicit: no per-region guess). Required. */
    network: { vpcCidr: string; podCidr: string; serviceCidr: string; zones: string[]; natPerZone: boolean };
    /** System node pool. Required. */
    systemPool: PoolArgs;
    /** GPU node pool. Required. */
    gpuPool: GpuPoolArgs;
    /** Protect the cluster, its keys and the model store from deletion. Default true. */
    protect?: boolean;
    /** Namespace/service account bound to the model read identity. Default `MODEL_READER`. */
    modelReader?: { namespace: string; serviceAccountName: string };
    /** Namespace/service account bound to the model write identity (model sync). Default `MODEL_WRITER`. */
    modelWriter?: { namespace: string; serviceAccountName: string };
    /** Environment `prod` turns on the production control-plane settings (tier, upgrade policy). Default false. */
    production?: boolean;
    /** Tags/labels put on every cloud resource that takes them. Default {}. */
    tags?: Record<string, string>;
}
