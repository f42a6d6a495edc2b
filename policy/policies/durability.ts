/**
 * Stateful resources are protected in prod (SPEC 11): a `pulumi destroy` or a refactor that drops
 * them must fail instead of deleting data, keys or clusters.
 */
import { get, ResourceView, StackPolicyDef } from "../lib/view";

/** Types whose deletion loses data or makes retained data unreadable. */
export const STATEFUL_TYPES: readonly string[] = [
    "aws:eks/cluster:Cluster", "gcp:container/cluster:Cluster", "azure-native:containerservice:ManagedCluster",
    "aws:s3/bucket:Bucket", "gcp:storage/bucket:Bucket", "azure-native:storage:StorageAccount", "azure-native:storage:BlobContainer",
    "aws:kms/key:Key", "gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey", "azure-native:keyvault:Vault", "azure-native:keyvault:Key",
    "kubernetes:ceph.rook.io/v1:CephCluster", "kubernetes:ceph.rook.io/v1:CephBlockPool", "kubernetes:ceph.rook.io/v1:CephFilesystem",
    "kubernetes:ceph.rook.io/v1:CephObjectStore", "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim",
    "kubernetes:kafka.strimzi.io/v1:Kafka", "kubernetes:kafka.strimzi.io/v1:KafkaNodePool",
    // A topic holds its retained messages (the feedback topics keep 30 days): deleting it deletes them.
    "kubernetes:kafka.strimzi.io/v1:KafkaTopic",
    "kubernetes:core/v1:PersistentVolumeClaim",
];

const NAMESPACE = "kubernetes:core/v1:Namespace";
/** Workloads whose volume claim templates make PVCs in their namespace. */
const CLAIMING = ["kubernetes:apps/v1:StatefulSet"];

/**
 * The stateful resources of a stack: the types above, and every Namespace that holds one of them or
 * a StatefulSet with volume claims (deleting a namespace deletes its PVCs, topics and clusters).
 */
export function statefulResources(resources: readonly ResourceView[]): ResourceView[] {
    const stateful = resources.filter((r) => STATEFUL_TYPES.includes(r.type.replace(/\/v1beta2:/, "/v1:"))
        || (CLAIMING.includes(r.type) && Array.isArray(get(r.props, "spec.volumeClaimTemplates")) && get(r.props, "spec.volumeClaimTemplates").length > 0));
    const dataNamespaces = new Set(stateful.map((r) => get(r.props, "metadata.namespace")).filter((n): n is string => typeof n === "string"));
    const namespaces = resources.filter((r) => r.type === NAMESPACE && dataNamespaces.has(get(r.props, "metadata.name")));
    return [...stateful.filter((r) => STATEFUL_TYPES.includes(r.type.replace(/\/v1beta2:/, "/v1:"))), ...namespaces];
}

export const statefulProtected: StackPolicyDef = {
    kind: "stack",
    name: "stateful-protected",
    description: "In prod, clusters, buckets, keys, Ceph and Kafka resources (topics included), PVCs and the namespaces holding them are protected (`protect: true`); edge gets an advisory.",
    remediation: "Keep hybridml:protectStateful true (the default outside dev) and pass `protect` to the component that creates the resource.",
    levels: { dev: "disabled", edge: "advisory", prod: "mandatory" },
    check(s) {
        if (s.environment === "dev") return [];
        return statefulResources(s.resources)
            .filter((r) => !r.protect)
            .map((r) => ({ urn: r.urn, message: `${r.name}: ${r.type} is not protected in ${s.environment} stack ${s.stack}${r.type === NAMESPACE ? " (it holds persistent volumes, topics or data clusters)" : ""}` }));
    },
};
