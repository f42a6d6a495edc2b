/**
 * The CrossGuard adapter: turns a pack policy (a pure check over views) into a @pulumi/policy
 * ResourceValidationPolicy or StackValidationPolicy. CrossGuard's arguments become the same
 * ResourceView/StackView the offline plan builds, so both run the same check.
 */
import type {
    PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";
import { ENVIRONMENT_SCHEMA } from "./config";
import {
    Environment, ENVIRONMENTS, environmentFromStack, NotApplicable, PolicyDef, ResourceView, stackFromUrn, StackView, trackUnknowns, UNKNOWN, unknownReason,
} from "./view";

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
        secret: () => undefined, secretsVisible: false,
    };
}

function viewOfPolicyResource(r: PolicyResource): ResourceView {
    return {
        type: r.type, name: r.name, urn: r.urn, props: plainProps(r.props) ?? {},
        protect: Boolean(r.opts?.protect), parent: r.parent?.urn, dependencies: (r.dependencies ?? []).map((d) => d.urn),
        secret: () => undefined, secretsVisible: false,
    };
}

/** The policy config of a stack policy: environment, and roles by stack name. */
export interface StackPolicyConfig {
    environment?: string;
    roles?: Record<string, string[]>;
}

/** Known string roles, or undefined when the value is unknown, absent or not a list of strings. */
function rolesFrom(v: unknown): string[] | undefined {
    return Array.isArray(v) && v.every((x) => typeof x === "string") ? v as string[] : undefined;
}

/**
 * A StackView from a validateStack call. Environment and roles come from the root stack's outputs
 * (`environment`, `roles`), else the policy config (`environment`; `roles` by stack name), else
 * (environment only) the stack name. Roles nobody states stay `undefined`.
 */
export function stackViewFromArgs(args: StackValidationArgs): StackView {
    const resources = args.resources.map(viewOfPolicyResource);
    const root = resources.find((r) => r.type === "pulumi:pulumi:Stack");
    const stack = stackFromUrn(resources[0]?.urn ?? "");
    const config = (args.getConfig?.() ?? {}) as StackPolicyConfig;
    const outEnv = root?.props.environment;
    const environment = typeof outEnv === "string" && (ENVIRONMENTS as readonly string[]).includes(outEnv) ? outEnv as Environment : environmentFrom(config, stack);
    const configured = config.roles && typeof config.roles === "object" ? rolesFrom(config.roles[stack]) : undefined;
    const roles = rolesFrom(root?.props.roles) ?? configured;
    return { stack, environment, roles, resources };
}

/** The config schema of the `roles` entry: stack name -> roles. */
export const ROLES_SCHEMA = {
    type: "object" as const,
    additionalProperties: { type: "array" as const, items: { type: "string" as const } },
    description: "Roles of each stack (stack name -> [training | serving]), used when the stack's `roles` output is unknown (its first preview).",
};

/** Severity when the policy does not set one. */
const severityOf = (def: PolicyDef) => def.severity ?? (Object.values(def.levels).every((l) => l === "mandatory") ? "high" : "medium");

/**
 * Run a check over views whose unknown reads are tracked: its violations; when it found none but
 * read unknown values, or gave up (`NotApplicable`), CrossGuard's `notApplicable` with the reason.
 */
function judge<T>(run: () => T[], unknownRead: () => string[], notApplicable: (reason?: string) => never): T[] {
    let found: T[];
    try {
        found = run();
    } catch (e) {
        if (e instanceof NotApplicable) notApplicable(e.reason);
        throw e;
    }
    const unknown = unknownRead();
    if (found.length === 0 && unknown.length > 0) notApplicable(unknownReason(unknown));
    return found;
}

/** The CrossGuard policy for a pack policy (enforcement: its prod level; config files override). */
export function toCrossGuard(def: PolicyDef): ResourceValidationPolicy | StackValidationPolicy {
    const base = {
        name: def.name,
        description: def.description,
        remediationSteps: def.remediation,
        enforcementLevel: def.levels.prod,
        severity: severityOf(def),
        ...(def.url ? { url: def.url } : {}),
        ...(def.framework ? { framework: def.framework } : {}),
        configSchema: ENVIRONMENT_SCHEMA,
    };
    if (def.kind === "resource") {
        return {
            ...base,
            validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
                const plain = resourceViewFromArgs(args);
                const tracked = trackUnknowns(plain.props);
                const view = { ...plain, props: tracked.props };
                const stack = stackFromUrn(args.urn);
                const environment = environmentFrom(args.getConfig<{ environment?: string }>(), stack);
                for (const message of judge(() => def.check(view, { stack, environment }), () => tracked.unknownRead, args.notApplicable)) report(message);
            },
        };
    }
    return {
        ...base,
        configSchema: def.needsRoles
            ? { properties: { ...ENVIRONMENT_SCHEMA.properties, roles: ROLES_SCHEMA } }
            : ENVIRONMENT_SCHEMA,
        validateStack: (args: StackValidationArgs, report: ReportViolation) => {
            const plain = stackViewFromArgs(args);
            const unknown: string[] = [];
            const resources = plain.resources.map((r) => {
                const tracked = trackUnknowns(r.props);
                return { view: { ...r, props: tracked.props }, tracked, name: r.name };
            });
            const view = { ...plain, resources: resources.map((x) => x.view) };
            const read = () => {
                for (const x of resources) unknown.push(...x.tracked.unknownRead.map((p) => `${x.name}.${p}`));
                return unknown;
            };
            for (const v of judge(() => def.check(view), read, args.notApplicable)) report(v.message, v.urn);
        },
    };
}
