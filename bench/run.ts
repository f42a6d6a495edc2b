/**
 * `npm run bench`: start-up plus full evaluation of each stack and of the whole fleet, measured
 * in child processes (wall time, peak RSS), against a baseline taken in the same run: the same
 * program started the way Pulumi starts TypeScript by default (ts-node with type-checking).
 * Prints figures and ratios; asserts nothing (SPEC 10).
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { listStacks } from "../tools/plan/plan";

const root = path.resolve(__dirname, "..");
const evaluate = path.join(root, "bench", "evaluate.ts");
const modes = {
    project: path.join(root, "tools", "register.js"),
    baseline: path.join(root, "bench", "typecheck-register.js"),
};

interface Sample { wallMs: number; maxRssMb: number; resources: number; ownMs?: number }

function measure(register: string, args: string[]): Sample {
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ["-r", register, evaluate, ...args], { cwd: root, encoding: "utf8" });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (r.status !== 0) throw new Error(`evaluate ${args.join(" ")} failed:\n${r.stderr}`);
    const last = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { maxRssMb: number; resources: number; ownMs?: number };
    return { wallMs, maxRssMb: last.maxRssMb, resources: last.resources, ownMs: last.ownMs };
}

function best(register: string, args: string[], runs: number): Sample {
    const samples = Array.from({ length: runs }, () => measure(register, args));
    return samples.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
}

const runs = Number(process.env.BENCH_RUNS ?? 3);
const rows: string[][] = [["target", "resources", "wall (s)", "own eval (s)", "peak RSS (MB)", "baseline wall (s)", "baseline RSS (MB)", "wall ratio", "RSS ratio"]];
const targets: Array<[string, string[]]> = [...listStacks().map((s): [string, string[]] => [s, [s]]), ["fleet (all stacks)", ["--all"]]];
for (const [label, args] of targets) {
    const ours = best(modes.project, args, runs);
    const base = best(modes.baseline, args, 1);
    rows.push([
        label, String(ours.resources), (ours.wallMs / 1000).toFixed(2), ours.ownMs === undefined ? "-" : (ours.ownMs / 1000).toFixed(2), String(ours.maxRssMb),
        (base.wallMs / 1000).toFixed(2), String(base.maxRssMb),
        (ours.wallMs / base.wallMs).toFixed(2), (ours.maxRssMb / base.maxRssMb).toFixed(2),
    ]);
    console.error(`measured ${label}`);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log(rows.map((r) => r.map((c, i) => c.padStart(i === 0 ? 0 : widths[i]).padEnd(i === 0 ? widths[i] : 0)).join("  ")).join("\n"));
console.log(`\nbest of ${runs} runs (baseline: 1 run); wall and RSS include planning the stack a stack references;`);
console.log("own eval: the stack's own evaluation in that process, without start-up and without the referenced stack.");
console.log("ratio < 1: faster / smaller than Pulumi's default type-checking start.");
