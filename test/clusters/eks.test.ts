import assert from "node:assert/strict";
import * as aws from "@pulumi/aws";
import {
    amiType, autoscalerAsgTags, CLUSTER_AUTOSCALER, clusterAutoscalerPolicy, clusterAutoscalerValues, defaultModelBucketName,
    EKS_ACCELERATOR_LABEL, EksCluster, EksClusterArgs, iamRoleName, nodeGroupScaling, planEks, subnetCidrs,
} from "../../components/clusters/eks";
import { GPU_NODE_LABEL, GPU_TAINT } from "../../components/clusters/types";
import { chartRepos, clusterPins, versions } from "../../lib/versions";
import { runProgram } from "../../tools/plan/recorder";
import { unknownValuesKeys } from "../helpers/values";
import { Recorded, RecordedResource, runMocked, settle } from "../helpers/run";

const ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
const DEPLOYER = "arn:aws:iam::123456789012:role/ci-deployer";
const ADMIN = "arn:aws:iam::123456789012:role/PlatformAdmin";

function eksArgs(overrides: Partial<EksClusterArgs> = {}): EksClusterArgs {
    return {
        region: "eu-west-1",
        version: versions.kubernetes,
        deployerRoleArn: DEPLOYER,
        authorizedCidrs: ["203.0.113.0/24"],
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
    it("subnetCidrs: a private block per zone, public subnets carved from the last block", () => {
        assert.deepEqual(subnetCidrs("10.0.0.0/16", 3), {
            private: ["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18"],
            public: ["10.0.192.0/22", "10.0.196.0/22", "10.0.200.0/22"],
        });
        assert.deepEqual(subnetCidrs("10.20.0.0/16", 4).public, ["10.20.224.0/23", "10.20.226.0/23", "10.20.228.0/23", "10.20.230.0/23"]);
        assert.throws(() => subnetCidrs("10.0.1.0/16", 3), /EksCluster args\.network\.vpcCidr: 10\.0\.1\.0\/16 has host bits set/);
        assert.throws(() => subnetCidrs("10.0.0.0/24", 3), /EksCluster args\.network\.vpcCidr: 10\.0\.0\.0\/24 is too small/);
    });

    it("default bucket name: unique per account and region, at most 63, valid for S3 even for a long stack name", () => {
        const a = defaultModelBucketName("prod-aws", "111111111111", "eu-west-1");
        const b = defaultModelBucketName("prod-aws", "222222222222", "eu-west-1");
        assert.match(a, /^prod-aws-models-[0-9a-f]{8}$/);
        assert.notEqual(a, b);
        const long = defaultModelBucketName("a-very-long-stack-name-for-the-production-serving-cluster-of-team-x", "111111111111", "eu-west-1");
        assert.ok(long.length <= 63, long);
        assert.match(long, /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/);
    });

    it("planEks refuses what would fail on the account, naming the argument", () => {
        assert.throws(() => planEks("p", eksArgs({ version: "1.29" })), /EksCluster p: args\.version 1\.29 has no pinned add-on and autoscaler versions/);
        assert.throws(() => planEks("p", eksArgs({ adminRoleArns: [DEPLOYER] })), /EksCluster p: args\.adminRoleArns\[0\] is the deployer/);
        assert.throws(() => planEks("p", eksArgs({ adminRoleArns: [ADMIN, ADMIN] })), /args\.adminRoleArns\[1\] lists .* twice/);
        assert.throws(() => planEks("p", eksArgs({ authorizedCidrs: [] })), /EksCluster p: args\.authorizedCidrs must list at least one CIDR when args\.apiAccess is public/);
        assert.throws(() => planEks("p", eksArgs({ authorizedCidrs: ["0.0.0.0/0"] })), /args\.authorizedCidrs must not contain 0\.0\.0\.0\/0/);
        assert.throws(() => planEks("p", eksArgs({ deployerRoleArn: "arn:aws:iam::123456789012:user/alice" })), /args\.deployerRoleArn "arn:aws:iam::123456789012:user\/alice" is not an IAM role ARN/);
        assert.deepEqual(planEks("p", eksArgs({ apiAccess: "private", authorizedCidrs: [] })).endpoint, { endpointPrivateAccess: true, endpointPublicAccess: false });
    });

    it("autoscalerAsgTags: the GPU node template carries the accelerator label, taint and GPU count", () => {
        const asMap = (tags: { key: string; value: string }[]) => Object.fromEntries(tags.map((t) => [t.key, t.value]));
        const t = "k8s.io/cluster-autoscaler/node-template";
        assert.deepEqual(asMap(autoscalerAsgTags("prod", { gpuType: "nvidia-l4", gpuCount: 4 })), {
            "k8s.io/cluster-autoscaler/enabled": "true",
            "k8s.io/cluster-autoscaler/prod": "owned",
            [`${t}/label/${GPU_NODE_LABEL.key}`]: GPU_NODE_LABEL.value,
            [`${t}/label/k8s.amazonaws.com/accelerator`]: "nvidia-l4",
            [`${t}/taint/nvidia.com/gpu`]: "true:NoSchedule",
            [`${t}/resources/nvidia.com/gpu`]: "4",
        });
        assert.equal(autoscalerAsgTags("prod").length, 2);
    });

    it("clusterAutoscalerPolicy changes only this cluster's ASGs", () => {
        const policy = statements(clusterAutoscalerPolicy("prod", "arn:aws:eks:eu-west-1:123456789012:cluster/prod"));
        const mutating = policy.filter((s) => list(s.Action).some((a) => /SetDesiredCapacity|TerminateInstance/.test(a)));
        assert.deepEqual(mutating.map((s) => s.Condition), [{ StringEquals: { "aws:ResourceTag/k8s.io/cluster-autoscaler/prod": "owned" } }]);
        assert.equal(policy.find((s) => list(s.Action).includes("eks:DescribeNodegroup"))?.Resource, "arn:aws:eks:eu-west-1:123456789012:nodegroup/prod/*");
    });

    it("clusterAutoscalerValues only sets keys of the pinned chart (extraArgs are autoscaler flags)", () => {
        const values = clusterAutoscalerValues("prod", "eu-west-1") as Record<string, any>;
        assert.deepEqual(unknownValuesKeys(values, "cluster-autoscaler/values-cluster-autoscaler.yaml", ["extraArgs"]), []);
        assert.deepEqual(values.autoDiscovery, { clusterName: "prod" });
        assert.deepEqual(values.nodeSelector, { "hybridml.io/node-pool": "system" });
    });

    it("small helpers: AMI types, scaling, role names", () => {
        assert.equal(amiType("g6.xlarge", true), "AL2023_x86_64_NVIDIA");
        assert.equal(amiType("g5g.xlarge", true), "AL2023_ARM_64_NVIDIA");
        assert.equal(amiType("m7i.large", false), "AL2023_x86_64_STANDARD");
        assert.deepEqual(nodeGroupScaling({ instanceType: "x", minSize: 0, maxSize: 3 }), { minSize: 0, maxSize: 3, desiredSize: 0 });
        assert.equal(iamRoleName("arn:aws:iam::123456789012:role/sso/Admin"), "Admin");
    });
});

