/**
 * EksCluster: an EKS cluster with private nodes, a scale-from-zero GPU pool and an S3 model store
 * (SPEC 5 "Clusters"), yielding the common `Cluster` shape.
 *
 * The constructor composes small functions, one per part, each returning what the next needs:
 * `eksNetwork` -> `eksControlPlane` -> `eksNodeGroups` -> `eksAutoscaler`, plus the `S3ModelStore`
 * component. The values (CIDRs, IAM documents, tags, Helm values, names) come from pure functions.
 */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { clusterPins, MinorPins, supportedMinors } from "../../lib/versions";
import { chartSource } from "../../lib/charts";
import { awsPartition, S3ModelStore } from "../storage/s3ModelStore";
import {
    apiTaintEffect, argError, authorizedRanges, carve, networkCidr, scopedName, secretExecKubeconfig, SYSTEM_NODE_LABEL,
} from "./common";
import { PREVIEW_GROUP, PreviewAccess } from "./previewAccess";
import { CloudClusterArgs, Cluster, clusterOutputs, GPU_NODE_LABEL, GPU_TAINT, gpuFacts, GpuFacts, GpuPoolArgs, migConfigNodeLabels, MODEL_READER, MODEL_WRITER, ObjectStore, PoolArgs } from "./types";

export { SYSTEM_NODE_LABEL };

/** How the runner reaches the EKS API: `public` (plus private) limited to `authorizedCidrs`, or `private` only. */
export type EksApiAccess = "public" | "private";

export interface EksClusterArgs extends CloudClusterArgs {
    /**
     * IAM role that runs `pulumi up` (the deployer). It gets cluster-admin through an explicit access
     * entry (the creator's implicit admin is turned off, so no entry is created twice). Its account
     * also scopes the default bucket name. Required.
     */
    deployerRoleArn: string;
    /**
     * API access: `public` (endpoint reachable from `authorizedCidrs` only, plus the private endpoint
     * for the nodes) or `private` (only from networks routed to the VPC: not reachable by a runner
     * outside it on the first run). Default `public`.
     */
    apiAccess?: EksApiAccess;
    /** EKS cluster name (unique per account and region). Default: the component name. */
    clusterName?: string;
    /** Further IAM role ARNs given cluster-admin (never the deployer again). Default []. */
    adminRoleArns?: string[];
    /**
     * IAM role of the pull-request previews. It gets an access entry mapped to the Kubernetes group
     * `PREVIEW_GROUP` (no access policy), whose `PreviewAccess` rights are exactly what server-side
     * dry-run needs. Default: none.
     */
    previewRoleArn?: string;
    /** Globally unique S3 bucket name. Default `defaultModelBucketName(name, account of deployerRoleArn, region)`. */
    modelBucketName?: string;
    /** EKS support policy at the end of standard support. Default `STANDARD` (upgrade; no extended-support charge). */
    supportType?: "STANDARD" | "EXTENDED";
    /** Retention of the control-plane log group, in days. Default 90. */
    logRetentionDays?: number;
}

/** Where the cluster-autoscaler runs and the service account its pod identity is bound to. */
export const CLUSTER_AUTOSCALER = { namespace: "kube-system", serviceAccountName: "cluster-autoscaler" } as const;
/** Node label cluster-autoscaler reads to know a node has a GPU before the device plugin reports it. */
export const EKS_ACCELERATOR_LABEL = "k8s.amazonaws.com/accelerator";
const VPC_CNI_SERVICE_ACCOUNT = "aws-node";
const EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa";
const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];
/**
 * The cluster's default StorageClass. A new EKS cluster has none (PVCs without a class, such as
 * Prometheus's, would stay Pending): encrypted gp3 volumes through the EBS CSI add-on.
 */
export const EKS_DEFAULT_STORAGE_CLASS = "gp3";

