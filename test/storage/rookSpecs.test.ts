import * as assert from "node:assert/strict";
import { rookSpecInput } from "../../components/storage/rookCeph";
import {
    avoidGpuNodes, blockPoolSpec, bucketClaimSpec, bucketPolicy, cephAlertRulesSpec, cephClusterSpec, csiDriverName, csiDriversValues,
    csiNodePluginTolerations, effectiveAccess, endpointFacts, Toleration,
    externalServiceSpec, filesystemSpec, MODEL_SYNC_READ_ACTIONS, modelSyncUserSpec, objectStoreSpec, operatorValues,
    rookNames, RookSpecInput, storageClassSpecs, toolboxDeploymentSpec, versioningJobSpec,
} from "../../components/storage/rookSpecs";
import * as fs from "node:fs";
import * as path from "node:path";
import { GPU_TAINT } from "../../components/clusters/types";
import { versions } from "../../lib/versions";
import { locateSchemaDir } from "../../tools/schemas/locate";
import { CustomResource, validateCustomResource } from "../helpers/crds";
import { chartValues, unknownValuesKeys } from "../helpers/values";
import { celErrors, celRulesFor } from "./rookCel";

const prod: RookSpecInput = rookSpecInput({ endpoint: "https://s3.training.acme.example" });
const dev: RookSpecInput = rookSpecInput({
    monCount: 1, mgrCount: 1, allowMultiplePerNode: true, poolSize: 1, failureDomain: "osd", erasureCoding: false, rgwInstances: 1,
    osds: { source: "devices", deviceFilter: "^vd[b-c]$" }, encryption: false, retainBuckets: false,
});
const cloud: RookSpecInput = rookSpecInput({ osds: { source: "pvc", count: 6, size: "1Ti", storageClassName: "gp3" } });

const ceph = (kind: string, spec: Record<string, unknown>, name = "x"): CustomResource =>
    ({ apiVersion: "ceph.rook.io/v1", kind, metadata: { name, namespace: "rook-ceph" }, spec });
const obc = (spec: Record<string, unknown>, name = "b"): CustomResource =>
    ({ apiVersion: "objectbucket.io/v1alpha1", kind: "ObjectBucketClaim", metadata: { name, namespace: "rook-ceph" }, spec });

/** Schema (structural) and CEL errors together. */
function problems(cr: CustomResource): string[] {
    return [...validateCustomResource(cr), ...celErrors(cr)];
}

const GPU_OFF = {
    requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: "hybridml.io/node-pool", operator: "NotIn", values: ["gpu"] }] }],
    },
};

