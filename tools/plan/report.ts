/**
 * The offline preview report (`npm run plan -- --all --compare <base plan dir>` -> <out>/report.md):
 * per stack, what the pull request adds, changes (field by field), replaces and removes against
 * the base plans; which changes a real `pulumi up` would refuse or make destructive (a CRD
 * transition rule such as Rook's immutable fields, a replaced or removed protected resource);
 * policy violations; stack output changes (the stack-reference contract); the serving parity
 * result; the cross-cluster reachability of every flow; the deploy critical path of the whole stack
 * and of the change; and a link to the fleet picture (fleet.svg). Secrets stay masked ("[secret]"); a
 * changed secret shows as changed when both plans carry salted digests of their secrets
 * (PLAN_SECRET_SALT), never its value. Renamed resources are matched through their `aliases`.
 * Replacements are estimates (tools/plan/replacements.ts).
 */
import { redactText } from "../../config/redact";
import * as fs from "fs";
import * as path from "path";
import { criticalPath, formatDuration } from "./critical-path";
import { reachabilityMarkdown } from "./reachability";
import { covers, replaceFields, replaceTriggers } from "./replacements";
import type { Plan, PlanResource, Violation } from "./types";

const UNKNOWN = "[unknown]";

export interface FieldChange {
    /** `spec.predictor.model.storageUri`, `values.image.tag`, `tags["env"]`. */
    path: string;
    before: unknown;
    after: unknown;
    /** Both sides are "[secret]" and the salted digests differ: the secret changed. */
    secretChanged?: boolean;
}

export interface ResourceChange {
    resource: PlanResource;
    fields: FieldChange[];
    /** Fields whose change makes the provider replace the resource (empty: an in-place update). Estimates. */
    replaceBecause: string[];
    /** The URN in the base plan when the resource was renamed (matched through `aliases`). */
    renamedFrom?: string;
}

export interface StackComparison {
    stack: string;
    /** No base plan for this stack (a new stack). */
    newStack: boolean;
    added: PlanResource[];
    removed: PlanResource[];
    changed: ResourceChange[];
    /** Changes `pulumi up` would refuse (protected) or the API server would reject (CEL transition rules). */
    refused: string[];
    /** Changes that destroy data or a live resource (replacements and deletions of stateful resources). */
    destructive: string[];
    /** What could not be checked (no CRD schema copy for transition rules). */
    notes: string[];
    violations: Violation[];
    /** Violations not in the base plan. */
    newViolations: Violation[];
    /** Violations the base plan had and this one does not. */
    resolvedViolations: Violation[];
    /** Changes of the stack's outputs (secrets: changed or not, by salted digest). */
    outputs: FieldChange[];
}

// ---------------------------------------------------------------------------------------------
// Field-level differences

const key = (base: string, k: string) => (/^[A-Za-z_$][\w$-]*$/.test(k) ? (base ? `${base}.${k}` : k) : `${base}[${JSON.stringify(k)}]`);
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Leaf-level differences between two input trees (arrays of different length: the whole array). */
export function diffInputs(before: unknown, after: unknown, at = ""): FieldChange[] {
    if (JSON.stringify(before) === JSON.stringify(after)) return [];
    if (isObj(before) && isObj(after)) {
        const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
        return keys.flatMap((k) => diffInputs(before[k], after[k], key(at, k)));
    }
    if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
        return before.flatMap((b, i) => diffInputs(b, after[i], `${at}[${i}]`));
    }
    return [{ path: at || "(inputs)", before, after }];
}

/** URNs of the resources whose replacement or deletion loses data (policy/policies/durability.ts). */
function statefulUrns(resources: PlanResource[]): Set<string> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { statefulResources } = require("../../policy/policies/durability") as typeof import("../../policy/policies/durability");
    return new Set(statefulResources(resources.map((r) => ({ ...r, props: r.inputs ?? {} })) as never).map((r: { urn: string }) => r.urn));
}

// ---------------------------------------------------------------------------------------------
// Secrets: salted digests, so a changed secret shows as changed without its value

/** The digest of a secret value under a salt (HMAC-SHA256, 16 hex digits): equal values, equal digests. */
export function secretDigest(value: unknown, salt: string): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const crypto = require("crypto") as typeof import("crypto");
    return crypto.createHmac("sha256", salt).update(JSON.stringify(value) ?? "undefined").digest("hex").slice(0, 16);
}

/**
 * Digests of the secrets in a value tree, by the path diffInputs uses. `isSecret(v)` tells a secret
 * wrapper and `unwrap(v)` its value (the recorder's SecretValue).
 */
