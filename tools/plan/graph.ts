/**
 * A picture of the fleet from its plans: one box per stack (cluster kind, environment, roles,
 * what it runs), stack references, and the data flows between training and serving (approved
 * models out, inference feedback back). Graphviz DOT rendered to SVG with @viz-js/viz (Graphviz
 * compiled to WebAssembly: no system binary needed).
 */
import type { Plan } from "./types";

/** A stack as the picture shows it. */
interface StackNode {
    stack: string;
    environment: string;
    roles: string[];
    cluster: string;
    trainingStack?: string;
    highlights: string[];
}

const CLUSTER_LABELS: Record<string, string> = {
    EksCluster: "EKS", GkeCluster: "GKE", AksCluster: "AKS", OnPremCluster: "on-prem Kubernetes", K3sCluster: "k3s (edge)",
};

/** What a stack runs, from its resource types (a few words each). */
function highlights(plan: Plan): string[] {
    const types = new Set(plan.resources.map((r) => r.type));
    const charts = new Set(plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release").map((r) => String(r.inputs.chart ?? "")));
    const has = (re: RegExp) => [...types].some((t) => re.test(t));
    const out: string[] = [];
    if (has(/ceph\.rook\.io/) || charts.has("rook-ceph")) out.push("Rook-Ceph");
    if (has(/kafka\.strimzi\.io\/v\d+:Kafka$/)) out.push("Kafka");
    if (has(/KafkaMirrorMaker2$/)) out.push("MirrorMaker 2");
    if (charts.has("pulsar")) out.push("Pulsar");
    if (charts.has("gpu-operator")) out.push("GPU operator");
    const isvcs = plan.resources.filter((r) => r.type === "kubernetes:serving.kserve.io/v1beta1:InferenceService").length;
    if (isvcs > 0) out.push(`KServe (${isvcs} InferenceService${isvcs === 1 ? "" : "s"})`);
    if (types.has("aws:s3/bucket:Bucket")) out.push("S3 model copy");
    if (types.has("gcp:storage/bucket:Bucket")) out.push("GCS model copy");
    if (types.has("azure-native:storage:BlobContainer")) out.push("Blob model copy");
    return out;
}

function nodeOf(plan: Plan): StackNode {
    const clusterType = plan.resources.find((r) => r.type.startsWith("hybridml:clusters:"))?.type.split(":").pop() ?? "";
    const ref = plan.resources.find((r) => r.type === "pulumi:pulumi:StackReference");
    const refName = typeof ref?.inputs.name === "string" ? ref.inputs.name.split("/").pop() : undefined;
    const roles = Array.isArray(plan.outputs.roles) ? plan.outputs.roles.map(String) : [];
    return {
        stack: plan.stack,
        environment: typeof plan.outputs.environment === "string" ? plan.outputs.environment : "?",
        roles,
        cluster: CLUSTER_LABELS[clusterType] ?? (clusterType || "cluster"),
        trainingStack: refName,
        highlights: highlights(plan),
    };
}

const q = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
const html = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A stack's state in this change, for the picture: border colour and a legend word. */
export type StackState = "unchanged" | "changed" | "blocked" | "failed";
const STATE_STYLE: Record<StackState, { border: string; width: number; word: string }> = {
    unchanged: { border: "#9ca3af", width: 1, word: "unchanged" },
    changed: { border: "#d97706", width: 3, word: "changes" },
    blocked: { border: "#dc2626", width: 4, word: "BLOCKED" },
    failed: { border: "#7f1d1d", width: 4, word: "PLAN FAILED" },
};

/** The fleet as Graphviz DOT; with `status`, each stack is outlined by what this change does to it. */
export function fleetDot(plans: Plan[], status?: ReadonlyMap<string, StackState>): string {
    const nodes = plans.map(nodeOf);
    const lines = [
        "digraph fleet {",
        '  graph [rankdir=LR, fontname="Helvetica", label="hybridml fleet (offline plan)", labelloc=t, fontsize=18];',
        '  node [shape=plaintext, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ];
    for (const n of nodes) {
        const color = n.roles.includes("training") ? "#dbeafe" : "#dcfce7";
        const rows = [
            `<tr><td bgcolor="${color}"><b>${html(n.stack)}</b></td></tr>`,
            `<tr><td>${html(n.cluster)} · ${html(n.environment)}</td></tr>`,
            `<tr><td>roles: ${html(n.roles.join(", ") || "-")}</td></tr>`,
            ...(n.highlights.length ? [`<tr><td>${html(n.highlights.join(", "))}</td></tr>`] : []),
        ];
        const st = status?.get(n.stack);
        const style = st ? STATE_STYLE[st] : { border: "#000000", width: 1, word: "" };
        if (st) rows.push(`<tr><td><font color="${style.border}"><b>${html(style.word)}</b></font></td></tr>`);
        lines.push(`  ${q(n.stack)} [label=<<table border="${style.width}" color="${style.border}" cellborder="0" cellspacing="0" cellpadding="4">${rows.join("")}</table>>];`);
    }
    const known = new Set(nodes.map((n) => n.stack));
    for (const n of nodes) {
        if (!n.trainingStack) continue;
        if (!known.has(n.trainingStack)) {
            const failed = status?.get(n.trainingStack) === "failed";
            lines.push(`  ${q(n.trainingStack)} [label=${q(`${n.trainingStack} (${failed ? "PLAN FAILED" : "not planned"})`)}, shape=box, style=dashed${failed ? `, color="${STATE_STYLE.failed.border}", penwidth=4` : ""}];`);
        }
        lines.push(`  ${q(n.trainingStack)} -> ${q(n.stack)} [label="approved models\\n(model sync)", color="#2563eb"];`);
        lines.push(`  ${q(n.stack)} -> ${q(n.trainingStack)} [label="StackReference\\n(catalogue, store, stream)", style=dashed, color="#6b7280"];`);
        lines.push(`  ${q(n.stack)} -> ${q(n.trainingStack)} [label="inference feedback", color="#16a34a"];`);
    }
    lines.push("}");
    return lines.join("\n") + "\n";
}

/** Render DOT to SVG (Graphviz in WebAssembly). */
export async function renderSvg(dot: string): Promise<string> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const viz = await (require("@viz-js/viz") as typeof import("@viz-js/viz")).instance();
    return viz.renderString(dot, { format: "svg" });
}

/** The fleet picture as SVG. */
export async function fleetSvg(plans: Plan[], status?: ReadonlyMap<string, StackState>): Promise<string> {
    return renderSvg(fleetDot(plans, status));
}
