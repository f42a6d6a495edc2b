/**
 * EksCluster: an EKS cluster with private nodes, a scale-from-zero GPU pool and an S3 model bucket
 * (SPEC 5 "Clusters"), yielding the common `Cluster` shape.
 *
 * Everything the constructor registers is described by the pure functions below it (CIDRs, IAM
 * documents, tags, Helm values, kubeconfig), which are unit-tested without mocks.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartRepos, versions } from "../../lib/versions";
import { CloudClusterArgs, Cluster, GPU_NODE_LABEL, GPU_TAINT, GpuFacts, gpuFacts, MODEL_READER, ObjectStore } from "./types";

export interface EksClusterArgs extends CloudClusterArgs {
    /** EKS cluster name (unique per account and region). Default: the component name. */
    clusterName?: string;
    /**
     * IAM role ARNs given cluster-admin through EKS access entries (AmazonEKSClusterAdminPolicy,
     * cluster scope). The identity running `pulumi up` is admin already as the cluster creator. Default [].
     */
    adminRoleArns?: string[];
    /**
     * Globally unique name of the S3 model bucket. Default `<name>-models` (the component name), which
     * suits most stacks; set it when that name is taken.
     */
    modelBucketName?: string;
    /** Retention of the control-plane log group, in days. Default 90. */
    logRetentionDays?: number;
}

/** Label on the system nodes; the cluster-autoscaler runs there. */
export const SYSTEM_NODE_LABEL = { key: "hybridml.io/node-pool", value: "system" } as const;
/** Where the cluster-autoscaler runs and the service account its pod identity is bound to. */
export const CLUSTER_AUTOSCALER = { namespace: "kube-system", serviceAccountName: "cluster-autoscaler" } as const;
/** Service accounts of the add-ons that get their own pod identity. */
const VPC_CNI_SERVICE_ACCOUNT = "aws-node";
const EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa";
const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

/** An EKS cluster and its VPC, node groups, add-ons, autoscaler and model bucket. */
export class EksCluster extends pulumi.ComponentResource implements Cluster {
    public readonly provider: k8s.Provider;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly platform: "eks";
    public readonly gpu: GpuFacts;
    public readonly objectStore: ObjectStore;
    /** Name of the EKS cluster. */
    public readonly clusterName: pulumi.Output<string>;
    /** API server endpoint. */
    public readonly endpoint: pulumi.Output<string>;
    public readonly vpcId: pulumi.Output<string>;
    /** Subnets of the nodes, one per zone. */
    public readonly privateSubnetIds: pulumi.Output<string>[];
    /** KMS key encrypting the cluster's Kubernetes secrets. */
    public readonly secretsKeyArn: pulumi.Output<string>;
    /** IAM role that reads the model bucket (bound to `objectStore.readIdentity` by pod identity). */
    public readonly modelReaderRoleArn: pulumi.Output<string>;

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        const endpoint = endpointAccess(args.publicEndpoint ?? false, args.authorizedCidrs ?? []);
        const cidrs = subnetCidrs(args.network.vpcCidr, args.network.zones.length);
        const clusterName = args.clusterName ?? name;
        const bucketName = modelBucketName(args.modelBucketName ?? `${name}-models`);
        const adminRoles = (args.adminRoleArns ?? []).map((arn) => ({ arn, id: iamRoleName(arn) }));
        super("hybridml:clusters:EksCluster", name, {}, opts);

        const protect = args.protect ?? true;
        const reader = args.modelReader ?? MODEL_READER;
        const { region, network } = args;
        const policyArn = (path: string) => `arn:${awsPartition(region)}:iam::aws:policy/${path}`;

        const awsProvider = new aws.Provider(`${name}-aws`, {
            region,
            defaultTags: { tags: args.tags ?? {} },
        }, { parent: this });
        const child: pulumi.CustomResourceOptions = { parent: this, provider: awsProvider };
        const stateful = pulumi.mergeOptions(child, { protect });

