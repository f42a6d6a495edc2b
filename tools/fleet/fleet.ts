/**
 * The fleet on the Automation API (`npm run fleet`): every stack of a folder in dependency order
 * (a stack's `hybridml:trainingStack` first, the stacks that read it in parallel after it; destroy in
 * reverse), each in its own worker process (tools/fleet/worker.ts) running the real Pulumi CLI. A
 * failed stack stops only the stacks that depend on it.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import type { StackOp, WorkerEvent, WorkerRequest, WorkerResult } from "./worker";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export type { StackOp, WorkerEvent, WorkerResult };

/** The stacks of a folder (one `Pulumi.<stack>.yaml` each) and the stack each one reads. */
export function fleetStacks(workDir: string): Map<string, string | undefined> {
    const out = new Map<string, string | undefined>();
    for (const f of fs.readdirSync(workDir).sort()) {
        const stack = /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1];
        if (!stack) continue;
        const doc = parseYaml(fs.readFileSync(path.join(workDir, f), "utf8")) as { config?: Record<string, unknown> } | null;
        const ref = doc?.config?.["hybridml:trainingStack"];
        out.set(stack, typeof ref === "string" ? ref.split("/").pop() : undefined);
    }
    return out;
}

export function projectOf(workDir: string): string {
    return (parseYaml(fs.readFileSync(path.join(workDir, "Pulumi.yaml"), "utf8")) as { name: string }).name;
}

export interface StackRun {
    child: ChildProcess;
    result: Promise<WorkerResult>;
}

export interface RunOptions {
    workDir: string;
    /** Folder of index.ts. Default: this repository. */
    programDir?: string;
    /** Each line of engine output. */
    onLine?: (line: string) => void;
    onEvent?: (e: WorkerEvent) => void;
    env?: NodeJS.ProcessEnv;
}

/**
 * One line of a worker's output: engine text, an `@@event`, the `@@result`, or text followed by a
 * marker (the engine's progress output need not end its line, so a marker can follow it: the e2e lost
 * delete events that way). Pure.
 */
export function splitWorkerLine(line: string): { text?: string; event?: WorkerEvent; result?: WorkerResult } {
    const m = /@@(event|result) \{/.exec(line);
    const text = m ? line.slice(0, m.index) : line;
    const out: { text?: string; event?: WorkerEvent; result?: WorkerResult } = text.trim() ? { text } : {};
    if (m?.[1] === "event") out.event = JSON.parse(line.slice(m.index + 8)) as WorkerEvent;
    if (m?.[1] === "result") out.result = JSON.parse(line.slice(m.index + 9)) as WorkerResult;
    return out;
}

/**
 * Start one stack operation in a worker process (its own process group, so the whole run, the
 * Pulumi CLI and its plugins included, can be killed at once).
 */
export function startStackOp(stack: string, op: StackOp, opts: RunOptions, extra: Partial<WorkerRequest> = {}): StackRun {
    const req: WorkerRequest = {
        stack, op, workDir: opts.workDir, programDir: opts.programDir ?? REPO_ROOT, project: projectOf(opts.workDir), ...extra,
    };
    const child = spawn(process.execPath, ["-r", path.join(REPO_ROOT, "tools", "register.js"), path.join(__dirname, "worker.ts"), JSON.stringify(req)], {
        cwd: REPO_ROOT, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"], detached: true,
    });
    let result: WorkerResult | undefined;
    let buf = "";
    const onData = (chunk: Buffer) => {
        buf += chunk.toString("utf8");
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            const part = splitWorkerLine(line);
            if (part.text !== undefined) opts.onLine?.(part.text);
            if (part.event) opts.onEvent?.(part.event);
            if (part.result) result = part.result;
        }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (c: Buffer) => c.toString("utf8").split("\n").filter(Boolean).forEach((l) => opts.onLine?.(l)));
    const started = Date.now();
    return {
        child,
        result: new Promise<WorkerResult>((resolve) => {
            child.on("close", (code, signal) => {
                resolve(result ?? {
                    ok: false, changes: {}, seconds: (Date.now() - started) / 1000,
                    error: `worker ended without a result (${signal ? `signal ${signal}` : `exit ${code}`})`,
                });
            });
        }),
    };
}

