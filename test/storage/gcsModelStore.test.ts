import assert from "node:assert/strict";
import { gcsBucketName, GcsModelStore, workloadIdentityMember } from "../../components/storage/gcsModelStore";
import { runProgram } from "../../tools/plan/recorder";
import { runMocked, settle } from "../helpers/run";

describe("storage/GcsModelStore", () => {
    it("validates names, naming the argument", () => {
        assert.equal(gcsBucketName("acme-ml-prod-models"), "acme-ml-prod-models");
        assert.throws(() => gcsBucketName("goog-models"), /GcsModelStore args\.bucketName: "goog-models" is not a valid GCS bucket name/);
        assert.equal(workloadIdentityMember("p", "models", "model-sync"), "serviceAccount:p.svc.id.goog[models/model-sync]");
    });

    it("retains the bucket; the reader views, the writer writes; both bound through Workload Identity after the pool exists", async () => {
        const rec = await runMocked(() => new GcsModelStore("m", { project: "acme-ml-prod", location: "europe-west4", bucketName: "acme-models", accountPrefix: "prod" }));
        const bucket = rec.one("gcp:storage/bucket:Bucket");
        assert.deepEqual([bucket.protect, bucket.retainOnDelete], [true, true]);
        const b = rec.inputs(bucket);
        assert.deepEqual([b.uniformBucketLevelAccess, b.publicAccessPrevention, b.versioning, b.forceDestroy], [true, "enforced", { enabled: true }, false]);
        // The writer may delete (overwrite, purge a bad copy) any generation: soft delete keeps every delete recoverable 30 days, like Azure.
        assert.deepEqual(b.softDeletePolicy, { retentionDurationSeconds: 30 * 86_400 });
        assert.deepEqual(rec.ofType("gcp:serviceaccount/account:Account").map((r) => rec.inputs(r).accountId).sort(), ["prod-mr", "prod-mw"]);
        assert.equal(rec.inputs(rec.one("gcp:storage/bucketIAMMember:BucketIAMMember", "m-reader")).role, "roles/storage.objectViewer");
        assert.equal(rec.inputs(rec.one("gcp:storage/bucketIAMMember:BucketIAMMember", "m-writer")).role, "roles/storage.objectUser");
    });

    it("a prefix that gives an invalid service account ID throws before registering", async () => {
        const result = await runProgram(() => new GcsModelStore("m", { project: "p-12345", location: "l", bucketName: "acme-models", accountPrefix: "ab" }), { project: "hybridml", stack: "t", preview: true });
        assert.match(String(result.error?.message), /GcsModelStore m: args\.accountPrefix gives the service account ID "ab-mr"/);
        assert.deepEqual(result.resources.map((r) => r.type), ["pulumi:pulumi:Stack"]);
    });
});

describe("storage/GcsModelStore: integration with serving", () => {
    const make = () => new GcsModelStore("m", { project: "acme-ml-prod", location: "europe-west4", bucketName: "acme-models", accountPrefix: "prod" });

    it("the URI prefix comes from the bucket name given, so a preview knows it", async () => {
        const rec = await runMocked(make, { preview: true });
        const prefix = await settle(rec.value.objectStore.uriPrefix);
        assert.deepEqual([prefix.known, prefix.value], [true, "gs://acme-models"]);
    });

    it("exposes each identity's grants (bucket IAM member and Workload Identity binding)", async () => {
        const rec = await runMocked(make);
        for (const [id, identity] of [["reader", rec.value.objectStore.readIdentity], ["writer", rec.value.objectStore.writeIdentity]] as const) {
            const urns = (await Promise.all(identity.grants.map((g) => settle(g.urn)))).map((u) => u.value).sort();
            assert.deepEqual(urns, [
                rec.one("gcp:storage/bucketIAMMember:BucketIAMMember", `m-${id}`).urn,
                rec.one("gcp:serviceaccount/iAMMember:IAMMember", `m-${id}-wi`).urn,
            ].sort(), id);
        }
    });
});
