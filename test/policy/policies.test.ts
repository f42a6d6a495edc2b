/**
 * Every pack policy passes a compliant resource and catches a non-compliant one (a compliant
 * fixture with one field changed), with the message checked; and the offline plan reports the
 * same violations CrossGuard would, on the same fixtures.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { levelOf, packConfigFor } from "../../policy/lib/config";
import { environmentFromStack, ENVIRONMENTS } from "../../policy/lib/view";
import { allPolicies } from "../../policy/policies";
import { clusterApiNotPublic, clusterEncryptionIdentity, gpuPoolsTainted, scaleToZeroHasAutoscaler } from "../../policy/policies/clusters";
import { statefulProtected } from "../../policy/policies/durability";
import { credentialsAsSecrets, credentialsNotInPlainConfig } from "../../policy/policies/secrets";
import { bucketsPrivateEncrypted, cephPoolReplication, datasetsStayInTraining } from "../../policy/policies/storage";
import { kafkaReplication, pulsarQuorum } from "../../policy/policies/streaming";
import { loadBalancersRestricted } from "../../policy/policies/exposure";
import { containerResources, gpuPodsTolerate, helmVersionPinned, noLatestImageTags } from "../../policy/policies/workloads";
import { listStacks, readStackConfig } from "../../tools/plan/plan";
import type { PlanResource } from "../../tools/plan/types";
import * as f from "./fixtures";
import { crossGuardViolations, NotRun, planMessages, planViolations } from "./run";

const { res, change } = f;
const EKS = "aws:eks/cluster:Cluster";
const GKE = "gcp:container/cluster:Cluster";
const AKS = "azure-native:containerservice:ManagedCluster";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService";
const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const POOL = "kubernetes:ceph.rook.io/v1:CephBlockPool";

/** Hygiene policies that only report, even in prod (labels; digests the charts' images do not carry either). */
const ADVISORY_IN_PROD = ["recommended-labels", "image-digests-in-prod"];

describe("policy pack: one policy per exported const, documented and configured", () => {
    it("has unique names and a description, remediation and level per environment for each policy", () => {
        const names = allPolicies.map((p) => p.name);
        assert.equal(new Set(names).size, names.length);
        for (const p of allPolicies) {
            assert.match(p.name, /^[a-z0-9-]+$/);
            assert.ok(p.description.length > 20 && p.remediation.length > 20, p.name);
            assert.equal(p.levels.prod, ADVISORY_IN_PROD.includes(p.name) ? "advisory" : "mandatory", `${p.name}'s prod level`);
        }
    });

    it("ships policy/config/<environment>.json files with the policies' levels and every stack's roles as its stack file sets them", () => {
        const roles = (env: string) => Object.fromEntries(listStacks().map((s) => [s, readStackConfig(s).config] as const)
            .filter(([, c]) => c["hybridml:environment"] === env).map(([s, c]) => [s, JSON.parse(c["hybridml:roles"]) as string[]]));
        for (const env of ENVIRONMENTS) {
            const file = path.join(__dirname, "..", "..", "policy", "config", `${env}.json`);
            assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), packConfigFor(env, allPolicies, roles(env)), `${file} (regenerate from packConfigFor)`);
        }
        assert.deepEqual(JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "policy", "config", "prod.json"), "utf8"))["datasets-stay-in-training"].roles["prod-training"], ["training"]);
    });

    it("resolves enforcement the CrossGuard way: the policy's entry, else `all`, else the policy's level", () => {
        const def = cephPoolReplication;
        assert.equal(levelOf(def, {}, "prod"), "mandatory");
        assert.equal(levelOf(def, {}, "dev"), "advisory");
        assert.equal(levelOf(def, { all: "disabled" }, "prod"), "disabled");
        assert.equal(levelOf(def, { all: "disabled", "ceph-pool-replication": { enforcementLevel: "advisory" } }, "prod"), "advisory");
        assert.equal(levelOf(def, { "ceph-pool-replication": "mandatory" }, "dev"), "mandatory");
        assert.deepEqual(["dev", "dev-lab", "edge", "edge-2", "prod-aws", "acme/hybridml/prod-training", "staging"].map(environmentFromStack),
            ["dev", "dev", "edge", "edge", "prod", "prod", "prod"]);
    });

    it("every policy module exports its policies as consts the pack lists", async () => {
        const dir = path.join(__dirname, "..", "..", "policy", "policies");
        const exported = new Set<unknown>();
        for (const file of fs.readdirSync(dir).filter((x) => x.endsWith(".ts") && x !== "index.ts")) {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            for (const v of Object.values(require(path.join(dir, file)))) if (v && typeof v === "object" && "check" in v) exported.add(v);
        }
        const names = (l: Iterable<unknown>) => [...l].map((p) => (p as { name: string }).name).sort();
        assert.deepEqual(names(exported), names(allPolicies));
    });
});