        // Network: nodes in private subnets, public subnets only for load balancers and NAT.
        const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
            cidrBlock: network.vpcCidr,
            enableDnsHostnames: true,
            enableDnsSupport: true,
            tags: { Name: clusterName },
        }, child);
        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: clusterName } }, child);
        const publicSubnets = network.zones.map((zone, i) => new aws.ec2.Subnet(`${name}-public-${zone}`, {
            vpcId: vpc.id,
            availabilityZone: zone,
            cidrBlock: cidrs.public[i],
            mapPublicIpOnLaunch: false,
            tags: { Name: `${clusterName}-public-${zone}`, "kubernetes.io/role/elb": "1" },
        }, child));
        const privateSubnets = network.zones.map((zone, i) => new aws.ec2.Subnet(`${name}-private-${zone}`, {
            vpcId: vpc.id,
            availabilityZone: zone,
            cidrBlock: cidrs.private[i],
            mapPublicIpOnLaunch: false,
            tags: { Name: `${clusterName}-private-${zone}`, "kubernetes.io/role/internal-elb": "1" },
        }, child));

        const publicRoutes = new aws.ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, tags: { Name: `${clusterName}-public` } }, child);
        new aws.ec2.Route(`${name}-public-default`, {
            routeTableId: publicRoutes.id,
            destinationCidrBlock: "0.0.0.0/0",
            gatewayId: igw.id,
        }, child);
        publicSubnets.forEach((subnet, i) => new aws.ec2.RouteTableAssociation(`${name}-public-${network.zones[i]}`, {
            routeTableId: publicRoutes.id,
            subnetId: subnet.id,
        }, child));

        const natZones = network.natPerZone ? network.zones : network.zones.slice(0, 1);
        const natGateways = natZones.map((zone, i) => {
            const eip = new aws.ec2.Eip(`${name}-nat-${zone}`, { domain: "vpc", tags: { Name: `${clusterName}-nat-${zone}` } }, child);
            return new aws.ec2.NatGateway(`${name}-nat-${zone}`, {
                allocationId: eip.id,
                subnetId: publicSubnets[i].id,
                tags: { Name: `${clusterName}-nat-${zone}` },
            }, pulumi.mergeOptions(child, { dependsOn: [igw] }));
        });
        const egress: pulumi.Resource[] = [];
        privateSubnets.forEach((subnet, i) => {
            const zone = network.zones[i];
            const table = new aws.ec2.RouteTable(`${name}-private-${zone}`, {
                vpcId: vpc.id,
                tags: { Name: `${clusterName}-private-${zone}` },
            }, child);
            egress.push(
                new aws.ec2.Route(`${name}-private-${zone}-default`, {
                    routeTableId: table.id,
                    destinationCidrBlock: "0.0.0.0/0",
                    natGatewayId: natGateways[network.natPerZone ? i : 0].id,
                }, child),
                new aws.ec2.RouteTableAssociation(`${name}-private-${zone}`, { routeTableId: table.id, subnetId: subnet.id }, child),
            );
        });

        // Control plane: secrets envelope-encrypted with our key, access entries only.
        const secretsKey = new aws.kms.Key(`${name}-secrets`, {
            description: `Envelope encryption of Kubernetes secrets in EKS cluster ${clusterName}`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
        }, stateful);
        new aws.kms.Alias(`${name}-secrets`, { name: `alias/${clusterName}-secrets`, targetKeyId: secretsKey.keyId }, child);

        const clusterRole = new aws.iam.Role(`${name}-cluster`, {
            description: `EKS control plane of ${clusterName}`,
            assumeRolePolicy: JSON.stringify(serviceTrustPolicy("eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"])),
        }, child);
        const clusterRoleAccess = [
            new aws.iam.RolePolicyAttachment(`${name}-cluster-policy`, {
                role: clusterRole.name,
                policyArn: policyArn("AmazonEKSClusterPolicy"),
            }, child),
            new aws.iam.RolePolicy(`${name}-cluster-secrets-key`, {
                role: clusterRole.name,
                policy: secretsKey.arn.apply((arn) => JSON.stringify(secretsKeyPolicy(arn))),
            }, child),
        ];
        const logGroup = new aws.cloudwatch.LogGroup(`${name}-control-plane`, {
            name: `/aws/eks/${clusterName}/cluster`,
            retentionInDays: args.logRetentionDays ?? 90,
        }, child);

        const cluster = new aws.eks.Cluster(`${name}-cluster`, {
            name: clusterName,
            version: args.version,
            roleArn: clusterRole.arn,
            vpcConfig: {
                subnetIds: privateSubnets.map((s) => s.id),
                ...endpoint,
            },
            // Pods take VPC addresses through the VPC CNI, so network.podCidr has no use on EKS.
            kubernetesNetworkConfig: { serviceIpv4Cidr: network.serviceCidr },
            encryptionConfig: { provider: { keyArn: secretsKey.arn }, resources: ["secrets"] },
            accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true },
            enabledClusterLogTypes: CONTROL_PLANE_LOG_TYPES,
            deletionProtection: protect,
        }, pulumi.mergeOptions(stateful, { dependsOn: [...clusterRoleAccess, logGroup] }));
        const onCluster = { clusterName: cluster.name };

        adminRoles.forEach(({ arn, id }) => {
            const entry = new aws.eks.AccessEntry(`${name}-admin-${id}`, { ...onCluster, principalArn: arn, type: "STANDARD" }, child);
            new aws.eks.AccessPolicyAssociation(`${name}-admin-${id}`, {
                ...onCluster,
                principalArn: entry.principalArn,
                policyArn: `arn:${awsPartition(region)}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
                accessScope: { type: "cluster" },
            }, child);
        });

        // Workload identities: one role per service account, bound by EKS pod identity.
        const podRole = (id: string, description: string, managedPolicy?: string) => {
            const role = new aws.iam.Role(`${name}-${id}`, {
                description,
                assumeRolePolicy: JSON.stringify(podIdentityTrustPolicy()),
            }, child);
            const attachments = managedPolicy === undefined ? [] : [new aws.iam.RolePolicyAttachment(`${name}-${id}`, {
                role: role.name,
                policyArn: policyArn(managedPolicy),
            }, child)];
            return { role, attachments };
        };

        // Add-ons the nodes need to join come before the node groups; the rest need nodes to run on.
        const podIdentityAgent = new aws.eks.Addon(`${name}-pod-identity-agent`, {
            ...onCluster,
            addonName: "eks-pod-identity-agent",
            ...addonConflictResolution,
        }, child);
        const cni = podRole("vpc-cni", `VPC CNI of ${clusterName}`, "AmazonEKS_CNI_Policy");
        const vpcCni = new aws.eks.Addon(`${name}-vpc-cni`, {
            ...onCluster,
            addonName: "vpc-cni",
            podIdentityAssociations: [{ roleArn: cni.role.arn, serviceAccount: VPC_CNI_SERVICE_ACCOUNT }],
            ...addonConflictResolution,
        }, pulumi.mergeOptions(child, { dependsOn: [podIdentityAgent, ...cni.attachments] }));
        const kubeProxy = new aws.eks.Addon(`${name}-kube-proxy`, { ...onCluster, addonName: "kube-proxy", ...addonConflictResolution }, child);

        const nodeRole = new aws.iam.Role(`${name}-node`, {
            description: `EKS nodes of ${clusterName}`,
            assumeRolePolicy: JSON.stringify(serviceTrustPolicy("ec2.amazonaws.com", ["sts:AssumeRole"])),
        }, child);
        const nodeRoleAccess = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"].map((policy) =>
            new aws.iam.RolePolicyAttachment(`${name}-node-${policy}`, { role: nodeRole.name, policyArn: policyArn(policy) }, child));

        const nodeGroupOptions = pulumi.mergeOptions(child, {
            dependsOn: [...nodeRoleAccess, ...egress, podIdentityAgent, vpcCni, kubeProxy],
            ignoreChanges: ["scalingConfig.desiredSize"],
        });
        const nodeGroupBase = {
            ...onCluster,
            version: cluster.version,
            nodeRoleArn: nodeRole.arn,
            subnetIds: privateSubnets.map((s) => s.id),
            updateConfig: { maxUnavailable: 1 },
        };
        const systemNodes = new aws.eks.NodeGroup(`${name}-system`, {
            ...nodeGroupBase,
            amiType: amiType(args.systemPool.instanceType, false),
            instanceTypes: [args.systemPool.instanceType],
            scalingConfig: nodeGroupScaling(args.systemPool),
            labels: { [SYSTEM_NODE_LABEL.key]: SYSTEM_NODE_LABEL.value },
        }, nodeGroupOptions);
        const gpuNodes = new aws.eks.NodeGroup(`${name}-gpu`, {
            ...nodeGroupBase,
            amiType: amiType(args.gpuPool.instanceType, true),
            instanceTypes: [args.gpuPool.instanceType],
            diskSize: args.gpuPool.diskSizeGb,
            scalingConfig: nodeGroupScaling(args.gpuPool),
            labels: { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value },
            taints: [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: eksTaintEffect(GPU_TAINT.effect) }],
        }, nodeGroupOptions);

        const afterNodes = pulumi.mergeOptions(child, { dependsOn: [systemNodes] });
        new aws.eks.Addon(`${name}-coredns`, { ...onCluster, addonName: "coredns", ...addonConflictResolution }, afterNodes);
        const ebs = podRole("ebs-csi", `EBS CSI driver of ${clusterName}`, "service-role/AmazonEBSCSIDriverPolicy");
        new aws.eks.Addon(`${name}-ebs-csi`, {
            ...onCluster,
            addonName: "aws-ebs-csi-driver",
            podIdentityAssociations: [{ roleArn: ebs.role.arn, serviceAccount: EBS_CSI_SERVICE_ACCOUNT }],
            ...addonConflictResolution,
        }, pulumi.mergeOptions(afterNodes, { dependsOn: ebs.attachments }));

        // Scale from zero: the autoscaler reads the GPU nodes' shape from tags on the node group's ASG.
        const asgTags: pulumi.Resource[] = [];
        for (const [pool, nodeGroup, tags] of [
            ["system", systemNodes, autoscalerAsgTags(clusterName)],
            ["gpu", gpuNodes, autoscalerAsgTags(clusterName, args.gpuPool.gpuCount)],
        ] as const) {
            const asgName = nodeGroup.resources.apply((r) => r[0].autoscalingGroups[0].name);
            for (const tag of tags) {
                asgTags.push(new aws.autoscaling.Tag(`${name}-${pool}-asg-${tag.id}`, {
                    autoscalingGroupName: asgName,
                    tag: { key: tag.key, value: tag.value, propagateAtLaunch: false },
                }, child));
            }
        }

        this.kubeconfig = pulumi.secret(pulumi
            .all([cluster.name, cluster.endpoint, cluster.certificateAuthority])
            .apply(([n, url, ca]) => eksKubeconfig(n, url, ca.data, region)));
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this });

        const autoscaler = podRole("cluster-autoscaler", `cluster-autoscaler of ${clusterName}`);
        new aws.iam.RolePolicy(`${name}-cluster-autoscaler`, {
            role: autoscaler.role.name,
            policy: cluster.arn.apply((arn) => JSON.stringify(clusterAutoscalerPolicy(clusterName, arn))),
        }, child);
        const autoscalerIdentity = new aws.eks.PodIdentityAssociation(`${name}-cluster-autoscaler`, {
            ...onCluster,
            namespace: CLUSTER_AUTOSCALER.namespace,
            serviceAccount: CLUSTER_AUTOSCALER.serviceAccountName,
            roleArn: autoscaler.role.arn,
        }, child);
        new k8s.helm.v3.Release(`${name}-cluster-autoscaler`, {
            name: "cluster-autoscaler",
            chart: "cluster-autoscaler",
            version: versions.clusterAutoscalerChart,
            repositoryOpts: { repo: chartRepos.clusterAutoscaler },
            namespace: CLUSTER_AUTOSCALER.namespace,
            values: clusterAutoscalerValues(clusterName, region),
        }, { parent: this, provider: this.provider, dependsOn: [autoscalerIdentity, podIdentityAgent, systemNodes, ...asgTags] });

        // Model bucket: this stack's copy of the approved models, readable only by the model reader.
        const modelsKey = new aws.kms.Key(`${name}-models`, {
            description: `Encryption of the model bucket ${bucketName}`,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
        }, stateful);
        new aws.kms.Alias(`${name}-models`, { name: `alias/${clusterName}-models`, targetKeyId: modelsKey.keyId }, child);
        const bucket = new aws.s3.Bucket(`${name}-models`, {
            bucket: bucketName,
            forceDestroy: false,
        }, pulumi.mergeOptions(stateful, { retainOnDelete: true }));
        const onBucket = { bucket: bucket.bucket };
        new aws.s3.BucketOwnershipControls(`${name}-models`, { ...onBucket, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
        const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(`${name}-models`, {
            ...onBucket,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }, child);
        new aws.s3.BucketVersioning(`${name}-models`, { ...onBucket, versioningConfiguration: { status: "Enabled" } }, child);
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-models`, {
            ...onBucket,
            rules: [{
                applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: modelsKey.arn },
                bucketKeyEnabled: true,
            }],
        }, child);
        new aws.s3.BucketPolicy(`${name}-models`, {
            ...onBucket,
            policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))),
        }, pulumi.mergeOptions(child, { dependsOn: [publicAccessBlock] }));

        const modelReader = podRole("model-reader", `Reads the model bucket ${bucketName}`);
        new aws.iam.RolePolicy(`${name}-model-reader`, {
            role: modelReader.role.name,
            policy: pulumi.all([bucket.arn, modelsKey.arn]).apply(([b, k]) => JSON.stringify(modelReadPolicy(b, k, region))),
        }, child);
        new aws.eks.PodIdentityAssociation(`${name}-model-reader`, {
            ...onCluster,
            namespace: reader.namespace,
            serviceAccount: reader.serviceAccountName,
            roleArn: modelReader.role.arn,
        }, child);

        this.platform = "eks";
        this.gpu = gpuFacts(args.gpuPool, "platform");
        this.objectStore = {
            kind: "s3",
            bucket: bucket.bucket,
            uriPrefix: pulumi.interpolate`s3://${bucket.bucket}`,
            region,
            readIdentity: {
                namespace: reader.namespace,
                serviceAccountName: reader.serviceAccountName,
                serviceAccountAnnotations: pulumi.output<Record<string, string>>({}),
                podLabels: {},
            },
        };
        this.clusterName = cluster.name;
        this.endpoint = cluster.endpoint;
        this.vpcId = vpc.id;
        this.privateSubnetIds = privateSubnets.map((s) => s.id);
        this.secretsKeyArn = secretsKey.arn;
        this.modelReaderRoleArn = modelReader.role.arn;

        this.registerOutputs({
            provider: this.provider,
            kubeconfig: this.kubeconfig,
            platform: this.platform,
            gpu: this.gpu,
            objectStore: this.objectStore,
            clusterName: this.clusterName,
            endpoint: this.endpoint,
            vpcId: this.vpcId,
            privateSubnetIds: this.privateSubnetIds,
            secretsKeyArn: this.secretsKeyArn,
            modelReaderRoleArn: this.modelReaderRoleArn,
        });
    }
}

