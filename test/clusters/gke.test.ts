import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import {
    GkeCluster, GkeClusterArgs, gcpLabels, gkeClusterName, gkeGpuTaint, gkeKubeconfig, gkeServiceAgent, gkeTaintEffect,
    kubeconfigDocument, modelBucketName, NODE_SERVICE_ACCOUNT_ROLES, SECONDARY_RANGES, serviceAccountId, validateGkeArgs,
    workloadIdentityMember,
} from "../../components/clusters/gke";
import { GPU_NODE_LABEL, MODEL_READER } from "../../components/clusters/types";
import { runProgram } from "../../tools/plan/recorder";
import { Recorded, RecordedResource, runMocked, settle } from "../helpers/run";

const T = {
    component: "hybridml:clusters:GkeCluster",
    gcpProvider: "pulumi:providers:gcp",
    k8sProvider: "pulumi:providers:kubernetes",
    network: "gcp:compute/network:Network",
    subnet: "gcp:compute/subnetwork:Subnetwork",
    router: "gcp:compute/router:Router",
    nat: "gcp:compute/routerNat:RouterNat",
    keyRing: "gcp:kms/keyRing:KeyRing",
    key: "gcp:kms/cryptoKey:CryptoKey",
    keyMember: "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
    account: "gcp:serviceaccount/account:Account",
    projectMember: "gcp:projects/iAMMember:IAMMember",
    saMember: "gcp:serviceaccount/iAMMember:IAMMember",
    cluster: "gcp:container/cluster:Cluster",
    nodePool: "gcp:container/nodePool:NodePool",
    bucket: "gcp:storage/bucket:Bucket",
    bucketMember: "gcp:storage/bucketIAMMember:BucketIAMMember",
} as const;

function baseArgs(): GkeClusterArgs {
    return {
        region: "europe-west4",
        version: "1.34",
        project: "acme-ml-prod",
        projectNumber: "123456789012",
        network: {
            vpcCidr: "10.40.0.0/16", podCidr: "100.64.0.0/14", serviceCidr: "172.20.0.0/16",
            zones: ["europe-west4-a", "europe-west4-b", "europe-west4-c"], natPerZone: true,
        },
        systemPool: { instanceType: "e2-standard-4", minSize: 2, maxSize: 4 },
        gpuPool: {
            instanceType: "g2-standard-8", gpuType: "nvidia-l4", gpuCount: 2, minSize: 0, maxSize: 3,
            diskSizeGb: 200, sharing: { mode: "none" },
        },
        tags: { Environment: "Prod", "managed-by": "pulumi" },
    };
}

/** The provider reference (`urn::id`) of a recorded provider resource, as children record it. */
function refersTo(child: RecordedResource, provider: RecordedResource): boolean {
    return child.provider.startsWith(`${provider.urn}::`);
}