/** Kill a run and everything it started (worker, Pulumi CLI, providers). */
export function killRun(run: StackRun, signal: NodeJS.Signals = "SIGKILL"): void {
    if (run.child.pid !== undefined) {
        try {
            process.kill(-run.child.pid, signal);
        } catch {
            // already gone
        }
    }
}

export interface FleetRow {
    stack: string;
    result: "ok" | "failed" | "skipped";
    changes: Record<string, number>;
    seconds: number;
    detail?: string;
}

export interface FleetOptions extends RunOptions {
    op: StackOp;
    /** Stacks to run (default: every stack file in workDir). Stacks they read but that are not listed are not run. */
    stacks?: string[];
    /** How many stacks run at once. Default 4. */
    parallel?: number;
    /** Extra worker options (policy packs, expectNoChanges). */
    extra?: Partial<WorkerRequest>;
    /** Called when a stack starts and ends. */
    onStack?: (stack: string, phase: "start" | "end", row?: FleetRow) => void;
}

/**
 * Run `op` over the fleet: a stack waits for the stacks it depends on (for destroy: the stacks that
 * depend on it) and is skipped when one of them failed. Returns one row per stack. `runner` runs
 * one stack (default: a worker process); tests pass their own.
 */
export async function runFleet(o: FleetOptions, runner: (stack: string) => Promise<WorkerResult> = (s) => startStackOp(s, o.op, { ...o, onLine: (l) => o.onLine?.(`[${s}] ${l}`) }, o.extra).result): Promise<FleetRow[]> {
    const all = fleetStacks(o.workDir);
    const selected = o.stacks ?? [...all.keys()];
    for (const s of selected) if (!all.has(s)) throw new Error(`no stack file Pulumi.${s}.yaml in ${o.workDir}`);
    const inSet = new Set(selected);
    // waitsFor: stack -> stacks that must finish first
    const waitsFor = new Map<string, string[]>(selected.map((s) => [s, []]));
    for (const s of selected) {
        const dep = all.get(s);
        if (dep === undefined || !inSet.has(dep)) continue;
        if (o.op === "destroy") waitsFor.get(dep)!.push(s);
        else waitsFor.get(s)!.push(dep);
    }
    const rows = new Map<string, FleetRow>();
    const running = new Map<string, Promise<void>>();
    const limit = Math.max(1, o.parallel ?? 4);
    const pending = [...selected];
    const start = (s: string) => {
        o.onStack?.(s, "start");
        running.set(s, runner(s).then((r) => {
            const row: FleetRow = { stack: s, result: r.ok ? "ok" : "failed", changes: r.changes, seconds: r.seconds, detail: r.error ?? r.detail };
            rows.set(s, row);
            running.delete(s);
            o.onStack?.(s, "end", row);
        }));
    };
    while (pending.length > 0 || running.size > 0) {
        for (const s of [...pending]) {
            const deps = waitsFor.get(s)!;
            const failed = deps.find((d) => rows.get(d) && rows.get(d)!.result !== "ok");
            if (failed) {
                pending.splice(pending.indexOf(s), 1);
                const row: FleetRow = { stack: s, result: "skipped", changes: {}, seconds: 0, detail: `${failed} did not succeed` };
                rows.set(s, row);
                o.onStack?.(s, "end", row);
                continue;
            }
            if (running.size >= limit) break;
            if (deps.every((d) => rows.get(d)?.result === "ok")) {
                pending.splice(pending.indexOf(s), 1);
                start(s);
            }
        }
        if (running.size > 0) await Promise.race(running.values());
        else if (pending.length > 0 && ![...pending].some((s) => waitsFor.get(s)!.every((d) => rows.has(d)))) {
            throw new Error(`stack references form a cycle among ${pending.join(", ")}`);
        }
    }
    return selected.map((s) => rows.get(s)!);
}

/** The closing table: stack, result, changes, seconds. */
export function fleetTable(rows: FleetRow[]): string {
    const fmt = (c: Record<string, number>) => Object.entries(c).map(([k, v]) => `${k} ${v}`).join(", ") || "-";
    const lines = [["stack", "result", "changes", "seconds"], ...rows.map((r) => [r.stack, r.result, fmt(r.changes), r.seconds.toFixed(1)])];
    const w = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
    const out = lines.map((l) => l.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd());
    for (const r of rows) if (r.detail) out.push(`${r.stack}: ${r.detail.split("\n").slice(-3).join(" ").slice(0, 400)}`);
    return out.join("\n");
}