/** EKS takes over the self-managed add-ons it bootstraps, and owns their configuration afterwards. */
const addonConflictResolution = { resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "OVERWRITE" } as const;

// ---------------------------------------------------------------------------------------------
// Pure functions
// ---------------------------------------------------------------------------------------------

/**
 * API server exposure: always reachable from the VPC; public only when asked, and then only from
 * `authorizedCidrs`. An open CIDR (/0) is refused whether or not the endpoint is public.
 */
export function endpointAccess(publicEndpoint: boolean, authorizedCidrs: string[]): {
    endpointPrivateAccess: true;
    endpointPublicAccess: boolean;
    publicAccessCidrs?: string[];
} {
    for (const cidr of authorizedCidrs) {
        const { prefix } = parseCidr(cidr, "cluster.authorizedCidrs");
        if (prefix === 0) {
            throw new Error(`cluster.authorizedCidrs must not contain ${cidr}: it opens the Kubernetes API to the whole internet; list the networks that need it`);
        }
    }
    if (!publicEndpoint) return { endpointPrivateAccess: true, endpointPublicAccess: false };
    if (authorizedCidrs.length === 0) {
        throw new Error("cluster.authorizedCidrs must list at least one CIDR when cluster.publicEndpoint is true (EKS would otherwise open the endpoint to 0.0.0.0/0)");
    }
    return { endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: [...authorizedCidrs] };
}

