/**
 * Compliant fixtures for the policy tests, in the shape the program registers them (see the
 * offline plans): each test starts from one of these and changes one field.
 */
import type { PlanResource } from "../../tools/plan/types";

const STACK = "prod-aws";
export const urnOf = (type: string, name: string, stack = STACK) => `urn:pulumi:${stack}::hybridml::${type}::${name}`;

/** A plan resource (what the offline plan records). */
export function res(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<PlanResource> = {}, stack = STACK): PlanResource {
    return {
        urn: urnOf(type, name, stack), type, name, parent: "", provider: "", dependencies: [], protect: false,
        retainOnDelete: false, read: false, inputs, ...extra,
    };
}

/** Deep copy with one change at a path (`undefined` deletes the field). */
export function change<T>(obj: T, path: Array<string | number>, value: unknown): T {
    const copy = structuredClone(obj) as any;
    let o = copy;
    for (const k of path.slice(0, -1)) o = o[k];
    const last = path[path.length - 1];
    if (value === undefined) delete o[last];
    else o[last] = value;
    return copy;
}

export const eksCluster = {
    name: "prod-aws",
    version: "1.34",
    encryptionConfig: { provider: { keyArn: "arn:aws:kms:eu-west-1:123456789012:key/k" }, resources: ["secrets"] },
    vpcConfig: { endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"], subnetIds: ["[unknown]"] },
    enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
};

export const gkeCluster = {
    name: "prod-gcp",
    databaseEncryption: { keyName: "projects/p/locations/l/keyRings/r/cryptoKeys/k", state: "ENCRYPTED" },
    masterAuthorizedNetworksConfig: { cidrBlocks: [], gcpPublicCidrsAccessEnabled: false },
    privateClusterConfig: { enablePrivateEndpoint: true, enablePrivateNodes: true, masterIpv4CidrBlock: "172.16.0.0/28" },
    workloadIdentityConfig: { workloadPool: "acme-ml-prod.svc.id.goog" },
};

export const aksCluster = {
    apiServerAccessProfile: { enablePrivateCluster: true, privateDNSZone: "system" },
    oidcIssuerProfile: { enabled: true },
    securityProfile: {
        azureKeyVaultKms: { enabled: true, keyId: "https://vault.vault.azure.net/keys/k/0123", keyVaultNetworkAccess: "Public" },
        workloadIdentity: { enabled: true },
    },
    agentPoolProfiles: [{ name: "system", mode: "System", count: 2, minCount: 2, maxCount: 4, enableAutoScaling: true, vmSize: "Standard_D4s_v5" }],
};

export const eksGpuGroup = {
    amiType: "AL2023_x86_64_NVIDIA", clusterName: "prod-aws", instanceTypes: ["g6.2xlarge"],
    scalingConfig: { desiredSize: 0, maxSize: 6, minSize: 0 },
    taints: [{ effect: "NO_SCHEDULE", key: "nvidia.com/gpu", value: "true" }],
};

export const gkeGpuPool = {
    autoscaling: { locationPolicy: "ANY", totalMaxNodeCount: 6, totalMinNodeCount: 0 },
    initialNodeCount: 0,
    nodeConfig: {
        guestAccelerators: [{ count: 1, type: "nvidia-l4" }], machineType: "g2-standard-8",
        taints: [{ effect: "NO_SCHEDULE", key: "nvidia.com/gpu", value: "true" }],
    },
};

export const aksGpuPool = {
    agentPoolName: "gpu", count: 0, enableAutoScaling: true, maxCount: 4, minCount: 0, vmSize: "Standard_NC4as_T4_v3",
    nodeTaints: ["nvidia.com/gpu=true:NoSchedule"],
};

export const autoscalerRelease = {
    chart: "cluster-autoscaler", name: "cluster-autoscaler", namespace: "kube-system", version: "9.52.1",
    repositoryOpts: { repo: "https://kubernetes.github.io/autoscaler" }, values: { cloudProvider: "aws" },
};

export const asgTags = [
    "k8s.io/cluster-autoscaler/enabled",
    "k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu",
    "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu",
];

/** The AWS model bucket with its public access block and encryption (as EksCluster creates them). */
export function s3Bucket(name = "prod-aws-models"): PlanResource[] {
    const bucket = res("aws:s3/bucket:Bucket", name, { bucket: name, forceDestroy: false }, { protect: true });
    return [
        bucket,
        res("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", name, {
            bucket: name, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
        }, { dependencies: [bucket.urn] }),
        res("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", name, {
            bucket: name, rules: [{ applyServerSideEncryptionByDefault: { kmsMasterKeyId: "[unknown]", sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }],
        }, { dependencies: [bucket.urn] }),
    ];
}

export const gcsBucket = {
    name: "acme-ml-prod-prod-gcp-models", location: "europe-west4", publicAccessPrevention: "enforced",
    uniformBucketLevelAccess: true, versioning: { enabled: true },
};

export const storageAccount = {
    accountName: "stprodazurece59de", allowBlobPublicAccess: false, enableHttpsTrafficOnly: true,
    encryption: { keySource: "Microsoft.Storage", services: { blob: { enabled: true, keyType: "Account" } } }, kind: "StorageV2",
};

export const cephBlockPool = {
    apiVersion: "ceph.rook.io/v1", kind: "CephBlockPool", metadata: { name: "replicapool", namespace: "rook-ceph" },
    spec: { failureDomain: "host", replicated: { size: 3 } },
};

export const cephObjectStore = {
    apiVersion: "ceph.rook.io/v1", kind: "CephObjectStore", metadata: { name: "models", namespace: "rook-ceph" },
    spec: {
        metadataPool: { failureDomain: "host", replicated: { size: 3 } },
        dataPool: { failureDomain: "host", erasureCoded: { dataChunks: 2, codingChunks: 1 } },
        preservePoolsOnDelete: true,
    },
};

export const kafka = {
    apiVersion: "kafka.strimzi.io/v1", kind: "Kafka", metadata: { name: "training", namespace: "kafka" },
    spec: {
        kafka: {
            version: "4.1.0",
            listeners: [{ name: "tls", port: 9093, type: "internal", tls: true, authentication: { type: "tls" } }],
            config: {
                "default.replication.factor": 3, "min.insync.replicas": 2, "offsets.topic.replication.factor": 3,
                "transaction.state.log.replication.factor": 3, "transaction.state.log.min.isr": 2,
            },
        },
    },
};

export const kafkaTopic = {
    apiVersion: "kafka.strimzi.io/v1", kind: "KafkaTopic", metadata: { name: "inference-feedback", labels: { "strimzi.io/cluster": "training" } },
    spec: { partitions: 6, replicas: 3, config: { "min.insync.replicas": 2 } },
};

export const pulsarRelease = {
    chart: "pulsar", version: "4.7.0", namespace: "pulsar", repositoryOpts: { repo: "https://pulsar.apache.org/charts" },
    values: {
        bookkeeper: { replicaCount: 3 }, zookeeper: { replicaCount: 3 },
        broker: { configData: { managedLedgerDefaultEnsembleSize: "3", managedLedgerDefaultWriteQuorum: "3", managedLedgerDefaultAckQuorum: "2" } },
    },
};

export const gpuContainer = {
    name: "kserve-container", image: "nvcr.io/nvidia/tritonserver:25.08-py3",
    resources: { requests: { cpu: "2", memory: "8Gi", "nvidia.com/gpu": 1 }, limits: { cpu: "4", memory: "16Gi", "nvidia.com/gpu": 1 } },
};

export const inferenceService = {
    apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService", metadata: { name: "fraud-detector", namespace: "models" },
    spec: {
        predictor: {
            minReplicas: 1, maxReplicas: 3,
            tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
            model: {
                modelFormat: { name: "onnx" }, runtime: "kserve-tritonserver", storageUri: "s3://models/fraud-detector/3.2.0/",
                resources: gpuContainer.resources,
            },
        },
    },
};

export const deployment = {
    metadata: { name: "model-sync", namespace: "models" },
    spec: {
        selector: { matchLabels: { app: "model-sync" } },
        template: {
            metadata: { labels: { app: "model-sync" } },
            spec: {
                containers: [{
                    name: "sync", image: "amazon/aws-cli:2.31.0",
                    env: [{ name: "AWS_SECRET_ACCESS_KEY", valueFrom: { secretKeyRef: { name: "model-store", key: "secretAccessKey" } } }],
                    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                }],
            },
        },
    },
};

export const gpuOperatorRelease = {
    chart: "gpu-operator", version: "v26.7.0", namespace: "gpu-operator", repositoryOpts: { repo: "https://helm.ngc.nvidia.com/nvidia" },
    values: { driver: { enabled: false }, toolkit: { enabled: true }, dcgmExporter: { serviceMonitor: { enabled: true } } },
};
