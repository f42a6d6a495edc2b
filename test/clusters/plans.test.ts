/**
 * What the shipped stacks' offline plans show about their clusters (issue 7): the runner access
 * path, unique names, retained keys and groups, pinned add-ons, GPU labels, k3s hardening.
 */
import * as assert from "node:assert/strict";
import { defaultModelBucketName } from "../../components/clusters/eks";
import { defaultKeyVaultName, defaultStorageAccountName } from "../../components/clusters/aks";
import { GKE_APIS } from "../../components/clusters/gke";
import { PREVIEW_ACCESS_NAMES, PREVIEW_GROUP, PREVIEW_WRITE_GROUPS, previewPolicySpec } from "../../components/clusters/previewAccess";
import { clusterPins, versions } from "../../lib/versions";
import { Plan, PlanResult } from "../../tools/plan/plan";
import { shippedPlans } from "../helpers/fleet";

/** The stack's PreviewAccess: the fence before the binding, the binding to `subject`, no delete verb, no admission writes. */
function assertPreviewAccess(p: Plan, subject: { kind: string; name: string }): void {
    const binding: { inputs: Record<string, any>; dependencies: string[] } | undefined = p.resources.find((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding" && (r.inputs.metadata as { name?: string } | undefined)?.name === PREVIEW_ACCESS_NAMES.role);
    assert.ok(binding, `${p.stack}: preview ClusterRoleBinding`);
    assert.deepEqual(binding.inputs.subjects, [{ apiGroup: "rbac.authorization.k8s.io", ...subject }]);
    const policyBinding = p.resources.find((r) => r.type === "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding")!;
    assert.ok(binding.dependencies.includes(policyBinding.urn), "the role is bound only after the dry-run-only policy is in force");
    const role = p.resources.find((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole" && (r.inputs.metadata as { name?: string } | undefined)?.name === PREVIEW_ACCESS_NAMES.role)!;
    const rules = role.inputs.rules as Array<{ apiGroups: string[]; verbs: string[] }>;
    assert.ok(rules.every((r) => !r.verbs.includes("delete") && !r.verbs.includes("*")), "never delete");
    assert.ok(rules.filter((r) => r.verbs.includes("patch")).every((r) => !r.apiGroups.includes("*") && !r.apiGroups.includes("admissionregistration.k8s.io")));
}

describe("cluster plans of the shipped stacks", function () {
    this.timeout(120_000);
    let results: Map<string, PlanResult>;
    before(async () => {
        results = await shippedPlans();
    });
    const plan = (stack: string): Plan => {
        const r = results.get(stack);
        assert.ok(r && r.error === undefined, `${stack}: ${r?.error?.message}`);
        return r.plan;
    };
    const one = (p: Plan, type: string, name?: string) => {
        const found = p.resources.filter((r) => r.type === type && (name === undefined || r.name === name));
        assert.equal(found.length, 1, `${type} ${name ?? ""}: ${found.map((r) => r.name).join(", ")}`);
        return found[0];
    };

    it("prod-aws: runner-limited public endpoint, explicit deployer entry, pinned add-ons, unique retained bucket and key", () => {
        const p = plan("prod-aws");
        const cluster = one(p, "aws:eks/cluster:Cluster").inputs as Record<string, any>;
        assert.deepEqual(cluster.vpcConfig.publicAccessCidrs, ["203.0.113.0/24"]);
        assert.equal(cluster.accessConfig.bootstrapClusterCreatorAdminPermissions, false);
        const entries = p.resources.filter((r) => r.type === "aws:eks/accessEntry:AccessEntry").map((r) => r.inputs.principalArn).sort();
        assert.deepEqual(entries, ["arn:aws:iam::123456789012:role/hybridml-deployer", "arn:aws:iam::123456789012:role/hybridml-preview", "arn:aws:iam::123456789012:role/platform-admin"]);
        // The preview role: the preview group, no access policy (its rights are the dry-run-only RBAC).
        const preview = p.resources.find((r) => r.type === "aws:eks/accessEntry:AccessEntry" && r.inputs.principalArn === "arn:aws:iam::123456789012:role/hybridml-preview")!;
        assert.deepEqual(preview.inputs.kubernetesGroups, [PREVIEW_GROUP]);
        const policies = p.resources.filter((r) => r.type === "aws:eks/accessPolicyAssociation:AccessPolicyAssociation").map((r) => r.inputs.principalArn);
        assert.ok(!policies.includes("arn:aws:iam::123456789012:role/hybridml-preview"), "no EKS access policy for the preview role");
        assertPreviewAccess(p, { kind: "Group", name: PREVIEW_GROUP });
        const addons = p.resources.filter((r) => r.type === "aws:eks/addon:Addon");
        assert.equal(addons.length, 6);
        assert.deepEqual(addons.map((a) => a.inputs.addonName).sort(), ["aws-ebs-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy", "metrics-server", "vpc-cni"]);
        for (const a of addons) assert.equal(a.inputs.addonVersion, clusterPins[versions.kubernetes].eksAddons[a.inputs.addonName as keyof typeof clusterPins[string]["eksAddons"]]);
        const bucket = one(p, "aws:s3/bucket:Bucket");
        assert.equal(bucket.inputs.bucket, defaultModelBucketName("prod-aws", "123456789012", "eu-west-1"));
        for (const r of [bucket, one(p, "aws:kms/key:Key", "prod-aws-models-key"), one(p, "aws:kms/alias:Alias", "prod-aws-models-key")]) {
            assert.deepEqual([r.protect, r.retainOnDelete], [true, true], r.name);
        }
        const gpu = one(p, "aws:eks/nodeGroup:NodeGroup", "prod-aws-gpu");
        assert.equal((gpu.inputs.labels as Record<string, string>)["k8s.amazonaws.com/accelerator"], "nvidia-a10g");
        const k8s = one(p, "pulumi:providers:kubernetes", "prod-aws-k8s");
        assert.ok(k8s.dependencies.includes(gpu.urn));
    });

    it("prod-gcp: DNS endpoint, APIs enabled, webhook firewall, pools ignore initialNodeCount", () => {
        const p = plan("prod-gcp");
        const cluster = one(p, "gcp:container/cluster:Cluster");
        assert.deepEqual((cluster.inputs.controlPlaneEndpointsConfig as Record<string, unknown>).dnsEndpointConfig, { allowExternalTraffic: true });
        const apis = p.resources.filter((r) => r.type === "gcp:projects/service:Service");
        assert.deepEqual(apis.map((r) => r.inputs.service).sort(), [...GKE_APIS].sort());
        assert.ok(GKE_APIS.includes("cloudresourcemanager.googleapis.com"), "project IAM on a fresh project");
        // The GKE service agent exists (ServiceIdentity, after the API) before it is granted the KMS key.
        const agent = one(p, "gcp:projects/serviceIdentity:ServiceIdentity");
        assert.equal(agent.inputs.service, "container.googleapis.com");
        const container = apis.find((r) => r.inputs.service === "container.googleapis.com")!;
        assert.ok(agent.dependencies.includes(container.urn));
        assert.ok(one(p, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember").dependencies.includes(agent.urn));
        assertPreviewAccess(p, { kind: "User", name: "hybridml-preview@acme-ml-prod.iam.gserviceaccount.com" });
        assert.deepEqual(one(p, "gcp:compute/firewall:Firewall").inputs.allows, [{ protocol: "tcp", ports: ["8443", "9443", "10250"] }]);
        for (const pool of p.resources.filter((r) => r.type === "gcp:container/nodePool:NodePool")) assert.deepEqual(pool.ignoreChanges, ["initialNodeCount", "nodeCount"]);
    });

    it("prod-azure: runner-limited public endpoint, unique names, the model store's own group retained, Standard tier", () => {
        const p = plan("prod-azure");
        const sub = "3f2b6c1e-8d4a-4b7f-9e21-6a5c0d9e7f13";
        const mc = one(p, "azure-native:containerservice:ManagedCluster").inputs as Record<string, any>;
        assert.deepEqual(mc.apiServerAccessProfile, { enablePrivateCluster: false, authorizedIPRanges: ["203.0.113.0/24"] });
        assert.deepEqual(mc.sku, { name: "Base", tier: "Standard" });
        assert.equal(one(p, "azure-native:storage:StorageAccount").inputs.accountName, defaultStorageAccountName("prod-azure", sub));
        assert.equal(one(p, "azure-native:keyvault:Vault").inputs.vaultName, defaultKeyVaultName("prod-azure", sub));
        const rg = one(p, "azure-native:resources:ResourceGroup", "prod-azure-models-rg");
        assert.deepEqual([rg.protect, rg.retainOnDelete], [true, true]);
        // The deployer holds AKS RBAC Cluster Admin on the cluster explicitly, before the Kubernetes provider is used.
        const admin = one(p, "azure-native:authorization:RoleAssignment", "prod-azure-deployer-admin");
        assert.equal(admin.inputs.principalId, "0b6f2d1e-3c4a-4f5b-8e7d-9a1b2c3d4e5f");
        assert.match(String(admin.inputs.roleDefinitionId), /b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b$/);
        assert.ok(one(p, "pulumi:providers:kubernetes", "prod-azure-k8s").dependencies.includes(admin.urn));
        const user = one(p, "azure-native:authorization:RoleAssignment", "prod-azure-preview-user");
        assert.match(String(user.inputs.roleDefinitionId), /4abbcc35-e782-43d8-92c5-2d3f1bd2253f$/);
        assertPreviewAccess(p, { kind: "User", name: "7d2e4f6a-8b1c-4d3e-9f5a-1b2c3d4e5f60" });
    });

    it("edge: protected server install, verified pinned script, updates in place, node labels per host, token kubeconfig", () => {
        const p = plan("edge");
        const commands = p.resources.filter((r) => r.type === "command:remote:Command");
        const installs = commands.filter((r) => r.name.endsWith("-install"));
        assert.equal(installs.length, 6);
        for (const r of installs) {
            // Server installs are protected (the three k3s servers hold etcd), agents not.
            assert.equal(r.protect, /^edge-edge-srv-\d-install$/.test(r.name), r.name);
            assert.deepEqual(r.ignoreChanges, ["stdin"]);
            assert.ok(String(r.inputs.create).includes(`curl -sfL ${versions.k3sInstallScript.url} -o`), r.name);
            assert.ok(String(r.inputs.create).includes(`echo "${versions.k3sInstallScript.sha256}  $SCRIPT" | sha256sum -c -`), r.name);
            assert.equal(r.inputs.update, r.inputs.create, r.name);
            assert.equal(r.inputs.triggers, undefined, r.name);
        }
        assert.equal(commands.filter((r) => r.name.endsWith("-node")).length, 6);
        assert.equal(one(p, "command:remote:Command", "edge-kubeconfig").inputs.create, "[secret]");
    });

    it("preview rights: every Kubernetes group the fleet writes is dry-runnable by the preview identity; the policy denies the rest", () => {
        const groups = new Set<string>();
        for (const p of [...results.values()].map((r) => r.plan)) {
            for (const r of p.resources) {
                const m = /^kubernetes:([^:]+)\/[^/:]+:[A-Za-z]+$/.exec(r.type);
                // Helm releases and yaml/v2 components (Strimzi CRDs: apiextensions.k8s.io; Google's GPU driver installer: apps) are not objects themselves.
                if (!m || m[1] === "helm.sh" || m[1] === "yaml") continue;
                groups.add(m[1] === "core" ? "" : m[1]);
            }
        }
        groups.delete("admissionregistration.k8s.io"); // the fence itself: never writable by the previewer
        const writable = new Set<string>(PREVIEW_WRITE_GROUPS);
        assert.deepEqual([...groups].filter((g) => !writable.has(g)).sort(), [], "groups the preview cannot dry-run");
        const spec = previewPolicySpec([{ kind: "Group", name: PREVIEW_GROUP }, { kind: "User", name: "ci@p.iam.gserviceaccount.com" }]);
        assert.equal(spec.matchConditions[0].expression,
            'request.userInfo.username in ["ci@p.iam.gserviceaccount.com"] || (has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in ["hybridml:preview"]))');
        assert.equal(spec.validations[0].expression, "has(request.dryRun) && request.dryRun == true");
        assert.deepEqual(spec.matchConstraints.resourceRules[0].operations, ["CREATE", "UPDATE", "DELETE", "CONNECT"]);
    });
});
