/**
 * Rook-Ceph in the shipped stacks' offline plans (issue 8 acceptance): prod-training and dev carry
 * the pinned operator, the cluster, pools, filesystem, object store, both buckets and the read-only
 * user, schema-valid, protected where they must be and ordered after the operator; the model-sync
 * keys never appear in clear; a serving stack reads modelStore and masked credentials from the plan.
 */
import * as assert from "node:assert/strict";
import { Plan, PlanResult } from "../../tools/plan/plan";
import { validateRecordedCustomResource } from "../helpers/crds";
import { celErrors } from "./rookCel";
import { shippedPlans } from "../helpers/fleet";

const T = {
    release: "kubernetes:helm.sh/v3:Release",
    cluster: "kubernetes:ceph.rook.io/v1:CephCluster",
    pool: "kubernetes:ceph.rook.io/v1:CephBlockPool",
    fs: "kubernetes:ceph.rook.io/v1:CephFilesystem",
    store: "kubernetes:ceph.rook.io/v1:CephObjectStore",
    user: "kubernetes:ceph.rook.io/v1:CephObjectStoreUser",
    obc: "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim",
    sc: "kubernetes:storage.k8s.io/v1:StorageClass",
};
const CRS = [T.cluster, T.pool, T.fs, T.store, T.user, T.obc];
/** Recorded inputs / outputs as plain JSON for assertions. */
const ins = (r: { inputs: unknown }) => r.inputs as Record<string, any>;
const outs = (p: Plan) => p.outputs as Record<string, any>;

describe("Rook-Ceph in the offline plans", function () {
    this.timeout(120_000);
    let results: Map<string, PlanResult>;
    before(async () => {
        results = await shippedPlans();
    });
    const plan = (s: string): Plan => {
        const r = results.get(s)!;
        assert.equal(r.error, undefined, r.error?.message);
        return r.plan;
    };
    const of = (p: Plan, type: string) => p.resources.filter((r) => r.type === type);
    const operatorOf = (p: Plan) => {
        const ops = of(p, T.release).filter((r) => ins(r).chart === "rook-ceph");
        assert.equal(ops.length, 1);
        return ops[0];
    };

    for (const stack of ["prod-training", "dev"]) {
        it(`${stack}: pinned operator, cluster, pool, filesystem, store, both buckets, the user; all valid and after the operator`, () => {
            const p = plan(stack);
            const op = operatorOf(p);
            assert.equal(ins(op).version, "v1.20.6");
            assert.deepEqual(ins(op).repositoryOpts, { repo: "https://charts.rook.io/release" });
            for (const t of [T.cluster, T.pool, T.fs, T.store, T.user]) assert.equal(of(p, t).length, 1, t);
            assert.deepEqual(of(p, T.obc).map((r) => ins(r).spec.bucketName).sort(), ["datasets", "models"]);
            for (const r of p.resources.filter((x) => CRS.includes(x.type))) {
                assert.ok(r.dependencies.includes(op.urn), `${r.name} is not ordered after the operator`);
                assert.deepEqual(validateRecordedCustomResource(r.type, ins(r)), [], r.name);
                assert.deepEqual(celErrors({ apiVersion: ins(r).apiVersion, kind: ins(r).kind, metadata: ins(r).metadata, spec: ins(r).spec }), [], r.name);
            }
            // Exactly one default StorageClass among ours: RBD.
            const defaults = of(p, T.sc).filter((r) => ins(r).metadata?.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true");
            assert.deepEqual(defaults.map((r) => ins(r).metadata.name), ["ceph-block"]);
        });
    }

    it("prod-training: 3 mons not sharing nodes, size-3 host pools, EC 2+2, everything stateful protected", () => {
        const p = plan("prod-training");
        const cluster = of(p, T.cluster)[0];
        assert.deepEqual(ins(cluster).spec.mon, { count: 3, allowMultiplePerNode: false });
        assert.equal(ins(cluster).spec.cleanupPolicy, undefined);
        assert.deepEqual(ins(of(p, T.pool)[0]).spec.replicated, { size: 3, requireSafeReplicaSize: true });
        assert.equal(ins(of(p, T.pool)[0]).spec.failureDomain, "host");
        const store = ins(of(p, T.store)[0]).spec;
        assert.deepEqual(store.dataPool.erasureCoded, { dataChunks: 2, codingChunks: 2 });
        assert.equal(store.metadataPool.replicated.size, 3);
        assert.equal(store.gateway.instances, 2);
        assert.equal(store.gateway.sslCertificateRef, "models-rgw-tls");
        for (const r of p.resources.filter((x) => [T.cluster, T.pool, T.fs, T.store, T.obc, T.sc].includes(x.type))) {
            assert.equal(r.protect, true, `${r.name} is not protected`);
        }
        assert.equal(operatorOf(p).protect, true);
    });

    it("dev: dev sizing, nothing protected", () => {
        const p = plan("dev");
        assert.deepEqual(ins(of(p, T.cluster)[0]).spec.mon, { count: 1, allowMultiplePerNode: true });
        assert.equal(ins(of(p, T.pool)[0]).spec.replicated.size, 1);
        assert.ok(p.resources.every((r) => !r.protect));
    });

    it("contract: modelStore from the object store, read credentials secret, no key material in the plan", () => {
        const p = plan("prod-training");
        const store = outs(p).modelStore;
        assert.deepEqual([store.endpoint, store.bucket, store.region, store.caCert], ["https://s3.training.acme.example", "models", "default", "[unknown]"]);
        assert.equal(store.exposure.dnsName, "s3.training.acme.example");
        assert.equal(outs(p).modelStoreReadCredentials, "[secret]");
        const keys = p.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && ins(r).metadata?.name === "model-sync-s3-keys")!;
        // Unknown in a preview (the keys are generated at deploy time), and never a plain map.
        assert.ok(["[secret]", "[unknown]"].includes(ins(keys).stringData as string), JSON.stringify(ins(keys).stringData));
        const text = JSON.stringify(p);
        assert.doesNotMatch(text, /AWS_SECRET_ACCESS_KEY"\s*:\s*"(?!\[)/);
        assert.doesNotMatch(text, /fake-random-password/);
        // dev exposes RGW to edge under its external name; its own sync reads the Service name over https.
        assert.equal(outs(plan("dev")).modelStore.endpoint, "https://s3.dev-lab.acme.example");
        assert.equal(outs(plan("dev")).serving.modelSource.endpoint, "https://rook-ceph-rgw-models.rook-ceph.svc");
    });

    for (const [serving, training] of [["prod-aws", "prod-training"], ["edge", "dev"]]) {
        it(`${serving} reads modelStore and masked credentials from the ${training} plan`, () => {
            const ref = plan(serving).resources.find((r) => r.type === "pulumi:pulumi:StackReference")!;
            assert.deepEqual(ref.outputs!.modelStore, outs(plan(training)).modelStore);
            assert.equal(ref.outputs!.modelStoreReadCredentials, "[secret]");
        });
    }
});
