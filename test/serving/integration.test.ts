/**
 * Integration of serving with the clusters' model stores in the shipped plans: the sync waits for
 * the writer's cloud grants, workload-identity labels sit on pod templates (never on the namespace),
 * storage URIs are known in a preview on every cloud, and the edge store is an RWX volume on a class
 * the site provides.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "yaml";
import { servingIssues, servingSchema } from "../../config/serving";
import { Plan, PlanResource, REPO_ROOT } from "../../tools/plan/plan";
import { validateRecordedCustomResource } from "../helpers/crds";
import { shippedPlans } from "../helpers/fleet";

const CLOUDS = ["prod-aws", "prod-gcp", "prod-azure"] as const;
const ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService";
const WI_LABEL = "azure.workload.identity/use";
/** The cloud resources that grant the model-sync writer (`models-writer*`) or reader its access, per cloud. */
const GRANT_TYPES: Record<(typeof CLOUDS)[number], string[]> = {
    "prod-aws": ["aws:iam/rolePolicy:RolePolicy", "aws:eks/podIdentityAssociation:PodIdentityAssociation"],
    "prod-gcp": ["gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:serviceaccount/iAMMember:IAMMember"],
    "prod-azure": ["azure-native:authorization:RoleAssignment", "azure-native:managedidentity:FederatedIdentityCredential"],
};

const one = (p: Plan, suffix: string, type?: string): PlanResource => {
    const found = p.resources.filter((r) => r.name === `${p.stack}-${suffix}` && (!type || r.type === type));
    assert.equal(found.length, 1, `${p.stack}: expected one ${suffix}${type ? ` (${type})` : ""}, found ${found.length}`);
    return found[0];
};
const grants = (p: Plan, who: "reader" | "writer", cloud: (typeof CLOUDS)[number]) =>
    p.resources.filter((r) => GRANT_TYPES[cloud].includes(r.type) && new RegExp(`-models-${who}(-wi)?$`).test(r.name));

