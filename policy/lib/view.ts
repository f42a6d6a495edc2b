/**
 * The one shape every policy of the pack sees (SPEC 7, 8): a plain view of a resource and of a
 * stack. Two adapters build it: `crossguard.ts` from CrossGuard's validateResource/validateStack
 * arguments, and tools/plan/policies.ts from the offline plan's recorded resources. The checks are
 * pure functions over these views, so the same code runs in `pulumi preview --policy-pack policy`
 * and in `npm run plan`.
 */

/** A value not known until deployment (both adapters turn unknowns into this marker). */
export const UNKNOWN = "[unknown]";
/** A secret as the offline plan shows it (masked). CrossGuard hands policies the plain value. */
export const SECRET = "[secret]";

export type Environment = "dev" | "edge" | "prod";
export const ENVIRONMENTS: readonly Environment[] = ["dev", "edge", "prod"];
export type Level = "mandatory" | "advisory" | "disabled";

/** One resource: its type token, inputs (CrossGuard `props`), and the options policies need. */
export interface ResourceView {
    type: string;
    name: string;
    urn: string;
    /** Inputs (stack policies in CrossGuard: outputs, which include the inputs). Unknowns are `UNKNOWN`. */
    props: Record<string, any>;
    /** The `protect` resource option. */
    protect: boolean;
    /** Parent URN, if any. */
    parent?: string;
    /** URNs this resource depends on. */
    dependencies: string[];
    /**
     * Whether the input at a dotted path (`kubeconfig`, `connection.privateKey`) is a Pulumi secret.
     * `undefined` when the runtime cannot tell: CrossGuard unwraps secrets before a policy sees
     * them, so checks that need it run in the offline plan (which CI runs on every pull request).
     */
    secret(path: string | string[]): boolean | undefined;
    /**
     * Whether `secret()` can answer at all: true in the offline plan, false under CrossGuard (which
     * hands policies secret values unwrapped). A check that needs it calls `notApplicable` when false.
     */
    secretsVisible: boolean;
}

/** A whole stack, for stack policies. */
export interface StackView {
    stack: string;
    environment: Environment;
    /**
     * The stack's roles (`training`, `serving`), from its `roles` output, else the policy config's
     * `roles` entry for the stack; `undefined` when neither says (the first preview of a stack, whose
     * outputs are unknown): a check that needs the roles is then not applicable, never guessed.
     */
    roles: string[] | undefined;
    resources: ResourceView[];
}

export interface PolicyContext {
    stack: string;
    environment: Environment;
}

export interface StackViolation {
    message: string;
    /** The offending resource (omitted: the stack as a whole). */
    urn?: string;
}

/**
 * Thrown by a check that cannot give a verdict (a value it needs is unknown during the preview, or
 * the runtime cannot see what it checks). CrossGuard reports the policy as not applicable with the
 * reason (`notApplicable`); the offline plan records it as not run. Use `notApplicable(reason)`.
 */
export class NotApplicable extends Error {
    constructor(public readonly reason: string) {
        super(reason);
        this.name = "NotApplicable";
    }
}

/** Give up the verdict for this resource or stack, saying why. */
export function notApplicable(reason: string): never {
    throw new NotApplicable(reason);
}

interface PolicyBase {
    /** Unique kebab-case name (what config files and violations use). */
    name: string;
    description: string;
    /** What to do about a violation. */
    remediation: string;
    /** Enforcement per environment; the pack's default is the prod level (config files set the others). */
    levels: Record<Environment, Level>;
    /** How bad a violation is (@pulumi/policy `severity`). Default: "high" for policies mandatory everywhere, else "medium". */
    severity?: "low" | "medium" | "high" | "critical";
    /** Where the rule is explained (@pulumi/policy `url`): the upstream guidance it follows. */
    url?: string;
    /** The compliance framework the rule comes from (@pulumi/policy `framework`). */
    framework?: { name: string; version: string; reference: string; specification: string };
}