describe("policies: pass a compliant resource, catch one changed field", () => {
    describe("buckets-private-encrypted", () => {
        it("passes the S3, GCS and Azure model stores", () => {
            assert.deepEqual(planMessages(bucketsPrivateEncrypted, [
                ...f.s3Bucket(),
                res("gcp:storage/bucket:Bucket", "prod-gcp-models", f.gcsBucket),
                res("azure-native:storage:StorageAccount", "prod-azure-models", f.storageAccount),
                res("azure-native:storage:BlobContainer", "models", { containerName: "models", publicAccess: "None" }),
            ]), []);
        });

        it("catches a missing public access block, a flag turned off, and no encryption", () => {
            const [bucket, pab, sse] = f.s3Bucket();
            assert.deepEqual(planMessages(bucketsPrivateEncrypted, [bucket, sse]), ["prod-aws-models: S3 bucket has no BucketPublicAccessBlock"]);
            assert.deepEqual(planMessages(bucketsPrivateEncrypted, [bucket, change(pab, ["inputs", "blockPublicPolicy"], false), sse]),
                ["prod-aws-models: public access block leaves blockPublicPolicy off"]);
            assert.deepEqual(planMessages(bucketsPrivateEncrypted, [bucket, pab]),
                ["prod-aws-models: S3 bucket has no BucketServerSideEncryptionConfiguration (default encryption)"]);
            assert.deepEqual(planMessages(bucketsPrivateEncrypted, [change(bucket, ["inputs", "acl"], "public-read"), pab, sse]),
                ['prod-aws-models: S3 bucket ACL is "public-read" (public)']);
        });

        it("catches GCS and Azure public access", () => {
            assert.deepEqual(planMessages(bucketsPrivateEncrypted, [res("gcp:storage/bucket:Bucket", "b", change(f.gcsBucket, ["publicAccessPrevention"], "inherited"))]),
                ['b: GCS bucket publicAccessPrevention is "inherited", must be "enforced"']);
            assert.deepEqual(planMessages(bucketsPrivateEncrypted, [res("gcp:storage/bucketIAMMember:BucketIAMMember", "m", { bucket: "b", member: "allUsers", role: "roles/storage.objectViewer" })]),
                ["m: GCS bucket granted to allUsers (public)"]);
            assert.deepEqual(planMessages(bucketsPrivateEncrypted, [res("azure-native:storage:StorageAccount", "sa", change(f.storageAccount, ["allowBlobPublicAccess"], true))]),
                ["sa: storage account must set allowBlobPublicAccess: false"]);
            assert.deepEqual(planMessages(bucketsPrivateEncrypted, [res("azure-native:storage:BlobContainer", "c", { containerName: "models", publicAccess: "Blob" })]),
                ['c: blob container publicAccess is "Blob", must be "None"']);
        });
    });

    describe("datasets-stay-in-training", () => {
        const obc = (bucketName: string) => res("kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim", `${bucketName}-obc`, {
            apiVersion: "objectbucket.io/v1alpha1", kind: "ObjectBucketClaim", metadata: { name: bucketName, namespace: "rook-ceph" },
            spec: { bucketName, storageClassName: "ceph-bucket" },
        });

        it("allows a datasets bucket in a training stack, and a models bucket anywhere", () => {
            assert.deepEqual(planMessages(datasetsStayInTraining, [obc("datasets")], { stack: "prod-training", roles: ["training"] }), []);
            assert.deepEqual(planMessages(datasetsStayInTraining, [obc("models"), ...f.s3Bucket()], { roles: ["serving"] }), []);
        });

        it("catches a datasets bucket or user in a serving stack", () => {
            assert.deepEqual(planMessages(datasetsStayInTraining, [obc("datasets")], { roles: ["serving"] }),
                ['datasets-obc: ObjectBucketClaim is the datasets bucket "datasets", but stack prod-aws has no training role (roles: serving)']);
            assert.deepEqual(planMessages(datasetsStayInTraining, f.s3Bucket("prod-aws-datasets").slice(0, 1), { roles: ["serving"] }),
                ['prod-aws-datasets: Bucket is the datasets bucket "prod-aws-datasets", but stack prod-aws has no training role (roles: serving)']);
            // A bucket labelled as datasets is one whatever its name.
            const labelled = change(obc("corpus"), ["inputs", "metadata", "labels"], { "hybridml.io/data-class": "datasets" });
            assert.equal(planMessages(datasetsStayInTraining, [labelled], { roles: ["serving"] }).length, 1);
        });

        it("classifies users by the bucket policies that name them, not by their names", () => {
            const user = (uid: string) => res("kubernetes:ceph.rook.io/v1:CephObjectStoreUser", `user-${uid}`, { metadata: { name: uid }, spec: { store: "models" } });
            const policy = (bucket: string, effect: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: effect, Principal: { AWS: ["arn:aws:iam:::user/sync"] }, Action: ["s3:GetObject"], Resource: [`arn:aws:s3:::${bucket}/*`] }] });
            const claim = (bucket: string, effect: string) => change(obc(bucket), ["inputs", "spec", "additionalConfig"], { bucketPolicy: policy(bucket, effect) });
            // A user called "datasets-reader" that no policy lets near datasets is not a datasets reader.
            assert.deepEqual(planMessages(datasetsStayInTraining, [user("datasets-reader")], { roles: ["serving"] }), []);
            // A neutrally named user that a bucket policy allows on a datasets bucket is one (the bucket itself is reported too).
            const msgs = planMessages(datasetsStayInTraining, [claim("team-datasets", "Allow"), user("sync")], { roles: ["serving"] });
            assert.ok(msgs.includes('user-sync: CephObjectStoreUser is user "sync", whom a bucket policy allows on a datasets bucket, but stack prod-aws has no training role (roles: serving)'), msgs.join("\n"));
            assert.ok(!planMessages(datasetsStayInTraining, [claim("team-datasets", "Deny"), user("sync")], { roles: ["serving"] }).some((m) => m.startsWith("user-sync")));
        });

        it("catches a serving workload that reads a datasets bucket through its env, args or storageUri", () => {
            const envRead = change(f.deployment, ["spec", "template", "spec", "containers", 0, "env"], [{ name: "SOURCE", value: "s3://datasets/train/" }]);
            const argRead = change(f.deployment, ["spec", "template", "spec", "containers", 0, "args"], ["s3", "sync", "s3://acme-datasets/x", "/data"]);
            const uriRead = change(f.inferenceService, ["spec", "predictor", "model", "storageUri"], "gs://datasets/raw/");
            assert.deepEqual(planMessages(datasetsStayInTraining, [res(DEPLOYMENT, "d", envRead), res(DEPLOYMENT, "a", argRead), res(ISVC, "i", uriRead)], { roles: ["serving"] }), [
                'd: Deployment reads the datasets bucket "datasets" (env, args or storageUri), but stack prod-aws has no training role (roles: serving)',
                'a: Deployment reads the datasets bucket "acme-datasets" (env, args or storageUri), but stack prod-aws has no training role (roles: serving)',
                'i: InferenceService reads the datasets bucket "datasets" (env, args or storageUri), but stack prod-aws has no training role (roles: serving)',
            ]);
            // The same workloads reading the models bucket are fine.
            assert.deepEqual(planMessages(datasetsStayInTraining, [res(DEPLOYMENT, "d", f.deployment), res(ISVC, "i", f.inferenceService)], { roles: ["serving"] }), []);
        });

        it("under CrossGuard, unknown roles (a first preview) with no config entry make it not applicable, never a violation", async () => {
            const resources = [obc("datasets")];
            const notRun: NotRun[] = [];
            // Roles unknown in the outputs, none configured for this stack: not applicable.
            assert.deepEqual(await crossGuardViolations(datasetsStayInTraining, resources, { stack: "prod-training", configRoles: {} }, { environment: "prod", roles: "[unknown]" }, notRun), []);
            assert.deepEqual(notRun.map((n) => n.policy), ["datasets-stay-in-training"]);
            assert.match(notRun[0].reason, /roles are unknown/);
            // Unknown in the outputs, set in the config file: the configured roles decide.
            assert.deepEqual(await crossGuardViolations(datasetsStayInTraining, resources, { stack: "prod-training", configRoles: { "prod-training": ["training"] } }, { environment: "prod", roles: "[unknown]" }), []);
            assert.equal((await crossGuardViolations(datasetsStayInTraining, resources, { stack: "prod-aws", configRoles: { "prod-aws": ["serving"] } }, { environment: "prod", roles: "[unknown]" })).length, 1);
        });

        it("catches an identity allowed to read datasets in a serving stack, not one denied", () => {
            const doc = (effect: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: effect, Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::acme-datasets/*"] }] });
            const policy = (effect: string) => res("aws:iam/rolePolicy:RolePolicy", "reader", { role: "r", policy: doc(effect) });
            assert.deepEqual(planMessages(datasetsStayInTraining, [policy("Allow")], { roles: ["serving"] }),
                ['reader: RolePolicy allows access to the datasets bucket "acme-datasets", but stack prod-aws has no training role (roles: serving)']);
            assert.deepEqual(planMessages(datasetsStayInTraining, [policy("Deny")], { roles: ["serving"] }), []);
            assert.equal(planMessages(datasetsStayInTraining, [res("gcp:storage/bucketIAMMember:BucketIAMMember", "m", { bucket: "acme-datasets", member: "serviceAccount:x", role: "roles/storage.objectViewer" })], { roles: ["serving"] }).length, 1);
        });
    });

    describe("cluster-api-not-public", () => {
        it("passes EKS with authorized CIDRs, a private GKE endpoint and a private AKS cluster", () => {
            assert.deepEqual(planMessages(clusterApiNotPublic, [res(EKS, "c", f.eksCluster), res(GKE, "g", f.gkeCluster), res(AKS, "a", f.aksCluster)]), []);
            assert.deepEqual(planMessages(clusterApiNotPublic, [res(EKS, "c", change(f.eksCluster, ["vpcConfig", "endpointPublicAccess"], false))]), []);
        });

        it("catches an API open to the world", () => {
            assert.deepEqual(planMessages(clusterApiNotPublic, [res(EKS, "c", change(f.eksCluster, ["vpcConfig", "publicAccessCidrs"], ["0.0.0.0/0"]))]),
                ["EKS public endpoint is open: vpcConfig.publicAccessCidrs contains 0.0.0.0/0"]);
            assert.deepEqual(planMessages(clusterApiNotPublic, [res(EKS, "c", change(f.eksCluster, ["vpcConfig", "publicAccessCidrs"], undefined))]),
                ["EKS public endpoint is open: vpcConfig.publicAccessCidrs is empty (open to 0.0.0.0/0)"]);
            assert.deepEqual(planMessages(clusterApiNotPublic, [res(GKE, "g", change(f.gkeCluster, ["privateClusterConfig", "enablePrivateEndpoint"], false))]),
                ["GKE public endpoint with no authorized cidrBlocks"]);
            assert.deepEqual(planMessages(clusterApiNotPublic, [res(AKS, "a", change(f.aksCluster, ["apiServerAccessProfile"], { enablePrivateCluster: false, authorizedIPRanges: ["0.0.0.0/0"] }))]),
                ["apiServerAccessProfile.authorizedIPRanges contains 0.0.0.0/0"]);
        });
    });

    describe("cluster-encryption-identity", () => {
        it("passes encrypted clusters with workload identity", () => {
            assert.deepEqual(planMessages(clusterEncryptionIdentity, [res(EKS, "c", f.eksCluster), res(GKE, "g", f.gkeCluster), res(AKS, "a", f.aksCluster)]), []);
        });

        it("catches secrets encryption or workload identity off", () => {
            assert.deepEqual(planMessages(clusterEncryptionIdentity, [res(EKS, "c", change(f.eksCluster, ["encryptionConfig"], undefined))]), ["EKS encryptionConfig does not encrypt secrets"]);
            assert.deepEqual(planMessages(clusterEncryptionIdentity, [res(GKE, "g", change(f.gkeCluster, ["databaseEncryption", "state"], "DECRYPTED"))]),
                ['GKE databaseEncryption.state is "DECRYPTED", must be "ENCRYPTED"']);
            assert.deepEqual(planMessages(clusterEncryptionIdentity, [res(GKE, "g", change(f.gkeCluster, ["workloadIdentityConfig"], undefined))]),
                ["GKE workloadIdentityConfig.workloadPool is not set (Workload Identity off)"]);
            assert.deepEqual(planMessages(clusterEncryptionIdentity, [res(AKS, "a", change(f.aksCluster, ["securityProfile", "workloadIdentity", "enabled"], false))]),
                ["AKS securityProfile.workloadIdentity.enabled is not true"]);
            assert.deepEqual(planMessages(clusterEncryptionIdentity, [res(AKS, "a", change(f.aksCluster, ["oidcIssuerProfile"], undefined))]), ["AKS oidcIssuerProfile.enabled is not true"]);
        });

        it("does not judge values unknown at preview time (as CrossGuard does not)", () => {
            assert.deepEqual(planMessages(clusterEncryptionIdentity, [res(AKS, "a", change(f.aksCluster, ["securityProfile"], "[unknown]"))]), []);
        });

        it("is advisory in dev", () => {
            const [v] = planViolations(clusterEncryptionIdentity, [res(EKS, "c", change(f.eksCluster, ["encryptionConfig"], undefined), {}, "dev")], { stack: "dev", environment: "dev" });
            assert.equal(v.enforcement, "advisory");
        });
    });

    describe("credentials-as-secrets", () => {
        it("passes a secret kubeconfig, a Secret from secrets, env from secretKeyRef", () => {
            assert.deepEqual(planMessages(credentialsAsSecrets, [
                res("pulumi:providers:kubernetes", "k8s", { kubeconfig: "[secret]" }),
                res("pulumi:providers:kubernetes", "eks-k8s", { kubeconfig: "[unknown]" }),
                res("kubernetes:core/v1:Secret", "s", { metadata: { name: "model-store" }, stringData: { accessKeyId: "[secret]", secretAccessKey: "[secret]" } }),
                res(DEPLOYMENT, "d", f.deployment),
                res(RELEASE, "r", { chart: "x", version: "1.0.0", values: { auth: { password: "[secret]" } } }),
            ]), []);
        });

        it("catches a plain kubeconfig, plain Secret data and plain credential Helm values", () => {
            assert.deepEqual(planMessages(credentialsAsSecrets, [res("pulumi:providers:kubernetes", "k8s", { kubeconfig: "apiVersion: v1\nkind: Config" })]), ["provider kubeconfig is not a secret"]);
            assert.deepEqual(planMessages(credentialsAsSecrets, [res("kubernetes:core/v1:Secret", "s", { stringData: { secretAccessKey: "abc" } })]),
                ['stringData["secretAccessKey"] is not a secret (pass it as pulumi.secret)']);
            assert.deepEqual(planMessages(credentialsAsSecrets, [res(RELEASE, "r", { chart: "x", version: "1.0.0", values: { auth: { password: "hunter2" } } })]),
                ["values.auth.password is a credential in plain Helm values: pass it as a secret"]);
        });

        it("is not applicable under CrossGuard, which hands policies secrets unwrapped (never a silent pass)", async () => {
            const notRun: NotRun[] = [];
            const plainKubeconfig = [res("pulumi:providers:kubernetes", "k8s", { kubeconfig: "apiVersion: v1" })];
            assert.deepEqual(await crossGuardViolations(credentialsAsSecrets, plainKubeconfig, {}, undefined, notRun), []);
            assert.deepEqual(notRun.map((n) => [n.policy, n.urn]), [["credentials-as-secrets", plainKubeconfig[0].urn]]);
            assert.match(notRun[0].reason, /CrossGuard hands policies secret values unwrapped.*offline plan/);
            // Resources holding no credential fields are simply compliant, not "not applicable".
            const none: NotRun[] = [];
            await crossGuardViolations(credentialsAsSecrets, [res(DEPLOYMENT, "d", f.deployment)], {}, undefined, none);
            assert.deepEqual(none, []);
        });
    });

    describe("credentials-not-in-plain-config", () => {
        it("passes env from secretKeyRef and a ConfigMap without credential keys", () => {
            assert.deepEqual(planMessages(credentialsNotInPlainConfig, [res(DEPLOYMENT, "d", f.deployment), res("kubernetes:core/v1:ConfigMap", "cm", { data: { endpoint: "https://s3" } })]), []);
        });

        it("catches a literal credential env value and a ConfigMap credential, in both runners", async () => {
            const literal = change(f.deployment, ["spec", "template", "spec", "containers", 0, "env", 0], { name: "AWS_SECRET_ACCESS_KEY", value: "abc" });
            const bad = [res(DEPLOYMENT, "d", literal), res("kubernetes:core/v1:ConfigMap", "cm", { data: { kubeconfig: "x" } })];
            assert.deepEqual(planMessages(credentialsNotInPlainConfig, bad), [
                "spec.template.spec.containers[0] (sync): env AWS_SECRET_ACCESS_KEY has a literal value: use valueFrom.secretKeyRef",
                'ConfigMap key "kubeconfig" holds a credential: use a Secret',
            ]);
            assert.deepEqual((await crossGuardViolations(credentialsNotInPlainConfig, bad)).map((v) => v.message), planMessages(credentialsNotInPlainConfig, bad));
        });
    });

    describe("ceph-pool-replication", () => {
        it("passes size-3 pools and 2+1 erasure coding", () => {
            assert.deepEqual(planMessages(cephPoolReplication, [res(POOL, "p", f.cephBlockPool), res("kubernetes:ceph.rook.io/v1:CephObjectStore", "o", f.cephObjectStore)]), []);
        });

        it("catches size 1 in prod (mandatory) and reports it as advisory in dev", () => {
            const pool = res(POOL, "p", change(f.cephBlockPool, ["spec", "replicated", "size"], 1));
            const [v] = planViolations(cephPoolReplication, [pool]);
            assert.deepEqual([v.message, v.enforcement], ["spec.replicated.size is 1, must be >= 3", "mandatory"]);
            assert.equal(planViolations(cephPoolReplication, [pool], { stack: "dev", environment: "dev" })[0].enforcement, "advisory");
            assert.deepEqual(planMessages(cephPoolReplication, [res("kubernetes:ceph.rook.io/v1:CephObjectStore", "o", change(f.cephObjectStore, ["spec", "dataPool", "erasureCoded", "codingChunks"], 0))]),
                ["spec.dataPool.erasureCoded.codingChunks is 0: an erasure-coded pool needs at least 1 coding chunk"]);
        });
    });

    describe("kafka-replication", () => {
        const K = "kubernetes:kafka.strimzi.io/v1:Kafka";
        it("passes RF 3 / min ISR 2", () => {
            assert.deepEqual(planMessages(kafkaReplication, [res(K, "k", f.kafka), res("kubernetes:kafka.strimzi.io/v1:KafkaTopic", "t", f.kafkaTopic)]), []);
        });

        it("catches RF 1, a missing min ISR and a topic with 1 replica", () => {
            assert.deepEqual(planMessages(kafkaReplication, [res(K, "k", change(f.kafka, ["spec", "kafka", "config", "default.replication.factor"], 1))]),
                ['spec.kafka.config["default.replication.factor"] is 1, must be >= 3']);
            assert.deepEqual(planMessages(kafkaReplication, [res(K, "k", change(f.kafka, ["spec", "kafka", "config", "min.insync.replicas"], undefined))]),
                ['spec.kafka.config["min.insync.replicas"] is not set (Kafka\'s default is 1), must be >= 2']);
            assert.deepEqual(planMessages(kafkaReplication, [res("kubernetes:kafka.strimzi.io/v1:KafkaTopic", "t", change(f.kafkaTopic, ["spec", "replicas"], 1))]),
                ["spec.replicas is 1, must be >= 3"]);
        });
    });

    describe("load-balancers-restricted (exposure)", () => {
        const SVC = "kubernetes:core/v1:Service";
        const lb = (ranges?: string[]) => ({ metadata: { name: "rgw" }, spec: { type: "LoadBalancer", ports: [{ port: 443 }], ...(ranges ? { loadBalancerSourceRanges: ranges } : {}) } });
        const external = (ranges?: string[]) => change(f.kafka, ["spec", "kafka", "listeners"], [...f.kafka.spec.kafka.listeners,
            { name: "external", port: 9094, type: "loadbalancer", tls: true, configuration: ranges ? { loadBalancerSourceRanges: ranges } : {} }]);
        const proxy = (ranges?: string[]) => change(f.pulsarRelease, ["values", "proxy"], { service: { type: "LoadBalancer", ...(ranges ? { loadBalancerSourceRanges: ranges } : {}) } });

        it("passes allow-listed load balancers and ClusterIP Services", () => {
            assert.deepEqual(planMessages(loadBalancersRestricted, [
                res(SVC, "rgw", lb(["198.51.100.7/32"])), res(SVC, "internal", { spec: { type: "ClusterIP" } }),
                res("kubernetes:kafka.strimzi.io/v1:Kafka", "k", external(["198.51.100.7/32"])), res(RELEASE, "pulsar", proxy(["192.0.2.0/28"])),
            ]), []);
        });

        it("catches a Service, a Kafka listener and a Pulsar proxy open to every address", () => {
            assert.deepEqual(planMessages(loadBalancersRestricted, [res(SVC, "rgw", lb())]),
                ["LoadBalancer Service rgw: spec.loadBalancerSourceRanges is not set (open to every address)"]);
            assert.deepEqual(planMessages(loadBalancersRestricted, [res(SVC, "rgw", lb(["0.0.0.0/0"]))]),
                ["LoadBalancer Service rgw: spec.loadBalancerSourceRanges contains 0.0.0.0/0"]);
            assert.deepEqual(planMessages(loadBalancersRestricted, [res("kubernetes:kafka.strimzi.io/v1:Kafka", "k", external())]),
                ["listener external configuration.loadBalancerSourceRanges is not set (open to every address)"]);
            assert.deepEqual(planMessages(loadBalancersRestricted, [res(RELEASE, "pulsar", proxy())]),
                ["Pulsar proxy: values.proxy.service.loadBalancerSourceRanges is not set (open to every address)"]);
        });
    });

    describe("pulsar-quorum", () => {
        it("passes 3/3/2 quorums", () => {
            assert.deepEqual(planMessages(pulsarQuorum, [res(RELEASE, "pulsar", f.pulsarRelease)]), []);
        });

        it("catches the chart's default 2/2/2 ensemble", () => {
            assert.deepEqual(planMessages(pulsarQuorum, [res(RELEASE, "pulsar", change(f.pulsarRelease, ["values", "broker"], undefined))]), [
                "values.broker.configData.managedLedgerDefaultEnsembleSize is unset (chart default 2), must be >= 3",
                "values.broker.configData.managedLedgerDefaultWriteQuorum is unset (chart default 2), must be >= 3",
            ]);
        });
    });

    describe("gpu-pools-tainted", () => {
        it("passes tainted EKS, GKE and AKS GPU pools; ignores CPU pools", () => {
            assert.deepEqual(planMessages(gpuPoolsTainted, [
                res("aws:eks/nodeGroup:NodeGroup", "gpu", f.eksGpuGroup),
                res("gcp:container/nodePool:NodePool", "gpu", f.gkeGpuPool),
                res("azure-native:containerservice:AgentPool", "gpu", f.aksGpuPool),
                res("aws:eks/nodeGroup:NodeGroup", "system", { amiType: "AL2023_x86_64_STANDARD", instanceTypes: ["m7i.xlarge"], scalingConfig: { minSize: 2, maxSize: 4 } }),
            ]), []);
        });

        it("catches a GPU pool without the taint", () => {
            assert.deepEqual(planMessages(gpuPoolsTainted, [res("aws:eks/nodeGroup:NodeGroup", "gpu", change(f.eksGpuGroup, ["taints"], undefined))]),
                ["GPU pool gpu has no nvidia.com/gpu NoSchedule taint (taints: [])"]);
            assert.deepEqual(planMessages(gpuPoolsTainted, [res("azure-native:containerservice:AgentPool", "gpu", change(f.aksGpuPool, ["nodeTaints"], ["nvidia.com/gpu=true:PreferNoSchedule"]))]),
                ['GPU pool gpu has no nvidia.com/gpu NoSchedule taint (taints: ["nvidia.com/gpu=true:PreferNoSchedule"])']);
        });
    });

    describe("gpu-pods-tolerate", () => {
        it("passes a GPU InferenceService that tolerates the taint, and a CPU deployment without tolerations", () => {
            assert.deepEqual(planMessages(gpuPodsTolerate, [res(ISVC, "isvc", f.inferenceService), res(DEPLOYMENT, "d", f.deployment)]), []);
        });

        it("catches a GPU pod without the toleration", () => {
            assert.deepEqual(planMessages(gpuPodsTolerate, [res(ISVC, "isvc", change(f.inferenceService, ["spec", "predictor", "tolerations"], []))]),
                ["spec.predictor requests nvidia.com/gpu but does not tolerate the nvidia.com/gpu:NoSchedule taint"]);
            const job = { spec: { template: { spec: { containers: [f.gpuContainer], restartPolicy: "Never" } } } };
            assert.deepEqual(planMessages(gpuPodsTolerate, [res("kubernetes:batch/v1:Job", "j", job)]),
                ["spec.template.spec requests nvidia.com/gpu but does not tolerate the nvidia.com/gpu:NoSchedule taint"]);
        });
    });

    describe("scale-to-zero-autoscaler", () => {
        const tags = f.asgTags.map((key, i) => res("aws:autoscaling/tag:Tag", `tag-${i}`, { autoscalingGroupName: "[unknown]", tag: { key, value: "x", propagateAtLaunch: false } }));
        const group = res("aws:eks/nodeGroup:NodeGroup", "prod-aws-gpu", f.eksGpuGroup);
        it("passes an EKS group from 0 with cluster-autoscaler and its tags, GKE/AKS pools with autoscaling", () => {
            assert.deepEqual(planMessages(scaleToZeroHasAutoscaler, [group, ...tags, res(RELEASE, "ca", f.autoscalerRelease),
                res("gcp:container/nodePool:NodePool", "gpu", f.gkeGpuPool), res("azure-native:containerservice:AgentPool", "gpu", f.aksGpuPool)]), []);
        });

        it("catches a pool from 0 that nothing scales up", () => {
            assert.deepEqual(planMessages(scaleToZeroHasAutoscaler, [group, ...tags]),
                ["prod-aws-gpu: node group scales to 0 but no cluster-autoscaler or karpenter Helm release in the stack"]);
            assert.deepEqual(planMessages(scaleToZeroHasAutoscaler, [group, ...tags.slice(0, 2), res(RELEASE, "ca", f.autoscalerRelease)]),
                ["prod-aws-gpu: node group scales to 0 but no node-template/resources/nvidia.com/gpu ASG tag (the autoscaler cannot know the pool has GPUs)"]);
            assert.deepEqual(planMessages(scaleToZeroHasAutoscaler, [res("azure-native:containerservice:AgentPool", "gpu", change(f.aksGpuPool, ["enableAutoScaling"], false))]),
                ["gpu: agent pool gpu can be at 0 nodes without enableAutoScaling"]);
            assert.deepEqual(planMessages(scaleToZeroHasAutoscaler, [res("gcp:container/nodePool:NodePool", "gpu", change(f.gkeGpuPool, ["autoscaling"], undefined))]),
                ["gpu: node pool has 0 nodes and no autoscaling"]);
        });
    });

    describe("helm-version-pinned", () => {
        it("passes exact versions", () => {
            assert.deepEqual(planMessages(helmVersionPinned, [res(RELEASE, "ca", f.autoscalerRelease), res(RELEASE, "gpu", f.gpuOperatorRelease)]), []);
        });

        it("catches a missing version and a range", () => {
            assert.deepEqual(planMessages(helmVersionPinned, [res(RELEASE, "ca", change(f.autoscalerRelease, ["version"], undefined))]),
                ["chart cluster-autoscaler has no version (Helm would install the newest)"]);
            assert.deepEqual(planMessages(helmVersionPinned, [res(RELEASE, "ca", change(f.autoscalerRelease, ["version"], "^9.52.0"))]),
                ['chart cluster-autoscaler version "^9.52.0" is not an exact version']);
        });
    });

    describe("no-latest-image-tags", () => {
        it("passes pinned images and charts with their default image tags", () => {
            assert.deepEqual(planMessages(noLatestImageTags, [res(DEPLOYMENT, "d", f.deployment), res(RELEASE, "gpu", f.gpuOperatorRelease),
                res(ISVC, "isvc", change(f.inferenceService, ["spec", "predictor", "containers"], [f.gpuContainer]))]), []);
        });

        it("catches :latest, an untagged image and image.tag latest in Helm values", () => {
            assert.deepEqual(planMessages(noLatestImageTags, [res(DEPLOYMENT, "d", change(f.deployment, ["spec", "template", "spec", "containers", 0, "image"], "amazon/aws-cli:latest"))]),
                ["spec.template.spec.containers[0] (sync): image amazon/aws-cli:latest uses the latest tag"]);
            assert.deepEqual(planMessages(noLatestImageTags, [res(DEPLOYMENT, "d", change(f.deployment, ["spec", "template", "spec", "containers", 0, "image"], "amazon/aws-cli"))]),
                ["spec.template.spec.containers[0] (sync): image amazon/aws-cli has no tag (means latest)"]);
            assert.deepEqual(planMessages(noLatestImageTags, [res(RELEASE, "gpu", change(f.gpuOperatorRelease, ["values", "driver"], { repository: "nvcr.io/nvidia", image: "driver", tag: "latest" }))]),
                ['values.driver.tag is "latest"']);
        });
    });

    describe("container-resources", () => {
        it("passes containers with requests and limits", () => {
            assert.deepEqual(planMessages(containerResources, [res(DEPLOYMENT, "d", f.deployment), res(ISVC, "isvc", f.inferenceService)]), []);
        });

        it("catches missing requests and requests above limits", () => {
            assert.deepEqual(planMessages(containerResources, [res(DEPLOYMENT, "d", change(f.deployment, ["spec", "template", "spec", "containers", 0, "resources"], undefined))]),
                ["spec.template.spec.containers[0] (sync): no resources requests.cpu, requests.memory, limits.memory"]);
            assert.deepEqual(planMessages(containerResources, [res(DEPLOYMENT, "d", change(f.deployment, ["spec", "template", "spec", "containers", 0, "resources", "requests", "memory"], "1Gi"))]),
                ["spec.template.spec.containers[0] (sync): requests.memory 1Gi exceeds limits.memory 256Mi"]);
        });
    });

    describe("stateful-protected", () => {
        const cluster = res(EKS, "prod-aws-cluster", f.eksCluster, { protect: true });
        it("passes protected stateful resources in prod, and anything in dev", () => {
            assert.deepEqual(planMessages(statefulProtected, [cluster, ...f.s3Bucket()]), []);
            assert.deepEqual(planViolations(statefulProtected, [change(cluster, ["protect"], false)], { stack: "dev", environment: "dev" }), []);
        });

        it("catches an unprotected cluster in prod, as mandatory; advisory on edge", () => {
            const [v] = planViolations(statefulProtected, [change(cluster, ["protect"], false)]);
            assert.deepEqual([v.message, v.enforcement, v.urn], ["prod-aws-cluster: aws:eks/cluster:Cluster is not protected in prod stack prod-aws", "mandatory", cluster.urn]);
            assert.equal(planViolations(statefulProtected, [change(cluster, ["protect"], false)], { stack: "edge", environment: "edge" })[0].enforcement, "advisory");
        });
    });
});

describe("the offline plan reports what CrossGuard would (same fixtures, both adapters)", () => {
    const unsafe: Array<[string, PlanResource[]]> = [
        ["API open to the world", [res(EKS, "c", change(f.eksCluster, ["vpcConfig", "publicAccessCidrs"], ["0.0.0.0/0"]))]],
        ["Ceph pool size 1", [res(POOL, "p", change(f.cephBlockPool, ["spec", "replicated", "size"], 1))]],
        ["Kafka RF 1", [res("kubernetes:kafka.strimzi.io/v1:Kafka", "k", change(f.kafka, ["spec", "kafka", "config", "default.replication.factor"], 1))]],
        ["unpinned chart", [res(RELEASE, "ca", change(f.autoscalerRelease, ["version"], ""))]],
        ["public bucket", [f.s3Bucket()[0], change(f.s3Bucket()[1], ["inputs", "restrictPublicBuckets"], false), f.s3Bucket()[2]]],
        ["unknown values and a compliant fleet", [res(AKS, "a", change(f.aksCluster, ["securityProfile"], "[unknown]"), { protect: true }), ...f.s3Bucket(),
            res("aws:eks/nodeGroup:NodeGroup", "gpu", change(f.eksGpuGroup, ["scalingConfig", "minSize"], 1)), res(ISVC, "isvc", f.inferenceService)]],
        ["unprotected cluster and datasets in a serving stack", [res(EKS, "c", f.eksCluster), ...f.s3Bucket("prod-aws-datasets")]],
    ];

    // The fixtures predate the hardened baseline (they carry no securityContext); its cases are in baseline.test.ts.
    const BASELINE = ["pod-security-restricted", "recommended-labels", "image-digests-in-prod", "prod-replicas-pdb"];
    for (const [what, resources] of unsafe) {
        it(`${what}: every policy gives the same violations through both adapters`, async () => {
            let total = 0;
            for (const def of allPolicies) {
                const viaPlan = planViolations(def, resources, { roles: ["serving"] });
                const viaCrossGuard = await crossGuardViolations(def, resources, { roles: ["serving"] }, { environment: "prod", roles: ["serving"] });
                assert.deepEqual(viaCrossGuard, viaPlan, def.name);
                if (!BASELINE.includes(def.name)) total += viaPlan.length;
            }
            if (what.startsWith("unknown")) assert.equal(total, 0);
            else assert.ok(total > 0, `${what} is reported`);
        });
    }

    it("secret-ness is checked where it is known (the offline plan); CrossGuard sees the plain value", async () => {
        const provider = [res("pulumi:providers:kubernetes", "k8s", { kubeconfig: "apiVersion: v1" })];
        assert.equal(planViolations(credentialsAsSecrets, provider).length, 1);
        assert.deepEqual(await crossGuardViolations(credentialsAsSecrets, provider), []);
    });
});
