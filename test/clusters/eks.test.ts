import assert from "node:assert/strict";
import {
    amiType,
    autoscalerAsgTags,
    awsPartition,
    CLUSTER_AUTOSCALER,
    clusterAutoscalerPolicy,
    clusterAutoscalerValues,
    EksCluster,
    EksClusterArgs,
    eksKubeconfig,
    eksTaintEffect,
    endpointAccess,
    iamRoleName,
    modelBucketName,
    modelReadPolicy,
    nodeGroupScaling,
    podIdentityTrustPolicy,
    subnetCidrs,
} from "../../components/clusters/eks";
import { GPU_NODE_LABEL, GPU_TAINT } from "../../components/clusters/types";
import { chartRepos, versions } from "../../lib/versions";
import { runProgram } from "../../tools/plan/recorder";
import { Recorded, RecordedResource, runMocked, SecretValue, settle } from "../helpers/run";

const ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];

function eksArgs(overrides: Partial<EksClusterArgs> = {}): EksClusterArgs {
    return {
        region: "eu-west-1",
        version: "1.34",
        network: { vpcCidr: "10.0.0.0/16", podCidr: "100.64.0.0/16", serviceCidr: "172.20.0.0/16", zones: ZONES, natPerZone: true },
        systemPool: { instanceType: "m7i.large", minSize: 2, maxSize: 4 },
        gpuPool: { instanceType: "g6.xlarge", gpuType: "nvidia-l4", gpuCount: 1, minSize: 0, maxSize: 3, diskSizeGb: 200, sharing: { mode: "none" } },
        ...overrides,
    };
}

type Statement = { Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string>> };
const statements = (policy: string | { Statement: unknown[] }): Statement[] =>
    (typeof policy === "string" ? JSON.parse(policy) : policy).Statement as Statement[];
const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

