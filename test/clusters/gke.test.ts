import assert from "node:assert/strict";
import * as gcp from "@pulumi/gcp";
import {
    defaultModelBucketName, GKE_APIS, gkeClusterName, gkeEndpointConfig, GkeCluster, GkeClusterArgs, gkeKubeconfig, gcpLabels,
    serviceAccountId, WEBHOOK_PORTS,
} from "../../components/clusters/gke";
import { GPU_NODE_LABEL } from "../../components/clusters/types";
import { versions } from "../../lib/versions";
import { runProgram } from "../../tools/plan/recorder";
import { Recorded, RecordedResource, runMocked, settle } from "../helpers/run";

function gkeArgs(overrides: Partial<GkeClusterArgs> = {}): GkeClusterArgs {
    return {
        region: "europe-west4",
        version: versions.kubernetes,
        project: "acme-ml-prod",
        projectNumber: "123456789012",
        network: { vpcCidr: "10.42.0.0/20", podCidr: "10.128.0.0/14", serviceCidr: "10.132.0.0/20", zones: [], natPerZone: false },
        systemPool: { instanceType: "e2-standard-4", minSize: 2, maxSize: 4 },
        gpuPool: { instanceType: "g2-standard-8", gpuType: "nvidia-l4", gpuCount: 1, minSize: 0, maxSize: 6, diskSizeGb: 200, sharing: { mode: "none" } },
        ...overrides,
    };
}

describe("clusters/gke: pure functions", () => {
    it("endpoint config per access mode: DNS endpoint open to IAM, IP endpoints private; authorized networks need ranges", () => {
        const dns = gkeEndpointConfig("g", "dns", [], "172.16.0.0/28");
        assert.deepEqual(dns.controlPlaneEndpointsConfig, { dnsEndpointConfig: { allowExternalTraffic: true }, ipEndpointsConfig: { enabled: true } });
        assert.equal(dns.privateClusterConfig.enablePrivateEndpoint, true);
        const nets = gkeEndpointConfig("g", "authorizedNetworks", ["203.0.113.0/24"], "172.16.0.0/28");
        assert.equal(nets.privateClusterConfig.enablePrivateEndpoint, false);
        assert.equal(nets.controlPlaneEndpointsConfig.dnsEndpointConfig.allowExternalTraffic, false);
        assert.deepEqual(nets.masterAuthorizedNetworksConfig.cidrBlocks, [{ cidrBlock: "203.0.113.0/24", displayName: "authorized 203.0.113.0/24" }]);
        assert.throws(() => gkeEndpointConfig("g", "authorizedNetworks", [], "172.16.0.0/28"), /GkeCluster g: args\.authorizedCidrs must list at least one CIDR/);
        assert.throws(() => gkeEndpointConfig("g", "dns", ["0.0.0.0/0"], "172.16.0.0/28"), /args\.authorizedCidrs must not contain 0\.0\.0\.0\/0/);
        assert.throws(() => gkeEndpointConfig("g", "dns", [], "172.16.0.0/24"), /GkeCluster g: args\.masterCidr must be a \/28/);
    });

    it("kubeconfig: gke-gcloud-auth-plugin; no CA data on the DNS endpoint (publicly trusted certificate)", () => {
        const dns = JSON.parse(gkeKubeconfig("c", "https://gke-x.goog", undefined));
        assert.deepEqual(dns.clusters[0].cluster, { server: "https://gke-x.goog" });
        assert.equal(dns.users[0].user.exec.command, "gke-gcloud-auth-plugin");
        const ip = JSON.parse(gkeKubeconfig("c", "https://10.0.0.2", "Q0E="));
        assert.equal(ip.clusters[0].cluster["certificate-authority-data"], "Q0E=");
    });

    it("names fit GCP's limits", () => {
        assert.equal(gkeClusterName("Prod_GCP"), "prod-gcp");
        const long = "a-very-long-stack-name-for-the-production-serving-cluster";
        assert.ok(gkeClusterName(long).length <= 40);
        assert.match(serviceAccountId(long, "nodes"), /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/);
        assert.equal(defaultModelBucketName("prod-gcp", "acme-ml-prod"), "acme-ml-prod-prod-gcp-models");
        assert.notEqual(defaultModelBucketName("prod-gcp", "acme-a"), defaultModelBucketName("prod-gcp", "acme-b"));
        assert.ok(defaultModelBucketName(long, "acme-ml-production-project").length <= 63);
        assert.throws(() => gcpLabels({ "a.b": "1", "a_b": "2" }, "g"), /GkeCluster g: args\.tags "a\.b" and "a_b" both become the GCP label "a_b"/);
    });
});

