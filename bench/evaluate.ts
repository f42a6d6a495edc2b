/**
 * One measured evaluation: plan the given stacks (or all) in this process, then print wall time
 * from process start, the target stack's own evaluation time (without the stack it references) and
 * peak RSS as JSON on the last line. Started by bench/run.ts.
 */
import { listStacks, planFleet } from "../tools/plan/plan";

async function main() {
    const args = process.argv.slice(2);
    const stacks = args[0] === "--all" ? listStacks() : args;
    // Each stack's own evaluation, apart from the stack it references (planned first, in this process).
    const own = new Map<string, number>();
    let last = performance.now();
    const results = await planFleet(stacks, (r) => {
        const now = performance.now();
        own.set(r.plan.stack, now - last);
        last = now;
    });
    const errors = [...results.values()].filter((r) => r.error).map((r) => `${r.plan.stack}: ${r.error?.message}`);
    if (errors.length > 0) throw new Error(errors.join("\n"));
    const resources = [...results.values()].reduce((n, r) => n + r.plan.resources.length, 0);
    console.log(JSON.stringify({
        ms: Math.round(performance.now()),
        maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        stacks: results.size,
        ownMs: stacks.length === 1 ? Math.round(own.get(stacks[0]) ?? 0) : undefined,
        resources,
    }));
}

main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
});
