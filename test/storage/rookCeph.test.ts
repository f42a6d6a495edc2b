import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { RookCeph, RookCephArgs } from "../../components/storage/rookCeph";
import { rgwCertificateNames } from "../../components/storage/rookSpecs";
import { S3Credentials } from "../../components/storage/s3Credentials";
import { chartRepos, versions } from "../../lib/versions";
import { validateRecordedCustomResource } from "../helpers/crds";
import { RecordedResource, runMocked, SecretValue, settle } from "../helpers/run";
import { celErrors } from "./rookCel";

const KEYS = { accessKeyId: "AKIATESTTESTTEST0001", secretAccessKey: "sEcReT-key-material-0123456789abcdefghij" };
const COMPONENT = "hybridml:storage:RookCeph";
const CR_TYPES = [
    "kubernetes:ceph.rook.io/v1:CephCluster", "kubernetes:ceph.rook.io/v1:CephBlockPool", "kubernetes:ceph.rook.io/v1:CephFilesystem",
    "kubernetes:ceph.rook.io/v1:CephObjectStore", "kubernetes:ceph.rook.io/v1:CephObjectStoreUser", "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim",
];

async function build(args: Partial<RookCephArgs> = {}, withMonitoring = false) {
    return runMocked(() => {
        const provider = new k8s.Provider("k8s", { kubeconfig: "fake" });
        const monitoring = withMonitoring
            ? new k8s.helm.v3.Release("monitoring", { chart: "kube-prometheus-stack", version: "88.3.0", namespace: "monitoring" }, { provider })
            : undefined;
        return new RookCeph("st", {
            provider, modelSyncCredentials: pulumi.secret(KEYS), endpoint: "https://s3.training.acme.example", monitoring, tls: TLS, ...args,
        });
    });
}

const nameOf = (urn: string) => urn.split("::").pop();
/** The RGW certificate as RgwTls yields it (stand-in PEMs; the SANs are the ones RookCeph requires). */
const TLS = {
    certPem: "-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----", privateKeyPem: pulumi.secret("rgw-private-key-material"),
    caCertPem: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----",
    dnsNames: rgwCertificateNames("rook-ceph", "https://s3.training.acme.example"),
};