function parseCidr(cidr: string, key: string): { address: number; prefix: number } {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    const octets = m ? m.slice(1, 5).map(Number) : [];
    const prefix = m ? Number(m[5]) : NaN;
    if (!m || octets.some((o) => o > 255) || prefix > 32) {
        throw new Error(`${key}: ${cidr} is not an IPv4 CIDR such as 10.0.0.0/16`);
    }
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    return { address, prefix };
}

function formatCidr(address: number, prefix: number): string {
    const octets = [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256);
    return `${octets.join(".")}/${prefix}`;
}

/**
 * Subnet CIDRs for `zoneCount` zones inside `vpcCidr`. The VPC is split into 2^k blocks (the
 * smallest k with 2^k > zoneCount): one private block per zone (nodes, and pods through the VPC CNI,
 * so they get the space) and the last block cut into sixteenths, the first `zoneCount` of which are
 * the public subnets (load balancers and NAT gateways). 10.0.0.0/16 over 3 zones gives private
 * /18s 10.0.0.0, 10.0.64.0, 10.0.128.0 and public /22s 10.0.192.0, 10.0.196.0, 10.0.200.0.
 */
export function subnetCidrs(vpcCidr: string, zoneCount: number): { private: string[]; public: string[] } {
    const { address, prefix } = parseCidr(vpcCidr, "cluster.network.vpcCidr");
    if (address % 2 ** (32 - prefix) !== 0) {
        throw new Error(`cluster.network.vpcCidr: ${vpcCidr} has host bits set; use its network address (e.g. 10.0.0.0/16)`);
    }
    if (!Number.isInteger(zoneCount) || zoneCount < 2) {
        throw new Error(`cluster.network.zones must list at least 2 availability zones for EKS (got ${zoneCount})`);
    }
    const blockBits = Math.ceil(Math.log2(zoneCount + 1));
    const privatePrefix = prefix + blockBits;
    const publicPrefix = privatePrefix + 4;
    if (publicPrefix > 28) {
        throw new Error(`cluster.network.vpcCidr: ${vpcCidr} is too small for ${zoneCount} zones; use a /20 or larger (a /16 is typical)`);
    }
    const blockSize = 2 ** (32 - privatePrefix);
    const publicBase = address + blockSize * (2 ** blockBits - 1);
    const zones = [...Array(zoneCount).keys()];
    return {
        private: zones.map((i) => formatCidr(address + i * blockSize, privatePrefix)),
        public: zones.map((i) => formatCidr(publicBase + i * 2 ** (32 - publicPrefix), publicPrefix)),
    };
}