describe("clusters/gke: GkeCluster", () => {
    let run: Recorded<GkeCluster>;
    let component: RecordedResource;
    before(async () => {
        run = await runMocked(() => new GkeCluster("prod", gkeArgs()));
        component = run.one("hybridml:clusters:GkeCluster");
    });
    const inputs = (type: string, nameSuffix?: string) => run.inputs(run.one(type, nameSuffix));

    it("enables the project's APIs first: network, key, cluster and bucket wait for them", () => {
        const services = run.ofType("gcp:projects/service:Service");
        assert.deepEqual(services.map((r) => run.inputs(r).service).sort(), [...GKE_APIS].sort());
        for (const s of services) assert.equal(run.inputs(s).disableOnDestroy, false);
        const urns = services.map((s) => s.urn);
        for (const [type, name] of [["gcp:compute/network:Network", undefined], ["gcp:kms/keyRing:KeyRing", undefined], ["gcp:container/cluster:Cluster", undefined], ["gcp:storage/bucket:Bucket", undefined]] as const) {
            const deps = run.one(type, name).dependencies;
            for (const u of urns) assert.ok(deps.includes(u), `${type} waits for ${u}`);
        }
    });

    it("the cluster is private with the DNS endpoint open to IAM-authorised runners, and the kubeconfig uses it", async () => {
        const c = inputs("gcp:container/cluster:Cluster");
        assert.deepEqual(c.controlPlaneEndpointsConfig, { dnsEndpointConfig: { allowExternalTraffic: true }, ipEndpointsConfig: { enabled: true } });
        assert.equal(c.privateClusterConfig.enablePrivateNodes, true);
        const k = await settle(run.value.kubeconfig);
        assert.equal(k.secret, true);
        assert.match(JSON.parse(k.value!).clusters[0].cluster.server, /^https:\/\/gke-[0-9a-f]+-prod-cluster\.europe-west4\.gke\.goog$/);
    });

    it("node pools ignore initialNodeCount after creation (changing minSize must not replace the GPU pool)", () => {
        for (const pool of run.ofType("gcp:container/nodePool:NodePool")) {
            assert.deepEqual(pool.ignoreChanges, ["initialNodeCount", "nodeCount"], pool.name);
        }
        assert.deepEqual(inputs("gcp:container/nodePool:NodePool", "prod-gpu").autoscaling, { totalMinNodeCount: 0, totalMaxNodeCount: 6, locationPolicy: "ANY" });
        assert.deepEqual(inputs("gcp:container/nodePool:NodePool", "prod-gpu").nodeConfig.labels,
            { [GPU_NODE_LABEL.key]: "gpu", "gke-no-default-nvidia-gpu-device-plugin": "true" });
        // NVIDIA's GKE mode: no GKE-managed driver with the label that disables GKE's device plugin (Google's installer installs it).
        assert.deepEqual(inputs("gcp:container/nodePool:NodePool", "prod-gpu").nodeConfig.guestAccelerators.map((g: any) => g.gpuDriverInstallationConfig),
            [{ gpuDriverVersion: "INSTALLATION_DISABLED" }]);
    });

    it("lets the control plane reach admission webhooks on the private nodes", () => {
        const fw = inputs("gcp:compute/firewall:Firewall");
        assert.deepEqual(fw.sourceRanges, ["172.16.0.0/28"]);
        assert.deepEqual(fw.allows, [{ protocol: "tcp", ports: [...WEBHOOK_PORTS] }]);
        assert.deepEqual(WEBHOOK_PORTS, ["8443", "9443", "10250"]);
        assert.equal(fw.direction, "INGRESS");
        assert.ok(run.one("pulumi:providers:kubernetes").dependencies.includes(run.one("gcp:compute/firewall:Firewall").urn));
    });

    it("the Kubernetes provider depends on both pools", () => {
        const deps = run.one("pulumi:providers:kubernetes").dependencies;
        const pools = run.ofType("gcp:container/nodePool:NodePool");
        assert.equal(pools.length, 2);
        for (const pool of pools) assert.ok(deps.includes(pool.urn), pool.name);
    });

    it("composes the GCS store: retained bucket, read-only viewer and a separate writer bound by Workload Identity", async () => {
        const store = run.one("hybridml:storage:GcsModelStore");
        assert.equal(store.parent, component.urn);
        const bucket = run.one("gcp:storage/bucket:Bucket");
        assert.deepEqual([bucket.protect, bucket.retainOnDelete], [true, true]);
        const roles = run.ofType("gcp:storage/bucketIAMMember:BucketIAMMember").map((r) => run.inputs(r).role).sort();
        assert.deepEqual(roles, ["roles/storage.objectUser", "roles/storage.objectViewer"]);
        const members = run.ofType("gcp:serviceaccount/iAMMember:IAMMember").map((r) => run.inputs(r).member).sort();
        assert.deepEqual(members, ["serviceAccount:acme-ml-prod.svc.id.goog[models/model-reader]", "serviceAccount:acme-ml-prod.svc.id.goog[models/model-sync]"]);
        const os = run.value.objectStore;
        assert.equal((await settle(os.uriPrefix)).value, "gs://acme-ml-prod-prod-models");
        assert.match(String((await settle(os.writeIdentity.serviceAccountAnnotations)).value?.["iam.gke.io/gcp-service-account"]), /^prod-mw@/);
    });

    it("every GCP child uses the component's GCP provider", () => {
        const gcpProvider = run.one("pulumi:providers:gcp");
        for (const r of run.resources.filter((x) => x.type.startsWith("gcp:"))) assert.ok(r.provider.startsWith(`${gcpProvider.urn}::`), `${r.type} ${r.name}`);
    });
});

describe("clusters/gke: options", () => {
    it("uses a caller's GCP provider (opts.providers)", async () => {
        const rec = await runMocked(() => new GkeCluster("prod", gkeArgs(), { providers: { gcp: new gcp.Provider("caller", { project: "acme-ml-prod" }) } }));
        assert.deepEqual(rec.ofType("pulumi:providers:gcp").map((p) => p.name), ["caller"]);
    });

    it("authorizedNetworks without ranges throws naming the argument and registers nothing", async () => {
        const result = await runProgram(() => new GkeCluster("prod", gkeArgs({ apiAccess: "authorizedNetworks" })), { project: "hybridml", stack: "test", preview: true });
        assert.match(String(result.error?.message), /GkeCluster prod: args\.authorizedCidrs must list at least one CIDR/);
        assert.deepEqual(result.resources.map((r) => r.type), ["pulumi:pulumi:Stack"]);
    });
});