/** The default StorageClass of an EKS cluster: encrypted gp3, bound where the pod lands, expandable. */
export function eksDefaultStorageClass(): {
    metadata: { name: string; annotations: Record<string, string> };
    provisioner: string; parameters: Record<string, string>; volumeBindingMode: string; allowVolumeExpansion: boolean; reclaimPolicy: string;
} {
    return {
        metadata: { name: EKS_DEFAULT_STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: "ebs.csi.aws.com",
        parameters: { type: "gp3", encrypted: "true" },
        // Zonal volumes: create them in the zone the scheduler picked for the pod.
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
        reclaimPolicy: "Delete",
    };
}

/** EKS takes over the self-managed add-ons it bootstraps, and owns their configuration afterwards. */
/**
 * VPC CNI add-on settings: EKS enforces NetworkPolicies only when the add-on's network policy agent is
 * on (`enableNetworkPolicy: "true"`); without it every NetworkPolicy of the serving namespace is inert.
 */
export function vpcCniConfiguration(): string {
    return JSON.stringify({ enableNetworkPolicy: "true" });
}

const addonConflictResolution = { resolveConflictsOnCreate: "OVERWRITE", resolveConflictsOnUpdate: "OVERWRITE" } as const;

type Child = pulumi.CustomResourceOptions;
const withDeps = (o: Child, dependsOn: pulumi.Input<pulumi.Resource>[]): Child => pulumi.mergeOptions(o, { dependsOn });

/** An EKS cluster and its VPC, node groups, add-ons, autoscaler and model store. */
export class EksCluster extends pulumi.ComponentResource implements Cluster {
    public readonly provider: k8s.Provider;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly platform = "eks" as const;
    public readonly gpu: GpuFacts;
    public readonly objectStore: ObjectStore;
    /** The NAT gateways' Elastic IPs as /32 CIDRs (what the training stack allows). */
    public readonly egress: pulumi.Output<string[]>;
    /** Name of the EKS cluster. */
    public readonly clusterName: pulumi.Output<string>;
    /** API server endpoint. */
    public readonly endpoint: pulumi.Output<string>;
    public readonly vpcId: pulumi.Output<string>;
    /** Subnets of the nodes, one per zone. */
    public readonly privateSubnetIds: pulumi.Output<string>[];
    /** KMS key encrypting the cluster's Kubernetes secrets. */
    public readonly secretsKeyArn: pulumi.Output<string>;

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        const plan = planEks(name, args); // every argument check, before anything is registered
        super("hybridml:clusters:EksCluster", name, {}, opts);

        // The caller's AWS provider (opts.provider/providers: credentials, an assumed role) wins; else our own.
        const awsProvider = this.getProvider("aws:index:Provider")
            ?? new aws.Provider(`${name}-aws`, { region: args.region, defaultTags: { tags: args.tags ?? {} } }, { parent: this });
        const child: Child = { parent: this, provider: awsProvider };
        const protect = args.protect ?? true;

        const net = eksNetwork(name, args, plan, child);
        const cp = eksControlPlane(name, args, plan, net, child, protect);
        const nodes = eksNodeGroups(name, args, plan, net, cp, child);

        this.kubeconfig = secretExecKubeconfig(cp.cluster.name, cp.cluster.endpoint, cp.cluster.certificateAuthority.data, {
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", plan.clusterName, "--region", args.region, "--output", "json"],
        });
        // Workloads wait for the nodes and the deployer's access, and are deleted before both.
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, {
            parent: this, dependsOn: [nodes.system, nodes.gpu, ...cp.deployerAccess],
        });
        eksAutoscaler(name, args, plan, cp, nodes, child, this.provider);
        if (cp.previewAccess) {
            new PreviewAccess(`${name}-preview`, { subjects: [{ kind: "Group", name: PREVIEW_GROUP }], provider: this.provider },
                { parent: this, dependsOn: [cp.previewAccess] });
        }
        // The default StorageClass needs the EBS CSI driver (its provisioner) in place.
        new k8s.storage.v1.StorageClass(`${name}-default-storage-class`, eksDefaultStorageClass(),
            { parent: this, provider: this.provider, dependsOn: [nodes.ebsCsi] });

        const store = new S3ModelStore(`${name}-models`, {
            bucketName: plan.bucketName,
            region: args.region,
            clusterName: cp.cluster.name,
            reader: args.modelReader ?? MODEL_READER,
            writer: args.modelWriter ?? MODEL_WRITER,
            protect,
        }, { parent: this, providers: { aws: awsProvider } });

        this.gpu = gpuFacts(args.gpuPool, "platform");
        this.objectStore = store.objectStore;
        this.egress = net.egressCidrs;
        this.clusterName = cp.cluster.name;
        this.endpoint = cp.cluster.endpoint;
        this.vpcId = net.vpc.id;
        this.privateSubnetIds = net.privateSubnets.map((s) => s.id);
        this.secretsKeyArn = cp.secretsKey.arn;
        this.registerOutputs({
            ...clusterOutputs(this),
            clusterName: this.clusterName,
            endpoint: this.endpoint,
            vpcId: this.vpcId,
            privateSubnetIds: this.privateSubnetIds,
            secretsKeyArn: this.secretsKeyArn,
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Parts
// ---------------------------------------------------------------------------------------------

/** Everything derived from the arguments (validated), before any resource exists. */
export interface EksPlan {
    clusterName: string;
    bucketName: string;
    accountId: string;
    partition: string;
    zones: string[];
    subnets: { private: string[]; public: string[] };
    endpoint: { endpointPrivateAccess: true; endpointPublicAccess: boolean; publicAccessCidrs?: string[] };
    deployer: { arn: string; id: string };
    admins: { arn: string; id: string }[];
    preview?: { arn: string; id: string };
    pins: MinorPins;
}

/** Validate the arguments and derive names, CIDRs and pins. Throws naming `args.<key>`. */
export function planEks(name: string, args: EksClusterArgs): EksPlan {
    const pins = clusterPins[args.version];
    if (!pins) throw argError("EksCluster", name, "version", `${args.version} has no pinned add-on and autoscaler versions (supported: ${supportedMinors().join(", ")})`);
    const access = args.apiAccess ?? "public";
    const cidrs = authorizedRanges("EksCluster", name, args.authorizedCidrs ?? [], access === "public",
        "when args.apiAccess is public (EKS would otherwise open the endpoint to 0.0.0.0/0)");
    const deployerId = iamRoleName(args.deployerRoleArn, name, "deployerRoleArn");
    const admins = (args.adminRoleArns ?? []).map((arn, i) => ({ arn, id: iamRoleName(arn, name, `adminRoleArns[${i}]`) }));
    admins.forEach(({ arn }, i) => {
        if (arn === args.deployerRoleArn) throw argError("EksCluster", name, `adminRoleArns[${i}]`, `is the deployer (args.deployerRoleArn), which already has an access entry: remove it`);
        if (admins.findIndex((a) => a.arn === arn) !== i) throw argError("EksCluster", name, `adminRoleArns[${i}]`, `lists ${arn} twice`);
    });
    const preview = args.previewRoleArn === undefined ? undefined : { arn: args.previewRoleArn, id: iamRoleName(args.previewRoleArn, name, "previewRoleArn") };
    if (preview && (preview.arn === args.deployerRoleArn || admins.some((a) => a.arn === preview.arn))) {
        throw argError("EksCluster", name, "previewRoleArn", "is also the deployer or an admin: previews need a role of their own");
    }
    const zones = args.network.zones;
    if (zones.length < 2) throw argError("EksCluster", name, "network.zones", `must list at least 2 availability zones for EKS (got ${zones.length})`);
    const accountId = /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(args.deployerRoleArn)![1];
    return {
        clusterName: args.clusterName ?? name,
        bucketName: args.modelBucketName ?? defaultModelBucketName(name, accountId, args.region),
        accountId,
        partition: awsPartition(args.region),
        zones,
        subnets: subnetCidrs(args.network.vpcCidr, zones.length),
        endpoint: access === "public"
            ? { endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: cidrs }
            : { endpointPrivateAccess: true, endpointPublicAccess: false },
        deployer: { arn: args.deployerRoleArn, id: deployerId },
        admins,
        preview,
        pins,
    };
}

/** The VPC: private subnets for nodes (one per zone), public ones for load balancers and NAT. */
export function eksNetwork(name: string, args: EksClusterArgs, plan: EksPlan, child: Child) {
    const { zones, subnets, clusterName } = plan;
    const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
        cidrBlock: args.network.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: clusterName },
    }, child);
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { Name: clusterName } }, child);
    const subnet = (kind: "public" | "private", zone: string, i: number) => new aws.ec2.Subnet(`${name}-${kind}-${zone}`, {
        vpcId: vpc.id,
        availabilityZone: zone,
        cidrBlock: subnets[kind][i],
        mapPublicIpOnLaunch: false,
        tags: { Name: `${clusterName}-${kind}-${zone}`, [kind === "public" ? "kubernetes.io/role/elb" : "kubernetes.io/role/internal-elb"]: "1" },
    }, child);
    const publicSubnets = zones.map((z, i) => subnet("public", z, i));
    const privateSubnets = zones.map((z, i) => subnet("private", z, i));

    const publicRoutes = new aws.ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, tags: { Name: `${clusterName}-public` } }, child);
    new aws.ec2.Route(`${name}-public-default`, { routeTableId: publicRoutes.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id }, child);
    publicSubnets.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-public-${zones[i]}`, { routeTableId: publicRoutes.id, subnetId: s.id }, child));

    const natZones = args.network.natPerZone ? zones : zones.slice(0, 1);
    const natAddresses: pulumi.Output<string>[] = [];
    const natGateways = natZones.map((zone, i) => {
        const eip = new aws.ec2.Eip(`${name}-nat-${zone}`, { domain: "vpc", tags: { Name: `${clusterName}-nat-${zone}` } }, child);
        natAddresses.push(eip.publicIp);
        return new aws.ec2.NatGateway(`${name}-nat-${zone}`, {
            allocationId: eip.id, subnetId: publicSubnets[i].id, tags: { Name: `${clusterName}-nat-${zone}` },
        }, withDeps(child, [igw]));
    });
    const egress: pulumi.Resource[] = [];
    privateSubnets.forEach((s, i) => {
        const zone = zones[i];
        const table = new aws.ec2.RouteTable(`${name}-private-${zone}`, { vpcId: vpc.id, tags: { Name: `${clusterName}-private-${zone}` } }, child);
        egress.push(
            new aws.ec2.Route(`${name}-private-${zone}-default`, {
                routeTableId: table.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: natGateways[args.network.natPerZone ? i : 0].id,
            }, child),
            new aws.ec2.RouteTableAssociation(`${name}-private-${zone}`, { routeTableId: table.id, subnetId: s.id }, child),
        );
    });
    // The NAT gateways' Elastic IPs: all traffic from the nodes leaves from them (static, exported).
    const egressCidrs = pulumi.all(natAddresses).apply((ips) => ips.map((ip) => `${ip}/32`));
    return { vpc, publicSubnets, privateSubnets, egress, egressCidrs };
}
export type EksNetwork = ReturnType<typeof eksNetwork>;

/** An IAM role for a service (`ec2`, `eks`) or a pod-identity role, with managed policies attached. */
function role(name: string, id: string, description: string, trust: PolicyDocument, managed: string[], plan: EksPlan, child: Child) {
    const r = new aws.iam.Role(`${name}-${id}`, { description, assumeRolePolicy: JSON.stringify(trust) }, child);
    const attachments = managed.map((policy) => new aws.iam.RolePolicyAttachment(`${name}-${id}-${policy.split("/").pop()}`, {
        role: r.name, policyArn: `arn:${plan.partition}:iam::aws:policy/${policy}`,
    }, child));
    return { role: r, attachments };
}

/**
 * Control plane: secrets envelope-encrypted with our key, access entries only (the creator gets no
 * implicit admin: the deployer's entry is explicit), pinned core add-ons, the chosen endpoint access.
 */
export function eksControlPlane(name: string, args: EksClusterArgs, plan: EksPlan, net: EksNetwork, child: Child, protect: boolean) {
    const { clusterName } = plan;
    const stateful = pulumi.mergeOptions(child, { protect });
    const secretsKey = new aws.kms.Key(`${name}-secrets`, {
        description: `Envelope encryption of Kubernetes secrets in EKS cluster ${clusterName}`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
    }, stateful);
    new aws.kms.Alias(`${name}-secrets`, { name: `alias/${clusterName}-secrets`, targetKeyId: secretsKey.keyId }, child);

    const clusterRole = role(name, "cluster", `EKS control plane of ${clusterName}`,
        serviceTrustPolicy("eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]), ["AmazonEKSClusterPolicy"], plan, child);
    const keyAccess = new aws.iam.RolePolicy(`${name}-cluster-secrets-key`, {
        role: clusterRole.role.name,
        policy: secretsKey.arn.apply((arn) => JSON.stringify(secretsKeyPolicy(arn))),
    }, child);
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-control-plane`, {
        name: `/aws/eks/${clusterName}/cluster`, retentionInDays: args.logRetentionDays ?? 90,
    }, child);

    const cluster = new aws.eks.Cluster(`${name}-cluster`, {
        name: clusterName,
        version: args.version,
        roleArn: clusterRole.role.arn,
        vpcConfig: { subnetIds: net.privateSubnets.map((s) => s.id), ...plan.endpoint },
        // Pods take VPC addresses through the VPC CNI, so network.podCidr has no use on EKS.
        kubernetesNetworkConfig: { serviceIpv4Cidr: args.network.serviceCidr },
        encryptionConfig: { provider: { keyArn: secretsKey.arn }, resources: ["secrets"] },
        // No implicit creator admin: the deployer's access entry below is the only one (no 409 on a second entry).
        accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
        upgradePolicy: { supportType: args.supportType ?? "STANDARD" },
        enabledClusterLogTypes: CONTROL_PLANE_LOG_TYPES,
        deletionProtection: protect,
    }, pulumi.mergeOptions(stateful, { dependsOn: [...clusterRole.attachments, keyAccess, logGroup] }));
    const onCluster = { clusterName: cluster.name };

    const adminPolicy = `arn:${plan.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`;
    const accessFor = (id: string, arn: string) => {
        const entry = new aws.eks.AccessEntry(`${name}-${id}`, { ...onCluster, principalArn: arn, type: "STANDARD" }, child);
        return new aws.eks.AccessPolicyAssociation(`${name}-${id}`, {
            ...onCluster, principalArn: entry.principalArn, policyArn: adminPolicy, accessScope: { type: "cluster" },
        }, child);
    };
    const deployerAccess = [accessFor(`deployer-${plan.deployer.id}`, plan.deployer.arn)];
    plan.admins.forEach(({ arn, id }) => accessFor(`admin-${id}`, arn));
    // The preview role: a Kubernetes group and no access policy; RBAC (PreviewAccess) decides what it may do.
    const previewAccess = plan.preview && new aws.eks.AccessEntry(`${name}-preview-${plan.preview.id}`, {
        ...onCluster, principalArn: plan.preview.arn, type: "STANDARD", kubernetesGroups: [PREVIEW_GROUP],
    }, child);

    const addon = (addonName: keyof MinorPins["eksAddons"], extra: Partial<aws.eks.AddonArgs>, opts: Child) =>
        new aws.eks.Addon(`${name}-${addonName}`, {
            ...onCluster, addonName, addonVersion: plan.pins.eksAddons[addonName], ...addonConflictResolution, ...extra,
        }, opts);
    const podRole = (id: string, description: string, managed: string[] = []) =>
        role(name, id, description, podIdentityTrustPolicy(), managed, plan, child);
    // Add-ons the nodes need to join come before the node groups; the rest need nodes to run on.
    const podIdentityAgent = addon("eks-pod-identity-agent", {}, child);
    const cni = podRole("vpc-cni", `VPC CNI of ${clusterName}`, ["AmazonEKS_CNI_Policy"]);
    const vpcCni = addon("vpc-cni", {
        podIdentityAssociations: [{ roleArn: cni.role.arn, serviceAccount: VPC_CNI_SERVICE_ACCOUNT }],
        configurationValues: vpcCniConfiguration(),
    },
        withDeps(child, [podIdentityAgent, ...cni.attachments]));
    const kubeProxy = addon("kube-proxy", {}, child);
    return { cluster, secretsKey, deployerAccess, previewAccess, podIdentityAgent, bootAddons: [podIdentityAgent, vpcCni, kubeProxy], addon, podRole };
}
export type EksControlPlane = ReturnType<typeof eksControlPlane>;