export function secretDigests(v: unknown, salt: string, isSecret: (x: unknown) => boolean, unwrap: (x: unknown) => unknown, at = ""): Record<string, string> {
    if (isSecret(v)) return { [at || "(value)"]: secretDigest(unwrap(v), salt) };
    if (Array.isArray(v)) return Object.assign({}, ...v.map((x, i) => secretDigests(x, salt, isSecret, unwrap, `${at}[${i}]`)));
    if (isObj(v)) return Object.assign({}, ...Object.entries(v).map(([k, x]) => secretDigests(x, salt, isSecret, unwrap, key(at, k))));
    return {};
}

/** Secret changes between two digest maps (paths in both whose digests differ). */
function secretChanges(before: Record<string, string> | undefined, after: Record<string, string> | undefined): FieldChange[] {
    if (!before || !after) return [];
    return Object.keys(after).filter((p) => p in before && before[p] !== after[p]).sort()
        .map((p) => ({ path: p, before: "[secret]", after: "[secret]", secretChanged: true }));
}

/**
 * CRD transition-rule errors (`oldSelf`) of an update from `before` to `after`, with the real CRD
 * schemas (tools/schemas/crds.ts); undefined when no schema copy is available.
 */
export function transitionRuleErrors(type: string, before: Record<string, unknown>, after: Record<string, unknown>): string[] | undefined {
    if (!type.startsWith("kubernetes:")) return [];
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const crds = require("../schemas/crds") as typeof import("../schemas/crds");
        if (crds.isBuiltinKubernetesType(type)) return [];
        const withOld = crds.validateRecordedCustomResource(type, after, undefined, { oldInputs: before });
        const without = new Set(crds.validateRecordedCustomResource(type, after));
        return withOld.filter((e) => !without.has(e));
    } catch {
        return undefined;
    }
}

const violationKey = (v: Violation) => `${v.policy}|${v.urn}|${v.message}`;

/** Input paths of a resource whose value is unknown (known after deploy). */
function unknownPaths(v: unknown, at = ""): string[] {
    if (v === UNKNOWN) return [at];
    if (Array.isArray(v)) return v.flatMap((x, i) => unknownPaths(x, `${at}[${i}]`));
    if (isObj(v)) return Object.entries(v).flatMap(([k, x]) => unknownPaths(x, key(at, k)));
    return [];
}