describe("clusters/eks: EksCluster", () => {
    let run: Recorded<EksCluster>;
    let component: RecordedResource;
    before(async () => {
        run = await runMocked(() => new EksCluster("prod", eksArgs({ adminRoleArns: [ADMIN] })));
        component = run.one("hybridml:clusters:EksCluster");
    });
    const inputs = (type: string, nameSuffix?: string) => run.inputs(run.one(type, nameSuffix));

    it("composes the S3 model store component and every custom child uses an explicit provider", () => {
        const store = run.one("hybridml:storage:S3ModelStore");
        assert.equal(store.name, "prod-models");
        assert.equal(store.parent, component.urn);
        const aws = run.one("pulumi:providers:aws");
        const k8s = run.one("pulumi:providers:kubernetes");
        for (const r of run.resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"))) {
            const expected = r.type.startsWith("kubernetes:") ? k8s.urn : aws.urn;
            assert.ok(r.provider.startsWith(`${expected}::`), `${r.type} ${r.name} provider ${r.provider}`);
        }
    });

    it("manages the deployer's access explicitly: no creator bootstrap, one entry per principal", () => {
        const cluster = inputs("aws:eks/cluster:Cluster");
        assert.deepEqual(cluster.accessConfig, { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false });
        const principals = run.ofType("aws:eks/accessEntry:AccessEntry").map((r) => run.inputs(r).principalArn).sort();
        assert.deepEqual(principals, [ADMIN, DEPLOYER].sort());
        for (const r of run.ofType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")) {
            assert.equal(run.inputs(r).policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
        }
    });

    it("the Kubernetes provider depends on both node groups and the deployer's access (workloads wait, and go first on destroy)", () => {
        const deps = run.one("pulumi:providers:kubernetes").dependencies;
        assert.ok(deps.includes(run.one("aws:eks/nodeGroup:NodeGroup", "prod-system").urn));
        assert.ok(deps.includes(run.one("aws:eks/nodeGroup:NodeGroup", "prod-gpu").urn));
        assert.ok(deps.includes(run.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation", "prod-deployer-ci-deployer").urn));
    });

    it("the VPC CNI add-on enforces NetworkPolicies (its network policy agent is on)", () => {
        const cni = run.ofType("aws:eks/addon:Addon").filter((r) => run.inputs(r).addonName === "vpc-cni");
        assert.equal(cni.length, 1);
        assert.deepEqual(JSON.parse(run.inputs(cni[0]).configurationValues), { enableNetworkPolicy: "true" });
        for (const other of run.ofType("aws:eks/addon:Addon").filter((r) => run.inputs(r).addonName !== "vpc-cni")) {
            assert.equal(run.inputs(other).configurationValues, undefined, run.inputs(other).addonName);
        }
    });

    it("pins every add-on to the versions of the cluster's minor, and the autoscaler chart too", () => {
        const pins = clusterPins[versions.kubernetes];
        const addons = Object.fromEntries(run.ofType("aws:eks/addon:Addon").map((r) => [run.inputs(r).addonName, run.inputs(r).addonVersion]));
        assert.deepEqual(addons, pins.eksAddons);
        const release = inputs("kubernetes:helm.sh/v3:Release");
        assert.equal(release.version, pins.clusterAutoscalerChart);
        assert.equal(release.repositoryOpts.repo, chartRepos.clusterAutoscaler);
        assert.equal(release.namespace, CLUSTER_AUTOSCALER.namespace);
    });

    it("sets the upgrade policy and keeps the private endpoint with the public one limited to the runner ranges", () => {
        const cluster = inputs("aws:eks/cluster:Cluster");
        assert.deepEqual(cluster.upgradePolicy, { supportType: "STANDARD" });
        assert.equal(cluster.vpcConfig.endpointPrivateAccess, true);
        assert.equal(cluster.vpcConfig.endpointPublicAccess, true);
        assert.deepEqual(cluster.vpcConfig.publicAccessCidrs, ["203.0.113.0/24"]);
    });

    it("labels GPU nodes with the accelerator label and tags their ASG with it; the autoscaler owns desiredSize", () => {
        const gpu = run.one("aws:eks/nodeGroup:NodeGroup", "prod-gpu");
        assert.deepEqual(run.inputs(gpu).labels, { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value, [EKS_ACCELERATOR_LABEL]: "nvidia-l4" });
        assert.deepEqual(run.inputs(gpu).taints, [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: "NO_SCHEDULE" }]);
        assert.deepEqual(gpu.ignoreChanges, ["scalingConfig.desiredSize"]);
        const tag = run.inputs(run.one("aws:autoscaling/tag:Tag", "prod-gpu-asg-template-accelerator")).tag;
        assert.deepEqual(tag, { key: "k8s.io/cluster-autoscaler/node-template/label/k8s.amazonaws.com/accelerator", value: "nvidia-l4", propagateAtLaunch: false });
    });

    it("retains the model bucket with its KMS key and alias (data stays readable after a destroy)", () => {
        for (const [type, name] of [["aws:s3/bucket:Bucket", "prod-models-bucket"], ["aws:kms/key:Key", "prod-models-key"], ["aws:kms/alias:Alias", "prod-models-key"]]) {
            const r = run.one(type, name);
            assert.equal(r.retainOnDelete, true, `${type} retained`);
            assert.equal(r.protect, true, `${type} protected`);
        }
        const bucket = inputs("aws:s3/bucket:Bucket").bucket as string;
        assert.equal(bucket, defaultModelBucketName("prod", "123456789012", "eu-west-1"));
        assert.equal(inputs("aws:kms/alias:Alias", "prod-models-key").name, `alias/${bucket}`);
        const sse = inputs("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration");
        assert.equal(sse.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
    });

    it("yields objectStore with a read and a separate write identity", async () => {
        const store = run.value.objectStore;
        assert.equal(store.kind, "s3");
        assert.equal((await settle(store.uriPrefix)).value, `s3://${defaultModelBucketName("prod", "123456789012", "eu-west-1")}`);
        assert.equal(store.readIdentity.serviceAccountName, "model-reader");
        assert.equal(store.writeIdentity.serviceAccountName, "model-sync");
        const bound = run.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation").map((r) => run.inputs(r).serviceAccount).sort();
        assert.deepEqual(bound, ["cluster-autoscaler", "model-reader", "model-sync"]);
    });

    it("the kubeconfig is a secret exec config (aws eks get-token), no static credential", async () => {
        const k = await settle(run.value.kubeconfig);
        assert.equal(k.secret, true);
        const doc = JSON.parse(k.value!);
        assert.deepEqual(doc.users[0].user.exec.args, ["eks", "get-token", "--cluster-name", "prod", "--region", "eu-west-1", "--output", "json"]);
    });
});

describe("clusters/eks: options", () => {
    it("uses a caller's AWS provider (opts.providers) for its children instead of creating one", async () => {
        const rec = await runMocked(() => {
            const caller = new aws.Provider("caller", { region: "eu-west-1" });
            return new EksCluster("prod", eksArgs(), { providers: { aws: caller } });
        });
        const providers = rec.ofType("pulumi:providers:aws");
        assert.deepEqual(providers.map((p) => p.name), ["caller"]);
        for (const r of rec.resources.filter((x) => x.type.startsWith("aws:"))) assert.ok(r.provider.startsWith(`${providers[0].urn}::`), `${r.type} ${r.name}`);
    });

    it("an explicit bucket name and protect:false: the bucket, key and alias are still retained", async () => {
        const rec = await runMocked(() => new EksCluster("prod", eksArgs({ modelBucketName: "acme-ml-prod-models", protect: false })));
        assert.equal(rec.inputs(rec.one("aws:s3/bucket:Bucket")).bucket, "acme-ml-prod-models");
        for (const r of [rec.one("aws:s3/bucket:Bucket"), rec.one("aws:kms/key:Key", "prod-models-key")]) {
            assert.deepEqual([r.protect, r.retainOnDelete], [false, true]);
        }
    });

    it("a preview role gets an access entry in the preview group, no access policy, and the dry-run-only PreviewAccess", async () => {
        const PREVIEW = "arn:aws:iam::123456789012:role/ci-preview";
        const rec = await runMocked(() => new EksCluster("prod", eksArgs({ previewRoleArn: PREVIEW })));
        const entry = rec.ofType("aws:eks/accessEntry:AccessEntry").find((r) => rec.inputs(r).principalArn === PREVIEW)!;
        assert.deepEqual(rec.inputs(entry).kubernetesGroups, ["hybridml:preview"]);
        assert.equal(rec.ofType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation").filter((r) => rec.inputs(r).principalArn === PREVIEW).length, 0);
        assert.equal(rec.ofType("hybridml:clusters:PreviewAccess").length, 1);
        assert.throws(() => planEks("p", eksArgs({ previewRoleArn: eksArgs().deployerRoleArn })), /EksCluster p: args\.previewRoleArn is also the deployer or an admin/);
        const none = await runMocked(() => new EksCluster("prod", eksArgs()));
        assert.equal(none.ofType("hybridml:clusters:PreviewAccess").length, 0);
    });

    it("bad arguments throw before anything is registered", async () => {
        const result = await runProgram(() => new EksCluster("prod", eksArgs({ version: "1.29" })), { project: "hybridml", stack: "test", preview: true });
        assert.match(String(result.error?.message), /EksCluster prod: args\.version 1\.29 has no pinned/);
        assert.deepEqual(result.resources.map((r) => r.type), ["pulumi:pulumi:Stack"]);
    });
});