/** Managed node groups (system and GPU) and the add-ons that need nodes. */
export function eksNodeGroups(name: string, args: EksClusterArgs, plan: EksPlan, net: EksNetwork, cp: EksControlPlane, child: Child) {
    const { clusterName } = plan;
    const nodeRole = role(name, "node", `EKS nodes of ${clusterName}`, serviceTrustPolicy("ec2.amazonaws.com", ["sts:AssumeRole"]),
        ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly"], plan, child);
    const options = pulumi.mergeOptions(child, {
        dependsOn: [...nodeRole.attachments, ...net.egress, ...cp.bootAddons],
        ignoreChanges: ["scalingConfig.desiredSize"], // the autoscaler owns it
    });
    const base = {
        clusterName: cp.cluster.name,
        version: cp.cluster.version,
        nodeRoleArn: nodeRole.role.arn,
        subnetIds: net.privateSubnets.map((s) => s.id),
        updateConfig: { maxUnavailable: 1 },
    };
    const system = new aws.eks.NodeGroup(`${name}-system`, {
        ...base,
        amiType: amiType(args.systemPool.instanceType, false),
        instanceTypes: [args.systemPool.instanceType],
        scalingConfig: nodeGroupScaling(args.systemPool),
        labels: { [SYSTEM_NODE_LABEL.key]: SYSTEM_NODE_LABEL.value },
    }, options);
    const gpu = new aws.eks.NodeGroup(`${name}-gpu`, {
        ...base,
        amiType: amiType(args.gpuPool.instanceType, true),
        instanceTypes: [args.gpuPool.instanceType],
        diskSize: args.gpuPool.diskSizeGb,
        scalingConfig: nodeGroupScaling(args.gpuPool),
        labels: gpuNodeLabels(args.gpuPool),
        taints: [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: apiTaintEffect(GPU_TAINT.effect) }],
    }, options);

    const afterNodes = withDeps(child, [system]);
    cp.addon("coredns", {}, afterNodes);
    const ebs = cp.podRole("ebs-csi", `EBS CSI driver of ${clusterName}`, ["service-role/AmazonEBSCSIDriverPolicy"]);
    const ebsCsi = cp.addon("aws-ebs-csi-driver", { podIdentityAssociations: [{ roleArn: ebs.role.arn, serviceAccount: EBS_CSI_SERVICE_ACCOUNT }] },
        withDeps(afterNodes, ebs.attachments));
    // The resource metrics API the predictors' HPAs scale on (GKE and AKS ship metrics-server; EKS does not).
    const metricsServer = cp.addon("metrics-server", {}, afterNodes);
    return { system, gpu, ebsCsi, metricsServer };
}
export type EksNodeGroups = ReturnType<typeof eksNodeGroups>;