describe("Rook specs (pure)", () => {
    describe("every CR validates against the Rook v1.20.6 CRDs, structural schema and CEL rules", () => {
        for (const [label, input] of [["prod", prod], ["dev", dev], ["cloud pvc", cloud]] as const) {
            it(`${label}: CephCluster, CephBlockPool, CephFilesystem, CephObjectStore, user and claims`, () => {
                const crs = [
                    ceph("CephCluster", cephClusterSpec(input), "rook-ceph"),
                    ceph("CephBlockPool", blockPoolSpec(input)),
                    ceph("CephFilesystem", filesystemSpec(input)),
                    ceph("CephObjectStore", objectStoreSpec(input)),
                    ceph("CephObjectStoreUser", modelSyncUserSpec(input.namespace)),
                    obc(bucketClaimSpec("models")),
                    obc(bucketClaimSpec("datasets")),
                ];
                for (const cr of crs) assert.deepEqual(problems(cr), [], `${cr.kind} is invalid`);
            });
        }

        it("the CEL rules are really evaluated (the checker catches a CR that breaks one)", () => {
            const badEc = ceph("CephObjectStore", { ...objectStoreSpec(prod), dataPool: { erasureCoded: { dataChunks: 2, codingChunks: 1, crushNumFailureDomains: 3 } } });
            assert.deepEqual(celErrors(badEc), ["spec.dataPool.erasureCoded: crushNumFailureDomains and crushOSDsPerFailureDomain must be specified together"]);
            const badMon = ceph("CephCluster", { ...cephClusterSpec(prod), mon: { count: 1, zones: [{ name: "a" }, { name: "b" }] } });
            assert.deepEqual(celErrors(badMon), ["spec.mon: zones must be less than or equal to count"]);
            // The rules our CRs reach (so a passing run means they were evaluated, not skipped).
            const reached = celRulesFor(ceph("CephObjectStore", objectStoreSpec(prod))).map((r) => r.path);
            assert.deepEqual(reached.sort(), ["spec", "spec.dataPool.erasureCoded"]);
            assert.ok(celRulesFor(ceph("CephCluster", cephClusterSpec(prod))).some((r) => r.path === "spec.mon"));
        });

        it("the schema check catches an unknown field (so a pass means something)", () => {
            assert.deepEqual(validateCustomResource(ceph("CephBlockPool", { ...blockPoolSpec(prod), size: 3 })), ['spec.size: unknown field "size"']);
        });
    });

    describe("CephCluster", () => {
        it("prod: 3 mons never on one node, 2 mgrs with the prometheus module, no cleanup policy, PDBs, pinned image", () => {
            const s = cephClusterSpec(prod) as Record<string, any>;
            assert.deepEqual(s.mon, { count: 3, allowMultiplePerNode: false });
            assert.equal(s.mgr.count, 2);
            assert.equal(s.mgr.allowMultiplePerNode, false);
            assert.ok(s.mgr.modules.some((m: any) => m.name === "prometheus" && m.enabled === true));
            assert.deepEqual(s.mgr.modules.map((m: any) => m.name), ["pg_autoscaler", "prometheus"], "no rook orchestrator module");
            // Prod: msgr2 secure mode required on every connection, OSDs on dm-crypt.
            assert.deepEqual(s.network, { connections: { encryption: { enabled: true }, requireMsgr2: true } });
            assert.deepEqual(s.storage.config, { encryptedDevice: "true" });
            assert.equal((cephClusterSpec(cloud) as any).storage.storageClassDeviceSets[0].encrypted, true);
            assert.equal((cephClusterSpec(dev) as any).network, undefined);
            assert.equal(s.cleanupPolicy, undefined);
            assert.deepEqual(s.disruptionManagement, { managePodBudgets: true, osdMaintenanceTimeout: 30 });
            assert.deepEqual(s.cephVersion, { image: versions.storageImages.ceph, allowUnsupported: false });
            assert.match(versions.storageImages.ceph, /^quay\.io\/ceph\/ceph:v\d+\.\d+\.\d+$/);
            assert.equal(s.dataDirHostPath, "/var/lib/rook");
            assert.deepEqual(s.priorityClassNames, { mon: "system-node-critical", osd: "system-node-critical", mgr: "system-cluster-critical" });
            assert.deepEqual(s.monitoring, { enabled: false });
        });

        it("dev: one mon, one mgr, several per node allowed", () => {
            const s = cephClusterSpec(dev) as Record<string, any>;
            assert.deepEqual(s.mon, { count: 1, allowMultiplePerNode: true });
            assert.equal(s.mgr.count, 1);
            assert.equal(s.mgr.allowMultiplePerNode, true);
        });

        it("keeps every Ceph daemon off the GPU nodes (placement.all), and the toolbox too", () => {
            assert.deepEqual(avoidGpuNodes(), GPU_OFF);
            const s = cephClusterSpec(prod) as Record<string, any>;
            assert.deepEqual(Object.keys(s.placement), ["all"]);
            assert.deepEqual(s.placement.all.nodeAffinity, GPU_OFF);
            assert.deepEqual((toolboxDeploymentSpec(prod) as any).template.spec.affinity.nodeAffinity, GPU_OFF);
            assert.deepEqual((filesystemSpec(prod) as any).metadataServer.placement.nodeAffinity, GPU_OFF);
            assert.deepEqual((objectStoreSpec(prod) as any).gateway.placement.nodeAffinity, GPU_OFF);
        });

        it("devices: OSDs from host devices matching deviceFilter on every (non-GPU) node", () => {
            assert.deepEqual((cephClusterSpec(dev) as any).storage, { useAllNodes: true, useAllDevices: false, deviceFilter: "^vd[b-c]$" });
            // Listed storage nodes: exactly those (useAllNodes false), schema-valid.
            const listed = rookSpecInput({ osds: { source: "devices", deviceFilter: "^nvme[1-9]n1$", nodes: ["s1", "s2", "s3", "s4"] } });
            const st = (cephClusterSpec(listed) as any).storage;
            assert.deepEqual([st.useAllNodes, st.nodes], [false, [{ name: "s1" }, { name: "s2" }, { name: "s3" }, { name: "s4" }]]);
            assert.deepEqual(problems(ceph("CephCluster", cephClusterSpec(listed))), []);
        });

        it("pvc: storageClassDeviceSets of osdCount block volumes of osdSize on the cloud's class; mons on PVCs", () => {
            const s = cephClusterSpec(cloud) as Record<string, any>;
            assert.equal(s.storage.useAllNodes, false);
            assert.equal(s.storage.deviceFilter, undefined);
            const [set] = s.storage.storageClassDeviceSets;
            assert.equal(s.storage.storageClassDeviceSets.length, 1);
            assert.equal(set.count, 6);
            assert.equal(set.portable, true);
            assert.deepEqual(set.placement.nodeAffinity, GPU_OFF);
            assert.deepEqual(set.volumeClaimTemplates[0].spec, {
                resources: { requests: { storage: "1Ti" } }, storageClassName: "gp3", volumeMode: "Block", accessModes: ["ReadWriteOnce"],
            });
            assert.equal(s.mon.volumeClaimTemplate.spec.storageClassName, "gp3");
        });

        it("monitoring on only when asked", () => {
            assert.deepEqual((cephClusterSpec({ ...prod, monitoring: true }) as any).monitoring, { enabled: true });
        });
    });

    describe("pools", () => {
        it("prod: block and filesystem pools replicated size 3, failure domain host, safe replica size required", () => {
            assert.deepEqual(blockPoolSpec(prod), { failureDomain: "host", replicated: { size: 3, requireSafeReplicaSize: true }, enableRBDStats: false });
            const fs = filesystemSpec(prod) as Record<string, any>;
            assert.deepEqual(fs.metadataPool, { failureDomain: "host", replicated: { size: 3, requireSafeReplicaSize: true } });
            assert.deepEqual(fs.dataPools, [{ name: "data", failureDomain: "host", replicated: { size: 3, requireSafeReplicaSize: true } }]);
            assert.equal(fs.preserveFilesystemOnDelete, true);
            assert.equal(fs.preservePoolsOnDelete, true);
            assert.equal(fs.metadataServer.activeStandby, true);
            assert.equal((filesystemSpec(dev) as any).metadataServer.activeStandby, false);
        });

        it("dev: size-1 pools (Rook needs requireSafeReplicaSize off for them)", () => {
            assert.deepEqual(blockPoolSpec(dev), { failureDomain: "osd", replicated: { size: 1, requireSafeReplicaSize: false }, enableRBDStats: false });
        });
    });

    describe("object store", () => {
        it("prod: replicated metadata, EC 2+1 data, pools preserved, 2 RGWs, TLS from the certificate secret, the endpoint's host", () => {
            const s = objectStoreSpec(prod) as Record<string, any>;
            assert.deepEqual(s.metadataPool, { failureDomain: "host", replicated: { size: 3, requireSafeReplicaSize: true } });
            assert.deepEqual(s.dataPool, { failureDomain: "host", erasureCoded: { dataChunks: 2, codingChunks: 2 }, parameters: { bulk: "true" } });
            assert.equal(s.preservePoolsOnDelete, true);
            assert.equal(s.gateway.instances, 2);
            assert.equal(s.gateway.securePort, 443);
            assert.equal(s.gateway.sslCertificateRef, "models-rgw-tls");
            assert.equal(s.gateway.port, 80);
            assert.deepEqual(s.hosting, { dnsNames: ["s3.training.acme.example"] });
        });

        it("EC profile follows the input", () => {
            const s = objectStoreSpec({ ...prod, erasureCoding: { dataChunks: 4, codingChunks: 2 } }) as Record<string, any>;
            assert.deepEqual(s.dataPool.erasureCoded, { dataChunks: 4, codingChunks: 2 });
        });

        it("dev: replicated size-1 data pool, one RGW, plain http, no external host", () => {
            const s = objectStoreSpec(dev) as Record<string, any>;
            assert.deepEqual(s.dataPool, { failureDomain: "osd", replicated: { size: 1, requireSafeReplicaSize: false } });
            assert.equal(s.gateway.instances, 1);
            assert.equal(s.gateway.securePort, undefined);
            assert.equal(s.gateway.sslCertificateRef, undefined);
            assert.equal(s.hosting, undefined);
        });

        it("an http endpoint gets no TLS", () => {
            const s = objectStoreSpec({ ...prod, endpoint: "http://s3.lab.example:8080" }) as Record<string, any>;
            assert.equal(s.gateway.sslCertificateRef, undefined);
            assert.deepEqual(endpointFacts("http://s3.lab.example:8080"), { host: "s3.lab.example", port: 8080, tls: false });
            assert.deepEqual(endpointFacts("https://s3.x.example"), { host: "s3.x.example", port: 443, tls: true });
        });

        it("external access: a LoadBalancer on the endpoint's port in front of the store's RGW pods, named after its host", () => {
            const svc = externalServiceSpec(prod)!;
            assert.deepEqual(svc.metadata, {
                name: "rook-ceph-rgw-models-external", namespace: "rook-ceph",
                annotations: { "external-dns.alpha.kubernetes.io/hostname": "s3.training.acme.example" },
                labels: { "app.kubernetes.io/name": "rgw-external", "app.kubernetes.io/part-of": "hybridml" },
            });
            assert.equal(svc.spec.type, "LoadBalancer");
            assert.deepEqual(svc.spec.selector, { app: "rook-ceph-rgw", rook_cluster: "rook-ceph", rook_object_store: "models" });
            assert.deepEqual(svc.spec.ports, [{ name: "https", protocol: "TCP", port: 443, targetPort: 443 }]);
            assert.equal(externalServiceSpec(dev), undefined);
        });
    });

    describe("buckets and the read-only model-sync user", () => {
        it("claims name the bucket exactly and use the Retain bucket class", () => {
            const s = bucketClaimSpec("models") as Record<string, any>;
            assert.equal(s.bucketName, "models");
            assert.equal(s.storageClassName, "ceph-bucket");
            assert.deepEqual(JSON.parse(s.additionalConfig.bucketPolicy), bucketPolicy("models"));
        });

        it("the user takes its keys from the Secret, may only read, has no admin caps and cannot create buckets", () => {
            const u = modelSyncUserSpec("rook-ceph") as Record<string, any>;
            assert.deepEqual(u.keys, [{
                accessKeyRef: { name: "model-sync-s3-keys", key: "AWS_ACCESS_KEY_ID" },
                secretKeyRef: { name: "model-sync-s3-keys", key: "AWS_SECRET_ACCESS_KEY" },
            }]);
            assert.deepEqual(u.opMask, ["read"]);
            assert.equal(u.capabilities, undefined);
            assert.deepEqual(u.quotas, { maxBuckets: -1 });
            assert.equal(u.store, "models");
        });

        it("scope: the model-sync user can list and read models, and nothing else", () => {
            const user = { uid: rookNames.modelSyncUser, opMask: (modelSyncUserSpec("rook-ceph") as any).opMask as string[] };
            const models = JSON.parse((bucketClaimSpec("models") as any).additionalConfig.bucketPolicy);
            const datasets = JSON.parse((bucketClaimSpec("datasets") as any).additionalConfig.bucketPolicy);
            for (const a of ["s3:ListBucket", "s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketLocation"]) {
                assert.equal(effectiveAccess(user, models, a), true, `models ${a}`);
            }
            for (const a of ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutBucketPolicy", "s3:PutBucketVersioning", "s3:DeleteBucket"]) {
                assert.equal(effectiveAccess(user, models, a), false, `models ${a}`);
            }
            for (const a of ["s3:ListBucket", "s3:GetObject", "s3:PutObject"]) {
                assert.equal(effectiveAccess(user, datasets, a), false, `datasets ${a}`);
            }
            // The policy itself: read actions only on models, an explicit deny on datasets.
            assert.deepEqual(models.Statement.map((s: any) => [s.Effect, s.Action]), [["Allow", [...MODEL_SYNC_READ_ACTIONS]]]);
            assert.ok(MODEL_SYNC_READ_ACTIONS.every((a) => /^s3:(Get|List)/.test(a)));
            assert.deepEqual(models.Statement[0].Resource, ["arn:aws:s3:::models", "arn:aws:s3:::models/*"]);
            assert.deepEqual(models.Statement[0].Principal, { AWS: ["arn:aws:iam:::user/model-sync"] });
            assert.deepEqual(datasets.Statement.map((s: any) => [s.Effect, s.Action, s.Resource]), [["Deny", ["s3:*"], ["arn:aws:s3:::datasets", "arn:aws:s3:::datasets/*"]]]);
            // A user with the full op mask would be able to write were the policy to allow it: the mask matters.
            assert.equal(effectiveAccess({ uid: "model-sync", opMask: ["read", "write", "delete"] }, { ...models, Statement: [{ ...models.Statement[0], Action: ["s3:*"] }] }, "s3:PutObject"), true);
        });
    });

    describe("StorageClasses", () => {
        it("RBD is the one default class, expandable; datasets Retain; CephFS RWX; buckets Retain", () => {
            const sc = storageClassSpecs(prod);
            const defaults = Object.values(sc).filter((c) => c.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true");
            assert.deepEqual(defaults.map((c) => c.metadata.name), ["ceph-block"]);
            assert.equal(sc.block.provisioner, "rook-ceph.rbd.csi.ceph.com");
            assert.equal(sc.block.allowVolumeExpansion, true);
            assert.equal(sc.block.parameters.pool, "replicapool");
            assert.equal(sc.block.parameters.clusterID, "rook-ceph");
            assert.equal(sc.datasets.reclaimPolicy, "Retain");
            assert.equal(sc.datasets.allowVolumeExpansion, true);
            assert.equal(sc.filesystem.provisioner, "rook-ceph.cephfs.csi.ceph.com");
            assert.equal(sc.filesystem.parameters.fsName, "shared");
            assert.equal(sc.filesystem.parameters.pool, "shared-data");
            assert.equal(sc.bucket.provisioner, "rook-ceph.ceph.rook.io/bucket");
            assert.equal(sc.bucket.reclaimPolicy, "Retain");
            // No `region` parameter: the bucket provisioner does not read it.
            assert.deepEqual(sc.bucket.parameters, { objectStoreName: "models", objectStoreNamespace: "rook-ceph" });
            // Dev: buckets go with their claims, so the object store's deletion is not held by retained buckets.
            assert.equal(storageClassSpecs(dev).bucket.reclaimPolicy, "Delete");
        });
    });

    describe("operator values", () => {
        it("every key exists in the chart's values.yaml", () => {
            assert.deepEqual(unknownValuesKeys(operatorValues(true), "rook/values-rook-ceph.yaml"), []);
            assert.deepEqual(unknownValuesKeys(operatorValues(false), "rook/values-rook-ceph.yaml"), []);
            assert.deepEqual(unknownValuesKeys({ ...operatorValues(true), csi: { enableRbdDriver: true } }, "rook/values-rook-ceph.yaml"), ["csi.enableRbdDriver"]);
        });

        it("CRDs and CSI on; monitoring follows the input; the bucketPolicy OBC field allowed; image pinned to the chart", () => {
            const v = operatorValues(true) as Record<string, any>;
            assert.deepEqual(v.crds, { enabled: true });
            assert.equal(v.csi.installCsiOperator, true);
            assert.deepEqual(v.monitoring, { enabled: true });
            // The chart's CSI ServiceMonitor selects the pre-1.20 Rook CSI Services, which no longer exist: off.
            assert.equal(v.csi.serviceMonitor.enabled, false);
            assert.deepEqual((operatorValues(false) as any).monitoring, { enabled: false });
            assert.deepEqual(v.obcAllowAdditionalConfigFields.split(","), ["maxObjects", "maxSize", "bucketPolicy"]);
            assert.equal(v.image.tag, versions.charts.rookCeph);
            assert.equal(versions.charts.rookCeph, "v1.20.6");
        });
    });

    describe("Ceph alerts", () => {
        it("a schema-valid PrometheusRule; the mon-quorum alert only with 3+ mons", () => {
            const rule = (input: RookSpecInput): CustomResource => ({
                apiVersion: "monitoring.coreos.com/v1", kind: "PrometheusRule", metadata: { name: "rook-ceph-alerts", namespace: "rook-ceph" },
                spec: cephAlertRulesSpec(input),
            });
            assert.deepEqual(validateCustomResource(rule(prod)), []);
            const alerts = (i: RookSpecInput) => cephAlertRulesSpec(i).groups[0].rules.map((r) => r.alert);
            assert.deepEqual(alerts(prod), ["CephMetricsAbsent", "CephHealthError", "CephHealthWarning", "CephOSDDown", "CephClusterNearFull", "CephMonQuorumAtRisk"]);
            // absent(): a scrape that is down is an alert of its own, not silence.
            assert.equal(cephAlertRulesSpec(dev).groups[0].rules[0].expr, "absent(ceph_health_status)");
            assert.deepEqual(alerts(dev), ["CephMetricsAbsent", "CephHealthError", "CephHealthWarning", "CephOSDDown", "CephClusterNearFull"]);
            assert.match(cephAlertRulesSpec(prod).groups[0].rules[0].annotations.description, /kubectl -n rook-ceph exec deploy\/rook-ceph-tools -- ceph health detail/);
        });
    });

    describe("toolbox and versioning job", () => {
        it("toolbox: pinned Ceph image, the admin keyring mounted as a file (no key in the environment), mon endpoints mounted, requests and limits", () => {
            const d = toolboxDeploymentSpec(prod) as any;
            const c = d.template.spec.containers[0];
            assert.equal(c.image, versions.storageImages.ceph);
            assert.equal(c.env, undefined);
            assert.deepEqual(d.template.spec.volumes[2], { name: "admin-keyring", secret: { secretName: "rook-ceph-admin-keyring", items: [{ key: "keyring", path: "keyring" }], defaultMode: 0o400 } });
            assert.deepEqual(c.volumeMounts[2], { name: "admin-keyring", mountPath: "/etc/ceph/keyring-store", readOnly: true });
            assert.match(c.command[2], /keyring = \/etc\/ceph\/keyring-store\/keyring/);
            assert.ok(c.resources.requests && c.resources.limits);
            assert.deepEqual(d.template.spec.volumes[1].configMap, { name: "rook-ceph-mon-endpoints", items: [{ key: "data", path: "mon-endpoints" }] });
        });

        it("versioning job: enables versioning on models with the bucket owner's keys, pinned image", () => {
            const j = versioningJobSpec(prod) as any;
            const c = j.template.spec.containers[0];
            assert.equal(c.image, versions.storageImages.awsCli);
            assert.doesNotMatch(c.image, /:latest$/);
            const script = c.command[2] as string;
            assert.match(script, /aws s3api put-bucket-versioning --bucket models --versioning-configuration Status=Enabled --endpoint-url "\$S3_ENDPOINT"/);
            // Noncurrent model versions expire after 30 days.
            const lc = JSON.parse(/--lifecycle-configuration '(.*)'$/m.exec(script)![1]);
            assert.deepEqual(lc.Rules[0].NoncurrentVersionExpiration, { NoncurrentDays: 30 });
            assert.equal(lc.Rules[0].Expiration, undefined, "live versions never expire");
            assert.equal(c.env.find((e: any) => e.name === "S3_ENDPOINT").value, "http://rook-ceph-rgw-models.rook-ceph.svc");
            assert.deepEqual(c.env.slice(0, 2).map((e: any) => e.valueFrom.secretKeyRef), [{ name: "models", key: "AWS_ACCESS_KEY_ID" }, { name: "models", key: "AWS_SECRET_ACCESS_KEY" }]);
        });
    });
});

/** Kubernetes' ToleratesTaint (k8s.io/api core/v1 toleration.go): does `t` tolerate `taint`? */
function tolerates(t: Toleration, taint: { key: string; value?: string; effect: string }): boolean {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.key && t.key !== taint.key) return false;
    return t.operator === "Exists" || (t.value ?? "") === (taint.value ?? "");
}