/** A check of one resource at a time. */
export interface ResourcePolicyDef extends PolicyBase {
    kind: "resource";
    /** Violation messages for one resource (empty: compliant or not applicable). */
    check(r: ResourceView, ctx: PolicyContext): string[];
}

/** A check over the whole stack (correlates resources, reads protect flags and roles). */
export interface StackPolicyDef extends PolicyBase {
    kind: "stack";
    /** The check reads the stack's roles (CrossGuard declares a `roles` config entry for it). */
    needsRoles?: boolean;
    check(s: StackView): StackViolation[];
}

export type PolicyDef = ResourcePolicyDef | StackPolicyDef;

// ---------------------------------------------------------------------------------------------
// Small helpers for the checks.

/** The value at a dotted path (`a.b.c`; keys with dots: pass an array). */
export function get(obj: unknown, path: string | string[]): any {
    let v: any = obj;
    for (const k of Array.isArray(path) ? path : path.split(".")) {
        if (v === null || typeof v !== "object") return undefined;
        v = v[k];
    }
    return v;
}

/** True for a value not known at preview time. */
export const isUnknown = (v: unknown): boolean => v === UNKNOWN;

/** True when the value is set and known. */
export const known = (v: unknown): boolean => v !== undefined && v !== null && v !== UNKNOWN;

/** A known array (or [] when absent or unknown). */
export function list(v: unknown): any[] {
    return Array.isArray(v) ? v : [];
}

/** A number from a number or numeric string; undefined otherwise. */
export function num(v: unknown): number | undefined {
    if (typeof v === "number") return v;
    if (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
    return undefined;
}

/** The stack name from a URN (`urn:pulumi:<stack>::<project>::...`). */
export function stackFromUrn(urn: string): string {
    const m = /^urn:pulumi:([^:]+)::/.exec(urn);
    return m ? m[1] : "";
}

/** The environment a stack name implies, when nothing says otherwise (`prod-aws` -> prod). */
export function environmentFromStack(stack: string): Environment {
    const name = stack.split("/").pop() ?? stack;
    if (/^dev(\b|-|$)/.test(name)) return "dev";
    if (/^edge(\b|-|$)/.test(name)) return "edge";
    return "prod";
}

/** True when `v` is missing, or known and not `expected` (unknown values get the benefit of the doubt). */
export function isNot(v: unknown, expected: unknown): boolean {
    return v === undefined || v === null || (v !== UNKNOWN && v !== expected);
}

/**
 * A view of `props` that records the paths of the unknown values a check reads, so an adapter can
 * tell "compliant" from "not run": a check that read an unknown and found nothing has no verdict.
 */
export function trackUnknowns<T extends Record<string, any>>(props: T): { props: T; unknownRead: string[] } {
    const unknownRead: string[] = [];
    const wrap = (v: any, at: string): any => new Proxy(v, {
        get(target, key, receiver) {
            const x = Reflect.get(target, key, receiver);
            if (typeof key !== "string") return x;
            const here = at ? `${at}.${key}` : key;
            if (x === UNKNOWN) {
                if (!unknownRead.includes(here)) unknownRead.push(here);
                return x;
            }
            return x !== null && typeof x === "object" ? wrap(x, here) : x;
        },
    });
    return { props: wrap(props, ""), unknownRead };
}

/** The not-run reason for unknown values read. */
export function unknownReason(paths: string[]): string {
    const shown = paths.slice(0, 4).join(", ");
    return `not run: ${shown}${paths.length > 4 ? ` and ${paths.length - 4} more` : ""} unknown until the resource is deployed`;
}

/** The statements of an IAM / S3 bucket policy document (a JSON string or an object); [] when it does not parse. */
export function policyStatements(policy: unknown): any[] {
    let doc: any = policy;
    if (typeof policy === "string") {
        try {
            doc = JSON.parse(policy);
        } catch {
            return [];
        }
    }
    return Array.isArray(doc?.Statement) ? doc.Statement : doc?.Statement ? [doc.Statement] : [];
}