/** cluster-autoscaler (chart pinned per Kubernetes minor) with its pod identity and the ASG tags it scales from zero with. */
export function eksAutoscaler(name: string, args: EksClusterArgs, plan: EksPlan, cp: EksControlPlane, nodes: EksNodeGroups, child: Child, provider: k8s.Provider) {
    const { clusterName } = plan;
    const asgTags: pulumi.Resource[] = [];
    for (const [pool, nodeGroup, tags] of [
        ["system", nodes.system, autoscalerAsgTags(clusterName)],
        ["gpu", nodes.gpu, autoscalerAsgTags(clusterName, args.gpuPool)],
    ] as const) {
        const asgName = nodeGroup.resources.apply((r) => r[0].autoscalingGroups[0].name);
        for (const tag of tags) {
            asgTags.push(new aws.autoscaling.Tag(`${name}-${pool}-asg-${tag.id}`, {
                autoscalingGroupName: asgName, tag: { key: tag.key, value: tag.value, propagateAtLaunch: false },
            }, child));
        }
    }
    const autoscaler = cp.podRole("cluster-autoscaler", `cluster-autoscaler of ${clusterName}`);
    const policy = new aws.iam.RolePolicy(`${name}-cluster-autoscaler`, {
        role: autoscaler.role.name,
        policy: cp.cluster.arn.apply((arn) => JSON.stringify(clusterAutoscalerPolicy(clusterName, arn))),
    }, child);
    const identity = new aws.eks.PodIdentityAssociation(`${name}-cluster-autoscaler`, {
        clusterName: cp.cluster.name,
        namespace: CLUSTER_AUTOSCALER.namespace,
        serviceAccount: CLUSTER_AUTOSCALER.serviceAccountName,
        roleArn: autoscaler.role.arn,
    }, withDeps(child, [policy]));
    const release = new k8s.helm.v3.Release(`${name}-cluster-autoscaler`, {
        name: "cluster-autoscaler",
        ...chartSource("cluster-autoscaler", args.charts, plan.pins.clusterAutoscalerChart),
        namespace: CLUSTER_AUTOSCALER.namespace,
        values: clusterAutoscalerValues(clusterName, args.region),
    }, { parent: child.parent, provider, dependsOn: [identity, cp.podIdentityAgent, nodes.system, ...asgTags] });
    return { release, asgTags };
}