describe("serving integration with the clusters' model stores (shipped plans)", function () {
    this.timeout(120000);
    let plans: Map<string, Plan>;
    before(async () => {
        const results = await shippedPlans();
        plans = new Map([...results].map(([s, r]) => {
            assert.equal(r.error, undefined, `${s}: ${r.error?.message}`);
            return [s, r.plan];
        }));
    });

    it("the sync Job and CronJob depend on every cloud grant of the writer identity (policy incl. KMS / IAM member + WI binding / role assignment + federated credential)", () => {
        for (const cloud of CLOUDS) {
            const p = plans.get(cloud)!;
            const g = grants(p, "writer", cloud);
            assert.deepEqual([...new Set(g.map((r) => r.type))].sort(), [...GRANT_TYPES[cloud]].sort(), cloud);
            for (const sync of [one(p, "model-sync-job", "kubernetes:batch/v1:Job"), one(p, "model-sync-cron", "kubernetes:batch/v1:CronJob")]) {
                for (const r of g) assert.ok(sync.dependencies.includes(r.urn), `${cloud}: ${sync.name} does not wait for ${r.type} ${r.name}`);
            }
            // The predictors also wait for the reader's grants.
            for (const isvc of p.resources.filter((r) => r.type === ISVC)) {
                for (const r of grants(p, "reader", cloud)) assert.ok(isvc.dependencies.includes(r.urn), `${cloud}: ${isvc.name} / ${r.name}`);
            }
        }
        // (The writer policy's KMS statements are checked in test/storage/s3ModelStore.test.ts: in a preview its text is unknown.)
    });

    it("AKS workload identity: the label is on the predictor and sync pod templates, never on the namespace", () => {
        for (const s of [...CLOUDS, "edge"]) {
            const p = plans.get(s)!;
            const azure = s === "prod-azure";
            const ns = one(p, "models-ns", "kubernetes:core/v1:Namespace");
            assert.equal(WI_LABEL in ((ns.inputs.metadata as any).labels ?? {}), false, `${s}: namespace carries ${WI_LABEL}`);
            const job = one(p, "model-sync-job", "kubernetes:batch/v1:Job");
            const cron = one(p, "model-sync-cron", "kubernetes:batch/v1:CronJob");
            for (const labels of [(job.inputs.spec as any).template.metadata.labels, (cron.inputs.spec as any).jobTemplate.spec.template.metadata.labels]) {
                assert.equal(labels[WI_LABEL], azure ? "true" : undefined, `${s}: sync pod template`);
                assert.equal(labels["app.kubernetes.io/name"], "model-sync", s);
            }
            for (const isvc of p.resources.filter((r) => r.type === ISVC)) {
                const pred = (isvc.inputs.spec as any).predictor;
                assert.equal(pred.labels?.[WI_LABEL], azure ? "true" : undefined, `${s}: ${isvc.name}`);
                assert.deepEqual(validateRecordedCustomResource(isvc.type, isvc.inputs), [], `${s} ${isvc.name}`);
            }
        }
    });

    it("storage URIs are known in the preview on every cloud, built from the store names the stack chose", () => {
        const expect: Record<string, RegExp> = {
            "prod-aws": /^s3:\/\/prod-aws-models-[0-9a-f]{8}\//,
            "prod-gcp": /^gs:\/\/acme-ml-prod-prod-gcp-models\//,
            "prod-azure": /^https:\/\/st[a-z0-9]+\.blob\.core\.windows\.net\/models\//,
        };
        for (const cloud of CLOUDS) {
            const p = plans.get(cloud)!;
            const uris = p.resources.filter((r) => r.type === ISVC).map((r) => String((r.inputs.spec as any).predictor.model.storageUri));
            assert.ok(uris.length > 0, cloud);
            for (const u of uris) {
                assert.ok(!u.includes("[unknown]"), `${cloud}: ${u}`);
                assert.match(u, expect[cloud], cloud);
            }
        }
        // The Azure sync writes to the same account the URI names.
        const azure = plans.get("prod-azure")!;
        const env = ((one(azure, "model-sync-job").inputs.spec as any).template.spec.containers[0].env as Array<{ name: string; value?: string }>);
        const account = env.find((e) => e.name === "RCLONE_CONFIG_LOCAL_ACCOUNT")!.value!;
        const uri = String((azure.resources.find((r) => r.type === ISVC)!.inputs.spec as any).predictor.model.storageUri);
        assert.ok(account.length > 0 && uri.startsWith(`https://${account}.blob.core.windows.net/`), `${account} vs ${uri}`);
        const storageAccount = azure.resources.find((r) => r.type === "azure-native:storage:StorageAccount")!;
        assert.equal(storageAccount.inputs.accountName, account);
    });

    it("edge: the model store is a ReadWriteMany volume on the site's RWX class (not k3s's local-path)", () => {
        const pvc = one(plans.get("edge")!, "model-sync-store", "kubernetes:core/v1:PersistentVolumeClaim");
        assert.deepEqual((pvc.inputs.spec as any).accessModes, ["ReadWriteMany"]);
        assert.equal((pvc.inputs.spec as any).storageClassName, "longhorn");
        const edge = yaml.parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.edge.yaml"), "utf8")).config;
        assert.equal(edge["hybridml:serving"].localStore.storageClass, "longhorn");
        // Predictors run on both GPU hosts: one volume must be mountable from several nodes.
        assert.ok(edge["hybridml:cluster"].hosts.filter((h: { gpu?: boolean }) => h.gpu).length > 1);
    });

    it("config refuses local-path for the local model store, naming the key", () => {
        const issues = servingIssues(servingSchema.parse({ localStore: { storageClass: "local-path" } }));
        assert.equal(issues.length, 1);
        assert.match(issues[0], /^hybridml:serving\.localStore\.storageClass cannot be local-path \(got "local-path"\).*ReadWriteMany.*longhorn/);
        assert.deepEqual(servingIssues(servingSchema.parse({ localStore: { storageClass: "longhorn" } })), []);
    });
});