/** The AWS partition of a region (arn:aws, arn:aws-cn, arn:aws-us-gov). */
export function awsPartition(region: string): string {
    if (region.startsWith("cn-")) return "aws-cn";
    if (region.startsWith("us-gov-")) return "aws-us-gov";
    return "aws";
}

/** EKS AMI for an instance type: AL2023, NVIDIA variant for GPU pools, ARM for Graviton families (m7g, g5g). */
export function amiType(instanceType: string, gpu: boolean): string {
    const arm = /^[a-z]+\d+g/.test(instanceType);
    return `AL2023_${arm ? "ARM_64" : "x86_64"}_${gpu ? "NVIDIA" : "STANDARD"}`;
}

/** Node group scaling: start at the minimum; the autoscaler owns the desired size from then on. */
export function nodeGroupScaling(pool: { minSize: number; maxSize: number }) {
    return { minSize: pool.minSize, maxSize: pool.maxSize, desiredSize: pool.minSize };
}

/** Kubernetes taint effect (NoSchedule) as the EKS API spells it (NO_SCHEDULE). */
export function eksTaintEffect(effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute"): string {
    return effect.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** Name of an IAM role from its ARN (`arn:aws:iam::123456789012:role/path/Name` -> `Name`). */
export function iamRoleName(arn: string): string {
    const m = /^arn:aws(-[a-z-]+)?:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/.exec(arn);
    if (!m) throw new Error(`cluster.adminRoleArns: ${arn} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
    return m[2];
}

/** Validates an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens). */
export function modelBucketName(bucket: string): string {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes("..")) {
        throw new Error(`model bucket name ${JSON.stringify(bucket)} is not a valid S3 bucket name (3-63 characters: a-z, 0-9, '.', '-'); set modelBucketName`);
    }
    return bucket;
}

type PolicyDocument = { Version: "2012-10-17"; Statement: Record<string, unknown>[] };

/** Trust policy letting an AWS service assume a role. */
export function serviceTrustPolicy(service: string, actions: string[]): PolicyDocument {
    return { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: actions }] };
}

/** Trust policy of a role bound to a Kubernetes service account by EKS pod identity. */
export function podIdentityTrustPolicy(): PolicyDocument {
    return serviceTrustPolicy("pods.eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]);
}

/** What the control plane needs on the secrets key to envelope-encrypt secrets. */
export function secretsKeyPolicy(keyArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"], Resource: keyArn }],
    };
}

/** Read-only access to one bucket, and to its key only through S3 in the bucket's region. */
export function modelReadPolicy(bucketArn: string, keyArn: string, region: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ListModels", Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucketArn },
            { Sid: "ReadModels", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${bucketArn}/*` },
            {
                Sid: "DecryptModels",
                Effect: "Allow",
                Action: ["kms:Decrypt"],
                Resource: keyArn,
                Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
            },
        ],
    };
}