describe("RookCeph (component under mocks)", () => {
    it("registers exactly these children, named from the component's name", async () => {
        const rec = await build();
        const children = rec.resources.filter((r) => r.parent === rec.one(COMPONENT).urn).map((r) => `${r.type} ${r.name}`).sort();
        assert.deepEqual(children, [
            "kubernetes:apps/v1:Deployment st-toolbox",
            "kubernetes:batch/v1:Job st-models-versioning",
            "kubernetes:ceph.rook.io/v1:CephBlockPool st-block-pool",
            "kubernetes:ceph.rook.io/v1:CephCluster st-cluster",
            "kubernetes:ceph.rook.io/v1:CephFilesystem st-filesystem",
            "kubernetes:ceph.rook.io/v1:CephObjectStore st-object-store",
            "kubernetes:ceph.rook.io/v1:CephObjectStoreUser st-model-sync-user",
            "kubernetes:core/v1:Namespace st-namespace",
            "kubernetes:core/v1:Secret st-model-sync-keys",
            "kubernetes:core/v1:Secret st-rgw-ca",
            "kubernetes:core/v1:Secret st-rgw-tls",
            "kubernetes:core/v1:Service st-rgw-external",
            "kubernetes:helm.sh/v3:Release st-csi-drivers",
            "kubernetes:helm.sh/v3:Release st-operator",
            "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim st-bucket-datasets",
            "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim st-bucket-models",
            "kubernetes:storage.k8s.io/v1:StorageClass st-sc-block",
            "kubernetes:storage.k8s.io/v1:StorageClass st-sc-bucket",
            "kubernetes:storage.k8s.io/v1:StorageClass st-sc-datasets",
            "kubernetes:storage.k8s.io/v1:StorageClass st-sc-filesystem",
        ]);
    });

    it("every child targets the given provider and has the component as parent", async () => {
        const rec = await build();
        const provider = rec.one("pulumi:providers:kubernetes");
        const comp = rec.one(COMPONENT);
        const children = rec.resources.filter((r) => r.parent === comp.urn);
        assert.equal(children.length, 20);
        for (const c of children) assert.ok(c.provider.startsWith(`${provider.urn}::`), `${c.name} provider ${c.provider}`);
    });

    it("operator release: rook-ceph chart pinned from charts.rook.io into its own namespace", async () => {
        const rec = await build();
        const rel = rec.inputs(rec.one("kubernetes:helm.sh/v3:Release", "st-operator"));
        assert.equal(rel.chart, "rook-ceph");
        assert.equal(rel.version, versions.charts.rookCeph);
        assert.equal(rel.version, "v1.20.6");
        assert.deepEqual(rel.repositoryOpts, { repo: chartRepos.rookCeph });
        assert.equal(chartRepos.rookCeph, "https://charts.rook.io/release");
        assert.equal(rel.namespace, "rook-ceph");
        assert.equal(rel.values.crds.enabled, true);
        assert.equal(rel.values.monitoring.enabled, false);
    });

    it("CSI drivers: ceph-csi-drivers release, child of RookCeph on the provider, after the operator, node plugins tolerate the GPU taint", async () => {
        const rec = await build();
        const comp = rec.one(COMPONENT);
        const provider = rec.one("pulumi:providers:kubernetes");
        const op = rec.one("kubernetes:helm.sh/v3:Release", "st-operator");
        const drivers = rec.one("kubernetes:helm.sh/v3:Release", "st-csi-drivers");
        assert.equal(drivers.parent, comp.urn);
        assert.ok(drivers.provider.startsWith(`${provider.urn}::`), drivers.provider);
        assert.deepEqual(drivers.dependencies, [op.urn]);
        const v = rec.inputs(drivers);
        assert.equal(v.name, "ceph-csi-drivers");
        assert.equal(v.chart, "ceph-csi-drivers");
        assert.equal(v.version, "1.0.4");
        assert.deepEqual(v.repositoryOpts, { repo: "https://ceph.github.io/ceph-csi-operator" });
        assert.equal(v.namespace, "rook-ceph");
        assert.equal(v.createNamespace, false);
        const gpu = [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }];
        assert.deepEqual(v.values.operatorConfig.driverSpecDefaults.nodePlugin.tolerations, gpu);
        assert.equal(v.values.operatorConfig.driverSpecDefaults.controllerPlugin.tolerations, undefined);
        assert.equal(v.values.operatorConfig.namespace, "rook-ceph");
        for (const d of ["rbd", "cephfs"]) {
            assert.deepEqual(v.values.drivers[d].nodePlugin.tolerations, gpu, d);
            assert.equal(v.values.drivers[d].name, `rook-ceph.${d}.csi.ceph.com`);
        }
        // The driver names are the StorageClasses' provisioners; the CSI classes come after the drivers.
        for (const k of ["block", "datasets", "filesystem"]) {
            const sc = rec.one("kubernetes:storage.k8s.io/v1:StorageClass", `sc-${k}`);
            assert.ok(sc.dependencies.includes(drivers.urn), `st-sc-${k} does not depend on the CSI drivers`);
            const driver = k === "filesystem" ? "cephfs" : "rbd";
            assert.equal(rec.inputs(sc).provisioner, v.values.drivers[driver].name);
        }
        assert.ok(!rec.one("kubernetes:storage.k8s.io/v1:StorageClass", "sc-bucket").dependencies.includes(drivers.urn));
        // Another namespace renames the drivers and the OperatorConfig's namespace with it.
        const other = await build({ namespace: "storage", tls: { ...TLS, dnsNames: rgwCertificateNames("storage", "https://s3.training.acme.example") } });
        const ov = other.inputs(other.one("kubernetes:helm.sh/v3:Release", "st-csi-drivers"));
        assert.equal(ov.namespace, "storage");
        assert.equal(ov.values.operatorConfig.namespace, "storage");
        assert.equal(ov.values.drivers.rbd.name, "storage.rbd.csi.ceph.com");
    });

    it("every custom resource depends on the operator release; pools, filesystem and store on the cluster", async () => {
        const rec = await build();
        const op = rec.one("kubernetes:helm.sh/v3:Release", "st-operator").urn;
        const cluster = rec.one("kubernetes:ceph.rook.io/v1:CephCluster").urn;
        const crs = rec.resources.filter((r) => CR_TYPES.includes(r.type));
        assert.equal(crs.length, 7);
        for (const r of crs) assert.ok(r.dependencies.includes(op), `${r.name} does not depend on the operator`);
        for (const t of ["CephBlockPool", "CephFilesystem", "CephObjectStore"]) {
            assert.ok(rec.one(`kubernetes:ceph.rook.io/v1:${t}`).dependencies.includes(cluster), `${t} does not depend on the CephCluster`);
        }
        const store = rec.one("kubernetes:ceph.rook.io/v1:CephObjectStore").urn;
        for (const r of rec.ofType("kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim")) assert.ok(r.dependencies.includes(store));
        const user = rec.one("kubernetes:ceph.rook.io/v1:CephObjectStoreUser");
        assert.ok(user.dependencies.includes(rec.one("kubernetes:core/v1:Secret", "st-model-sync-keys").urn));
        assert.ok(rec.one("kubernetes:batch/v1:Job").dependencies.includes(rec.one("kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim", "bucket-models").urn));
    });

    it("protect: cluster, pools, filesystem, store, buckets, their StorageClasses, operator and namespace; buckets retained", async () => {
        const rec = await build();
        const protectedNames = rec.resources.filter((r) => r.protect).map((r) => r.name).sort();
        assert.deepEqual(protectedNames, [
            "st-block-pool", "st-bucket-datasets", "st-bucket-models", "st-cluster", "st-csi-drivers", "st-filesystem", "st-namespace", "st-object-store",
            "st-operator", "st-sc-block", "st-sc-bucket", "st-sc-datasets", "st-sc-filesystem",
        ]);
        for (const r of rec.ofType("kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim")) assert.equal(r.retainOnDelete, true);
        const off = await build({ protect: false });
        assert.deepEqual(off.resources.filter((r) => r.protect).map((r) => r.name), []);
    });

    it("every custom resource validates against its CRD (schema and CEL)", async () => {
        for (const rec of [await build(), await build({ monCount: 1, poolSize: 1, erasureCoding: false, allowMultiplePerNode: true, endpoint: undefined })]) {
            const crs = rec.resources.filter((r) => CR_TYPES.includes(r.type));
            for (const r of crs) {
                assert.deepEqual(validateRecordedCustomResource(r.type, r.inputs), [], r.name);
                const i = rec.inputs(r);
                assert.deepEqual(celErrors({ apiVersion: i.apiVersion, kind: i.kind, metadata: i.metadata, spec: i.spec }), [], r.name);
            }
        }
    });

    it("the model-sync keys stay secret: the Secret's data and the component output", async () => {
        const rec = await build();
        const secret = rec.one("kubernetes:core/v1:Secret", "st-model-sync-keys");
        assert.ok(secret.inputs.stringData instanceof SecretValue, "stringData must be recorded as a secret");
        assert.deepEqual(rec.inputs(secret).stringData, { AWS_ACCESS_KEY_ID: KEYS.accessKeyId, AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey });
        assert.equal(rec.inputs(secret).metadata.name, "model-sync-s3-keys");
        const creds = await settle(rec.value.modelStoreReadCredentials);
        assert.equal(creds.secret, true);
        assert.deepEqual(creds.value, KEYS);
        // No key material anywhere in the recorded inputs outside secret markers.
        const clear = JSON.stringify(rec.resources.map((r: RecordedResource) => maskSecrets(r.inputs)));
        assert.ok(!clear.includes(KEYS.secretAccessKey) && !clear.includes(KEYS.accessKeyId));
    });

    it("publishes the model store at the configured endpoint, or the in-cluster RGW service", async () => {
        const external = (await build({ allowedSources: ["198.51.100.7/32"] })).value.modelStore;
        assert.equal((await settle(external.caCert as pulumi.Output<string>)).value, TLS.caCertPem);
        assert.deepEqual({ ...external, caCert: undefined }, {
            endpoint: "https://s3.training.acme.example", bucket: "models", region: "default", caCert: undefined,
            exposure: { dnsName: "s3.training.acme.example", sans: TLS.dnsNames, allowedSources: ["198.51.100.7/32"] },
        });
        const inCluster = await build({ endpoint: undefined, region: "eu-private-1", tls: undefined });
        assert.deepEqual(inCluster.value.modelStore, { endpoint: "http://rook-ceph-rgw-models.rook-ceph.svc", bucket: "models", region: "eu-private-1", caCert: null });
        assert.equal(inCluster.ofType("kubernetes:core/v1:Service").length, 0);
    });

    it("with a monitoring release: monitoring on in operator and cluster, both ordered after it", async () => {
        const rec = await build({}, true);
        const mon = rec.resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.name === "monitoring")!;
        const op = rec.one("kubernetes:helm.sh/v3:Release", "st-operator");
        const cluster = rec.one("kubernetes:ceph.rook.io/v1:CephCluster");
        assert.ok(op.dependencies.includes(mon.urn));
        assert.ok(cluster.dependencies.includes(mon.urn));
        assert.equal(rec.inputs(op).values.monitoring.enabled, true);
        assert.deepEqual(rec.inputs(cluster).spec.monitoring, { enabled: true });
        const alerts = rec.one("kubernetes:monitoring.coreos.com/v1:PrometheusRule");
        assert.equal(alerts.name, "st-alerts");
        assert.ok(alerts.dependencies.includes(mon.urn));
        assert.deepEqual(validateRecordedCustomResource(alerts.type, alerts.inputs), []);
        const none = await build();
        assert.equal(none.ofType("kubernetes:monitoring.coreos.com/v1:PrometheusRule").length, 0);
        assert.deepEqual(none.inputs(none.one("kubernetes:ceph.rook.io/v1:CephCluster")).spec.monitoring, { enabled: false });
    });

    describe("RGW TLS (issue 14)", () => {
        it("creates the certificate Secret and CA bundle in its own namespace, before the object store; the key stays secret", async () => {
            const rec = await build();
            const tls = rec.one("kubernetes:core/v1:Secret", "st-rgw-tls");
            const ca = rec.one("kubernetes:core/v1:Secret", "st-rgw-ca");
            const ns = rec.one("kubernetes:core/v1:Namespace", "st-namespace");
            assert.deepEqual([rec.inputs(tls).metadata.name, rec.inputs(tls).metadata.namespace, rec.inputs(tls).type], ["models-rgw-tls", "rook-ceph", "kubernetes.io/tls"]);
            assert.equal(rec.inputs(tls).stringData["tls.crt"], `${TLS.certPem}\n${TLS.caCertPem}\n`, "leaf then CA");
            assert.ok(!JSON.stringify(maskSecrets(tls.inputs)).includes("rgw-private-key-material"), "the key is in clear");
            assert.deepEqual(rec.inputs(ca).stringData, { cabundle: TLS.caCertPem });
            for (const s of [tls, ca]) assert.ok(s.dependencies.includes(ns.urn));
            const store = rec.one("kubernetes:ceph.rook.io/v1:CephObjectStore");
            assert.ok(store.dependencies.includes(tls.urn) && store.dependencies.includes(ca.urn), "the object store waits for its certificate");
            const gw = rec.inputs(store).spec.gateway;
            assert.deepEqual([gw.securePort, gw.sslCertificateRef, gw.caBundleRef], [443, "models-rgw-tls", "models-rgw-ca"]);
            assert.deepEqual(validateRecordedCustomResource(store.type, store.inputs), []);
        });

        it("the external Service admits only the allowed sources and is named by external-dns", async () => {
            const rec = await build({ allowedSources: ["198.51.100.7/32", "192.0.2.0/28"] });
            const svc = rec.inputs(rec.one("kubernetes:core/v1:Service", "st-rgw-external"));
            assert.deepEqual(svc.spec.loadBalancerSourceRanges, ["192.0.2.0/28", "198.51.100.7/32"]);
            assert.equal(svc.metadata.annotations["external-dns.alpha.kubernetes.io/hostname"], "s3.training.acme.example");
            const none = await build();
            assert.equal(none.inputs(none.one("kubernetes:core/v1:Service", "st-rgw-external")).spec.loadBalancerSourceRanges, undefined, "no allow-list given: none set (dev)");
        });

        it("refuses an https endpoint without a certificate, and a certificate without Rook's Service name", async () => {
            await assert.rejects(build({ tls: undefined }), /endpoint https:\/\/s3\.training\.acme\.example is https: pass args\.tls/);
            await assert.rejects(build({ tls: { ...TLS, dnsNames: ["s3.training.acme.example"] } }), /lacks SAN\(s\) rook-ceph-rgw-models\.rook-ceph\.svc/);
        });
    });

    it("refuses a bucket list without models", async () => {
        await assert.rejects(build({ buckets: ["datasets"] }), /args\.buckets must include "models"/);
    });
});

