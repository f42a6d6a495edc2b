/**
 * PreviewAccess (components/clusters/previewAccess.ts): the preview identity's ClusterRole and the
 * ValidatingAdmissionPolicy that keeps its writes dry-run only. The policy's CEL is evaluated on
 * admission requests shaped like the API server's (the same CEL library the CRD checks use).
 */
import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import { PREVIEW_ACCESS_NAMES, PREVIEW_GROUP, PreviewAccess, previewPolicySpec, previewRules } from "../../components/clusters/previewAccess";
import { runMocked } from "../helpers/run";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cel = require("@marcbachmann/cel-js") as { evaluate(expr: string, ctx: Record<string, unknown>): unknown };

const subjects = [{ kind: "Group" as const, name: PREVIEW_GROUP }, { kind: "User" as const, name: "ci-preview@p.iam.gserviceaccount.com" }];
const spec = previewPolicySpec(subjects);
const request = (username: string, groups: string[] | undefined, dryRun: boolean | undefined) => ({
    request: { userInfo: { username, ...(groups ? { groups } : {}) }, ...(dryRun === undefined ? {} : { dryRun }), operation: "UPDATE" },
});
/** What the API server decides for `req`: the policy applies only where the match condition holds. */
function admitted(req: ReturnType<typeof request>): boolean {
    if (cel.evaluate(spec.matchConditions[0].expression, req) !== true) return true;
    return cel.evaluate(spec.validations[0].expression, req) === true;
}

describe("clusters/PreviewAccess", () => {
    it("the policy denies the preview subjects' non-dry-run writes and nobody else's", () => {
        assert.equal(admitted(request("arn:aws:sts::1:assumed-role/ci-preview/x", ["system:authenticated", PREVIEW_GROUP], true)), true, "dry-run by the EKS preview group");
        assert.equal(admitted(request("arn:aws:sts::1:assumed-role/ci-preview/x", ["system:authenticated", PREVIEW_GROUP], false)), false, "a real write by the preview group");
        assert.equal(admitted(request("ci-preview@p.iam.gserviceaccount.com", undefined, undefined)), false, "a real write by the GKE preview user (no dryRun field)");
        assert.equal(admitted(request("ci-preview@p.iam.gserviceaccount.com", ["system:authenticated"], true)), true);
        assert.equal(admitted(request("deployer", ["system:masters"], false)), true, "the deployer is not matched");
        assert.equal(admitted(request("someone", undefined, false)), true);
    });

    it("the role reads everything and writes only the platform's groups: never delete, never admission registration", () => {
        const rules = previewRules();
        assert.deepEqual(rules[0], { apiGroups: ["*"], resources: ["*"], verbs: ["get", "list", "watch"] });
        for (const r of rules) {
            assert.ok(!r.verbs.some((v) => v === "delete" || v === "deletecollection" || v === "*"), JSON.stringify(r));
            if (r.verbs.some((v) => ["create", "update", "patch"].includes(v))) {
                assert.ok(!r.apiGroups.includes("*") && !r.apiGroups.includes("admissionregistration.k8s.io"), JSON.stringify(r));
            }
        }
    });

    it("registers the policy, its binding, the role and its binding (after the policy binding) on the given provider", async () => {
        const rec = await runMocked(() => new PreviewAccess("c-preview", { subjects, provider: new k8s.Provider("k", {}) }));
        const policy = rec.one("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
        const policyBinding = rec.one("kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding");
        const roleBinding = rec.one("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding");
        assert.equal(rec.inputs(policy).metadata.name, PREVIEW_ACCESS_NAMES.policy);
        assert.deepEqual(rec.inputs(policyBinding).spec.validationActions, ["Deny"]);
        assert.equal(rec.inputs(policy).spec.failurePolicy, "Fail");
        assert.ok(roleBinding.dependencies.includes(policyBinding.urn));
        assert.deepEqual(rec.inputs(roleBinding).subjects.map((s: { kind: string; name: string }) => [s.kind, s.name]), subjects.map((s) => [s.kind, s.name]));
        for (const r of rec.resources.filter((x) => x.custom && x.type.startsWith("kubernetes:"))) assert.ok(r.provider.includes("::k::"), r.name);
        assert.throws(() => new PreviewAccess("x", { subjects: [], provider: new k8s.Provider("k2", {}) }), /args\.subjects is empty/);
    });
});