/** Compare one stack's plan with its base plan (undefined: the stack is new). */
export function compareStack(base: Plan | undefined, head: Plan): StackComparison {
    const before = new Map((base?.resources ?? []).map((r) => [r.urn, r]));
    const stateful = new Set([...statefulUrns(base?.resources ?? []), ...statefulUrns(head.resources)]);
    const out: StackComparison = {
        stack: head.stack, newStack: base === undefined, added: [], removed: [], changed: [], refused: [], destructive: [], notes: [],
        violations: head.violations, newViolations: [], resolvedViolations: [], outputs: [],
    };
    const matched = new Set<string>();
    const pairs: Array<{ b: PlanResource; r: PlanResource; change: ResourceChange }> = [];
    for (const r of head.resources) {
        // The same resource: the same URN, or a URN it names in its aliases (a rename).
        const baseUrn = before.has(r.urn) ? r.urn : (r.aliases ?? []).find((a) => before.has(a) && !matched.has(a));
        const b = baseUrn ? before.get(baseUrn) : undefined;
        if (!b) {
            out.added.push(r);
            continue;
        }
        matched.add(b.urn);
        const fields = [
            ...diffInputs(b.inputs, r.inputs).filter((f) => !(f.after === UNKNOWN && f.before === UNKNOWN)),
            ...secretChanges(base?.secrets?.inputs?.[b.urn], head.secrets?.inputs?.[r.urn]),
        ];
        const change: ResourceChange = { resource: r, fields, replaceBecause: replaceFields(r.type, fields.map((f) => f.path)), ...(b.urn !== r.urn ? { renamedFrom: b.urn } : {}) };
        pairs.push({ b, r, change });
    }
    // A force-new input known only after deploy that comes from a replaced resource changes too:
    // a renamed bucket replaces the access block, encryption and versioning keyed by its name.
    const replaced = new Map(pairs.filter((x) => x.change.replaceBecause.length > 0).map((x) => [x.r.urn, x.r.name]));
    for (let grew = true; grew;) {
        grew = false;
        for (const { r, change } of pairs) {
            if (replaced.has(r.urn)) continue;
            const from = [...r.dependencies, ...(r.provider ? [r.provider] : [])].find((d) => replaced.has(d));
            if (!from) continue;
            const triggers = replaceTriggers(r.type);
            const hits = unknownPaths(r.inputs).filter((p) => triggers.some((t) => covers(t, p)));
            if (hits.length === 0) continue;
            change.replaceBecause.push(...hits.map((p) => `${p} (from replaced ${replaced.get(from)})`));
            replaced.set(r.urn, r.name);
            grew = true;
        }
    }
    for (const { b, r, change } of pairs) {
        if (change.fields.length === 0 && change.replaceBecause.length === 0) continue;
        out.changed.push(change);
        const { replaceBecause } = change;
        if (replaceBecause.length > 0) {
            if (b.protect || r.protect) out.refused.push(`${r.type} ${r.name} is protected and would be replaced (${replaceBecause.join(", ")}; estimate): pulumi up refuses`);
            else if (stateful.has(r.urn) || stateful.has(b.urn)) out.destructive.push(`${r.type} ${r.name} would be replaced (${replaceBecause.join(", ")}; estimate): its data goes with it`);
        }
        if (change.fields.length === 0) continue;
        const cel = transitionRuleErrors(r.type, b.inputs, r.inputs);
        if (cel === undefined) out.notes.push(`${r.type} ${r.name}: no CRD schema copy (npm run fetch-schemas), CEL transition rules not checked`);
        else for (const e of cel) out.refused.push(`${r.type} ${r.name}: the API server would reject the update: ${e}`);
    }
    for (const b of base?.resources ?? []) {
        if (matched.has(b.urn)) continue;
        out.removed.push(b);
        if (b.protect) out.refused.push(`${b.type} ${b.name} is protected and would be deleted: pulumi up refuses`);
        else if (stateful.has(b.urn) && !b.retainOnDelete) out.destructive.push(`${b.type} ${b.name} would be deleted with its data`);
    }
    if (base) {
        out.outputs = [...diffInputs(base.outputs ?? {}, head.outputs ?? {}), ...secretChanges(base.secrets?.outputs, head.secrets?.outputs)];
        const withSecrets = JSON.stringify([base.outputs, base.resources.map((r) => r.inputs)]).includes('"[secret]"');
        if (withSecrets && (!base.secrets || !head.secrets)) {
            out.notes.push("secret changes are not detectable: a plan was made without PLAN_SECRET_SALT (the same salt for base and head)");
        }
    }
    const baseKeys = new Set((base?.violations ?? []).map(violationKey));
    const headKeys = new Set(head.violations.map(violationKey));
    out.newViolations = head.violations.filter((v) => !baseKeys.has(violationKey(v)));
    out.resolvedViolations = (base?.violations ?? []).filter((v) => !headKeys.has(violationKey(v)));
    return out;
}

// ---------------------------------------------------------------------------------------------
// Markdown

const MAX_VALUE = 80;
function show(v: unknown): string {
    if (v === undefined) return "(unset)";
    if (v === UNKNOWN) return "(known after deploy)";
    const s = typeof v === "string" && !/\n/.test(v) ? v : JSON.stringify(v);
    const cut = s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE - 1)}…` : s;
    return `\`${cut.replace(/`/g, "'").replace(/\|/g, "\\|")}\``;
}

/** Before and after for display: for two long or multi-line strings, a window around the first difference. */
export function showChange(before: unknown, after: unknown, secretChanged = false): string {
    if (secretChanged) return "`[secret]` → `[secret]` (**secret value changed**; salted digests differ)";
    if (typeof before === "string" && typeof after === "string" && (before.length > MAX_VALUE || after.length > MAX_VALUE || /\n/.test(before + after))) {
        let p = 0;
        while (p < before.length && p < after.length && before[p] === after[p]) p++;
        const start = Math.max(0, p - 20);
        const cut = (x: string) => {
            const w = JSON.stringify(x.slice(start, start + 60)).slice(1, -1);
            return `\`${start > 0 ? "…" : ""}${w.replace(/`/g, "'").replace(/\|/g, "\\|")}${start + 60 < x.length ? "…" : ""}\``;
        };
        return `${cut(before)} → ${cut(after)} (at character ${p + 1})`;
    }
    return `${show(before)} → ${show(after)}`;
}

const label = (r: PlanResource) => `\`${r.type}\` **${r.name}**`;

export interface ReportInput {
    /** Base plans by stack (missing: a new stack). */
    base: Map<string, Plan>;
    /** This change's plans, in plan order. */
    head: Plan[];
    /** Lines of the serving parity check (tools/plan/parity.ts), if there was one. */
    parity?: string;
    /** Where the reader opens the fleet picture: a URL (the CI run's artifact), else a path relative to the report. */
    svg?: string;
    /** Stacks that failed to plan: stack -> message. */
    errors?: Map<string, string>;
}

