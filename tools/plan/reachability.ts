/**
 * The reachability section of the plan summary and the --compare report (issue 14 item 7): every
 * cross-cluster flow a serving stack reports in its `reachability` output (model sync, feedback),
 * with its endpoint, DNS name, certificate SANs, allowed sources and whether the consumer's egress is
 * among them. A flow that cannot work (egress not admitted) is a plan error when the consumer's
 * environment is prod. Pure over plans.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Flow } from "../../stacks/reachability";
import type { Plan } from "./types";

const UNKNOWN = "[unknown]";

/** One flow as the plan records it (stacks/reachability.ts `Flow`, after the plan masked unknowns). */
export type PlannedFlow = Omit<Flow, "flow" | "consumerEgress" | "egressAllowed"> & {
    flow: string;
    consumerEgress: string[] | null | typeof UNKNOWN;
    egressAllowed: pulumi.Unwrap<Flow["egressAllowed"]> | typeof UNKNOWN;
};

/** The flows of a plan (none on stacks that serve no other cluster). */
export function plannedFlows(plan: Pick<Plan, "outputs">): PlannedFlow[] {
    const r = plan.outputs.reachability;
    return Array.isArray(r) ? (r as PlannedFlow[]) : [];
}

/** How a flow's egress verdict reads. */
export function verdict(f: PlannedFlow): string {
    switch (f.egressAllowed) {
        case "yes": return "yes";
        case "no": return "NO";
        case "open": return "open (no allow-list)";
        default: return "pending (egress known after the NAT addresses exist)";
    }
}

/** Plan errors: flows that cannot work, for consumers in prod. `environment` maps a stack to its environment. */
export function reachabilityErrors(plans: Pick<Plan, "outputs" | "stack">[], environment: (stack: string) => string | undefined): string[] {
    return plans.flatMap((p) => plannedFlows(p)
        .filter((f) => f.egressAllowed === "no" && environment(p.stack) === "prod")
        .map((f) => `${p.stack}: ${f.flow} to ${f.endpoint} cannot work: ${f.training} admits ${f.allowedSources.join(", ")}, `
            + `not this stack's egress ${Array.isArray(f.consumerEgress) ? f.consumerEgress.join(", ") : "?"}: `
            + `add it to hybridml:exposure.allowedSources.${f.consumer} on ${f.training}`));
}

const list = (v: string[] | null | string): string => (Array.isArray(v) ? (v.length > 0 ? v.join(", ") : "-") : v === null ? "unknown" : v === UNKNOWN ? "pending" : String(v));

/** Text lines for the plan summary (undefined when no planned stack has a cross-cluster flow). */
export function formatReachability(plans: Pick<Plan, "outputs" | "stack">[]): string | undefined {
    const flows = plans.flatMap(plannedFlows);
    if (flows.length === 0) return undefined;
    const lines = ["reachability (cross-cluster flows):"];
    for (const f of flows) {
        lines.push(`  ${f.consumer} ${f.flow} -> ${f.endpoint} (${f.training})`,
            `    dns ${f.dnsName}; SANs ${list(f.sans)}`,
            `    allowed ${list(f.allowedSources)}; egress ${list(f.consumerEgress)}; egress allowed: ${verdict(f)}`);
    }
    return lines.join("\n");
}

/** The Markdown table of the --compare report. */
export function reachabilityMarkdown(plans: Pick<Plan, "outputs" | "stack">[]): string[] {
    const flows = plans.flatMap(plannedFlows);
    if (flows.length === 0) return [];
    const cell = (s: string) => s.replace(/\|/g, "\\|");
    return [
        "## Reachability", "",
        "| consumer | flow | endpoint | DNS name | certificate SANs | allowed sources | consumer egress | egress allowed |",
        "|---|---|---|---|---|---|---|---|",
        ...flows.map((f) => `| ${[f.consumer, f.flow, `\`${f.endpoint}\``, f.dnsName, list(f.sans), list(f.allowedSources), list(f.consumerEgress), verdict(f)].map(cell).join(" | ")} |`),
        "",
    ];
}
