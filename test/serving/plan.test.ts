/**
 * Serving in the offline plans of the shipped stacks (issue 10 acceptance): cert-manager, KServe and
 * one InferenceService per catalogue model behind the sync Job; parity; a promotion in the training
 * stack changes the sync Job and the storage URIs and nothing else; no secret in clear.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Plan, planFleet, PlanResource, PlanResult, planStack, REPO_ROOT } from "../../tools/plan/plan";
import { servingParity, servingResources } from "../../tools/plan/parity";
import { reveal, SecretValue } from "../../tools/plan/recorder";
import { validateRecordedCustomResource } from "../helpers/crds";
import { unknownValuesKeys } from "../helpers/values";
import { shippedPlans } from "../helpers/fleet";

const SERVING = ["prod-aws", "prod-gcp", "prod-azure", "edge", "dev"];
const ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService";
const RELEASE = "kubernetes:helm.sh/v3:Release";
const training = (s: string) => (s.startsWith("prod-") ? "prod-training" : "dev");
const byName = (p: Plan, suffix: string, type?: string) => {
    const found = p.resources.filter((r) => r.name === `${p.stack}-${suffix}` && (!type || r.type === type));
    assert.equal(found.length, 1, `${p.stack}: expected one ${suffix}, found ${found.length}`);
    return found[0];
};

describe("serving in the shipped plans", function () {
    this.timeout(120000);
    let results: Map<string, PlanResult>;
    const plan = (s: string) => results.get(s)!.plan;
    const catalogue = (s: string) => reveal(results.get(training(s))!.rawOutputs.modelCatalog) as Array<{ name: string; version: string; gpu: number }>;

    before(async () => {
        results = await shippedPlans();
        for (const s of SERVING) assert.equal(results.get(s)!.error, undefined, `${s}: ${results.get(s)!.error?.message}`);
    });

    it("every serving stack has cert-manager, KServe's three pinned charts, and one InferenceService per catalogue model", () => {
        for (const s of SERVING) {
            const p = plan(s);
            const cm = byName(p, "cert-manager-chart", RELEASE);
            assert.deepEqual([cm.inputs.chart, cm.inputs.version], ["cert-manager", "v1.21.1"], s);
            for (const [n, chart] of [["kserve-crd", "kserve-crd"], ["kserve-resources", "kserve-resources"], ["kserve-runtimes", "kserve-runtime-configs"]]) {
                const r = byName(p, n, RELEASE);
                assert.equal(r.inputs.chart, `oci://ghcr.io/kserve/charts/${chart}`, s);
                assert.equal(r.inputs.version, "v0.20.0", s);
            }
            const values = reveal(byName(p, "kserve-resources", RELEASE).inputs.values) as any;
            assert.equal(values.kserve.controller.deploymentMode, "Standard", s);
            assert.deepEqual(unknownValuesKeys(values, "kserve/values-kserve-resources.yaml"), [], s);
            assert.deepEqual(unknownValuesKeys(reveal(byName(p, "kserve-runtimes", RELEASE).inputs.values), "kserve/values-kserve-runtime-configs.yaml"), [], s);
            assert.deepEqual(unknownValuesKeys(reveal(byName(p, "cert-manager-chart", RELEASE).inputs.values), "cert-manager/values-cert-manager.yaml"), [], s);
            const models = catalogue(s);
            assert.ok(models.length > 0, `${s}: empty catalogue`);
            assert.deepEqual(p.resources.filter((r) => r.type === ISVC).map((r) => (r.inputs.metadata as any).name).sort(), models.map((m) => m.name).sort(), s);
        }
    });

    it("each InferenceService validates, serves exactly its version's local copy and depends on the sync Job and KServe", () => {
        for (const s of SERVING) {
            const p = plan(s);
            const job = byName(p, "model-sync-job", "kubernetes:batch/v1:Job");
            assert.match(String((job.inputs.metadata as any).name), /^model-sync-[0-9a-f]{10}$/);
            for (const m of catalogue(s)) {
                const isvc = byName(p, `isvc-${m.name}-isvc`, ISVC);
                assert.deepEqual(validateRecordedCustomResource(isvc.type, isvc.inputs), [], `${s} ${m.name}`);
                assert.ok(isvc.dependencies.includes(job.urn), `${s} ${m.name} does not depend on the sync Job`);
                assert.ok(isvc.dependencies.includes(byName(p, "kserve-resources", RELEASE).urn));
                const pred = (isvc.inputs.spec as any).predictor;
                const uri = pred.model.storageUri;
                // Known in the preview on every platform (Azure too): a promotion shows in the plan.
                assert.ok(uri.endsWith(`/${m.name}/${m.version}`), `${s}: ${uri}`);
                assert.equal(pred.serviceAccountName, "model-reader");
                if (m.gpu > 0) {
                    assert.equal(pred.model.resources.limits["nvidia.com/gpu"], String(m.gpu));
                    assert.deepEqual(pred.nodeSelector, { "hybridml.io/node-pool": "gpu" });
                } else {
                    assert.equal(pred.nodeSelector, undefined);
                    assert.equal(pred.tolerations, undefined);
                }
            }
            const pod = (job.inputs.spec as any).template.spec;
            assert.equal(pod.serviceAccountName, "model-sync", `${s}: the sync must run as the writer, not the reader`);
        }
    });

    it("storage and identity per platform", () => {
        const uri = (s: string) => ((byName(plan(s), "isvc-fraud-detector-isvc", ISVC).inputs.spec as any).predictor.model.storageUri);
        assert.match(uri("prod-aws"), /^s3:\/\/[a-z0-9.-]+\/fraud-detector\//);
        assert.match(uri("prod-gcp"), /^gs:\/\/[a-z0-9.-]+\/fraud-detector\//);
        assert.match(uri("edge"), /^pvc:\/\/model-store\/fraud-detector\//);
        assert.match(uri("dev"), /^pvc:\/\/model-store\/fraud-detector\//);
        const azure = (byName(plan("prod-azure"), "isvc-fraud-detector-isvc", ISVC).inputs.spec as any).predictor;
        assert.deepEqual(azure.labels, { "azure.workload.identity/use": "true" });
        assert.equal((byName(plan("prod-aws"), "isvc-fraud-detector-isvc", ISVC).inputs.spec as any).predictor.labels, undefined);
        for (const s of ["edge", "dev"]) assert.equal(byName(plan(s), "model-sync-store").type, "kubernetes:core/v1:PersistentVolumeClaim");
        for (const s of ["prod-aws", "prod-gcp", "prod-azure"]) {
            assert.equal(plan(s).resources.filter((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaim" && r.name.includes("model-sync")).length, 0);
            assert.equal(byName(plan(s), "netpol-allow-sync-model-store").type, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
        }
        assert.equal(byName(plan("prod-aws"), "netpol-default-deny").type, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    });

    it("the model sync reaches the training store only at the addresses the training stack publishes, on its port", () => {
        for (const s of ["prod-aws", "prod-gcp", "prod-azure"]) {
            const egress = (byName(plan(s), "netpol-allow-sync-training-store").inputs.spec as any).egress;
            assert.deepEqual(egress, [{ to: [{ ipBlock: { cidr: "203.0.113.16/28" } }], ports: [{ protocol: "TCP", port: 443 }] }], s);
        }
    });

    it("serving parity holds across the five serving stacks", () => {
        const r = servingParity(SERVING.map((s) => ({ stack: s, resources: plan(s).resources })));
        assert.deepEqual(r.differences, []);
        assert.equal(r.stacks.length, 5);
    });

    it("no secret in clear: the training read credentials reach the sync Secret and are masked in every serving plan", async () => {
        // In a preview the training stack's credentials are unknown: feed known ones to see where they go.
        const creds = { accessKeyId: "AKIAPARITYTESTKEY01", secretAccessKey: "read-only-secret-for-the-test-0123456789" };
        for (const s of SERVING.filter((x) => x !== "dev")) {
            const raw = { ...results.get(training(s))!.rawOutputs, modelStoreReadCredentials: new SecretValue(creds) };
            const r = await planStack(s, { references: () => raw });
            assert.equal(r.error, undefined);
            const text = JSON.stringify(r.plan);
            for (const v of Object.values(creds)) assert.ok(!text.includes(v), `${s}: a training credential is in clear in the plan`);
            const secret = r.recorded.find((x) => x.name === `${s}-model-sync-source`)!;
            assert.deepEqual(reveal(secret.inputs.stringData), creds, `${s}: the sync Secret does not carry the training credentials`);
            assert.ok(secret.inputs.stringData instanceof SecretValue
                || Object.values(secret.inputs.stringData as object).every((v) => v instanceof SecretValue), `${s}: stringData is not secret`);
            assert.equal(r.plan.resources.find((x) => x.name === `${s}-model-sync-source`)!.inputs.stringData, "[secret]");
        }
        // No serving container gets a credential as a literal env value: only secretKeyRefs.
        for (const s of SERVING) {
            const literal = JSON.stringify(servingResources(plan(s).resources)).match(/\{"name":"[A-Z_]*(KEY|SECRET|TOKEN|PASSWORD)[A-Z_]*","value":"[^"]*"\}/g);
            assert.equal(literal, null, `${s}: ${literal}`);
        }
    });

    it("a promotion in the training stack changes the sync Job and the storage URIs, and nothing unrelated", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promote-"));
        try {
            for (const f of fs.readdirSync(REPO_ROOT).filter((n) => /^Pulumi\..+\.yaml$/.test(n))) fs.copyFileSync(path.join(REPO_ROOT, f), path.join(dir, f));
            const file = path.join(dir, "Pulumi.prod-training.yaml");
            const text = fs.readFileSync(file, "utf8");
            assert.ok(text.includes("fraud-detector/3.2.0/"));
            fs.writeFileSync(file, text.replace('version: "3.2.0"', 'version: "3.3.0"').replace("fraud-detector/3.2.0/", "fraud-detector/3.3.0/"));
            const prod = ["prod-aws", "prod-gcp", "prod-azure"];
            const after = await planFleet(prod, undefined, dir);
            for (const s of prod) {
                const a = plan(s);
                const b = after.get(s)!.plan;
                assert.equal(after.get(s)!.error, undefined);
                const before = new Map(a.resources.map((r) => [r.urn, r]));
                const changed = b.resources.filter((r) => JSON.stringify(r.inputs) !== JSON.stringify(before.get(r.urn)?.inputs)).map((r) => r.name).sort();
                assert.deepEqual(b.resources.map((r) => r.urn).sort(), [...before.keys()].sort(), `${s}: resources added or removed`);
                assert.deepEqual(changed, [`${s}-isvc-fraud-detector-isvc`, `${s}-model-sync-cron`, `${s}-model-sync-job`], s);
                const name = (p: Plan) => ((byName(p, "model-sync-job").inputs.metadata as any).name);
                assert.notEqual(name(b), name(a), `${s}: the sync Job keeps its name`);
                const isvc = (p: Plan): PlanResource => byName(p, "isvc-fraud-detector-isvc", ISVC);
                const fields = changedFields(isvc(a).inputs, isvc(b).inputs);
                // Every cloud, Azure included, shows the new version in the storage URI.
                assert.deepEqual(fields, ["metadata.labels.hybridml.io/model-version", "spec.predictor.model.storageUri"], s);
                assert.match((isvc(b).inputs.spec as any).predictor.model.storageUri, /\/fraud-detector\/3\.3\.0$/);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

function changedFields(a: unknown, b: unknown, at = ""): string[] {
    if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
        const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
        return keys.flatMap((k) => changedFields((a as any)[k], (b as any)[k], at ? `${at}.${k}` : k));
    }
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
}