/** What happened to a stack in this change (also the fleet picture's colours). */
export type StackStatus = "unchanged" | "changed" | "blocked" | "failed";

const STATUS_LABEL: Record<StackStatus, string> = { unchanged: "unchanged", changed: "changes", blocked: ":no_entry: blocked", failed: ":x: plan failed" };

export function stackStatus(c: StackComparison): StackStatus {
    if (c.violations.some((v) => v.enforcement === "mandatory") || c.refused.length > 0) return "blocked";
    return c.added.length + c.changed.length + c.removed.length + c.outputs.length > 0 ? "changed" : "unchanged";
}

/** Every stack's status: compared stacks, and failed ones. */
export function fleetStatus(input: Pick<ReportInput, "base" | "head" | "errors">): Map<string, StackStatus> {
    const out = new Map(input.head.map((p) => [p.stack, stackStatus(compareStack(input.base.get(p.stack), p))]));
    for (const s of input.errors?.keys() ?? []) out.set(s, "failed");
    return out;
}

/** The URNs this change creates or replaces (what `pulumi up` waits for). */
function changedUrns(c: StackComparison): Set<string> {
    return new Set([...c.added.map((r) => r.urn), ...c.changed.filter((x) => x.replaceBecause.length > 0 || x.fields.length > 0).map((x) => x.resource.urn)]);
}

