/**
 * One stack operation on the Automation API, in a process of its own (the Pulumi Node runtime keeps
 * global state, so two stacks never share a process). Run by tools/fleet/run.ts:
 *   node -r ./tools/register.js tools/fleet/worker.ts '<json WorkerRequest>'
 * The program runs inline (the same index.ts `pulumi up` runs), through the real Pulumi CLI found on
 * PATH and its engine; the engine's output is printed as it comes, engine events as `@@event` lines,
 * and the outcome as one final `@@result` line.
 */
import * as path from "node:path";
import { LocalWorkspace, EngineEvent, OpMap, Stack } from "@pulumi/pulumi/automation";
import { adoptPendingCreates, DeploymentState, planPendingCreates, repairFileBackend, withOperatorImports } from "./pending";

export type StackOp = "preview" | "up" | "destroy" | "refresh" | "recover";

export interface WorkerRequest {
    stack: string;
    op: StackOp;
    /** Folder with Pulumi.yaml and Pulumi.<stack>.yaml. */
    workDir: string;
    /** Folder of the program (index.ts). */
    programDir: string;
    project: string;
    expectNoChanges?: boolean;
    policyPacks?: string[];
    policyPackConfigs?: string[];
    clearPendingCreates?: boolean;
    /** Refresh before the operation. */
    refresh?: boolean;
    /** recover: also clear pending creates whose IDs cannot be derived (their objects, if any, are orphaned). */
    clearUnknown?: boolean;
    /** recover: IDs the operator found for pending creates the provider cannot identify (cloud resources). */
    imports?: { urn: string; id: string }[];
}

export interface WorkerResult {
    ok: boolean;
    /** Operation counts (create, update, delete, same, ...). */
    changes: Record<string, number>;
    error?: string;
    /** What the operation did beyond the counts (recover: what it imported and cleared). */
    detail?: string;
    seconds: number;
}

/** A compact event for the parent: resource operations and policy violations. */
export interface WorkerEvent {
    kind: "resource" | "policy" | "diag";
    op?: string;
    urn?: string;
    type?: string;
    policy?: string;
    level?: string;
    message?: string;
}

function compact(e: EngineEvent): WorkerEvent | undefined {
    if (e.resOutputsEvent) return { kind: "resource", op: e.resOutputsEvent.metadata.op, urn: e.resOutputsEvent.metadata.urn, type: e.resOutputsEvent.metadata.type };
    if (e.policyEvent) return { kind: "policy", policy: e.policyEvent.policyName, level: e.policyEvent.enforcementLevel, urn: e.policyEvent.resourceUrn, message: e.policyEvent.message };
    if (e.diagnosticEvent && e.diagnosticEvent.severity === "error") return { kind: "diag", level: "error", urn: e.diagnosticEvent.urn, message: e.diagnosticEvent.message };
    return undefined;
}

function counts(m: OpMap | Record<string, number | undefined> | undefined): Record<string, number> {
    return Object.fromEntries(Object.entries(m ?? {}).filter(([, v]) => typeof v === "number" && v > 0)) as Record<string, number>;
}

/**
 * After a killed `up`: release the dead run's lock, import the pending creates whose objects the
 * Kubernetes provider can find by ID, and refresh (clearing what is left) so the next `up` neither
 * duplicates nor orphans anything (tools/fleet/pending.ts).
 */
async function recover(stack: Stack, req: WorkerRequest, common: Parameters<Stack["refresh"]>[0]): Promise<{ changes: Record<string, number>; detail: string }> {
    await stack.cancel().catch(() => undefined); // no update in progress is fine
    const state = await stack.exportStack();
    const deployment = state.deployment as DeploymentState;
    const plan = withOperatorImports(planPendingCreates(deployment.pending_operations), req.imports ?? []);
    if (plan.unknown.length > 0 && !req.clearUnknown) {
        throw new Error(`${plan.unknown.length} pending create(s) whose IDs cannot be derived; find each object and rerun recover with ` +
            `--import URN ID for it, or with --clear-unknown to drop them (when they were never created):\n${plan.unknown.join("\n")}`);
    }
    if (plan.imports.length > 0) {
        await stack.importStack({ ...state, deployment: adoptPendingCreates(deployment, plan.imports) });
    }
    const r = await stack.refresh({ ...common, clearPendingCreates: true });
    const detail = `${plan.imports.length} pending create(s) adopted by ID, ${plan.local.length + plan.unknown.length} cleared`;
    return { changes: counts(r.summary.resourceChanges), detail };
}

async function main(): Promise<void> {
    const req = JSON.parse(process.argv[2] ?? "{}") as WorkerRequest;
    const started = Date.now();
    // Markers on lines of their own (the engine's progress output does not always end its line).
    let atLineStart = true;
    const out = (s: string) => {
        if (s.length === 0) return;
        process.stdout.write(s);
        atLineStart = s.endsWith("\n");
    };
    const emit = (tag: string, v: unknown) => out(`${atLineStart ? "" : "\n"}@@${tag} ${JSON.stringify(v)}\n`);
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const program = require(path.join(req.programDir, "index")) as () => Promise<Record<string, unknown>>;
        // A killed run can leave the file backend unreadable: repair it before the stack is selected.
        const repaired = req.op === "recover" ? repairFileBackend(process.env.PULUMI_BACKEND_URL, req.project, req.stack) : [];
        const stack = await LocalWorkspace.createOrSelectStack(
            { stackName: req.stack, projectName: req.project, program },
            { workDir: req.workDir },
        );
        const common = {
            onOutput: out,
            onEvent: (e: EngineEvent) => {
                const c = compact(e);
                if (c) emit("event", c);
            },
        };
        let changes: Record<string, number> = {};
        let detail: string | undefined;
        if (req.refresh) await stack.refresh({ ...common, clearPendingCreates: req.clearPendingCreates });
        switch (req.op) {
            case "preview": {
                const r = await stack.preview({ ...common, expectNoChanges: req.expectNoChanges, policyPacks: req.policyPacks, policyPackConfigs: req.policyPackConfigs });
                changes = counts(r.changeSummary);
                break;
            }
            case "up": {
                const r = await stack.up({ ...common, expectNoChanges: req.expectNoChanges, policyPacks: req.policyPacks, policyPackConfigs: req.policyPackConfigs });
                changes = counts(r.summary.resourceChanges);
                break;
            }
            case "destroy": {
                const r = await stack.destroy(common);
                changes = counts(r.summary.resourceChanges);
                break;
            }
            case "recover": {
                ({ changes, detail } = await recover(stack, req, common));
                if (repaired.length > 0) detail = `${detail}; removed the broken backend files ${repaired.join(", ")}`;
                break;
            }
            case "refresh": {
                const r = await stack.refresh({ ...common, clearPendingCreates: req.clearPendingCreates, expectNoChanges: req.expectNoChanges });
                changes = counts(r.summary.resourceChanges);
                break;
            }
        }
        emit("result", { ok: true, changes, detail, seconds: (Date.now() - started) / 1000 } satisfies WorkerResult);
    } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        emit("result", { ok: false, changes: {}, error: message, seconds: (Date.now() - started) / 1000 } satisfies WorkerResult);
        process.exitCode = 1;
    }
}

void main();