describe("clusters/eks: pure functions", () => {
    describe("subnetCidrs", () => {
        it("gives each of 3 zones a /18 private subnet and a /22 public one from the last quarter", () => {
            assert.deepEqual(subnetCidrs("10.0.0.0/16", 3), {
                private: ["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18"],
                public: ["10.0.192.0/22", "10.0.196.0/22", "10.0.200.0/22"],
            });
        });

        it("uses eighths for 4 zones and keeps the public subnets in the last one", () => {
            assert.deepEqual(subnetCidrs("10.20.0.0/16", 4), {
                private: ["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19", "10.20.96.0/19"],
                public: ["10.20.224.0/23", "10.20.226.0/23", "10.20.228.0/23", "10.20.230.0/23"],
            });
        });

        it("never overlaps and stays inside the VPC, for 2 to 7 zones", () => {
            const range = (cidr: string): [number, number] => {
                const [ip, bits] = cidr.split("/");
                const start = ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
                return [start, start + 2 ** (32 - Number(bits))];
            };
            const [vpcStart, vpcEnd] = range("172.16.0.0/12");
            for (let zones = 2; zones <= 7; zones++) {
                const { private: priv, public: pub } = subnetCidrs("172.16.0.0/12", zones);
                assert.equal(priv.length, zones);
                assert.equal(pub.length, zones);
                const ranges = [...priv, ...pub].map(range).sort((a, b) => a[0] - b[0]);
                ranges.forEach(([start, end], i) => {
                    assert.ok(start >= vpcStart && end <= vpcEnd, `${zones} zones: subnet outside the VPC`);
                    if (i > 0) assert.ok(start >= ranges[i - 1][1], `${zones} zones: subnets overlap`);
                });
            }
        });

        it("refuses a CIDR with host bits, fewer than 2 zones, or a VPC too small", () => {
            assert.throws(() => subnetCidrs("10.0.1.0/16", 3), /vpcCidr: 10\.0\.1\.0\/16 has host bits set/);
            assert.throws(() => subnetCidrs("10.0.0.0/16", 1), /at least 2 availability zones/);
            assert.throws(() => subnetCidrs("10.0.0.0/24", 3), /too small/);
            assert.throws(() => subnetCidrs("10.0.0/16", 3), /not an IPv4 CIDR/);
        });
    });

    describe("endpointAccess", () => {
        it("is private only by default", () => {
            assert.deepEqual(endpointAccess(false, []), { endpointPrivateAccess: true, endpointPublicAccess: false });
        });

        it("is public only to the authorized CIDRs, and the private endpoint stays on", () => {
            assert.deepEqual(endpointAccess(true, ["203.0.113.0/24"]), {
                endpointPrivateAccess: true,
                endpointPublicAccess: true,
                publicAccessCidrs: ["203.0.113.0/24"],
            });
        });

        it("refuses an open CIDR, public or not, and a public endpoint without CIDRs", () => {
            assert.throws(() => endpointAccess(true, ["203.0.113.0/24", "0.0.0.0/0"]), /authorizedCidrs must not contain 0\.0\.0\.0\/0/);
            assert.throws(() => endpointAccess(false, ["0.0.0.0/0"]), /authorizedCidrs must not contain/);
            assert.throws(() => endpointAccess(true, []), /authorizedCidrs must list at least one CIDR/);
            assert.throws(() => endpointAccess(true, ["everyone"]), /not an IPv4 CIDR/);
        });
    });

    it("eksKubeconfig authenticates with `aws eks get-token` for the cluster and region", () => {
        const config = JSON.parse(eksKubeconfig("prod", "https://x.eks.amazonaws.com", "Q0E=", "eu-west-1"));
        assert.equal(config["current-context"], "prod");
        assert.deepEqual(config.clusters[0].cluster, { server: "https://x.eks.amazonaws.com", "certificate-authority-data": "Q0E=" });
        const exec = config.users[0].user.exec;
        assert.equal(exec.apiVersion, "client.authentication.k8s.io/v1beta1");
        assert.equal(exec.command, "aws");
        assert.deepEqual(exec.args.slice(0, 6), ["eks", "get-token", "--cluster-name", "prod", "--region", "eu-west-1"]);
        assert.equal(config.users[0].user.token, undefined);
    });

    it("autoscalerAsgTags: discovery tags for every pool, node template only for the GPU pool", () => {
        const discovery = { "k8s.io/cluster-autoscaler/enabled": "true", "k8s.io/cluster-autoscaler/prod": "owned" };
        const asMap = (tags: { key: string; value: string }[]) => Object.fromEntries(tags.map((t) => [t.key, t.value]));
        assert.deepEqual(asMap(autoscalerAsgTags("prod")), discovery);
        assert.deepEqual(asMap(autoscalerAsgTags("prod", 4)), {
            ...discovery,
            "k8s.io/cluster-autoscaler/node-template/label/hybridml.io/node-pool": "gpu",
            "k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu": "true:NoSchedule",
            "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu": "4",
        });
        const ids = autoscalerAsgTags("prod", 1).map((t) => t.id);
        assert.equal(new Set(ids).size, ids.length, "tag ids name resources, so they must be unique");
    });

    it("clusterAutoscalerPolicy changes only this cluster's ASGs and describes only its node groups", () => {
        const policy = statements(clusterAutoscalerPolicy("prod", "arn:aws:eks:eu-west-1:123456789012:cluster/prod"));
        const mutating = policy.filter((s) => list(s.Action).some((a) => /SetDesiredCapacity|TerminateInstance/.test(a)));
        assert.equal(mutating.length, 1);
        assert.deepEqual(mutating[0].Condition, { StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/prod": "owned" } });
        for (const s of policy.filter((x) => x !== mutating[0])) {
            for (const action of list(s.Action)) assert.match(action, /^(autoscaling|ec2|eks):(Describe|Get)/);
        }
        const eks = policy.find((s) => list(s.Action).includes("eks:DescribeNodegroup"));
        assert.equal(eks?.Resource, "arn:aws:eks:eu-west-1:123456789012:nodegroup/prod/*");
        assert.ok(policy.every((s) => s.Effect === "Allow" && !list(s.Action).some((a) => a.endsWith("*"))));
    });

    it("modelReadPolicy grants read on one bucket and decrypt through S3 only", () => {
        const policy = statements(modelReadPolicy("arn:aws:s3:::models", "arn:aws:kms:eu-west-1:1:key/k", "eu-west-1"));
        assert.deepEqual(policy.map((s) => [list(s.Action), s.Resource]), [
            [["s3:ListBucket"], "arn:aws:s3:::models"],
            [["s3:GetObject"], "arn:aws:s3:::models/*"],
            [["kms:Decrypt"], "arn:aws:kms:eu-west-1:1:key/k"],
        ]);
        assert.deepEqual(policy[2].Condition, { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } });
    });

    it("podIdentityTrustPolicy trusts EKS pod identity with session tags", () => {
        assert.deepEqual(statements(podIdentityTrustPolicy()), [
            { Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] },
        ]);
    });

    it("clusterAutoscalerValues: auto-discovery, pod identity service account, flags, requests and limits", () => {
        const values = clusterAutoscalerValues("prod", "eu-west-1") as Record<string, any>;
        assert.deepEqual(values.autoDiscovery, { clusterName: "prod" });
        assert.equal(values.awsRegion, "eu-west-1");
        assert.equal(values.rbac.serviceAccount.name, "cluster-autoscaler");
        assert.deepEqual(values.extraArgs, { "balance-similar-node-groups": true, "skip-nodes-with-system-pods": false, expander: "least-waste" });
        assert.ok(values.resources.requests.cpu && values.resources.requests.memory);
        assert.ok(values.resources.limits.cpu && values.resources.limits.memory);
        assert.notEqual(values.image?.tag, "latest");
    });

    it("small helpers: AMI types, taint effect, role names, partitions, bucket names", () => {
        assert.equal(amiType("g6.xlarge", true), "AL2023_x86_64_NVIDIA");
        assert.equal(amiType("p5.48xlarge", true), "AL2023_x86_64_NVIDIA");
        assert.equal(amiType("g5g.xlarge", true), "AL2023_ARM_64_NVIDIA");
        assert.equal(amiType("m7i.large", false), "AL2023_x86_64_STANDARD");
        assert.equal(amiType("m7g.large", false), "AL2023_ARM_64_STANDARD");
        assert.deepEqual(nodeGroupScaling({ minSize: 0, maxSize: 3 }), { minSize: 0, maxSize: 3, desiredSize: 0 });
        assert.equal(eksTaintEffect("NoSchedule"), "NO_SCHEDULE");
        assert.equal(eksTaintEffect("PreferNoSchedule"), "PREFER_NO_SCHEDULE");
        assert.equal(iamRoleName("arn:aws:iam::123456789012:role/sso/Admin"), "Admin");
        assert.throws(() => iamRoleName("arn:aws:iam::123456789012:user/alice"), /adminRoleArns: .* is not an IAM role ARN/);
        assert.equal(awsPartition("eu-west-1"), "aws");
        assert.equal(awsPartition("cn-north-1"), "aws-cn");
        assert.equal(awsPartition("us-gov-west-1"), "aws-us-gov");
        assert.equal(modelBucketName("prod-models"), "prod-models");
        assert.throws(() => modelBucketName("Prod_Models"), /not a valid S3 bucket name/);
    });
});

