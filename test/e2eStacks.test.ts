/**
 * The e2e's stack files (test/e2e/) plan offline with what `npm run e2e` sets at run time (a secret
 * kubeconfig, the chart mirror): config drift shows here in seconds, not after the e2e's Go build.
 */
import * as assert from "node:assert/strict";
import { e2eStackConfig } from "../tools/e2e/replacements";
import { planStack, PlanResult } from "../tools/plan/plan";
import { hasMandatory } from "../tools/plan/policies";
import { reveal } from "./helpers/run";

describe("e2e stack files (test/e2e)", function () {
    this.timeout(120_000);
    let training: PlanResult;
    let serving: PlanResult;

    before(async () => {
        training = await planStack("e2e-training", { stackConfig: e2eStackConfig("e2e-training") });
        serving = await planStack("e2e-serving", {
            stackConfig: e2eStackConfig("e2e-serving"), references: (s) => (s === "e2e-training" ? training.rawOutputs : undefined),
        });
    });

    it("plan without config or contract errors and without mandatory violations", () => {
        for (const r of [training, serving]) {
            assert.equal(r.error, undefined, r.error?.message);
            assert.ok(!hasMandatory(r.plan.violations), JSON.stringify(r.plan.violations.filter((v) => v.enforcement === "mandatory")));
        }
    });

    it("install every chart from the mirror the e2e serves", () => {
        for (const r of [training, serving]) {
            const rels = r.recorded.filter((x) => x.type === "kubernetes:helm.sh/v3:Release").map((x) => reveal(x.inputs) as { repositoryOpts?: { repo?: string } });
            assert.ok(rels.length > 0);
            for (const rel of rels) assert.equal(rel.repositoryOpts?.repo, "http://127.0.0.1:8879");
        }
    });
});
