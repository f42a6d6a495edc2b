/**
 * The one shape every cluster component yields (SPEC 2, 5 "Clusters"), so that the role
 * components (storage, streaming, GPU, serving) never care where the cluster came from.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterProvider, GpuSharing } from "../../config/schema";

/** Label put on every GPU node on every platform, so that workloads select GPU nodes identically. */
export const GPU_NODE_LABEL = { key: "hybridml.io/node-pool", value: "gpu" } as const;
/** Taint put on every GPU node: only pods that tolerate it (GPU workloads, GPU operator) land there. */
export const GPU_TAINT = { key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" } as const;

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

/** Workload identity that lets serving pods read the model bucket, with no static keys. */
export interface ModelReadIdentity {
    /** Kubernetes namespace and service account the cloud identity is bound to. */
    namespace: string;
    serviceAccountName: string;
    /** Annotations to put on that service account (GKE, AKS); empty where the binding is cloud-side (EKS pod identity). */
    serviceAccountAnnotations: pulumi.Output<Record<string, string>>;
    /** Labels pods must carry (AKS workload identity: `azure.workload.identity/use: "true"`). */
    podLabels: Record<string, string>;
}

/** The cloud object store holding this stack's copy of the approved models. */
export interface ObjectStore {
    kind: "s3" | "gcs" | "azureblob";
    /** Bucket (S3, GCS) or container (Azure) name. */
    bucket: pulumi.Output<string>;
    /** Storage URI prefix KServe reads from: s3://bucket, gs://bucket, https://account.blob.core.windows.net/container. */
    uriPrefix: pulumi.Output<string>;
    region: string;
    /** Identity with read-only access to the bucket. */
    readIdentity: ModelReadIdentity;
}

/** What every cluster component yields. */
export interface Cluster {
    /** Provider for everything deployed into the cluster. Never the ambient default. */
    readonly provider: k8s.Provider;
    /** Kubeconfig (secret) using exec-based auth where the platform has it. */
    readonly kubeconfig: pulumi.Output<string>;
    readonly platform: ClusterProvider;
    readonly gpu: GpuFacts;
    /**
     * The cloud model bucket and its read identity. Undefined on onprem and k3s, where the
     * in-cluster object store (Rook-Ceph RGW, storage component) holds models instead.
     */
    readonly objectStore: ObjectStore | undefined;
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
    /** Region (AWS, GCP) or location (Azure). */
    region: string;
    /** Kubernetes minor version, e.g. "1.34". */
    version: string;
    /** Expose the API server publicly, only to `authorizedCidrs`. Default false (private endpoint only). */
    publicEndpoint?: boolean;
    /** CIDRs allowed to reach the public endpoint. Must be non-empty when publicEndpoint is true. Default []. */
    authorizedCidrs?: string[];
    /** VPC/VNet address space, pod and service CIDRs, zones. */
    network: { vpcCidr: string; podCidr: string; serviceCidr: string; zones: string[]; natPerZone: boolean };
    systemPool: PoolArgs;
    gpuPool: GpuPoolArgs;
    /** Protect the cluster, its key and the model bucket from deletion. Default true. */
    protect?: boolean;
    /** Namespace/service account bound to the model read identity. Default `MODEL_READER`. */
    modelReader?: { namespace: string; serviceAccountName: string };
    /** Tags/labels put on every cloud resource that takes them. Default {}. */
    tags?: Record<string, string>;
}