/** Bucket policy refusing any request not made over TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucketArn, `${bucketArn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        }],
    };
}

/** ASG tag marking a group as owned by the cluster; the autoscaler only scales groups carrying it. */
export function autoscalerOwnerTag(clusterName: string): string {
    return `k8s.io/cluster-autoscaler/${clusterName}`;
}

/**
 * cluster-autoscaler's permissions (upstream's recommended policy): describe anything, but change
 * only ASGs tagged as owned by this cluster, and describe only this cluster's node groups.
 */
export function clusterAutoscalerPolicy(clusterName: string, clusterArn: string): PolicyDocument {
    const nodegroups = `${clusterArn.replace(/:cluster\/[^/]+$/, ":nodegroup")}/${clusterName}/*`;
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "Discover",
                Effect: "Allow",
                Action: [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                ],
                Resource: "*",
            },
            { Sid: "DescribeNodegroups", Effect: "Allow", Action: ["eks:DescribeNodegroup"], Resource: nodegroups },
            {
                Sid: "ScaleOwnedGroups",
                Effect: "Allow",
                Action: ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                Resource: "*",
                Condition: { StringEquals: { [`aws:ResourceTag/${autoscalerOwnerTag(clusterName)}`]: "owned" } },
            },
        ],
    };
}

/**
 * Tags for a node group's ASG: auto-discovery by cluster-autoscaler and, for the GPU pool (when
 * `gpuCount` is given), the node template that lets it scale that pool up from zero nodes.
 */