// ---------------------------------------------------------------------------------------------
// Pure functions
// ---------------------------------------------------------------------------------------------

/**
 * Default model bucket name: `<name>-models-<hash of account, region, name>` (at most 63). S3 names
 * are global: the hash makes two accounts (or two regions) with the same stack name never collide.
 */
export function defaultModelBucketName(name: string, accountId: string, region: string): string {
    return scopedName({ prefix: "", readable: `${name}-models`, scope: [accountId, region, name], max: 63, charset: "dns" });
}

/**
 * Subnet CIDRs for `zoneCount` zones inside `vpcCidr`. The VPC is split into 2^k blocks (the
 * smallest k with 2^k > zoneCount): one private block per zone (nodes, and pods through the VPC CNI)
 * and the last block cut into sixteenths, the first `zoneCount` of which are the public subnets.
 * 10.0.0.0/16 over 3 zones gives private /18s 10.0.0.0, 10.0.64.0, 10.0.128.0 and public /22s
 * 10.0.192.0, 10.0.196.0, 10.0.200.0.
 */
export function subnetCidrs(vpcCidr: string, zoneCount: number): { private: string[]; public: string[] } {
    const arg = "EksCluster args.network.vpcCidr";
    const { prefix } = networkCidr(vpcCidr, arg);
    if (!Number.isInteger(zoneCount) || zoneCount < 2) throw new Error(`EksCluster args.network.zones must list at least 2 availability zones (got ${zoneCount})`);
    const bits = Math.ceil(Math.log2(zoneCount + 1));
    if (prefix + bits + 4 > 28) throw new Error(`${arg}: ${vpcCidr} is too small for ${zoneCount} zones; use a /20 or larger (a /16 is typical)`);
    const lastBlock = carve(vpcCidr, bits, 1, 2 ** bits - 1, arg)[0];
    return { private: carve(vpcCidr, bits, zoneCount, 0, arg), public: carve(lastBlock, 4, zoneCount, 0, arg) };
}

