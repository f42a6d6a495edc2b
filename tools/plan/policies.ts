/**
 * The policy runner of the offline plan: the CrossGuard pack's own policies (policy/) run over a
 * plan's recorded resources, so `npm run plan` reports what `pulumi preview --policy-pack policy`
 * would. Checks are passed in explicitly (`packChecks()` builds them from the pack); nothing is
 * registered by importing a module.
 */
import { environmentOf, levelOf, loadPackConfig, PackConfig } from "../../policy/lib/config";
import { Environment, environmentFromStack, ENVIRONMENTS, NotApplicable, PolicyDef, ResourceView, SECRET, StackView } from "../../policy/lib/view";
import { allPolicies } from "../../policy/policies";
import type { Plan, PlanResource, Violation } from "./types";

export type { Violation } from "./types";

/** What a plan check sees besides the resources. */
export interface PlanContext {
    stack: string;
    environment: Environment;
    /** undefined: nothing states the roles (then policies that need them do not run). */
    roles: string[] | undefined;
}

/** A check over a whole plan. */
export type PlanCheck = (resources: PlanResource[], ctx: PlanContext) => Violation[];

/** A ResourceView of a plan resource: secrets are the plan's "[secret]" markers. */
export function resourceViewFromPlan(r: PlanResource): ResourceView {
    return {
        type: r.type, name: r.name, urn: r.urn, props: r.inputs ?? {}, protect: r.protect,
        parent: r.parent || undefined, dependencies: r.dependencies ?? [],
        secret(path) {
            let v: unknown = r.inputs;
            for (const k of Array.isArray(path) ? path : path.split(".")) {
                if (v === SECRET) return true;
                if (v === null || typeof v !== "object") return undefined;
                v = (v as Record<string, unknown>)[k];
            }
            return v === undefined ? undefined : v === SECRET;
        },
        secretsVisible: true,
    };
}

/** A check's violations; none when it is not applicable (CrossGuard reports those as not applicable, not as violations). */
function verdict<T>(run: () => T[]): T[] {
    try {
        return run();
    } catch (e) {
        if (e instanceof NotApplicable) return [];
        throw e;
    }
}

/** The plan check of one pack policy under a pack config (enforcement and environment, as CrossGuard reads them). */
export function planCheckOf(def: PolicyDef, config: (env: Environment) => PackConfig = (env) => loadPackConfig(env)): PlanCheck {
    return (resources, ctx) => {
        const cfg = config(ctx.environment);
        const level = levelOf(def, cfg, ctx.environment);
        if (level === "disabled") return [];
        const enforcement = level === "advisory" ? "advisory" : "mandatory";
        const environment = environmentOf(def, cfg) ?? ctx.environment;
        const views = resources.map(resourceViewFromPlan);
        if (def.kind === "resource") {
            return views.flatMap((r) => verdict(() => def.check(r, { stack: ctx.stack, environment })).map((message) => ({ policy: def.name, enforcement, urn: r.urn, message })));
        }
        const stack: StackView = { stack: ctx.stack, environment, roles: ctx.roles, resources: views };
        return verdict(() => def.check(stack)).map((v) => ({ policy: def.name, enforcement, urn: v.urn ?? "", message: v.message }));
    };
}

/** The pack's policies as plan checks (config: policy/config/<environment>.json unless given). */
export function packChecks(policies: readonly PolicyDef[] = allPolicies, config?: (env: Environment) => PackConfig): PlanCheck[] {
    const memo = new Map<Environment, PackConfig>();
    const read = config ?? ((env: Environment) => loadPackConfig(env));
    const cached = (env: Environment) => memo.get(env) ?? memo.set(env, read(env)).get(env)!;
    return policies.map((p) => planCheckOf(p, cached));
}

/** Environment and roles of a planned stack: its outputs, else the given config values, else its name. */
export function planContext(plan: Pick<Plan, "stack" | "outputs">, environment?: string, roles?: string[]): PlanContext {
    const outEnv = plan.outputs?.environment;
    const env = [outEnv, environment].find((e): e is Environment => typeof e === "string" && (ENVIRONMENTS as readonly string[]).includes(e));
    const outRoles = plan.outputs?.roles;
    return {
        stack: plan.stack,
        environment: env ?? environmentFromStack(plan.stack),
        roles: Array.isArray(outRoles) ? outRoles.map(String) : roles,
    };
}

/** Run checks over a plan. */
export function runPolicies(plan: Pick<Plan, "resources" | "stack" | "outputs">, checks: readonly PlanCheck[], ctx: PlanContext = planContext(plan)): Violation[] {
    return checks.flatMap((check) => check(plan.resources, ctx));
}

/** True when any violation must stop a deployment. */
export function hasMandatory(violations: Violation[]): boolean {
    return violations.some((v) => v.enforcement === "mandatory");
}