export function autoscalerAsgTags(clusterName: string, gpuCount?: number): { id: string; key: string; value: string }[] {
    const template = "k8s.io/cluster-autoscaler/node-template";
    const tags = [
        { id: "enabled", key: "k8s.io/cluster-autoscaler/enabled", value: "true" },
        { id: "owner", key: autoscalerOwnerTag(clusterName), value: "owned" },
    ];
    if (gpuCount === undefined) return tags;
    return [
        ...tags,
        { id: "template-label", key: `${template}/label/${GPU_NODE_LABEL.key}`, value: GPU_NODE_LABEL.value },
        { id: "template-taint", key: `${template}/taint/${GPU_TAINT.key}`, value: `${GPU_TAINT.value}:${GPU_TAINT.effect}` },
        { id: "template-gpus", key: `${template}/resources/nvidia.com/gpu`, value: String(gpuCount) },
    ];
}

/** Helm values of the cluster-autoscaler chart (its default image tag is pinned by the chart version). */
export function clusterAutoscalerValues(clusterName: string, region: string): Record<string, unknown> {
    return {
        fullnameOverride: "cluster-autoscaler",
        cloudProvider: "aws",
        awsRegion: region,
        autoDiscovery: { clusterName },
        rbac: { create: true, serviceAccount: { create: true, name: CLUSTER_AUTOSCALER.serviceAccountName } },
        extraArgs: {
            "balance-similar-node-groups": true,
            "skip-nodes-with-system-pods": false,
            expander: "least-waste",
        },
        priorityClassName: "system-cluster-critical",
        nodeSelector: { [SYSTEM_NODE_LABEL.key]: SYSTEM_NODE_LABEL.value },
        resources: {
            requests: { cpu: "100m", memory: "300Mi" },
            limits: { cpu: "500m", memory: "600Mi" },
        },
    };
}

/** Kubeconfig for an EKS cluster, authenticating with `aws eks get-token` (no static credentials). */
export function eksKubeconfig(clusterName: string, endpoint: string, caData: string, region: string): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: clusterName, cluster: { server: endpoint, "certificate-authority-data": caData } }],
        users: [{
            name: clusterName,
            user: {
                exec: {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: "aws",
                    args: ["eks", "get-token", "--cluster-name", clusterName, "--region", region, "--output", "json"],
                    interactiveMode: "Never",
                },
            },
        }],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
    }, null, 2);
}
