/**
 * The CrossGuard adapter: turns a pack policy (a pure check over views) into a @pulumi/policy
 * ResourceValidationPolicy or StackValidationPolicy. CrossGuard's arguments become the same
 * ResourceView/StackView the offline plan builds, so both run the same check.
 */
import type {
    PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";
import { ENVIRONMENT_SCHEMA } from "./config";
import { Environment, ENVIRONMENTS, environmentFromStack, PolicyDef, ResourceView, stackFromUrn, StackView, UNKNOWN } from "./view";

/**
 * A plain copy of CrossGuard props: values unknown during preview (CrossGuard's proxy throws
 * UnknownValueError when they are read) become `UNKNOWN`, as in the offline plan.
 */
export function plainProps(v: unknown): any {
    if (Array.isArray(v)) return Array.from({ length: v.length }, (_, i) => plainProps(read(v, i)));
    if (v === null || typeof v !== "object") return v;
    if (!isPlainData(v)) return v;
    return Object.fromEntries(Object.keys(v).map((k) => [k, plainProps(read(v, k))]));
}

function read(obj: any, key: string | number): unknown {
    try {
        return obj[key];
    } catch (e) {
        if (e instanceof Error && e.constructor.name === "UnknownValueError") return UNKNOWN;
        throw e;
    }
}

/** Objects and proxies of objects (not assets, archives or class instances). */
function isPlainData(v: object): boolean {
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
}

/** The environment: the policy's config, else the stack name. */
function environmentFrom(config: { environment?: string }, stack: string): Environment {
    const env = config.environment;
    return env && (ENVIRONMENTS as readonly string[]).includes(env) ? env as Environment : environmentFromStack(stack);
}

/** A ResourceView from a validateResource call. Secret-ness is unknown: CrossGuard unwraps secrets. */
export function resourceViewFromArgs(args: ResourceValidationArgs): ResourceView {
    return {
        type: args.type, name: args.name, urn: args.urn, props: plainProps(args.props) ?? {},
        protect: Boolean(args.opts?.protect), parent: args.opts?.parent, dependencies: [],
        secret: () => undefined,
    };
}

function viewOfPolicyResource(r: PolicyResource): ResourceView {
    return {
        type: r.type, name: r.name, urn: r.urn, props: plainProps(r.props) ?? {},
        protect: Boolean(r.opts?.protect), parent: r.parent?.urn, dependencies: (r.dependencies ?? []).map((d) => d.urn),
        secret: () => undefined,
    };
}

/**
 * A StackView from a validateStack call. Environment and roles come from the root stack's outputs
 * (`environment`, `roles`), else the policy config, else the stack name.
 */
export function stackViewFromArgs(args: StackValidationArgs): StackView {
    const resources = args.resources.map(viewOfPolicyResource);
    const root = resources.find((r) => r.type === "pulumi:pulumi:Stack");
    const stack = stackFromUrn(resources[0]?.urn ?? "");
    const config = (args.getConfig?.() ?? {}) as { environment?: string; roles?: string[] };
    const outEnv = root?.props.environment;
    const environment = typeof outEnv === "string" && (ENVIRONMENTS as readonly string[]).includes(outEnv) ? outEnv as Environment : environmentFrom(config, stack);
    const roles = Array.isArray(root?.props.roles) ? root!.props.roles.filter((x: unknown) => typeof x === "string") : config.roles ?? [];
    return { stack, environment, roles, resources };
}

/** The CrossGuard policy for a pack policy (enforcement: its prod level; config files override). */
export function toCrossGuard(def: PolicyDef): ResourceValidationPolicy | StackValidationPolicy {
    const base = {
        name: def.name,
        description: def.description,
        remediationSteps: def.remediation,
        enforcementLevel: def.levels.prod,
        configSchema: ENVIRONMENT_SCHEMA,
    };
    if (def.kind === "resource") {
        return {
            ...base,
            validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
                const view = resourceViewFromArgs(args);
                const stack = stackFromUrn(args.urn);
                const environment = environmentFrom(args.getConfig<{ environment?: string }>(), stack);
                for (const message of def.check(view, { stack, environment })) report(message);
            },
        };
    }
    return {
        ...base,
        configSchema: {
            properties: {
                ...ENVIRONMENT_SCHEMA.properties,
                roles: { type: "array" as const, items: { type: "string" as const }, description: "Roles of the stack, when its outputs do not say." },
            },
        },
        validateStack: (args: StackValidationArgs, report: ReportViolation) => {
            for (const v of def.check(stackViewFromArgs(args))) report(v.message, v.urn);
        },
    };
}
