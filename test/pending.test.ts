/**
 * Recovery after a killed `pulumi up` (tools/fleet/pending.ts): the pending creates the Kubernetes
 * provider can find by ID are adopted, local ones cleared, cloud ones named for the operator. The e2e's
 * "interrupted up converges" step runs it against real API servers.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { adoptPendingCreates, kubernetesId, PendingOperation, planPendingCreates, repairFileBackend, withOperatorImports } from "../tools/fleet/pending";

const op = (type: string, inputs: Record<string, unknown>, urnName = "x"): PendingOperation => ({
    type: "creating",
    resource: { urn: `urn:pulumi:s::p::${type}::${urnName}`, type, custom: true, inputs, parent: "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s" },
});

describe("recovery of pending creates", () => {
    it("derives the Kubernetes provider's IDs from the create's inputs", () => {
        assert.equal(kubernetesId("kubernetes:helm.sh/v3:Release", { name: "kserve", namespace: "kserve" }), "kserve/kserve");
        assert.equal(kubernetesId("kubernetes:helm.sh/v3:Release", { name: "r" }), "default/r");
        assert.equal(kubernetesId("kubernetes:core/v1:Secret", { metadata: { name: "ca", namespace: "kafka" } }), "kafka/ca");
        assert.equal(kubernetesId("kubernetes:core/v1:Namespace", { metadata: { name: "models" } }), "models");
        assert.equal(kubernetesId("kubernetes:cert-manager.io/v1:ClusterIssuer", { metadata: { name: "ca" } }), "ca");
        assert.equal(kubernetesId("kubernetes:core/v1:ConfigMap", { metadata: { name: "c" } }), "default/c");
        // Components, and creates whose name the inputs do not hold, cannot be identified.
        assert.equal(kubernetesId("kubernetes:yaml/v2:ConfigGroup", { files: [] }), undefined);
        assert.equal(kubernetesId("kubernetes:core/v1:Secret", { metadata: { namespace: "kafka" } }), undefined);
        assert.equal(kubernetesId("aws:s3/bucketV2:BucketV2", { bucket: "b" }), undefined);
    });

    it("sorts pending creates into adopted, local and unknown, ignoring other pending operations", () => {
        const pending = [
            op("kubernetes:helm.sh/v3:Release", { name: "kserve", namespace: "kserve" }, "rel"),
            op("random:index/randomPassword:RandomPassword", { length: 32 }, "pw"),
            op("aws:s3/bucketV2:BucketV2", { bucket: "b" }, "bucket"),
            { ...op("kubernetes:core/v1:Secret", { metadata: { name: "s", namespace: "n" } }, "upd"), type: "updating" },
        ];
        const plan = planPendingCreates(pending);
        assert.deepEqual(plan.imports, [{ urn: pending[0].resource.urn, id: "kserve/kserve" }]);
        assert.deepEqual(plan.local, [pending[1].resource.urn]);
        assert.deepEqual(plan.unknown, [pending[2].resource.urn]);
    });

    it("takes the operator's IDs for pending creates it cannot identify, and refuses an ID for no pending create", () => {
        const bucket = op("aws:s3/bucketV2:BucketV2", { bucket: "b" }, "bucket");
        const plan = planPendingCreates([bucket]);
        assert.deepEqual(withOperatorImports(plan, [{ urn: bucket.resource.urn, id: "b" }]), { imports: [{ urn: bucket.resource.urn, id: "b" }], local: [], unknown: [] });
        assert.throws(() => withOperatorImports(plan, [{ urn: "urn:pulumi:s::p::x::typo", id: "b" }]), /--import names no pending create: urn:pulumi:s::p::x::typo/);
    });

    it("adopts the imports as resources after the existing ones and keeps the rest pending", () => {
        const rel = op("kubernetes:helm.sh/v3:Release", { name: "kserve", namespace: "kserve" }, "rel");
        const pw = op("random:index/randomPassword:RandomPassword", { length: 32 }, "pw");
        const existing = { urn: "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s", type: "pulumi:pulumi:Stack" };
        const d = adoptPendingCreates({ resources: [existing], pending_operations: [rel, pw] }, [{ urn: rel.resource.urn, id: "kserve/kserve" }]);
        assert.deepEqual(d.resources?.map((r) => r.urn), [existing.urn, rel.resource.urn]);
        const adopted = d.resources![1] as Record<string, unknown>;
        assert.equal(adopted.id, "kserve/kserve");
        assert.deepEqual(adopted.inputs, rel.resource.inputs);
        assert.equal(adopted.parent, rel.resource.parent);
        assert.deepEqual(d.pending_operations, [pw]);
    });

    it("repairs what a kill leaves in a file backend: a cut .attrs sidecar and the temporary checkpoint, nothing else", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "pending-test-"));
        const dir = path.join(root, ".pulumi", "stacks", "hybridml");
        fs.mkdirSync(dir, { recursive: true });
        const files: Record<string, string> = {
            "s.json": "{\"version\":3}", "s.json.attrs": "", "s.json.bak": "{}", "s.json.bak.attrs": "{\"user.cache_control\":\"\"}",
            "s.json.18edf3526d9aee23.tmp": "{\"vers", "other.json.attrs": "",
        };
        for (const [f, c] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), c);
        assert.deepEqual(repairFileBackend(`file://${root}`, "hybridml", "s").sort(), ["s.json.18edf3526d9aee23.tmp", "s.json.attrs"]);
        assert.deepEqual(fs.readdirSync(dir).sort(), ["other.json.attrs", "s.json", "s.json.bak", "s.json.bak.attrs"]);
        assert.deepEqual(repairFileBackend(`file://${root}`, "hybridml", "s"), [], "nothing more to repair");
        assert.deepEqual(repairFileBackend("https://api.pulumi.com", "hybridml", "s"), []);
        fs.rmSync(root, { recursive: true, force: true });
    });
});
