/**
 * The hardened baseline: each policy passes a compliant resource and catches a non-compliant one,
 * at its per-environment level; the named pod-security exceptions apply only to their namespaces.
 */
import * as assert from "node:assert/strict";
import { azureStorageHardened, eksAuditLogs, gkeShieldedNodes, iamLeastPrivilege, keysRotate, keyVaultPurgeProtection } from "../../policy/policies/cloud";
import { loadBalancersRestricted } from "../../policy/policies/exposure";
import {
    HELM_POD_SECURITY_EXCEPTIONS, helmValuesPodSecurity, imageDigestsInProd, noPrereleaseApis, POD_SECURITY_EXCEPTIONS, podSecurityRestricted, prodReplicasAndPdb, recommendedLabels,
} from "../../policy/policies/podSecurity";
import * as f from "./fixtures";
import { crossGuardViolations, planMessages, planViolations } from "./run";

const { res, change } = f;
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const restrictedSc = { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
const hardened = change(change(f.deployment, ["spec", "template", "spec", "containers", 0, "securityContext"], restrictedSc),
    ["metadata", "labels"], { "app.kubernetes.io/name": "model-sync", "app.kubernetes.io/part-of": "hybridml" });

describe("hardened baseline: pod security (restricted)", () => {
    it("passes a restricted container; catches privileged, hostPath, hostNetwork and each missing restriction", () => {
        assert.deepEqual(planMessages(podSecurityRestricted, [res(DEPLOYMENT, "d", hardened)]), []);
        const c = ["spec", "template", "spec", "containers", 0, "securityContext"];
        assert.deepEqual(planMessages(podSecurityRestricted, [res(DEPLOYMENT, "d", change(hardened, [...c, "privileged"], true))]), ["spec.template.spec.containers[0] (sync): privileged"]);
        assert.deepEqual(planMessages(podSecurityRestricted, [res(DEPLOYMENT, "d", change(hardened, [...c, "readOnlyRootFilesystem"], undefined))]),
            ["spec.template.spec.containers[0] (sync): readOnlyRootFilesystem is not true"]);
        assert.deepEqual(planMessages(podSecurityRestricted, [res(DEPLOYMENT, "d", change(hardened, [...c, "capabilities"], { add: ["NET_ADMIN"] }))]),
            ["spec.template.spec.containers[0] (sync): capabilities.drop does not include ALL"]);
        const host = change(change(hardened, ["spec", "template", "spec", "hostNetwork"], true), ["spec", "template", "spec", "volumes"], [{ name: "h", hostPath: { path: "/var/run" } }]);
        assert.deepEqual(planMessages(podSecurityRestricted, [res(DEPLOYMENT, "d", host)]),
            ["spec.template.spec.hostNetwork is true", "spec.template.spec: volume h is a hostPath (/var/run)"]);
        assert.equal(planMessages(podSecurityRestricted, [res(DEPLOYMENT, "d", f.deployment)]).length, 4, "no securityContext: four findings");
    });

    it("is mandatory in prod, advisory in dev; Rook, CSI and GPU operator namespaces are named exceptions", async () => {
        const bad = res(DEPLOYMENT, "d", f.deployment);
        assert.ok(planViolations(podSecurityRestricted, [bad]).every((v) => v.enforcement === "mandatory"));
        assert.ok(planViolations(podSecurityRestricted, [bad], { stack: "dev", environment: "dev" }).every((v) => v.enforcement === "advisory"));
        assert.deepEqual(POD_SECURITY_EXCEPTIONS.map((e) => e.namespace), ["rook-ceph", "ceph-csi", "gpu-operator"]);
        for (const e of POD_SECURITY_EXCEPTIONS) {
            assert.ok(e.reason.length > 30, e.namespace);
            assert.deepEqual(planMessages(podSecurityRestricted, [res(DEPLOYMENT, "d", change(f.deployment, ["metadata", "namespace"], e.namespace))]), [], e.namespace);
        }
        assert.deepEqual((await crossGuardViolations(podSecurityRestricted, [bad])).map((v) => v.message), planMessages(podSecurityRestricted, [bad]));
    });
});

describe("hardened baseline: GA Kubernetes APIs only", () => {
    it("catches alpha and beta versions of built-in kinds; custom resources version their own APIs", () => {
        assert.deepEqual(planMessages(noPrereleaseApis, [res("kubernetes:policy/v1beta1:PodDisruptionBudget", "p", {}), res("kubernetes:batch/v1:Job", "j", {})]),
            ["kubernetes:policy/v1beta1:PodDisruptionBudget uses the pre-release API version v1beta1"]);
        assert.equal(planMessages(noPrereleaseApis, [res("kubernetes:resource.k8s.io/v1alpha3:DeviceClass", "d", {})]).length, 1);
        assert.deepEqual(planMessages(noPrereleaseApis, [res("kubernetes:serving.kserve.io/v1beta1:InferenceService", "i", {}), res("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "h", {})]), []);
        assert.ok(planViolations(noPrereleaseApis, [res("kubernetes:policy/v1beta1:PodDisruptionBudget", "p", {})]).every((v) => v.enforcement === "mandatory"));
    });
});

describe("hardened baseline: pod security inside the Helm values the program sets", () => {
    const release = (chart: string, values: Record<string, unknown>) => res("kubernetes:helm.sh/v3:Release", chart, { chart, version: "1.0.0", values });
    it("passes values that keep a chart's pods restricted; catches each unsafe setting with its path", () => {
        assert.deepEqual(planMessages(helmValuesPodSecurity, [release("kserve-resources", {
            kserve: { controller: { securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } } } },
        })]), []);
        assert.deepEqual(planMessages(helmValuesPodSecurity, [release("kube-prometheus-stack", {
            "prometheus-node-exporter": { hostNetwork: true, hostPID: true },
            prometheus: { prometheusSpec: { securityContext: { runAsUser: 0, runAsNonRoot: false } } },
            grafana: { containerSecurityContext: { privileged: true, allowPrivilegeEscalation: true, readOnlyRootFilesystem: false, capabilities: { add: ["SYS_ADMIN"] } } },
            extraVolumes: [{ name: "host", hostPath: { path: "/var/log" } }],
        })]), [
            "chart kube-prometheus-stack: values.prometheus-node-exporter.hostNetwork is true",
            "chart kube-prometheus-stack: values.prometheus-node-exporter.hostPID is true",
            "chart kube-prometheus-stack: values.prometheus.prometheusSpec.securityContext.runAsUser is 0 (root)",
            "chart kube-prometheus-stack: values.prometheus.prometheusSpec.securityContext.runAsNonRoot is false",
            "chart kube-prometheus-stack: values.grafana.containerSecurityContext.privileged is true",
            "chart kube-prometheus-stack: values.grafana.containerSecurityContext.allowPrivilegeEscalation is true",
            "chart kube-prometheus-stack: values.grafana.containerSecurityContext.readOnlyRootFilesystem is false",
            "chart kube-prometheus-stack: values.grafana.containerSecurityContext.capabilities.add adds capabilities",
            "chart kube-prometheus-stack: values.extraVolumes[0].hostPath mounts a host path",
        ]);
        // `add` counts only under capabilities (a values key may be called add for other reasons).
        assert.deepEqual(planMessages(helmValuesPodSecurity, [release("cert-manager", { extraArgs: { add: ["--x"] } })]), []);
    });
    it("is mandatory in prod; the Rook, CSI and GPU operator charts are named exceptions, also from a mirror", () => {
        const bad = release("cert-manager", { hostNetwork: true });
        assert.ok(planViolations(helmValuesPodSecurity, [bad]).every((v) => v.enforcement === "mandatory"));
        assert.ok(planViolations(helmValuesPodSecurity, [bad], { stack: "dev", environment: "dev" }).every((v) => v.enforcement === "advisory"));
        for (const e of HELM_POD_SECURITY_EXCEPTIONS) {
            assert.ok(e.reason.length > 30, e.chart);
            assert.deepEqual(planMessages(helmValuesPodSecurity, [release(`oci://mirror.example/charts/${e.chart}`, { privileged: true })]), [], e.chart);
        }
    });
});

describe("hardened baseline: prod replicas and PDB, labels, digests", () => {
    const pdb = (labels: Record<string, string>) => res("kubernetes:policy/v1:PodDisruptionBudget", "pdb", { metadata: { name: "p", namespace: "models" }, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } });
    const two = change(hardened, ["spec", "replicas"], 2);
    it("passes 2 replicas with a PDB selecting them; catches 1 replica and a missing PDB in prod, not in dev", () => {
        assert.deepEqual(planMessages(prodReplicasAndPdb, [res(DEPLOYMENT, "d", two), pdb({ app: "model-sync" })]), []);
        assert.deepEqual(planMessages(prodReplicasAndPdb, [res(DEPLOYMENT, "d", change(two, ["spec", "replicas"], 1)), pdb({ app: "other" })]), [
            "d: spec.replicas is 1, must be >= 2 in prod", "d: no PodDisruptionBudget selects its pods",
        ]);
        assert.deepEqual(planMessages(prodReplicasAndPdb, [res(DEPLOYMENT, "d", f.deployment)], { stack: "dev", environment: "dev" }), []);
    });

    it("recommended labels: advisory; digests: advisory in prod, off in dev", () => {
        assert.deepEqual(planMessages(recommendedLabels, [res(DEPLOYMENT, "d", hardened)]), []);
        const v = planViolations(recommendedLabels, [res(DEPLOYMENT, "d", f.deployment)]);
        assert.deepEqual(v.map((x) => [x.enforcement, x.message]), [["advisory", "metadata.labels lacks app.kubernetes.io/name, app.kubernetes.io/part-of"]]);
        // Services too, as the Kubernetes compliance set checks them.
        const svc = (labels?: Record<string, string>) => res("kubernetes:core/v1:Service", "s", { metadata: { name: "s", ...(labels ? { labels } : {}) }, spec: { ports: [{ port: 80 }] } });
        assert.deepEqual(planMessages(recommendedLabels, [svc()]), ["metadata.labels lacks app.kubernetes.io/name, app.kubernetes.io/part-of"]);
        assert.deepEqual(planMessages(recommendedLabels, [svc({ "app.kubernetes.io/name": "sink", "app.kubernetes.io/part-of": "hybridml" })]), []);
        assert.deepEqual(planMessages(imageDigestsInProd, [res(DEPLOYMENT, "d", change(hardened, ["spec", "template", "spec", "containers", 0, "image"], "amazon/aws-cli:2.31.0@sha256:" + "a".repeat(64)))]), []);
        assert.deepEqual(planMessages(imageDigestsInProd, [res(DEPLOYMENT, "d", hardened)]), ["spec.template.spec.containers[0] (sync): image amazon/aws-cli:2.31.0 is not pinned by digest"]);
        assert.deepEqual(planMessages(imageDigestsInProd, [res(DEPLOYMENT, "d", hardened)], { stack: "dev", environment: "dev" }), []);
    });
});

describe("hardened baseline: cloud", () => {
    it("IAM: no wildcard data actions, no primitive GCP roles, no Owner on a subscription", () => {
        const doc = (action: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: [action], Resource: ["arn:aws:s3:::models/*"] }] });
        assert.deepEqual(planMessages(iamLeastPrivilege, [res("aws:iam/rolePolicy:RolePolicy", "p", { role: "r", policy: doc("s3:GetObject") })]), []);
        assert.deepEqual(planMessages(iamLeastPrivilege, [res("aws:iam/rolePolicy:RolePolicy", "p", { role: "r", policy: doc("s3:*") })]), ["policy allows wildcard action(s) s3:*"]);
        assert.deepEqual(planMessages(iamLeastPrivilege, [res("gcp:projects/iAMMember:IAMMember", "m", { role: "roles/logging.logWriter", member: "serviceAccount:x" })]), []);
        assert.deepEqual(planMessages(iamLeastPrivilege, [res("gcp:projects/iAMMember:IAMMember", "m", { role: "roles/editor", member: "serviceAccount:x" })]), ["primitive role roles/editor: use a predefined role"]);
        const ra = (scope: string) => res("azure-native:authorization:RoleAssignment", "ra", { scope, roleDefinitionId: `/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75d-0c9b7e5f0a1e`, principalId: "p" });
        assert.deepEqual(planMessages(iamLeastPrivilege, [ra("/subscriptions/s/resourceGroups/rg")]), []);
        assert.deepEqual(planMessages(iamLeastPrivilege, [ra("/subscriptions/s")]), ["Owner at subscription scope"]);
    });

    it("keys rotate, Key Vault purge protection, Azure storage TLS 1.2 without shared keys", () => {
        assert.deepEqual(planMessages(keysRotate, [res("aws:kms/key:Key", "k", { enableKeyRotation: true }), res("gcp:kms/cryptoKey:CryptoKey", "g", { rotationPeriod: "7776000s" })]), []);
        assert.deepEqual(planMessages(keysRotate, [res("aws:kms/key:Key", "k", {}), res("gcp:kms/cryptoKey:CryptoKey", "g", { rotationPeriod: "63072000s" })]),
            ["enableKeyRotation is not true", 'rotationPeriod is "63072000s", must be at most 365 days']);
        assert.deepEqual(planMessages(keyVaultPurgeProtection, [res("azure-native:keyvault:Vault", "v", { properties: { enablePurgeProtection: true } })]), []);
        assert.deepEqual(planMessages(keyVaultPurgeProtection, [res("azure-native:keyvault:Vault", "v", { properties: {} })]), ["properties.enablePurgeProtection is not true"]);
        assert.deepEqual(planMessages(azureStorageHardened, [res("azure-native:storage:StorageAccount", "s", { minimumTlsVersion: "TLS1_2", allowSharedKeyAccess: false })]), []);
        assert.deepEqual(planMessages(azureStorageHardened, [res("azure-native:storage:StorageAccount", "s", { minimumTlsVersion: "TLS1_0" })]),
            ['minimumTlsVersion is "TLS1_0", must be "TLS1_2"', "allowSharedKeyAccess is not false"]);
    });

    it("EKS audit logs; GKE shielded nodes and no default node service account", () => {
        assert.deepEqual(planMessages(eksAuditLogs, [res("aws:eks/cluster:Cluster", "c", { ...f.eksCluster, enabledClusterLogTypes: ["api", "audit", "authenticator"] })]), []);
        assert.deepEqual(planMessages(eksAuditLogs, [res("aws:eks/cluster:Cluster", "c", { ...f.eksCluster, enabledClusterLogTypes: ["api"] })]), ["enabledClusterLogTypes lacks audit, authenticator"]);
        const pool = { ...f.gkeGpuPool, nodeConfig: { ...(f.gkeGpuPool as any).nodeConfig, serviceAccount: "nodes@p.iam.gserviceaccount.com", shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true } } };
        assert.deepEqual(planMessages(gkeShieldedNodes, [res("gcp:container/nodePool:NodePool", "n", pool)]), []);
        assert.deepEqual(planMessages(gkeShieldedNodes, [res("gcp:container/nodePool:NodePool", "n", change(change(pool, ["nodeConfig", "serviceAccount"], undefined), ["nodeConfig", "shieldedInstanceConfig"], undefined))]), [
            "nodeConfig.serviceAccount is unset (the Compute Engine default service account)", "nodeConfig.shieldedInstanceConfig.enableSecureBoot is not true",
        ]);
        assert.deepEqual(planMessages(gkeShieldedNodes, [res("gcp:container/cluster:Cluster", "c", { ...f.gkeCluster, enableShieldedNodes: false })]), ["enableShieldedNodes is false"]);
    });
});