describe("GkeCluster", () => {
    let rec: Recorded<GkeCluster>;
    let inputs: (type: string, nameSuffix?: string) => Record<string, any>;

    before(async () => {
        rec = await runMocked(() => new GkeCluster("prod", baseArgs()));
        inputs = (type, nameSuffix) => rec.inputs(rec.one(type, nameSuffix));
    });

    it("registers exactly the expected resource types", () => {
        const types = rec.types().filter((t) => t !== "pulumi:pulumi:Stack");
        assert.deepEqual(types, Object.values(T).sort());
        assert.equal(rec.ofType(T.nodePool).length, 2);
        assert.equal(rec.ofType(T.account).length, 2);
        assert.equal(rec.ofType(T.projectMember).length, NODE_SERVICE_ACCOUNT_ROLES.length);
        assert.equal(rec.ofType(T.gcpProvider).length, 1);
        assert.equal(rec.ofType(T.k8sProvider).length, 1);
    });

    it("parents every child on the component and derives names from it", () => {
        const component = rec.one(T.component);
        for (const r of rec.resources.filter((x) => x.parent === component.urn)) {
            assert.match(r.name, /^prod-/, `${r.type} ${r.name}`);
        }
        const children = rec.resources.filter((r) => r !== component && r.type !== "pulumi:pulumi:Stack");
        assert.ok(children.length > 0);
        for (const r of children) assert.equal(r.parent, component.urn, `${r.type} ${r.name} is not a child of the component`);
    });

    it("gives every gcp:* resource the component's explicit GCP provider", () => {
        const gcpProvider = rec.one(T.gcpProvider);
        assert.deepEqual({ project: rec.inputs(gcpProvider).project, region: rec.inputs(gcpProvider).region },
            { project: "acme-ml-prod", region: "europe-west4" });
        const gcpResources = rec.resources.filter((r) => r.type.startsWith("gcp:"));
        assert.ok(gcpResources.length >= 15);
        for (const r of gcpResources) {
            assert.notEqual(r.provider, "", `${r.type} ${r.name} has no provider`);
            assert.ok(refersTo(r, gcpProvider), `${r.type} ${r.name} uses ${r.provider}`);
        }
    });

    it("builds a VPC-native network with secondary ranges, Private Google Access and Cloud NAT", () => {
        assert.equal(inputs(T.network).autoCreateSubnetworks, false);
        const subnet = inputs(T.subnet);
        assert.equal(subnet.ipCidrRange, "10.40.0.0/16");
        assert.equal(subnet.privateIpGoogleAccess, true);
        assert.deepEqual(subnet.secondaryIpRanges, [
            { rangeName: SECONDARY_RANGES.pods, ipCidrRange: "100.64.0.0/14" },
            { rangeName: SECONDARY_RANGES.services, ipCidrRange: "172.20.0.0/16" },
        ]);
        const nat = inputs(T.nat);
        assert.equal(nat.sourceSubnetworkIpRangesToNat, "LIST_OF_SUBNETWORKS");
        assert.deepEqual(nat.subnetworks[0].sourceIpRangesToNats, ["ALL_IP_RANGES"]);
    });

    it("creates a private, regional, VPC-native cluster with the default pool removed", () => {
        const c = inputs(T.cluster);
        assert.equal(c.location, "europe-west4");
        assert.equal(c.removeDefaultNodePool, true);
        assert.equal(c.initialNodeCount, 1);
        assert.deepEqual(c.releaseChannel, { channel: "REGULAR" });
        assert.equal(c.minMasterVersion, undefined, "versions follow the release channel");
        assert.equal(c.networkingMode, "VPC_NATIVE");
        assert.deepEqual(c.ipAllocationPolicy, { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" });
        assert.deepEqual(c.privateClusterConfig, {
            enablePrivateNodes: true, enablePrivateEndpoint: true, masterIpv4CidrBlock: "172.16.0.0/28",
        });
        assert.deepEqual(c.masterAuthorizedNetworksConfig.cidrBlocks, []);
        assert.equal(c.network, rec.one(T.network).name + "-id");
        assert.equal(c.subnetwork, rec.one(T.subnet).name + "-id");
    });

    it("enables Workload Identity, Dataplane V2 and shielded nodes, and labels the cluster", () => {
        const c = inputs(T.cluster);
        assert.deepEqual(c.workloadIdentityConfig, { workloadPool: "acme-ml-prod.svc.id.goog" });
        assert.equal(c.datapathProvider, "ADVANCED_DATAPATH");
        assert.equal(c.enableShieldedNodes, true);
        assert.deepEqual(c.resourceLabels, { environment: "prod", "managed-by": "pulumi" });
    });

    it("encrypts secrets with the created KMS key, granted to the GKE service agent first", () => {
        const key = rec.one(T.key);
        assert.equal(rec.inputs(key).rotationPeriod, "7776000s");
        const c = rec.one(T.cluster);
        assert.deepEqual(rec.inputs(c).databaseEncryption, { state: "ENCRYPTED", keyName: `${key.name}-id` });
        const grant = rec.one(T.keyMember);
        assert.deepEqual(rec.inputs(grant), {
            cryptoKeyId: `${key.name}-id`,
            role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            member: "serviceAccount:service-123456789012@container-engine-robot.iam.gserviceaccount.com",
        });
        assert.ok(c.dependencies.includes(grant.urn), "the cluster must wait for the key grant");
    });

    it("protects the cluster and its key, with deletion protection on", () => {
        const c = rec.one(T.cluster);
        assert.equal(c.protect, true);
        assert.equal(rec.inputs(c).deletionProtection, true);
        assert.equal(rec.one(T.key).protect, true);
    });

    it("gives the nodes a least-privilege service account", () => {
        const sa = rec.one(T.account, "-nodes");
        assert.equal(rec.inputs(sa).accountId, "prod-nodes");
        const email = "prod-nodes@project.iam.gserviceaccount.com";
        const grants = rec.ofType(T.projectMember).map((r) => rec.inputs(r));
        assert.deepEqual(grants.map((g) => g.role).sort(), [...NODE_SERVICE_ACCOUNT_ROLES].sort());
        for (const g of grants) {
            assert.equal(g.member, `serviceAccount:${email}`);
            assert.equal(g.project, "acme-ml-prod");
        }
        for (const pool of rec.ofType(T.nodePool)) {
            const nc = rec.inputs(pool).nodeConfig;
            assert.equal(nc.serviceAccount, email);
            assert.deepEqual(nc.oauthScopes, ["https://www.googleapis.com/auth/cloud-platform"]);
            for (const g of rec.ofType(T.projectMember)) assert.ok(pool.dependencies.includes(g.urn));
        }
    });

    it("builds the GPU pool with managed drivers, taint, label and autoscaling from zero", () => {
        const gpu = inputs(T.nodePool, "-gpu");
        assert.equal(gpu.cluster, `${rec.one(T.cluster).name}-id`);
        assert.equal(gpu.location, "europe-west4");
        assert.deepEqual(gpu.nodeLocations, ["europe-west4-a", "europe-west4-b", "europe-west4-c"]);
        assert.deepEqual(gpu.autoscaling, { totalMinNodeCount: 0, totalMaxNodeCount: 3, locationPolicy: "ANY" });
        assert.equal(gpu.initialNodeCount, 0);
        assert.deepEqual(gpu.management, { autoRepair: true, autoUpgrade: true });
        const nc = gpu.nodeConfig;
        assert.equal(nc.machineType, "g2-standard-8");
        assert.equal(nc.diskSizeGb, 200);
        assert.deepEqual(nc.guestAccelerators, [
            { type: "nvidia-l4", count: 2, gpuDriverInstallationConfig: { gpuDriverVersion: "LATEST" } },
        ]);
        assert.deepEqual(nc.taints, [{ key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" }]);
        assert.deepEqual(nc.labels, { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value });
        assert.deepEqual(nc.shieldedInstanceConfig, { enableSecureBoot: true, enableIntegrityMonitoring: true });
        assert.deepEqual(nc.workloadMetadataConfig, { mode: "GKE_METADATA" });
    });

    it("builds an untainted, autoscaled system pool", () => {
        const sys = inputs(T.nodePool, "-system");
        assert.deepEqual(sys.autoscaling, { totalMinNodeCount: 2, totalMaxNodeCount: 4, locationPolicy: "BALANCED" });
        assert.equal(sys.nodeConfig.machineType, "e2-standard-4");
        assert.equal(sys.nodeConfig.taints, undefined);
        assert.equal(sys.nodeConfig.guestAccelerators, undefined);
        assert.deepEqual(sys.nodeConfig.workloadMetadataConfig, { mode: "GKE_METADATA" });
    });

    it("yields GPU facts with platform-managed driver and toolkit", () => {
        assert.equal(rec.value.platform, "gke");
        assert.deepEqual(rec.value.gpu, {
            nodeSelector: { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value },
            taint: { key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" },
            driver: "platform", toolkit: "platform", gpuType: "nvidia-l4", gpusPerNode: 2,
            minNodes: 0, maxNodes: 3, sharing: { mode: "none" },
        });
    });

    it("creates a versioned, private, retained and protected model bucket", () => {
        const bucket = rec.one(T.bucket);
        assert.deepEqual(rec.inputs(bucket), {
            name: "acme-ml-prod-prod-models",
            location: "europe-west4",
            uniformBucketLevelAccess: true,
            publicAccessPrevention: "enforced",
            versioning: { enabled: true },
            forceDestroy: false,
            labels: { environment: "prod", "managed-by": "pulumi" },
        });
        assert.equal(bucket.retainOnDelete, true);
        assert.equal(bucket.protect, true);
    });

    it("grants the model reader read-only access to the bucket through Workload Identity", async () => {
        const reader = rec.one(T.account, "-model-reader");
        assert.equal(rec.inputs(reader).accountId, "prod-model-reader");
        const email = "prod-model-reader@project.iam.gserviceaccount.com";
        assert.deepEqual(inputs(T.bucketMember), {
            bucket: "acme-ml-prod-prod-models", role: "roles/storage.objectViewer", member: `serviceAccount:${email}`,
        });
        const wi = rec.one(T.saMember);
        assert.deepEqual(rec.inputs(wi), {
            serviceAccountId: `projects/acme-ml-prod/serviceAccounts/${email}`,
            role: "roles/iam.workloadIdentityUser",
            member: "serviceAccount:acme-ml-prod.svc.id.goog[models/model-reader]",
        });
        assert.ok(wi.dependencies.includes(rec.one(T.cluster).urn), "the Workload Identity pool exists once the cluster does");

        const store = rec.value.objectStore;
        assert.equal(store.kind, "gcs");
        assert.equal(store.region, "europe-west4");
        assert.equal((await settle(store.bucket)).value, "acme-ml-prod-prod-models");
        assert.equal((await settle(store.uriPrefix)).value, "gs://acme-ml-prod-prod-models");
        assert.equal(store.readIdentity.namespace, MODEL_READER.namespace);
        assert.equal(store.readIdentity.serviceAccountName, MODEL_READER.serviceAccountName);
        assert.deepEqual(store.readIdentity.podLabels, {});
        assert.deepEqual((await settle(store.readIdentity.serviceAccountAnnotations)).value, { "iam.gke.io/gcp-service-account": email });
    });

    it("returns a secret kubeconfig that authenticates with gke-gcloud-auth-plugin", async () => {
        const { value, secret, known } = await settle(rec.value.kubeconfig);
        assert.equal(secret, true);
        assert.equal(known, true);
        const doc = JSON.parse(value as string);
        assert.equal(doc.clusters[0].cluster.server, "https://10.0.0.2");
        assert.equal(doc.clusters[0].name, "prod");
        assert.equal(doc.users[0].user.exec.command, "gke-gcloud-auth-plugin");
        assert.equal(doc.users[0].user.exec.apiVersion, "client.authentication.k8s.io/v1beta1");
        assert.equal(doc.users[0].user.exec.provideClusterInfo, true);
        assert.equal((await settle(rec.value.clusterName)).value, "prod");
    });

    it("builds the k8s provider from the secret kubeconfig, after the node pools", () => {
        const p = rec.one(T.k8sProvider);
        assert.equal(p.name, "prod-k8s");
        assert.equal(p.provider, "", "a provider resource takes no provider");
        const raw = p.inputs.kubeconfig;
        assert.ok(raw !== null && typeof raw === "object" && "value" in raw, "kubeconfig input must be a secret");
        assert.equal(JSON.parse(rec.inputs(p).kubeconfig).users[0].user.exec.command, "gke-gcloud-auth-plugin");
        for (const pool of rec.ofType(T.nodePool)) assert.ok(p.dependencies.includes(pool.urn), `k8s provider must wait for ${pool.name}`);
    });

    it("makes every kubernetes:* resource, its own and its consumers', use the cluster's k8s provider", async () => {
        const r = await runMocked(() => {
            const cluster = new GkeCluster("prod", baseArgs());
            new k8s.core.v1.Namespace("models", { metadata: { name: "models" } }, { provider: cluster.provider });
            return cluster;
        });
        const p = r.one(T.k8sProvider);
        const kube = r.resources.filter((x) => x.type.startsWith("kubernetes:"));
        assert.equal(kube.length, 1, "the component creates no Kubernetes resources of its own, the consumer one");
        for (const x of kube) assert.ok(refersTo(x, p), `${x.type} ${x.name} uses ${x.provider}`);
    });

    it("opens a public endpoint only to the authorized networks", async () => {
        const r = await runMocked(() => new GkeCluster("prod", {
            ...baseArgs(), publicEndpoint: true, authorizedCidrs: ["203.0.113.0/24", "198.51.100.7/32"], releaseChannel: "STABLE",
        }));
        const c = r.inputs(r.one(T.cluster));
        assert.equal(c.privateClusterConfig.enablePrivateNodes, true);
        assert.equal(c.privateClusterConfig.enablePrivateEndpoint, false);
        assert.deepEqual(c.masterAuthorizedNetworksConfig.cidrBlocks.map((b: { cidrBlock: string }) => b.cidrBlock),
            ["203.0.113.0/24", "198.51.100.7/32"]);
        assert.equal(c.masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled, false);
        assert.deepEqual(c.releaseChannel, { channel: "STABLE" });
    });

    it("binds a custom model reader and honours protect: false", async () => {
        const r = await runMocked(() => new GkeCluster("dev", {
            ...baseArgs(), protect: false, modelReader: { namespace: "serving", serviceAccountName: "kserve-reader" },
            network: { ...baseArgs().network, zones: [] },
        }));
        assert.equal(r.inputs(r.one(T.saMember)).member, "serviceAccount:acme-ml-prod.svc.id.goog[serving/kserve-reader]");
        const c = r.one(T.cluster);
        assert.equal(c.protect, false);
        assert.equal(r.inputs(c).deletionProtection, false);
        assert.equal(r.inputs(c).nodeLocations, undefined, "no zones: GKE's default zones of the region");
        assert.equal(r.one(T.bucket).protect, false);
        assert.equal(r.one(T.bucket).retainOnDelete, true, "the bucket is retained even when not protected");
        assert.equal(r.value.objectStore.readIdentity.serviceAccountName, "kserve-reader");
    });

    it("knows the bucket and cluster names at preview", async () => {
        const r = await runMocked(() => new GkeCluster("prod", baseArgs()), { preview: true });
        assert.equal(r.inputs(r.one(T.bucket)).name, "acme-ml-prod-prod-models");
        assert.equal(r.inputs(r.one(T.cluster)).name, "prod");
        assert.equal(r.inputs(r.one(T.saMember)).member, "serviceAccount:acme-ml-prod.svc.id.goog[models/model-reader]");
    });

    it("throws on 0.0.0.0/0 and registers nothing", async () => {
        const result = await runProgram(() => new GkeCluster("prod", {
            ...baseArgs(), publicEndpoint: true, authorizedCidrs: ["10.0.0.0/8", "0.0.0.0/0"],
        }), { project: "hybridml", stack: "test", preview: false });
        assert.match(result.error?.message ?? "", /hybridml:cluster\.authorizedCidrs must not contain 0\.0\.0\.0\/0/);
        assert.deepEqual(result.resources.filter((r) => r.type !== "pulumi:pulumi:Stack"), []);
    });
});

describe("GkeCluster pure functions", () => {
    it("validateGkeArgs rejects open and missing authorized networks, accepts the rest", () => {
        assert.throws(() => validateGkeArgs({ ...baseArgs(), authorizedCidrs: ["0.0.0.0/0"] }), /authorizedCidrs must not contain 0\.0\.0\.0\/0/);
        assert.throws(() => validateGkeArgs({ ...baseArgs(), publicEndpoint: true, authorizedCidrs: [] }),
            /authorizedCidrs must list at least one CIDR when hybridml:cluster\.publicEndpoint is true/);
        assert.doesNotThrow(() => validateGkeArgs(baseArgs()));
        assert.doesNotThrow(() => validateGkeArgs({ ...baseArgs(), publicEndpoint: true, authorizedCidrs: ["203.0.113.0/24"] }));
    });

    it("kubeconfigDocument uses exec auth with gke-gcloud-auth-plugin and the cluster CA", () => {
        const doc = kubeconfigDocument("prod", "34.1.2.3", "Q0E=") as any;
        assert.deepEqual(doc.clusters, [{ name: "prod", cluster: { server: "https://34.1.2.3", "certificate-authority-data": "Q0E=" } }]);
        assert.equal(doc["current-context"], "prod");
        assert.deepEqual(doc.contexts, [{ name: "prod", context: { cluster: "prod", user: "prod" } }]);
        const exec = doc.users[0].user.exec;
        assert.equal(exec.apiVersion, "client.authentication.k8s.io/v1beta1");
        assert.equal(exec.command, "gke-gcloud-auth-plugin");
        assert.equal(exec.provideClusterInfo, true);
        assert.match(exec.installHint, /gke-gcloud-auth-plugin/);
        assert.equal(JSON.stringify(doc).includes("token"), false, "no static credentials");
    });

    it("gkeKubeconfig is a secret", async () => {
        const { value, secret } = await settle(gkeKubeconfig("c", "10.0.0.2", "Q0E="));
        assert.equal(secret, true);
        assert.equal(JSON.parse(value as string).clusters[0].cluster.server, "https://10.0.0.2");
    });

    it("gcpLabels lower-cases tags into valid GCP labels and rejects collisions", () => {
        assert.deepEqual(gcpLabels({ Environment: "Prod", "Cost Center": "ML/Platform", "1st": "x" }),
            { environment: "prod", cost_center: "ml_platform", t_1st: "x" });
        assert.deepEqual(gcpLabels(), {});
        const long = gcpLabels({ ["k".repeat(80)]: "v".repeat(80) });
        for (const [k, v] of Object.entries(long)) {
            assert.match(k, /^[a-z][a-z0-9_-]{0,62}$/);
            assert.ok(v.length <= 63);
        }
        assert.throws(() => gcpLabels({ Team: "a", team: "b" }), /"Team" and "team" both become the GCP label "team"/);
    });

    it("modelBucketName is derived from project and name, valid and at most 63 characters", () => {
        assert.equal(modelBucketName("prod", "acme-ml-prod"), "acme-ml-prod-prod-models");
        const long = modelBucketName("a-very-long-component-name-for-the-serving-cluster", "acme-machine-learning-prod");
        assert.ok(long.length <= 63, long);
        assert.match(long, /^[a-z][a-z0-9-]*[a-z0-9]$/);
        assert.equal(long, modelBucketName("a-very-long-component-name-for-the-serving-cluster", "acme-machine-learning-prod"));
        assert.notEqual(long, modelBucketName("a-very-long-component-name-for-the-serving-clusters", "acme-machine-learning-prod"));
    });

    it("serviceAccountId and gkeClusterName fit GCP's rules", () => {
        assert.equal(serviceAccountId("prod", "model-reader"), "prod-model-reader");
        for (const name of ["prod", "Prod_GCP", "prod-gcp-serving-europe-west4-primary", "9x"]) {
            const id = serviceAccountId(name, "model-reader");
            assert.match(id, /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, id);
            assert.match(gkeClusterName(name), /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/, gkeClusterName(name));
        }
        assert.equal(gkeClusterName("prod-gcp"), "prod-gcp");
    });

    it("maps the GPU taint to GKE's effect spelling", () => {
        assert.equal(gkeTaintEffect("NoSchedule"), "NO_SCHEDULE");
        assert.equal(gkeTaintEffect("PreferNoSchedule"), "PREFER_NO_SCHEDULE");
        assert.equal(gkeTaintEffect("NoExecute"), "NO_EXECUTE");
        assert.deepEqual(gkeGpuTaint(), { key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" });
    });

    it("names the Workload Identity member and the GKE service agent", () => {
        assert.equal(workloadIdentityMember("p-123456", "models", "model-reader"), "serviceAccount:p-123456.svc.id.goog[models/model-reader]");
        assert.equal(gkeServiceAgent("42"), "serviceAccount:service-42@container-engine-robot.iam.gserviceaccount.com");
    });
});