/** The report as Markdown. */
export function buildReport(input: ReportInput): string {
    const comparisons = input.head.map((p) => compareStack(input.base.get(p.stack), p));
    const removedStacks = [...input.base.keys()].filter((s) => !input.head.some((p) => p.stack === s) && !input.errors?.has(s));
    const lines: string[] = ["# Offline preview report", ""];
    const mandatory = comparisons.flatMap((c) => c.violations.filter((v) => v.enforcement === "mandatory"));
    const refused = comparisons.flatMap((c) => c.refused.map((x) => `${c.stack}: ${x}`));
    const destructive = comparisons.flatMap((c) => c.destructive.map((x) => `${c.stack}: ${x}`));
    const verdict = mandatory.length + refused.length + (input.errors?.size ?? 0) > 0 ? "**Blocked**" : destructive.length > 0 ? "**Destructive changes: review**" : "**OK**";
    lines.push(`${verdict}: ${input.head.length} stack(s) planned offline against the base plans; ${mandatory.length} mandatory violation(s), ${refused.length} refused change(s), ${destructive.length} destructive change(s).`, "");
    lines.push("| stack | status | added | changed | replaced (estimate) | removed | outputs changed | violations (mandatory / advisory) | critical path: stack / change |", "|---|---|---|---|---|---|---|---|---|");
    for (const c of comparisons) {
        const plan = input.head.find((p) => p.stack === c.stack)!;
        const cp = criticalPath(plan.resources);
        const cpChange = criticalPath(plan.resources, changedUrns(c));
        const m = c.violations.filter((v) => v.enforcement === "mandatory").length;
        lines.push(`| ${c.stack}${c.newStack ? " (new)" : ""} | ${STATUS_LABEL[stackStatus(c)]} | ${c.added.length} | ${c.changed.filter((x) => x.replaceBecause.length === 0).length} | ${c.changed.filter((x) => x.replaceBecause.length > 0).length} | ${c.removed.length} | ${c.outputs.length} | ${m} / ${c.violations.length - m} | ${formatDuration(cp.seconds)} / ${formatDuration(cpChange.seconds)} |`);
    }
    // Every line of the error (each bad key and its fix): the PR comment matters most when the config is wrong.
    for (const [stack, message] of input.errors ?? []) {
        const why = redactText(message).split("\n").map((l) => l.trim()).filter(Boolean).join("<br>").replace(/\|/g, "\\|");
        lines.push(`| ${stack} | ${STATUS_LABEL.failed} | plan failed: ${why} | | | | | | |`);
    }
    for (const s of removedStacks) lines.push(`| ${s} | | stack no longer planned | | | | | | |`);
    lines.push("");
    if (input.svg) {
        const where = /^https?:\/\//.test(input.svg) ? `[fleet.svg](${input.svg})` : `\`${input.svg}\` (in the plan directory / the CI run's offline-plan artifact)`;
        lines.push(`Fleet picture: ${where}: clusters, roles, stack references and data flows; stacks coloured by this change (changed, blocked, failed).`, "");
    }

    if (refused.length + destructive.length > 0) {
        lines.push("## What `pulumi up` would refuse or destroy", "");
        for (const x of refused) lines.push(`- :no_entry: ${x}`);
        for (const x of destructive) lines.push(`- :warning: ${x}`);
        lines.push("");
    }
    if (mandatory.length > 0) {
        lines.push("## Mandatory policy violations", "");
        for (const c of comparisons) for (const v of c.violations.filter((x) => x.enforcement === "mandatory")) lines.push(`- ${c.stack}: **${v.policy}**: ${v.message} (\`${v.urn}\`)`);
        lines.push("");
    }
    if (input.parity) lines.push("## Serving parity", "", "```", input.parity.trim(), "```", "");
    lines.push(...reachabilityMarkdown(input.head));

    for (const c of comparisons) {
        const plan = input.head.find((p) => p.stack === c.stack)!;
        lines.push(`## ${c.stack}`, "");
        if (c.added.length + c.changed.length + c.removed.length === 0) lines.push("No changes.", "");
        for (const n of c.notes) lines.push(`- note: ${n}`);
        if (c.notes.length > 0) lines.push("");
        if (c.changed.length > 0) {
            lines.push(`### Changed (${c.changed.length})`, "");
            for (const ch of c.changed) {
                const how = ch.replaceBecause.length > 0 ? ` — **replace** (estimate: ${ch.replaceBecause.join(", ")})` : "";
                const renamed = ch.renamedFrom ? ` (renamed from \`${ch.renamedFrom.split("::").pop()}\` through its aliases)` : "";
                lines.push(`- ${label(ch.resource)}${renamed}${how}`);
                for (const fc of ch.fields.slice(0, 20)) lines.push(`  - \`${fc.path}\`: ${showChange(fc.before, fc.after, fc.secretChanged)}`);
                if (ch.fields.length > 20) lines.push(`  - … ${ch.fields.length - 20} more field(s)`);
            }
            lines.push("");
        }
        if (c.outputs.length > 0) {
            lines.push(`### Stack outputs changed (${c.outputs.length}; the stack-reference contract)`, "");
            for (const fc of c.outputs) lines.push(`- \`${fc.path}\`: ${showChange(fc.before, fc.after, fc.secretChanged)}`);
            lines.push("");
        }
        for (const [title, list] of [["Added", c.added], ["Removed", c.removed]] as const) {
            if (list.length === 0) continue;
            lines.push(`<details><summary>${title} (${list.length})</summary>`, "");
            for (const r of list) lines.push(`- ${label(r)}${r.protect ? " (protected)" : ""}`);
            lines.push("", "</details>", "");
        }
        if (c.violations.length > 0) {
            lines.push(`### Policy violations (${c.violations.length}; ${c.newViolations.length} new, ${c.resolvedViolations.length} resolved)`, "");
            for (const v of c.violations) lines.push(`- [${v.enforcement}] **${v.policy}**: ${v.message}`);
            lines.push("");
        } else if (c.resolvedViolations.length > 0) {
            lines.push(`Policy violations resolved: ${c.resolvedViolations.length}.`, "");
        }
        const chain = (cp: ReturnType<typeof criticalPath>) => cp.chain.map((x) => `${x.name} (${x.kind}, ${formatDuration(x.seconds)})`).join(" → ");
        const full = criticalPath(plan.resources);
        const change = criticalPath(plan.resources, changedUrns(c));
        if (change.chain.length > 0 && change.seconds > 0) lines.push(`Critical path of this change (estimate): **${formatDuration(change.seconds)}** — ${chain(change)}`, "");
        else if (!c.newStack) lines.push("Critical path of this change: nothing to create or replace.", "");
        if (full.chain.length > 0) lines.push(`Full create path of the stack (estimate): ${formatDuration(full.seconds)} — ${chain(full)}`, "");
    }
    lines.push("---", "Secrets are masked (`[secret]`); with PLAN_SECRET_SALT set for both plans, a changed secret shows as changed (salted digests, never the value). "
        + "Values known only after deployment show as \"known after deploy\". Replacements are estimates from tools/plan/replacements.ts (per provider version); "
        + "`pulumi preview` is the authority. Durations are the estimates of tools/plan/critical-path.ts (per Helm chart).", "");
    return lines.join("\n");
}

/** Read the base plans (`<stack>.json`) of a directory; a missing directory is an empty base. */
export function readPlans(dir: string): Map<string, Plan> {
    const out = new Map<string, Plan>();
    if (!fs.existsSync(dir)) return out;
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".json")).sort()) {
        try {
            const p = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Plan;
            if (p && typeof p.stack === "string" && Array.isArray(p.resources)) out.set(p.stack, { ...p, violations: p.violations ?? [] });
        } catch {
            /* not a plan file */
        }
    }
    return out;
}