/** ceph-csi-drivers 1.0.4 values file (locked in crds.lock.json). */
const CSI_DRIVERS_VALUES = "ceph-csi/values-ceph-csi-drivers.yaml";

describe("Rook CSI drivers (pure)", () => {
    it("node plugin tolerations: exactly the GPU taint (nvidia.com/gpu, NoSchedule), whatever its value", () => {
        const t = csiNodePluginTolerations();
        assert.deepEqual(t, [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }]);
        assert.ok(t.every((x) => tolerates(x, GPU_TAINT)), "must tolerate the platform's GPU taint");
        assert.ok(t.some((x) => tolerates(x, { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" })), "GKE's GPU taint");
        for (const other of [
            { key: "nvidia.com/gpu", value: "true", effect: "NoExecute" },
            { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
            { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" },
            { key: "dedicated", value: "gpu", effect: "NoSchedule" },
        ]) assert.ok(!t.some((x) => tolerates(x, other)), `must not tolerate ${JSON.stringify(other)}`);
        // Only fields of the csi.ceph.io/v1 nodePlugin.tolerations items (CRD from rook v1.20.6 deploy/examples/csi-operator.yaml, ceph-csi-operator v1.0.4).
        for (const x of t) for (const k of Object.keys(x)) assert.ok(["effect", "key", "operator", "tolerationSeconds", "value"].includes(k), k);
    });

    it("drivers chart values: Rook's recommended values, GPU toleration on the defaults and on each enabled driver", () => {
        const v = csiDriversValues("rook-ceph") as any;
        const gpu = csiNodePluginTolerations();
        assert.deepEqual(v.operatorConfig, {
            namespace: "rook-ceph",
            driverSpecDefaults: {
                imageSet: { name: "rook-csi-operator-image-set-configmap" },
                nodePlugin: { priorityClassName: "system-node-critical", tolerations: gpu },
                controllerPlugin: { priorityClassName: "system-cluster-critical", replicas: 2, affinity: { nodeAffinity: GPU_OFF } },
            },
        });
        // The chart renders each Driver's nodePlugin.tolerations ([] by default), and the operator takes the
        // default only when the Driver's is nil: the toleration must be on the drivers too.
        assert.deepEqual(v.drivers, {
            rbd: { enabled: true, name: "rook-ceph.rbd.csi.ceph.com", nodePlugin: { tolerations: gpu }, controllerPlugin: { replicas: 2 } },
            cephfs: { enabled: true, name: "rook-ceph.cephfs.csi.ceph.com", nodePlugin: { tolerations: gpu }, controllerPlugin: { replicas: 2 } },
            nfs: { enabled: false },
            nvmeof: { enabled: false },
        });
        // Driver names are the StorageClasses' provisioners.
        const sc = storageClassSpecs(prod);
        assert.equal(sc.block.provisioner, csiDriverName("rook-ceph", "rbd"));
        assert.equal(sc.datasets.provisioner, v.drivers.rbd.name);
        assert.equal(sc.filesystem.provisioner, v.drivers.cephfs.name);
        assert.equal(csiDriverName("storage", "cephfs"), "storage.cephfs.csi.ceph.com");
        // Normalized names of the chart's service accounts stay valid DNS-1123 names.
        for (const d of ["rbd", "cephfs"]) {
            const sa = `${v.drivers[d].name.toLowerCase().replace(/\./g, "-")}-nodeplugin-sa`;
            assert.match(sa, /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
        }
    });

    it("rook-ceph 1.20.6 has no CSI toleration value any more (csi.pluginTolerations was removed): none is set there", () => {
        assert.deepEqual(unknownValuesKeys({ csi: { pluginTolerations: csiNodePluginTolerations() } }, "rook/values-rook-ceph.yaml"), ["csi.pluginTolerations"]);
        assert.equal(JSON.stringify(operatorValues(true)).includes("nvidia.com/gpu"), false);
    });

    it("drivers chart values keys exist in the chart's values.yaml", () => {
        const located = locateSchemaDir();
        assert.ok(located && fs.existsSync(path.join(located.dir, CSI_DRIVERS_VALUES)), `${CSI_DRIVERS_VALUES} missing from the schema copy`);
        // controllerPlugin.priorityClassName: read by templates/operatorConfig.yaml, absent from the values file (v1.0.4).
        assert.deepEqual(unknownValuesKeys(csiDriversValues("rook-ceph"), CSI_DRIVERS_VALUES, ["operatorConfig.driverSpecDefaults.controllerPlugin.priorityClassName"]), []);
        // A key the chart does not have is caught (the check is live).
        assert.deepEqual(unknownValuesKeys({ drivers: { rbd: { provisionerReplicas: 2 } } }, CSI_DRIVERS_VALUES), ["drivers.rbd.provisionerReplicas"]);
    });

    it("the OperatorConfig and Driver specs these values set validate against the csi.ceph.io/v1 CRDs (1.0.4)", () => {
        // The chart copies operatorConfig.driverSpecDefaults into the OperatorConfig and each drivers.<d> (but name/enabled) into its Driver.
        const v = csiDriversValues("rook-ceph") as any;
        const oc: CustomResource = { apiVersion: "csi.ceph.io/v1", kind: "OperatorConfig", metadata: { name: "ceph-csi-operator-config", namespace: "rook-ceph" }, spec: { driverSpecDefaults: v.operatorConfig.driverSpecDefaults } };
        assert.deepEqual(validateCustomResource(oc), []);
        assert.equal(v.operatorConfig.driverSpecDefaults.controllerPlugin.replicas, 2);
        assert.deepEqual(v.operatorConfig.driverSpecDefaults.controllerPlugin.affinity.nodeAffinity, GPU_OFF);
        for (const d of ["rbd", "cephfs"]) {
            const { name, enabled, ...spec } = v.drivers[d];
            assert.equal(enabled, true);
            const cr: CustomResource = { apiVersion: "csi.ceph.io/v1", kind: "Driver", metadata: { name, namespace: "rook-ceph" }, spec };
            assert.deepEqual(validateCustomResource(cr), [], d);
            // Two provisioners per driver (the chart renders replicas: 1 per driver otherwise).
            assert.equal(spec.controllerPlugin.replicas, 2, d);
            assert.equal(chartValues(CSI_DRIVERS_VALUES) && (chartValues(CSI_DRIVERS_VALUES) as any).drivers[d].controllerPlugin.replicas, 1, d);
        }
        // The check is live: a wrong field type is refused by the Driver schema.
        assert.notDeepEqual(validateCustomResource({ apiVersion: "csi.ceph.io/v1", kind: "Driver", metadata: { name: "x", namespace: "rook-ceph" }, spec: { controllerPlugin: { replicas: "two" } } }), []);
    });
});