/** EKS AMI for an instance type: AL2023, NVIDIA variant for GPU pools, ARM for Graviton families (m7g, g5g). */
export function amiType(instanceType: string, gpu: boolean): string {
    const arm = /^[a-z]+\d+g/.test(instanceType);
    return `AL2023_${arm ? "ARM_64" : "x86_64"}_${gpu ? "NVIDIA" : "STANDARD"}`;
}

/** Node group scaling: start at the minimum; the autoscaler owns the desired size from then on. */
export function nodeGroupScaling(pool: PoolArgs) {
    return { minSize: pool.minSize, maxSize: pool.maxSize, desiredSize: pool.minSize };
}

/**
 * Labels of the GPU nodes: the platform's GPU label, the accelerator label cluster-autoscaler reads,
 * and the MIG profile label in MIG mode (the GPU operator's MIG manager applies it).
 */
export function gpuNodeLabels(pool: Pick<GpuPoolArgs, "gpuType" | "sharing">): Record<string, string> {
    return { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value, [EKS_ACCELERATOR_LABEL]: pool.gpuType, ...migConfigNodeLabels(pool.sharing) };
}

/** Name of an IAM role from its ARN (`arn:aws:iam::123456789012:role/path/Name` -> `Name`). */
export function iamRoleName(arn: string, name = "?", arg = "adminRoleArns"): string {
    const m = /^arn:aws(-[a-z-]+)?:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/.exec(arn);
    if (!m) throw argError("EksCluster", name, arg, `${JSON.stringify(arn)} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`);
    return m[2];
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
                    "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities", "autoscaling:DescribeTags",
                    "ec2:DescribeImages", "ec2:DescribeInstanceTypes", "ec2:DescribeLaunchTemplateVersions",
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
 * given), the node template (labels incl. the accelerator label, taint, GPU count) that lets it
 * scale that pool up from zero nodes and recognise GPU nodes before the device plugin starts.
 */
export function autoscalerAsgTags(clusterName: string, gpuPool?: Pick<GpuPoolArgs, "gpuType" | "gpuCount">): { id: string; key: string; value: string }[] {
    const template = "k8s.io/cluster-autoscaler/node-template";
    const tags = [
        { id: "enabled", key: "k8s.io/cluster-autoscaler/enabled", value: "true" },
        { id: "owner", key: autoscalerOwnerTag(clusterName), value: "owned" },
    ];
    if (gpuPool === undefined) return tags;
    return [
        ...tags,
        { id: "template-label", key: `${template}/label/${GPU_NODE_LABEL.key}`, value: GPU_NODE_LABEL.value },
        { id: "template-accelerator", key: `${template}/label/${EKS_ACCELERATOR_LABEL}`, value: gpuPool.gpuType },
        { id: "template-taint", key: `${template}/taint/${GPU_TAINT.key}`, value: `${GPU_TAINT.value}:${GPU_TAINT.effect}` },
        { id: "template-gpus", key: `${template}/resources/nvidia.com/gpu`, value: String(gpuPool.gpuCount) },
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
        resources: { requests: { cpu: "100m", memory: "300Mi" }, limits: { cpu: "500m", memory: "600Mi" } },
    };
}