describe("clusters/eks: EksCluster", () => {
    let run: Recorded<EksCluster>;
    let component: RecordedResource;
    /** Every option away from its default, in one run (each mocked run costs a second or two). */
    let variant: Recorded<EksCluster>;
    const ADMIN = "arn:aws:iam::123456789012:role/PlatformAdmin";
    before(async () => {
        run = await runMocked(() => new EksCluster("prod", eksArgs()));
        component = run.one("hybridml:clusters:EksCluster");
        const defaults = eksArgs();
        variant = await runMocked(() => new EksCluster("prod", eksArgs({
            clusterName: "ml-prod",
            modelBucketName: "acme-ml-prod-models",
            network: { ...defaults.network, natPerZone: false },
            publicEndpoint: true,
            authorizedCidrs: ["198.51.100.0/24"],
            adminRoleArns: [ADMIN],
            protect: false,
            modelReader: { namespace: "serving", serviceAccountName: "kserve" },
        })));
    });

    const inputs = (type: string, nameSuffix?: string) => run.inputs(run.one(type, nameSuffix));
    const roleArnOf = (roleName: string) => `arn:aws:iam::123456789012:role/${roleName}`;

    it("registers exactly these resource types", () => {
        assert.deepEqual(run.types(), [
            "aws:autoscaling/tag:Tag",
            "aws:cloudwatch/logGroup:LogGroup",
            "aws:ec2/eip:Eip",
            "aws:ec2/internetGateway:InternetGateway",
            "aws:ec2/natGateway:NatGateway",
            "aws:ec2/route:Route",
            "aws:ec2/routeTable:RouteTable",
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            "aws:ec2/subnet:Subnet",
            "aws:ec2/vpc:Vpc",
            "aws:eks/addon:Addon",
            "aws:eks/cluster:Cluster",
            "aws:eks/nodeGroup:NodeGroup",
            "aws:eks/podIdentityAssociation:PodIdentityAssociation",
            "aws:iam/role:Role",
            "aws:iam/rolePolicy:RolePolicy",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "aws:kms/alias:Alias",
            "aws:kms/key:Key",
            "aws:s3/bucket:Bucket",
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            "aws:s3/bucketPolicy:BucketPolicy",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws:s3/bucketVersioning:BucketVersioning",
            "hybridml:clusters:EksCluster",
            "kubernetes:helm.sh/v3:Release",
            "pulumi:providers:aws",
            "pulumi:providers:kubernetes",
            "pulumi:pulumi:Stack",
        ]);
    });

    it("parents every child to the component and names it after it", () => {
        const children = run.resources.filter((r) => r !== component && r.type !== "pulumi:pulumi:Stack");
        assert.ok(children.length > 50);
        for (const r of children) {
            assert.equal(r.parent, component.urn, `${r.type} ${r.name}`);
            assert.ok(r.name.startsWith("prod-"), `${r.type} ${r.name}`);
        }
    });

    it("sends every AWS resource through the component's AWS provider, in the given region", () => {
        const awsProvider = run.one("pulumi:providers:aws");
        assert.equal(run.inputs(awsProvider).region, "eu-west-1");
        const awsResources = run.resources.filter((r) => r.type.startsWith("aws:"));
        assert.ok(awsResources.length > 50);
        for (const r of awsResources) {
            assert.notEqual(r.provider, "", `${r.type} ${r.name} has no provider`);
            assert.ok(r.provider.startsWith(`${awsProvider.urn}::`), `${r.type} ${r.name}: ${r.provider}`);
        }
    });

    it("deploys every Kubernetes resource through the cluster's k8s provider", () => {
        const k8sProvider = run.one("pulumi:providers:kubernetes", "prod-k8s");
        assert.equal(run.value.provider !== undefined, true);
        const kubernetes = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
        assert.deepEqual(kubernetes.map((r) => r.type), ["kubernetes:helm.sh/v3:Release"]);
        for (const r of kubernetes) assert.ok(r.provider.startsWith(`${k8sProvider.urn}::`), `${r.type} ${r.name}: ${r.provider}`);
    });

    it("builds a VPC with private node subnets, public load-balancer subnets and a NAT per zone", () => {
        assert.equal(inputs("aws:ec2/vpc:Vpc").cidrBlock, "10.0.0.0/16");
        const cidrs = subnetCidrs("10.0.0.0/16", 3);
        ZONES.forEach((zone, i) => {
            const priv = inputs("aws:ec2/subnet:Subnet", `private-${zone}`);
            assert.equal(priv.availabilityZone, zone);
            assert.equal(priv.cidrBlock, cidrs.private[i]);
            assert.equal(priv.tags["kubernetes.io/role/internal-elb"], "1");
            assert.equal(priv.mapPublicIpOnLaunch, false);
            const pub = inputs("aws:ec2/subnet:Subnet", `public-${zone}`);
            assert.equal(pub.cidrBlock, cidrs.public[i]);
            assert.equal(pub.tags["kubernetes.io/role/elb"], "1");
            assert.equal(pub.mapPublicIpOnLaunch, false);
            assert.equal(inputs("aws:ec2/route:Route", `private-${zone}-default`).natGatewayId, `prod-nat-${zone}-id`);
            assert.equal(inputs("aws:ec2/natGateway:NatGateway", `nat-${zone}`).subnetId, `prod-public-${zone}-id`);
        });
        assert.equal(run.ofType("aws:ec2/eip:Eip").length, 3);
        assert.equal(inputs("aws:ec2/route:Route", "public-default").gatewayId, "prod-igw-id");
    });

    it("shares one NAT gateway between the zones when natPerZone is false", () => {
        const single = variant;
        assert.deepEqual(single.ofType("aws:ec2/natGateway:NatGateway").map((r) => r.name), ["prod-nat-eu-west-1a"]);
        assert.equal(single.ofType("aws:ec2/eip:Eip").length, 1);
        for (const route of single.ofType("aws:ec2/route:Route").filter((r) => r.name.startsWith("prod-private-"))) {
            assert.equal(single.inputs(route).natGatewayId, "prod-nat-eu-west-1a-id");
        }
    });

    it("creates a private-endpoint cluster with KMS-encrypted secrets and access entries only", () => {
        const cluster = inputs("aws:eks/cluster:Cluster");
        assert.equal(cluster.name, "prod");
        assert.equal(cluster.version, "1.34");
        assert.deepEqual(cluster.vpcConfig, {
            endpointPrivateAccess: true,
            endpointPublicAccess: false,
            subnetIds: ZONES.map((z) => `prod-private-${z}-id`),
        });
        assert.deepEqual(cluster.encryptionConfig, {
            provider: { keyArn: "arn:aws:kms:eu-west-1:123456789012:key/prod-secrets" },
            resources: ["secrets"],
        });
        assert.deepEqual(cluster.accessConfig, { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true });
        assert.equal(cluster.roleArn, roleArnOf("prod-cluster"));
        assert.ok(cluster.enabledClusterLogTypes.includes("audit"));
        assert.equal(cluster.kubernetesNetworkConfig.serviceIpv4Cidr, "172.20.0.0/16");
        assert.equal(inputs("aws:kms/key:Key", "secrets").enableKeyRotation, true);
        assert.equal(inputs("aws:kms/alias:Alias", "secrets").name, "alias/prod-secrets");
        assert.equal(run.ofType("aws:eks/accessEntry:AccessEntry").length, 0);
    });

    it("opens the public endpoint only to the authorized CIDRs", () => {
        const pub = variant;
        assert.deepEqual(pub.inputs(pub.one("aws:eks/cluster:Cluster")).vpcConfig, {
            endpointPrivateAccess: true,
            endpointPublicAccess: true,
            publicAccessCidrs: ["198.51.100.0/24"],
            subnetIds: ZONES.map((z) => `prod-private-${z}-id`),
        });
    });

    it("refuses authorizedCidrs 0.0.0.0/0 before registering anything", async () => {
        const result = await runProgram(
            () => new EksCluster("prod", eksArgs({ publicEndpoint: true, authorizedCidrs: ["0.0.0.0/0"] })),
            { project: "hybridml", stack: "test", preview: true },
        );
        assert.match(String(result.error?.message), /cluster\.authorizedCidrs must not contain 0\.0\.0\.0\/0/);
        assert.deepEqual(result.resources.map((r) => r.type), ["pulumi:pulumi:Stack"]);
    });

    it("gives each admin role an access entry with cluster-wide admin policy", () => {
        const arn = ADMIN;
        const admins = variant;
        const entry = admins.inputs(admins.one("aws:eks/accessEntry:AccessEntry", "admin-PlatformAdmin"));
        assert.deepEqual(entry, { clusterName: "ml-prod", principalArn: arn, type: "STANDARD" });
        const association = admins.inputs(admins.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "admin-PlatformAdmin"));
        assert.deepEqual(association, {
            clusterName: "ml-prod",
            principalArn: arn,
            policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            accessScope: { type: "cluster" },
        });
    });

    it("runs a tainted, labelled GPU node group on the NVIDIA AMI that scales from zero", () => {
        const gpu = inputs("aws:eks/nodeGroup:NodeGroup", "prod-gpu");
        assert.equal(gpu.amiType, "AL2023_x86_64_NVIDIA");
        assert.deepEqual(gpu.instanceTypes, ["g6.xlarge"]);
        assert.equal(gpu.diskSize, 200);
        assert.deepEqual(gpu.scalingConfig, { minSize: 0, maxSize: 3, desiredSize: 0 });
        assert.deepEqual(gpu.taints, [{ key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" }]);
        assert.deepEqual(gpu.labels, { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value });
        assert.deepEqual(gpu.subnetIds, ZONES.map((z) => `prod-private-${z}-id`));
        const system = inputs("aws:eks/nodeGroup:NodeGroup", "prod-system");
        assert.equal(system.amiType, "AL2023_x86_64_STANDARD");
        assert.deepEqual(system.scalingConfig, { minSize: 2, maxSize: 4, desiredSize: 2 });
        assert.equal(system.taints, undefined);
        assert.deepEqual(run.value.gpu.taint, GPU_TAINT);
        assert.equal(run.value.gpu.driver, "platform");
        assert.equal(run.value.gpu.minNodes, 0);
    });

    it("gives nodes only the worker and registry policies; CNI rights go to the vpc-cni identity", () => {
        const attachments = run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment");
        const policiesOf = (prefix: string) => attachments.filter((r) => r.name.startsWith(prefix)).map((r) => run.inputs(r).policyArn).sort();
        assert.deepEqual(policiesOf("prod-node-"), [
            "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
            "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        ]);
        assert.deepEqual(policiesOf("prod-vpc-cni"), ["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"]);
        assert.deepEqual(policiesOf("prod-ebs-csi"), ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]);
        assert.deepEqual(policiesOf("prod-cluster"), ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]);
        assert.equal(attachments.length, 5);
    });

    it("installs the add-ons, binding vpc-cni and the EBS CSI driver to their own roles", () => {
        const addons: Record<string, Record<string, any>> = Object.fromEntries(
            run.ofType("aws:eks/addon:Addon").map((r) => [run.inputs(r).addonName, run.inputs(r)]),
        );
        assert.deepEqual(Object.keys(addons).sort(), ["aws-ebs-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]);
        assert.deepEqual(addons["vpc-cni"].podIdentityAssociations, [{ roleArn: roleArnOf("prod-vpc-cni"), serviceAccount: "aws-node" }]);
        assert.deepEqual(addons["aws-ebs-csi-driver"].podIdentityAssociations, [{ roleArn: roleArnOf("prod-ebs-csi"), serviceAccount: "ebs-csi-controller-sa" }]);
        for (const addon of Object.values(addons)) {
            assert.equal(addon.clusterName, "prod");
            assert.equal(addon.addonVersion, undefined);
        }
        for (const role of ["prod-vpc-cni", "prod-ebs-csi"]) {
            assert.deepEqual(JSON.parse(inputs("aws:iam/role:Role", role).assumeRolePolicy), podIdentityTrustPolicy());
        }
    });

    it("tags the GPU node group's ASG so that cluster-autoscaler can scale it from zero", () => {
        const tags = run.ofType("aws:autoscaling/tag:Tag").filter((r) => r.name.startsWith("prod-gpu-asg-")).map((r) => run.inputs(r));
        for (const t of tags) {
            assert.equal(t.autoscalingGroupName, "eks-prod-gpu-asg");
            assert.equal(t.tag.propagateAtLaunch, false);
        }
        assert.deepEqual(Object.fromEntries(tags.map((t) => [t.tag.key, t.tag.value])), {
            "k8s.io/cluster-autoscaler/enabled": "true",
            "k8s.io/cluster-autoscaler/prod": "owned",
            "k8s.io/cluster-autoscaler/node-template/label/hybridml.io/node-pool": "gpu",
            "k8s.io/cluster-autoscaler/node-template/taint/nvidia.com/gpu": "true:NoSchedule",
            "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu": "1",
        });
        const systemAsgs = run.ofType("aws:autoscaling/tag:Tag").filter((r) => r.name.startsWith("prod-system-asg-"));
        assert.deepEqual(systemAsgs.map((r) => run.inputs(r).autoscalingGroupName), ["eks-prod-system-asg", "eks-prod-system-asg"]);
    });

    it("deploys a pinned cluster-autoscaler with a least-privilege pod identity", () => {
        const release = inputs("kubernetes:helm.sh/v3:Release", "cluster-autoscaler");
        assert.equal(release.chart, "cluster-autoscaler");
        assert.equal(release.version, versions.clusterAutoscalerChart);
        assert.match(release.version, /^\d+\.\d+\.\d+$/);
        assert.deepEqual(release.repositoryOpts, { repo: chartRepos.clusterAutoscaler });
        assert.equal(release.namespace, "kube-system");
        assert.deepEqual(release.values, clusterAutoscalerValues("prod", "eu-west-1"));

        const association = inputs("aws:eks/podIdentityAssociation:PodIdentityAssociation", "cluster-autoscaler");
        assert.deepEqual(association, {
            clusterName: "prod",
            namespace: "kube-system",
            serviceAccount: CLUSTER_AUTOSCALER.serviceAccountName,
            roleArn: roleArnOf("prod-cluster-autoscaler"),
        });
        const policy = statements(inputs("aws:iam/rolePolicy:RolePolicy", "prod-cluster-autoscaler").policy);
        assert.deepEqual(policy, statements(clusterAutoscalerPolicy("prod", "arn:aws:eks:eu-west-1:123456789012:cluster/prod-cluster")));
    });

    it("keeps models in a versioned, KMS-encrypted, private, retained and protected bucket", () => {
        const bucket = run.one("aws:s3/bucket:Bucket");
        assert.deepEqual(run.inputs(bucket), { bucket: "prod-models", forceDestroy: false });
        assert.equal(bucket.protect, true);
        assert.equal(bucket.retainOnDelete, true);
        assert.deepEqual(inputs("aws:s3/bucketVersioning:BucketVersioning"), { bucket: "prod-models", versioningConfiguration: { status: "Enabled" } });
        assert.deepEqual(inputs("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").rules, [{
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:eu-west-1:123456789012:key/prod-models" },
            bucketKeyEnabled: true,
        }]);
        assert.deepEqual(inputs("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"), {
            bucket: "prod-models", blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
        });
        assert.equal(inputs("aws:s3/bucketOwnershipControls:BucketOwnershipControls").rule.objectOwnership, "BucketOwnerEnforced");
        const denyPlainHttp = statements(inputs("aws:s3/bucketPolicy:BucketPolicy").policy);
        assert.deepEqual(denyPlainHttp.map((s) => s.Effect), ["Deny"]);
    });

    it("protects the cluster and the keys by default, and not when protect is false", () => {
        const stateful = (r: Recorded<EksCluster>) => ["aws:eks/cluster:Cluster", "aws:kms/key:Key", "aws:s3/bucket:Bucket"].flatMap((t) => r.ofType(t));
        assert.deepEqual(stateful(run).map((r) => r.protect), [true, true, true, true]);
        assert.equal(inputs("aws:eks/cluster:Cluster").deletionProtection, true);
        const dev = variant;
        assert.deepEqual(stateful(dev).map((r) => r.protect), [false, false, false, false]);
        assert.equal(dev.one("aws:s3/bucket:Bucket").retainOnDelete, true);
        assert.equal(dev.inputs(dev.one("aws:eks/cluster:Cluster")).deletionProtection, false);
    });

    it("lets only the model reader's service account read the model bucket", () => {
        const policy = statements(inputs("aws:iam/rolePolicy:RolePolicy", "prod-model-reader").policy);
        const grants = policy.flatMap((s) => list(s.Action).flatMap((a) => list(s.Resource).map((r) => `${s.Effect} ${a} ${r}`)));
        assert.deepEqual(grants.sort(), [
            "Allow kms:Decrypt arn:aws:kms:eu-west-1:123456789012:key/prod-models",
            "Allow s3:GetObject arn:aws:s3:::prod-models/*",
            "Allow s3:ListBucket arn:aws:s3:::prod-models",
        ]);
        assert.deepEqual(JSON.parse(inputs("aws:iam/role:Role", "prod-model-reader").assumeRolePolicy), podIdentityTrustPolicy());
        assert.deepEqual(inputs("aws:eks/podIdentityAssociation:PodIdentityAssociation", "model-reader"), {
            clusterName: "prod", namespace: "models", serviceAccount: "model-reader", roleArn: roleArnOf("prod-model-reader"),
        });
    });

    it("takes the cluster name, bucket name and modelReader service account from the arguments", async () => {
        const custom = variant;
        assert.equal(custom.inputs(custom.one("aws:eks/cluster:Cluster")).name, "ml-prod");
        assert.equal(custom.inputs(custom.one("aws:s3/bucket:Bucket")).bucket, "acme-ml-prod-models");
        assert.equal((await settle(custom.value.objectStore.uriPrefix)).value, "s3://acme-ml-prod-models");
        const gpuTags = custom.ofType("aws:autoscaling/tag:Tag").map((r) => custom.inputs(r).tag.key);
        assert.ok(gpuTags.includes("k8s.io/cluster-autoscaler/ml-prod"));
        assert.deepEqual(custom.inputs(custom.one("kubernetes:helm.sh/v3:Release")).values.autoDiscovery, { clusterName: "ml-prod" });
        const association = custom.inputs(custom.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", "model-reader"));
        assert.equal(association.namespace, "serving");
        assert.equal(association.serviceAccount, "kserve");
        assert.equal(custom.value.objectStore.readIdentity.namespace, "serving");
        assert.equal(custom.value.objectStore.readIdentity.serviceAccountName, "kserve");
    });

    it("exposes the S3 object store with its pod-identity read identity", async () => {
        const store = run.value.objectStore;
        assert.equal(store.kind, "s3");
        assert.equal(store.region, "eu-west-1");
        assert.equal((await settle(store.bucket)).value, "prod-models");
        assert.equal((await settle(store.uriPrefix)).value, "s3://prod-models");
        assert.deepEqual((await settle(store.readIdentity.serviceAccountAnnotations)).value, {});
        assert.deepEqual(store.readIdentity.podLabels, {});
        assert.equal(run.value.platform, "eks");
        assert.equal((await settle(run.value.clusterName)).value, "prod");
    });

    it("yields a secret kubeconfig using aws eks get-token, and the k8s provider takes it as a secret", async () => {
        const { value, secret, known } = await settle(run.value.kubeconfig);
        assert.equal(secret, true);
        assert.equal(known, true);
        const config = JSON.parse(String(value));
        assert.equal(config.clusters[0].cluster.server, "https://prod-cluster.gr7.eu-west-1.eks.amazonaws.com");
        const exec = config.users[0].user.exec;
        assert.equal(exec.command, "aws");
        assert.deepEqual(exec.args.slice(0, 4), ["eks", "get-token", "--cluster-name", "prod"]);
        assert.ok(run.one("pulumi:providers:kubernetes").inputs.kubeconfig instanceof SecretValue);
    });

    it("plans in preview, where computed outputs are unknown, with the same resources", async () => {
        const preview = await runMocked(() => new EksCluster("prod", eksArgs()), { preview: true });
        assert.deepEqual(preview.types(), run.types());
        assert.equal(preview.resources.length, run.resources.length);
        assert.equal((await settle(preview.value.kubeconfig)).known, false);
    });
});
