/**
 * Run pack policies the two ways they run for real: through the offline plan's adapter over plan
 * resources, and through the CrossGuard adapter with the arguments CrossGuard's analyzer builds
 * (props behind its unknown-checking proxy, unknowns as its sentinels, secrets unwrapped).
 */
import type { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { toCrossGuard } from "../../policy/lib/crossguard";
import { Environment, PolicyDef, SECRET, UNKNOWN } from "../../policy/lib/view";
import { packConfigFor } from "../../policy/lib/config";
import { allPolicies } from "../../policy/policies";
import { planCheckOf } from "../../tools/plan/policies";
import type { PlanResource, Violation } from "../../tools/plan/types";
import { shippedPlans } from "../helpers/fleet";
import type { PlanResult } from "../../tools/plan/plan";

// CrossGuard internals the analyzer uses (not in the package's typings).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as { unknownCheckingProxy(o: unknown): any; unknownStringValue: string };

/** A policy CrossGuard reports as not applicable to a resource (urn) or the stack (""), with the reason. */
export interface NotRun {
    policy: string;
    urn: string;
    reason: string;
}

export interface Where {
    stack?: string;
    environment?: Environment;
    roles?: string[];
    /** The policy config's `roles` entry (default: this stack with `roles`). */
    configRoles?: Record<string, string[]>;
}

const defaults = (w: Where) => ({ stack: w.stack ?? "prod-aws", environment: w.environment ?? "prod", roles: w.roles ?? ["serving"] });

/** Violations of one policy over plan resources (offline plan adapter, the shipped config for the environment). */
export function planViolations(def: PolicyDef, resources: PlanResource[], where: Where = {}): Violation[] {
    const ctx = defaults(where);
    return planCheckOf(def, (env) => packConfigFor(env, allPolicies))(resources, ctx);
}

/** Messages only. */
export function planMessages(def: PolicyDef, resources: PlanResource[], where: Where = {}): string[] {
    return planViolations(def, resources, where).map((v) => v.message);
}

/** Plan values as CrossGuard sees them: unknowns as its sentinel, secrets unwrapped (`reveal` gives the value). */
function toCrossGuardValue(v: unknown, reveal: (path: string) => unknown, at = ""): unknown {
    if (v === UNKNOWN) return proxy.unknownStringValue;
    if (v === SECRET) return reveal(at) ?? "revealed-secret-value";
    if (Array.isArray(v)) return v.map((x, i) => toCrossGuardValue(x, reveal, `${at}[${i}]`));
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCrossGuardValue(x, reveal, at ? `${at}.${k}` : k)]));
    return v;
}

function opts(r: PlanResource) {
    return {
        protect: r.protect, ignoreChanges: [], aliases: [], additionalSecretOutputs: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, ...(r.parent ? { parent: r.parent } : {}),
    };
}

/**
 * Violations of one policy through the CrossGuard adapter, with mocked analyzer arguments.
 * `stackOutputs` are the root stack's outputs (CrossGuard's stack policies see them as its props).
 */
export async function crossGuardViolations(
    def: PolicyDef, resources: PlanResource[], where: Where = {}, stackOutputs?: Record<string, unknown>, notRun?: NotRun[],
): Promise<Violation[]> {
    const ctx = defaults(where);
    const policy = toCrossGuard(def);
    const config = packConfigFor(ctx.environment, allPolicies, where.configRoles ?? { [ctx.stack]: ctx.roles })[def.name] as { enforcementLevel: string; environment: string };
    const out: Violation[] = [];
    const level = (config.enforcementLevel === "advisory" ? "advisory" : "mandatory") as Violation["enforcement"];
    if (config.enforcementLevel === "disabled") return [];
    const { enforcementLevel: _level, ...properties } = config;
    const getConfig = <T extends object>() => properties as unknown as T;
    class NotApplicableError extends Error {}
    const notApplicable = (reason?: string): never => {
        throw new NotApplicableError(reason);
    };
    /** Run a validation the way the analyzer does: a thrown notApplicable is recorded, not an error. */
    const analyze = async (urn: string, run: () => void | Promise<void>) => {
        try {
            await run();
        } catch (e) {
            if (!(e instanceof NotApplicableError)) throw e;
            notRun?.push({ policy: def.name, urn, reason: e.message });
        }
    };
    const props = (r: PlanResource) => proxy.unknownCheckingProxy(toCrossGuardValue(r.inputs, () => undefined));
    if ("validateResource" in policy) {
        const validate = (policy as ResourceValidationPolicy).validateResource;
        for (const r of resources) {
            const report: ReportViolation = (message) => out.push({ policy: def.name, enforcement: level, urn: r.urn, message });
            const args: ResourceValidationArgs = {
                type: r.type, props: props(r), urn: r.urn, name: r.name, opts: opts(r), stackTags: new Map(),
                isType: () => false, asType: () => undefined, getConfig, notApplicable,
            };
            for (const v of Array.isArray(validate) ? validate : [validate!]) await analyze(r.urn, () => v(args, report));
        }
        return out;
    }
    const byUrn = new Map<string, PolicyResource>();
    const all = stackOutputs
        ? [...resources.filter((r) => r.type !== "pulumi:pulumi:Stack"), { ...resources[0], type: "pulumi:pulumi:Stack", name: `hybridml-${ctx.stack}`, urn: `urn:pulumi:${ctx.stack}::hybridml::pulumi:pulumi:Stack::hybridml-${ctx.stack}`, inputs: stackOutputs, dependencies: [], protect: false, parent: "" }]
        : resources;
    for (const r of all) {
        byUrn.set(r.urn, {
            type: r.type, props: props(r), urn: r.urn, name: r.name, opts: opts(r), dependencies: [], propertyDependencies: {},
            isType: () => false, asType: () => undefined,
        });
    }
    for (const r of all) {
        const pr = byUrn.get(r.urn)!;
        pr.dependencies = r.dependencies.map((d) => byUrn.get(d)).filter((d): d is PolicyResource => d !== undefined);
        if (r.parent && byUrn.has(r.parent)) pr.parent = byUrn.get(r.parent);
    }
    const args: StackValidationArgs = { resources: [...byUrn.values()], stackTags: new Map(), getConfig, notApplicable };
    await analyze("", () => (policy as StackValidationPolicy).validateStack(args, (message, urn) => out.push({ policy: def.name, enforcement: level, urn: urn ?? "", message })));
    return out;
}

/** The shipped stacks' plans, planned once per test run (shared with every other test file). */
export function sharedFleet(): Promise<Map<string, PlanResult>> {
    return shippedPlans();
}
