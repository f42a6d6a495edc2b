/**
 * The policy hook of the offline plan. The CrossGuard pack (policy/, SPEC 7) registers its
 * resource checks here so that `npm run plan` reports the same violations a real preview would;
 * until the pack lands the list of checks is empty and every plan has no violations.
 */
import type { Plan, PlanResource } from "./plan";

export interface Violation {
    policy: string;
    enforcement: "mandatory" | "advisory";
    urn: string;
    message: string;
}

/** A check over the whole plan (stack-level policies see every resource at once). */
export type PlanCheck = (resources: PlanResource[], stack: string) => Violation[];

const checks: PlanCheck[] = [];

/** Register a check (the policy pack's adapter calls this). Returns a function that removes it. */
export function registerPlanCheck(check: PlanCheck): () => void {
    checks.push(check);
    return () => {
        const i = checks.indexOf(check);
        if (i >= 0) checks.splice(i, 1);
    };
}

/** Run every registered check over a plan. */
export function runPolicies(plan: Pick<Plan, "resources" | "stack">): Violation[] {
    return checks.flatMap((check) => check(plan.resources, plan.stack));
}

/** True when any violation must stop a deployment. */
export function hasMandatory(violations: Violation[]): boolean {
    return violations.some((v) => v.enforcement === "mandatory");
}
