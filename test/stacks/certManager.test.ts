/**
 * cert-manager is a base service: every serving stack (KServe's webhook certificates) and every
 * Pulsar stack (the chart's TLS Issuer and Certificates) gets one, installed before what needs it.
 */
import * as assert from "node:assert/strict";
import { PlanResult } from "../../tools/plan/plan";
import { shippedPlans } from "../helpers/fleet";

describe("cert-manager as a base service", function () {
    this.timeout(120_000);
    let plans: Map<string, PlanResult>;
    before(async () => {
        plans = await shippedPlans();
    });
    const releases = (stack: string, chart: string) => plans.get(stack)!.plan.resources
        .filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === chart);

    it("is installed once on every serving stack and every Pulsar stack, and nowhere else", () => {
        for (const stack of ["dev", "edge", "prod-aws"]) assert.equal(releases(stack, "cert-manager").length, 1, stack);
        assert.equal(plans.get("prod-training")!.rawOutputs.streaming && releases("prod-training", "cert-manager").length, 0,
            "prod-training runs Kafka and no serving: no cert-manager");
    });

    it("comes before the Pulsar chart and KServe that need its CRDs", () => {
        for (const stack of ["dev", "edge"]) {
            const [cm] = releases(stack, "cert-manager");
            const [pulsar] = releases(stack, "pulsar");
            assert.ok(pulsar, `${stack} runs Pulsar`);
            assert.ok(pulsar.dependencies.includes(cm.urn), `${stack}: the Pulsar release depends on cert-manager`);
        }
        const [cm] = releases("prod-aws", "cert-manager");
        const kserve = plans.get("prod-aws")!.plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && String(r.inputs.chart).includes("kserve-resources"));
        assert.ok(kserve.some((r) => r.dependencies.includes(cm.urn)), "a KServe release depends on cert-manager");
    });
});
