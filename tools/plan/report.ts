/**
 * The offline preview report (`npm run plan -- --all --compare <base plan dir>` -> <out>/report.md):
 * per stack, what the pull request adds, changes (field by field), replaces and removes against
 * the base plans; which changes a real `pulumi up` would refuse or make destructive (a CRD
 * transition rule such as Rook's immutable fields, a replaced or removed protected resource);
 * policy violations; the serving parity result; the cross-cluster reachability of every flow; the
 * deploy critical path; and a link to the fleet
 * picture (fleet.svg). Secrets stay masked ("[secret]"): a changed secret does not show.
 */
import { redactText } from "../../config/redact";
import * as fs from "fs";
import * as path from "path";
import { criticalPath, formatDuration } from "./critical-path";
import { reachabilityMarkdown } from "./reachability";
import type { Plan, PlanResource, Violation } from "./types";

const UNKNOWN = "[unknown]";

export interface FieldChange {
    /** `spec.predictor.model.storageUri`, `values.image.tag`, `tags["env"]`. */
    path: string;
    before: unknown;
    after: unknown;
}

export interface ResourceChange {
    resource: PlanResource;
    fields: FieldChange[];
    /** Fields whose change makes the provider replace the resource (empty: an in-place update). */
    replaceBecause: string[];
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

/**
 * Input paths whose change replaces the resource (the providers' force-new fields and Kubernetes'
 * immutable fields, as Pulumi previews them), by type token. A prefix matches its sub-fields.
 */
export const REPLACE_ON_CHANGE: Readonly<Record<string, string[]>> = {
    "aws:eks/cluster:Cluster": ["name", "roleArn", "vpcConfig.subnetIds", "kubernetesNetworkConfig", "encryptionConfig.provider"],
    "aws:eks/nodeGroup:NodeGroup": ["nodeGroupName", "clusterName", "subnetIds", "instanceTypes", "amiType", "diskSize", "capacityType", "nodeRoleArn"],
    "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix"],
    "aws:kms/key:Key": ["customerMasterKeySpec", "keyUsage"],
    "aws:ec2/vpc:Vpc": ["cidrBlock"],
    "aws:ec2/subnet:Subnet": ["cidrBlock", "vpcId", "availabilityZone"],
    "gcp:container/cluster:Cluster": ["name", "location", "network", "subnetwork", "privateClusterConfig", "ipAllocationPolicy", "networkingMode"],
    "gcp:container/nodePool:NodePool": ["name", "cluster", "location", "nodeConfig.machineType", "nodeConfig.diskSizeGb", "nodeConfig.diskType", "nodeConfig.guestAccelerators", "nodeConfig.imageType", "nodeConfig.serviceAccount", "nodeConfig.oauthScopes"],
    "gcp:storage/bucket:Bucket": ["name", "location"],
    "azure-native:containerservice:ManagedCluster": ["resourceName", "resourceGroupName", "location", "dnsPrefix", "networkProfile.networkPlugin", "networkProfile.podCidr", "networkProfile.serviceCidr"],
    "azure-native:containerservice:AgentPool": ["agentPoolName", "resourceName", "vmSize", "osDiskSizeGB", "osType", "vnetSubnetID"],
    "azure-native:storage:StorageAccount": ["accountName", "resourceGroupName", "location", "kind"],
    "azure-native:storage:BlobContainer": ["containerName", "accountName"],
    "kubernetes:helm.sh/v3:Release": ["name", "namespace"],
    "kubernetes:apps/v1:Deployment": ["metadata.name", "metadata.namespace", "spec.selector"],
    "kubernetes:apps/v1:StatefulSet": ["metadata.name", "metadata.namespace", "spec.selector", "spec.serviceName", "spec.volumeClaimTemplates", "spec.podManagementPolicy"],
    "kubernetes:apps/v1:DaemonSet": ["metadata.name", "metadata.namespace", "spec.selector"],
    "kubernetes:batch/v1:Job": ["metadata.name", "metadata.namespace", "spec.template", "spec.selector"],
    "kubernetes:core/v1:PersistentVolumeClaim": ["metadata.name", "metadata.namespace", "spec.storageClassName", "spec.accessModes", "spec.volumeName"],
    "kubernetes:core/v1:Service": ["metadata.name", "metadata.namespace", "spec.clusterIP", "spec.type"],
    "command:remote:Command": ["connection", "create"],
};

/** Any Kubernetes object: a new name or namespace is a new object. */
const K8S_IDENTITY = ["metadata.name", "metadata.namespace"];

function replaceFields(type: string, fields: FieldChange[]): string[] {
    const triggers = REPLACE_ON_CHANGE[type] ?? (type.startsWith("kubernetes:") && !type.startsWith("kubernetes:helm") ? K8S_IDENTITY : []);
    const hit = (p: string) => triggers.some((t) => p === t || p.startsWith(`${t}.`) || p.startsWith(`${t}[`));
    return fields.filter((f) => hit(f.path)).map((f) => f.path);
}

