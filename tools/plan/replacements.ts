/**
 * Which input changes replace a resource, per provider package and the version the list was
 * checked against. The offline plan has no provider to ask (`pulumi preview` asks the provider's
 * Diff), so these are ESTIMATES: the report marks every replacement it infers from here as one,
 * and the e2e's real `pulumi preview` is the authority where it runs. A provider upgrade in
 * package.json fails the test of this list until the entries are re-checked for the new version
 * (test/report.test.ts: one case per entry, and each field must be an input of the installed SDK).
 *
 * Sources: the providers' resource docs ("forces a new resource"; for GCP node pools,
 * `nodeConfig.machineType`, `diskSizeGb` and `diskType` update in place since the 5.x provider)
 * and Kubernetes' immutable fields.
 */

export interface ReplacementRules {
    /** The provider SDK version these rules were checked against (node_modules/@pulumi/<pkg>). */
    version: string;
    /** Type token -> input paths whose change replaces the resource (a path also covers its sub-fields). */
    types: Readonly<Record<string, readonly string[]>>;
}

/** By npm package of the provider SDK. */
export const REPLACEMENT_RULES: Readonly<Record<string, ReplacementRules>> = {
    "@pulumi/aws": {
        version: "7.48.0",
        types: {
            "aws:eks/cluster:Cluster": ["name", "roleArn", "vpcConfig.subnetIds", "kubernetesNetworkConfig", "encryptionConfig.provider"],
            "aws:eks/nodeGroup:NodeGroup": ["nodeGroupName", "clusterName", "subnetIds", "instanceTypes", "amiType", "diskSize", "capacityType", "nodeRoleArn"],
            "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix"],
            // Every bucket sub-resource is keyed by its bucket: a renamed bucket replaces them all.
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ["bucket"],
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ["bucket", "expectedBucketOwner"],
            "aws:s3/bucketVersioning:BucketVersioning": ["bucket", "expectedBucketOwner"],
            "aws:s3/bucketPolicy:BucketPolicy": ["bucket"],
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ["bucket"],
            "aws:kms/key:Key": ["customerMasterKeySpec", "keyUsage"],
            "aws:ec2/vpc:Vpc": ["cidrBlock"],
            "aws:ec2/subnet:Subnet": ["cidrBlock", "vpcId", "availabilityZone"],
            "aws:iam/role:Role": ["name", "namePrefix"],
        },
    },
    "@pulumi/gcp": {
        version: "9.37.0",
        types: {
            "gcp:container/cluster:Cluster": ["name", "location", "network", "subnetwork", "privateClusterConfig", "ipAllocationPolicy", "networkingMode"],
            "gcp:container/nodePool:NodePool": ["name", "cluster", "location", "nodeConfig.guestAccelerators", "nodeConfig.imageType", "nodeConfig.serviceAccount", "nodeConfig.oauthScopes"],
            "gcp:storage/bucket:Bucket": ["name", "location", "project"],
            "gcp:kms/cryptoKey:CryptoKey": ["name", "keyRing"],
            "gcp:kms/keyRing:KeyRing": ["name", "location"],
        },
    },
    "@pulumi/azure-native": {
        version: "3.28.0",
        types: {
            "azure-native:containerservice:ManagedCluster": ["resourceName", "resourceGroupName", "location", "dnsPrefix", "networkProfile.networkPlugin", "networkProfile.podCidr", "networkProfile.serviceCidr"],
            "azure-native:containerservice:AgentPool": ["agentPoolName", "resourceName", "vmSize", "osDiskSizeGB", "osType", "vnetSubnetID"],
            "azure-native:storage:StorageAccount": ["accountName", "resourceGroupName", "location"],
            "azure-native:storage:BlobContainer": ["containerName", "accountName"],
        },
    },
    "@pulumi/kubernetes": {
        version: "4.34.2",
        types: {
            "kubernetes:helm.sh/v3:Release": ["name", "namespace"],
            "kubernetes:apps/v1:Deployment": ["metadata.name", "metadata.namespace", "spec.selector"],
            "kubernetes:apps/v1:StatefulSet": ["metadata.name", "metadata.namespace", "spec.selector", "spec.serviceName", "spec.volumeClaimTemplates", "spec.podManagementPolicy"],
            "kubernetes:apps/v1:DaemonSet": ["metadata.name", "metadata.namespace", "spec.selector"],
            "kubernetes:batch/v1:Job": ["metadata.name", "metadata.namespace", "spec.template", "spec.selector"],
            "kubernetes:core/v1:PersistentVolumeClaim": ["metadata.name", "metadata.namespace", "spec.storageClassName", "spec.accessModes", "spec.volumeName"],
            "kubernetes:core/v1:Service": ["metadata.name", "metadata.namespace", "spec.clusterIP", "spec.type"],
        },
    },
    "@pulumi/command": {
        version: "4.5.0",
        types: {
            "command:remote:Command": ["connection", "create"],
        },
    },
};

/** The SDK package of a type token (`aws:s3/bucket:Bucket` -> @pulumi/aws). */
export function packageOf(type: string): string {
    return `@pulumi/${type.split(":")[0]}`;
}

/** Any Kubernetes object: a new name or namespace is a new object. */
const K8S_IDENTITY = ["metadata.name", "metadata.namespace"];

/** The replacement triggers of a type (Kubernetes objects without an entry: their identity). */
export function replaceTriggers(type: string): readonly string[] {
    const rules = REPLACEMENT_RULES[packageOf(type)]?.types[type];
    if (rules) return rules;
    return type.startsWith("kubernetes:") && !type.startsWith("kubernetes:helm") ? K8S_IDENTITY : [];
}

/** True when `path` is `trigger` or one of its sub-fields. */
export function covers(trigger: string, path: string): boolean {
    return path === trigger || path.startsWith(`${trigger}.`) || path.startsWith(`${trigger}[`);
}

/** The changed paths that replace the resource (estimate). */
export function replaceFields(type: string, paths: readonly string[]): string[] {
    const triggers = replaceTriggers(type);
    return paths.filter((p) => triggers.some((t) => covers(t, p)));
}
