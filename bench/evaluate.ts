/**
 * One measured evaluation: plan the given stacks (or all) in this process, then print as JSON on
 * the last line: wall time from process start, CPU time, peak RSS, and the stacks' own evaluation
 * time (each stack's planning, without the stack it references and without loading modules: a
 * stack's first `import()` of its cloud SDK is start-up, counted in wall, not evaluation).
 * Started by bench/run.ts.
 */
import Module from "module";
import { listStacks, planFleet } from "../tools/plan/plan";

/** Wall and CPU time (ms) since process start. */
function clock(): { wall: number; cpu: number } {
    const u = process.cpuUsage();
    return { wall: performance.now(), cpu: (u.user + u.system) / 1000 };
}

/** Wall and CPU time spent in (outermost) module loads so far, in ms. */
function moduleLoadClock(): () => { wall: number; cpu: number } {
    const mod = Module as unknown as { _load: (...args: unknown[]) => unknown };
    const load = mod._load;
    let depth = 0;
    const total = { wall: 0, cpu: 0 };
    mod._load = function (this: unknown, ...args: unknown[]) {
        const started = depth++ === 0 ? clock() : undefined;
        try {
            return load.apply(this, args);
        } finally {
            if (--depth === 0 && started) {
                const now = clock();
                total.wall += now.wall - started.wall;
                total.cpu += now.cpu - started.cpu;
            }
        }
    };
    return () => ({ ...total });
}

async function main() {
    const loaded = moduleLoadClock();
    const args = process.argv.slice(2);
    const stacks = args[0] === "--all" ? listStacks() : args;
    const own = new Map<string, { wall: number; cpu: number }>();
    const mark = () => {
        const now = clock();
        const l = loaded();
        return { wall: now.wall - l.wall, cpu: now.cpu - l.cpu };
    };
    let last = mark();
    const results = await planFleet(stacks, (r) => {
        const now = mark();
        own.set(r.plan.stack, { wall: now.wall - last.wall, cpu: now.cpu - last.cpu });
        last = now;
    });
    const errors = [...results.values()].filter((r) => r.error).map((r) => `${r.plan.stack}: ${r.error?.message}`);
    if (errors.length > 0) throw new Error(errors.join("\n"));
    const resources = (names: string[]) => names.reduce((n, s) => n + (results.get(s)?.plan.resources.length ?? 0), 0);
    const u = process.resourceUsage();
    console.log(JSON.stringify({
        ms: Math.round(performance.now()),
        cpuMs: Math.round((u.userCPUTime + u.systemCPUTime) / 1000),
        maxRssMb: Math.round(u.maxRSS / 1024),
        // The target stacks' own evaluation (a single stack: without the stack it references).
        ownMs: Math.round(stacks.reduce((t, s) => t + (own.get(s)?.wall ?? 0), 0)),
        ownCpuMs: Math.round(stacks.reduce((t, s) => t + (own.get(s)?.cpu ?? 0), 0)),
        // Resources of the target stacks, and of everything planned (with referenced stacks).
        resources: resources(stacks),
        plannedResources: resources([...results.keys()]),
    }));
}

main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
});