/** Types whose replacement or deletion loses data (policy/policies/durability.ts's list). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const statefulTypes = (): readonly string[] => (require("../../policy/policies/durability") as typeof import("../../policy/policies/durability")).STATEFUL_TYPES;

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

/** Compare one stack's plan with its base plan (undefined: the stack is new). */
export function compareStack(base: Plan | undefined, head: Plan): StackComparison {
    const before = new Map((base?.resources ?? []).map((r) => [r.urn, r]));
    const after = new Map(head.resources.map((r) => [r.urn, r]));
    const stateful = statefulTypes();
    const out: StackComparison = {
        stack: head.stack, newStack: base === undefined, added: [], removed: [], changed: [], refused: [], destructive: [], notes: [],
        violations: head.violations, newViolations: [], resolvedViolations: [],
    };
    for (const r of head.resources) {
        const b = before.get(r.urn);
        if (!b) {
            out.added.push(r);
            continue;
        }
        const fields = diffInputs(b.inputs, r.inputs).filter((f) => !(f.after === UNKNOWN && f.before === UNKNOWN));
        if (fields.length === 0) continue;
        const replaceBecause = replaceFields(r.type, fields);
        out.changed.push({ resource: r, fields, replaceBecause });
        if (replaceBecause.length > 0) {
            if (b.protect || r.protect) out.refused.push(`${r.type} ${r.name} is protected and would be replaced (${replaceBecause.join(", ")}): pulumi up refuses`);
            else if (stateful.includes(r.type)) out.destructive.push(`${r.type} ${r.name} would be replaced (${replaceBecause.join(", ")}): its data goes with it`);
        }
        const cel = transitionRuleErrors(r.type, b.inputs, r.inputs);
        if (cel === undefined) out.notes.push(`${r.type} ${r.name}: no CRD schema copy (npm run fetch-schemas), CEL transition rules not checked`);
        else for (const e of cel) out.refused.push(`${r.type} ${r.name}: the API server would reject the update: ${e}`);
    }
    for (const b of base?.resources ?? []) {
        if (after.has(b.urn)) continue;
        out.removed.push(b);
        if (b.protect) out.refused.push(`${b.type} ${b.name} is protected and would be deleted: pulumi up refuses`);
        else if (stateful.includes(b.type) && !b.retainOnDelete) out.destructive.push(`${b.type} ${b.name} would be deleted with its data`);
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
export function showChange(before: unknown, after: unknown): string {
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
    /** The fleet picture, relative to the report. */
    svg?: string;
    /** Stacks that failed to plan: stack -> message. */
    errors?: Map<string, string>;
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
    lines.push("| stack | added | changed | replaced | removed | violations (mandatory / advisory) | critical path |", "|---|---|---|---|---|---|---|");
    for (const c of comparisons) {
        const plan = input.head.find((p) => p.stack === c.stack)!;
        const cp = criticalPath(plan.resources);
        const m = c.violations.filter((v) => v.enforcement === "mandatory").length;
        lines.push(`| ${c.stack}${c.newStack ? " (new)" : ""} | ${c.added.length} | ${c.changed.filter((x) => x.replaceBecause.length === 0).length} | ${c.changed.filter((x) => x.replaceBecause.length > 0).length} | ${c.removed.length} | ${m} / ${c.violations.length - m} | ${formatDuration(cp.seconds)} |`);
    }
    // Every line of the error (each bad key and its fix): the PR comment matters most when the config is wrong.
    for (const [stack, message] of input.errors ?? []) {
        const why = redactText(message).split("\n").map((l) => l.trim()).filter(Boolean).join("<br>").replace(/\|/g, "\\|");
        lines.push(`| ${stack} | plan failed: ${why} | | | | | |`);
    }
    for (const s of removedStacks) lines.push(`| ${s} | stack no longer planned | | | | | |`);
    lines.push("");
    if (input.svg) lines.push(`Fleet picture: [${input.svg}](${input.svg}) (clusters, roles, stack references, data flows).`, "");

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
                const how = ch.replaceBecause.length > 0 ? ` — **replace** (${ch.replaceBecause.join(", ")})` : "";
                lines.push(`- ${label(ch.resource)}${how}`);
                for (const fc of ch.fields.slice(0, 20)) lines.push(`  - \`${fc.path}\`: ${showChange(fc.before, fc.after)}`);
                if (ch.fields.length > 20) lines.push(`  - … ${ch.fields.length - 20} more field(s)`);
            }
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
        const cp = criticalPath(plan.resources);
        if (cp.chain.length > 0) {
            lines.push(`Deploy critical path (estimate): **${formatDuration(cp.seconds)}** — ${cp.chain.map((x) => `${x.name} (${x.type.split(":").pop()}, ${formatDuration(x.seconds)})`).join(" → ")}`, "");
        }
    }
    lines.push("---", "Secrets are masked (`[secret]`): a changed secret value does not show. Values known only after deployment show as \"known after deploy\". "
        + "Durations are the documented estimates of tools/plan/critical-path.ts.", "");
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
