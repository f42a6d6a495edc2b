/**
 * The CrossGuard pack (SPEC 7): `pulumi preview --policy-pack policy [--policy-pack-config
 * policy/config/<environment>.json]`. The policies are pure checks in policies/; lib/crossguard.ts
 * adapts them to CrossGuard, tools/plan/policies.ts to the offline plan.
 */
import { PolicyPack } from "@pulumi/policy";
import { toCrossGuard } from "./lib/crossguard";
import { allPolicies } from "./policies";

new PolicyPack("hybridml", {
    description: "Guardrails of the hybrid ML platform: security, durability, data residency, GPU hygiene, cost.",
    policies: allPolicies.map(toCrossGuard),
});
