/**
 * `npm run bench`: start-up plus full evaluation of each stack and of the whole fleet, measured in
 * child processes (wall, CPU, peak RSS, own evaluation), against two yardsticks taken in the same
 * run: the baseline, the same program started the way Pulumi starts TypeScript by default (ts-node
 * with type-checking), and the bare SDK load, Node loading @pulumi/pulumi and the four cloud SDKs
 * (bench/sdk-load.js). Prints figures and ratios; asserts nothing (SPEC 10).
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { listStacks } from "../tools/plan/plan";

const root = path.resolve(__dirname, "..");
const evaluate = path.join(root, "bench", "evaluate.ts");
const starts = {
    project: path.join(root, "tools", "register.js"),
    baseline: path.join(root, "bench", "typecheck-register.js"),
};

interface Sample { wallMs: number; cpuMs: number; maxRssMb: number; ownMs?: number; ownCpuMs?: number; resources?: number; plannedResources?: number }

function run(args: string[]): Sample {
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8" });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (r.status !== 0) throw new Error(`node ${args.join(" ")} failed:\n${r.stderr}`);
    const last = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Omit<Sample, "wallMs">;
    return { ...last, wallMs };
}

/** Best (lowest wall) of `runs` samples: on a shared machine the others measure the neighbours. */
function best(args: string[], runs: number): Sample {
    const samples = Array.from({ length: runs }, () => run(args));
    return samples.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
}

const s = (ms: number) => (ms / 1000).toFixed(2);
const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

const runs = Number(process.env.BENCH_RUNS ?? 3);
const sdk = best([path.join(root, "bench", "sdk-load.js")], runs);
console.error("measured bare SDK load");
const header = ["target", "resources", "wall (s)", "cpu (s)", "own eval (s)", "own cpu (s)", "own cpu ms/res", "peak RSS (MB)",
    "wall/SDK", "cpu/SDK", "RSS/SDK", "wall/baseline", "cpu/baseline", "RSS/baseline", "baseline wall (s)", "baseline cpu (s)", "baseline RSS (MB)"];
const rows: string[][] = [header];
const targets: Array<[string, string[]]> = [...listStacks().map((st): [string, string[]] => [st, [st]]), ["fleet (all stacks)", ["--all"]]];
for (const [label, args] of targets) {
    const ours = best(["-r", starts.project, evaluate, ...args], runs);
    const base = best(["-r", starts.baseline, evaluate, ...args], 1);
    const res = ours.resources ?? 0;
    rows.push([
        label, ours.plannedResources !== res ? `${res} (+${(ours.plannedResources ?? 0) - res})` : String(res),
        s(ours.wallMs), s(ours.cpuMs), s(ours.ownMs ?? 0), s(ours.ownCpuMs ?? 0), ((ours.ownCpuMs ?? 0) / Math.max(res, 1)).toFixed(2), String(ours.maxRssMb),
        x(ours.wallMs, sdk.wallMs), x(ours.cpuMs, sdk.cpuMs), x(ours.maxRssMb, sdk.maxRssMb),
        x(ours.wallMs, base.wallMs), x(ours.cpuMs, base.cpuMs), x(ours.maxRssMb, base.maxRssMb),
        s(base.wallMs), s(base.cpuMs), String(base.maxRssMb),
    ]);
    console.error(`measured ${label}`);
}
const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log(rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n"));
console.log(`
bare SDK load (node requiring @pulumi/pulumi, aws, gcp, azure-native, kubernetes): wall ${s(sdk.wallMs)} s, cpu ${s(sdk.cpuMs)} s, peak RSS ${sdk.maxRssMb} MB
best of ${runs} runs by wall (baseline: 1 run). resources: the target's own (+ those of the stack it references,
planned first in the same process and included in wall, cpu and RSS). own eval: the target stacks' own
evaluation (wall; cpu: its CPU time), without the referenced stack and without module loading. baseline: the same evaluation
started as Pulumi starts TypeScript by default (ts-node, type-checking). cpu is user+system time: on a
busy machine wall grows with the neighbours' load, cpu much less.`);