describe("hardened baseline: load balancers only with source ranges", () => {
    it("passes restricted or internal load balancers; catches open ones (Service, Kafka listener, Pulsar proxy)", () => {
        const svc = (spec: Record<string, unknown>, annotations?: Record<string, string>) => res("kubernetes:core/v1:Service", "s", { metadata: { name: "rgw", namespace: "rook-ceph", ...(annotations ? { annotations } : {}) }, spec: { type: "LoadBalancer", ...spec } });
        assert.deepEqual(planMessages(loadBalancersRestricted, [svc({ loadBalancerSourceRanges: ["10.20.0.0/16"] }), svc({}, { "networking.gke.io/load-balancer-type": "Internal" })]), []);
        assert.deepEqual(planMessages(loadBalancersRestricted, [svc({}), svc({ loadBalancerSourceRanges: ["0.0.0.0/0"] })]),
            ["LoadBalancer Service rgw: spec.loadBalancerSourceRanges is not set (open to every address)", "LoadBalancer Service rgw: spec.loadBalancerSourceRanges contains 0.0.0.0/0"]);
        const kafka = (configuration: Record<string, unknown>) => res("kubernetes:kafka.strimzi.io/v1:Kafka", "k", change(f.kafka, ["spec", "kafka", "listeners"], [{ name: "external", port: 9094, type: "loadbalancer", tls: true, configuration }]));
        assert.deepEqual(planMessages(loadBalancersRestricted, [kafka({ loadBalancerSourceRanges: ["10.30.0.0/16"] })]), []);
        assert.deepEqual(planMessages(loadBalancersRestricted, [kafka({})]), ["listener external configuration.loadBalancerSourceRanges is not set (open to every address)"]);
        const pulsar = (service: Record<string, unknown>) => res("kubernetes:helm.sh/v3:Release", "p", { ...f.pulsarRelease, values: { proxy: { service } } });
        assert.deepEqual(planMessages(loadBalancersRestricted, [pulsar({ type: "ClusterIP" }), pulsar({ type: "LoadBalancer", loadBalancerSourceRanges: ["10.0.0.0/8"] })]), []);
        assert.deepEqual(planMessages(loadBalancersRestricted, [pulsar({ type: "LoadBalancer" })]), ["Pulsar proxy: values.proxy.service.loadBalancerSourceRanges is not set (open to every address)"]);
        // The chart by name, also from a mirror.
        assert.equal(planMessages(loadBalancersRestricted, [res("kubernetes:helm.sh/v3:Release", "p", { ...f.pulsarRelease, chart: "oci://mirror.example/charts/pulsar", values: { proxy: { service: { type: "LoadBalancer" } } } })]).length, 1);
    });
});
