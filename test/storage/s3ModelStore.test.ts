import assert from "node:assert/strict";
import * as aws from "@pulumi/aws";
import { modelReadPolicy, modelWritePolicy, s3BucketName, S3ModelStore } from "../../components/storage/s3ModelStore";
import { runMocked, settle } from "../helpers/run";

type Statement = { Sid: string; Action: string[]; Resource: string | string[]; Condition?: unknown };

describe("storage/S3ModelStore", () => {
    it("the reader only reads; the writer also puts, encrypts and deletes what the sync purges, never a version", () => {
        const read = modelReadPolicy("arn:aws:s3:::m", "arn:aws:kms:eu-west-1:1:key/k", "eu-west-1").Statement as Statement[];
        assert.deepEqual(read.flatMap((s) => s.Action).sort(), ["kms:Decrypt", "s3:GetObject", "s3:ListBucket"]);
        const write = modelWritePolicy("arn:aws:s3:::m", "arn:aws:kms:eu-west-1:1:key/k", "eu-west-1").Statement as Statement[];
        const actions = write.flatMap((s) => s.Action);
        for (const a of ["s3:PutObject", "kms:GenerateDataKey", "kms:Encrypt"]) assert.ok(actions.includes(a), a);
        // The sync purges a copy whose digest does not match (rclone purge): a delete marker in the versioned bucket.
        assert.deepEqual(actions.filter((a) => /Delete|\*/.test(a)), ["s3:DeleteObject"], actions.join());
        for (const s of [...read, ...write].filter((x) => x.Action.some((a) => a.startsWith("kms:")))) {
            assert.deepEqual(s.Condition, { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } });
        }
    });

    it("bucket names are checked, naming the argument", () => {
        assert.equal(s3BucketName("acme-models"), "acme-models");
        assert.throws(() => s3BucketName("Acme_Models"), /S3ModelStore args\.bucketName: "Acme_Models" is not a valid S3 bucket name/);
        assert.throws(() => s3BucketName("192.168.1.1"), /not a valid S3 bucket name/);
    });

    it("retains bucket, key and alias; binds reader and writer by pod identity; children inherit the caller's provider", async () => {
        const rec = await runMocked(() => {
            const p = new aws.Provider("caller", { region: "eu-west-1" });
            return new S3ModelStore("m", { bucketName: "acme-models", region: "eu-west-1", clusterName: "c", protect: false }, { providers: { aws: p } });
        });
        const provider = rec.one("pulumi:providers:aws");
        for (const r of rec.resources.filter((x) => x.type.startsWith("aws:"))) assert.ok(r.provider.startsWith(`${provider.urn}::`), r.name);
        for (const type of ["aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:kms/alias:Alias"]) {
            assert.deepEqual([rec.one(type).retainOnDelete, rec.one(type).protect], [true, false], type);
        }
        const assoc = rec.ofType("aws:eks/podIdentityAssociation:PodIdentityAssociation").map((r) => `${rec.inputs(r).namespace}/${rec.inputs(r).serviceAccount}`).sort();
        assert.deepEqual(assoc, ["models/model-reader", "models/model-sync"]);
        const writerPolicy = JSON.parse(rec.inputs(rec.one("aws:iam/rolePolicy:RolePolicy", "m-writer")).policy);
        assert.ok(writerPolicy.Statement.some((s: Statement) => s.Action.includes("s3:PutObject")));
        assert.equal((await settle(rec.value.objectStore.bucket)).value, "acme-models");
    });
});

describe("storage/S3ModelStore: integration with serving", () => {
    it("the URI prefix comes from the bucket name given, so a preview knows it (a promotion shows in every storage URI)", async () => {
        const rec = await runMocked(() => new S3ModelStore("m", { bucketName: "acme-models", region: "eu-west-1", clusterName: "c" }), { preview: true });
        const prefix = await settle(rec.value.objectStore.uriPrefix);
        assert.deepEqual([prefix.known, prefix.value], [true, "s3://acme-models"]);
        assert.deepEqual(await settle(rec.value.objectStore.bucket), { value: "acme-models", known: true, secret: false });
    });

    it("exposes the cloud grants of each identity (role policy incl. KMS, pod-identity association) for its users to depend on", async () => {
        const rec = await runMocked(() => new S3ModelStore("m", { bucketName: "acme-models", region: "eu-west-1", clusterName: "c" }));
        for (const id of ["reader", "writer"] as const) {
            const grants = rec.value.objectStore[id === "reader" ? "readIdentity" : "writeIdentity"].grants;
            const urns = (await Promise.all(grants.map((g) => settle(g.urn)))).map((u) => u.value).sort();
            assert.deepEqual(urns, [
                rec.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", `m-${id}`).urn,
                rec.one("aws:iam/rolePolicy:RolePolicy", `m-${id}`).urn,
            ].sort(), id);
        }
        const writerPolicy = JSON.parse(rec.inputs(rec.one("aws:iam/rolePolicy:RolePolicy", "m-writer")).policy);
        assert.ok(writerPolicy.Statement.some((s: Statement) => s.Action.includes("kms:GenerateDataKey")), "the writer's grant includes the key");
    });
});