describe("S3Credentials", () => {
    it("generates the keys with the explicit random provider, as secrets", async () => {
        const rec = await runMocked(() => {
            const provider = new random.Provider("rnd");
            return new S3Credentials("sync", { provider });
        });
        const provider = rec.one("pulumi:providers:random");
        // Both keys are RandomPasswords: a RandomString's ID is its value, kept in the state in clear.
        assert.equal(rec.ofType("random:index/randomString:RandomString").length, 0);
        const keys = rec.ofType("random:index/randomPassword:RandomPassword");
        assert.deepEqual(keys.map((r) => nameOf(r.urn)).sort(), ["sync-access-key", "sync-secret-key"]);
        for (const r of keys) {
            assert.ok(r.provider.startsWith(`${provider.urn}::`), `${r.urn} uses ${r.provider}`);
            assert.equal(nameOf(r.parent), "sync");
        }
        const length = (n: string) => rec.inputs(keys.find((r) => nameOf(r.urn) === n)!).length;
        assert.equal(length("sync-access-key"), 20);
        assert.equal(length("sync-secret-key"), 40);
        assert.equal((await settle(rec.value.credentials)).secret, true);
    });

    it("takes the provider from opts.providers too", async () => {
        const rec = await runMocked(() => new S3Credentials("sync", {}, { providers: { random: new random.Provider("rnd2") } }));
        const provider = rec.one("pulumi:providers:random");
        for (const r of rec.ofType("random:index/randomPassword:RandomPassword")) assert.ok(r.provider.startsWith(`${provider.urn}::`));
    });

    it("refuses to fall back to the default provider", async () => {
        await assert.rejects(runMocked(() => new S3Credentials("sync")), /pass a random provider/);
    });
});

function maskSecrets(v: unknown): unknown {
    if (v instanceof SecretValue) return "[secret]";
    if (Array.isArray(v)) return v.map(maskSecrets);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskSecrets(x)]));
    return v;
}
