/**
 * Stateful resources are protected in prod (SPEC 11): a `pulumi destroy` or a refactor that drops
 * them must fail instead of deleting data, keys or clusters.
 */
import { StackPolicyDef } from "../lib/view";

/** Types whose deletion loses data or makes retained data unreadable. */
export const STATEFUL_TYPES: readonly string[] = [
    "aws:eks/cluster:Cluster", "gcp:container/cluster:Cluster", "azure-native:containerservice:ManagedCluster",
    "aws:s3/bucket:Bucket", "gcp:storage/bucket:Bucket", "azure-native:storage:StorageAccount", "azure-native:storage:BlobContainer",
    "aws:kms/key:Key", "gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey", "azure-native:keyvault:Vault", "azure-native:keyvault:Key",
    "kubernetes:ceph.rook.io/v1:CephCluster", "kubernetes:ceph.rook.io/v1:CephBlockPool", "kubernetes:ceph.rook.io/v1:CephFilesystem",
    "kubernetes:ceph.rook.io/v1:CephObjectStore", "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim",
    "kubernetes:kafka.strimzi.io/v1:Kafka", "kubernetes:kafka.strimzi.io/v1:KafkaNodePool",
    "kubernetes:core/v1:PersistentVolumeClaim",
];

export const statefulProtected: StackPolicyDef = {
    kind: "stack",
    name: "stateful-protected",
    description: "In prod, clusters, buckets, keys, Ceph and Kafka resources are protected (`protect: true`); edge gets an advisory.",
    remediation: "Keep hybridml:protectStateful true (the default outside dev) and pass `protect` to the component that creates the resource.",
    levels: { dev: "disabled", edge: "advisory", prod: "mandatory" },
    check(s) {
        if (s.environment === "dev") return [];
        return s.resources
            .filter((r) => STATEFUL_TYPES.includes(r.type) && !r.protect)
            .map((r) => ({ urn: r.urn, message: `${r.name}: ${r.type} is not protected in ${s.environment} stack ${s.stack}` }));
    },
};
