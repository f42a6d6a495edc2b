/**
 * `npm run plan -- --stack NAME [--stack NAME...] | --all [--out DIR] [--config-dir DIR] [--compare BASE_DIR [--svg-url URL]]`
 *
 * Writes plan/<stack>.json for each stack and prints a summary. Exit code 1 on a config or
 * contract error (message only, no stack trace), a mandatory policy violation, or a serving
 * parity difference between the serving stacks planned together. With --compare,
 * also writes <out>/report.md (the changes against the base plans in BASE_DIR) and <out>/fleet.svg.
 */
import * as fs from "fs";
import * as path from "path";
import { listStacks, planFleet, PlanResult, readStackConfig, REPO_ROOT } from "./plan";
import { hasMandatory } from "./policies";
import { formatParity, servingParity, servingResources } from "./parity";
import { fleetSvg } from "./graph";
import { buildReport, fleetStatus, readPlans } from "./report";
import { UserError } from "../../config/resolve";
import { formatReachability, reachabilityErrors } from "./reachability";

/**
 * Write <out>/fleet.svg (stacks coloured by what the change does to them) and <out>/report.md (this
 * run's plans against the base plans), linking the picture at `svgUrl` when given (CI: the run's
 * artifact, which a PR comment can open), else by its file name.
 */
async function writeCompareReport(out: string, baseDir: string, results: Map<string, PlanResult>, parity?: string, svgUrl?: string): Promise<string> {
    const ok = [...results.values()].filter((r) => !r.error);
    const svgName = "fleet.svg";
    const errors = new Map([...results.values()].filter((r) => r.error).map((r) => [r.plan.stack, r.error!.message]));
    const input = { base: readPlans(baseDir), head: ok.map((r) => r.plan), parity, svg: svgUrl ?? svgName, errors };
    fs.writeFileSync(path.join(out, svgName), await fleetSvg(input.head, fleetStatus(input)));
    const file = path.join(out, "report.md");
    fs.writeFileSync(file, buildReport(input));
    return file;
}

interface Args {
    stacks: string[];
    all: boolean;
    out: string;
    /** Where the Pulumi.<stack>.yaml files are (like Pulumi.yaml's stackConfigDir). Default: the repo root. */
    configDir: string;
    /** Directory of base plans to compare with (writes <out>/report.md and <out>/fleet.svg). */
    compare?: string;
    /** Where readers of the report open fleet.svg (an absolute URL, e.g. the CI run's artifacts). */
    svgUrl?: string;
}

function parseArgs(argv: string[]): Args {
    const args: Args = { stacks: [], all: false, out: path.join(REPO_ROOT, "plan"), configDir: REPO_ROOT };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--all") args.all = true;
        else if (a === "--stack" || a === "-s") args.stacks.push(argv[++i] ?? "");
        else if (a === "--out") args.out = path.resolve(argv[++i] ?? "");
        else if (a === "--config-dir") args.configDir = path.resolve(argv[++i] ?? "");
        else if (a === "--compare") args.compare = path.resolve(argv[++i] ?? "");
        else if (a === "--svg-url") {
            args.svgUrl = argv[++i] ?? "";
            if (!/^https?:\/\/\S+$/.test(args.svgUrl)) {
                console.error(`--svg-url must be an absolute http(s) URL (got ${JSON.stringify(args.svgUrl)}): the PR comment cannot open a relative link`);
                usage(2);
            }
        }
        else if (a === "--help" || a === "-h") usage(0);
        else {
            console.error(`unknown argument ${a}`);
            usage(2);
        }
    }
    if (!args.all && args.stacks.length === 0) usage(2);
    return args;
}

function usage(code: number): never {
    console.error("usage: npm run plan -- --all | --stack NAME [--stack NAME ...] [--out DIR] [--config-dir DIR] [--compare BASE_DIR [--svg-url URL]]");
    process.exit(code);
}

/** Resource counts by package (aws, gcp, azure-native, kubernetes, ...) for the summary. */
function byPackage(r: PlanResult): string {
    const counts = new Map<string, number>();
    for (const res of r.plan.resources) {
        const pkg = res.type.startsWith("pulumi:providers:") ? "providers" : res.type.split(":")[0];
        if (pkg === "pulumi" && res.type === "pulumi:pulumi:Stack") continue;
        counts.set(pkg, (counts.get(pkg) ?? 0) + 1);
    }
    return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(", ");
}

function table(rows: string[][]): string {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2));
    const known = listStacks(args.configDir);
    const stacks = args.all ? known : args.stacks;
    const unknown = stacks.filter((s) => !known.includes(s));
    if (unknown.length > 0) {
        console.error(`no such stack: ${unknown.join(", ")} (stacks: ${known.join(", ")})`);
        return 1;
    }
    const started = Date.now();
    const results = await planFleet(stacks, undefined, args.configDir);
    fs.mkdirSync(args.out, { recursive: true });
    const rows = [["stack", "status", "resources", "by package", "violations"]];
    let failed = false;
    for (const r of results.values()) {
        const mandatory = hasMandatory(r.plan.violations);
        failed ||= Boolean(r.error) || mandatory;
        if (r.error) {
            console.error(`\n${r.plan.stack}: ${r.error.message}`);
        } else {
            fs.writeFileSync(path.join(args.out, `${r.plan.stack}.json`), JSON.stringify(r.plan, null, 2) + "\n");
        }
        const v = r.plan.violations;
        rows.push([
            r.plan.stack,
            r.error ? "error" : mandatory ? "blocked" : "ok",
            String(r.plan.resources.length),
            r.error ? "-" : byPackage(r),
            `${v.filter((x) => x.enforcement === "mandatory").length} mandatory, ${v.filter((x) => x.enforcement === "advisory").length} advisory`,
        ]);
        for (const x of v) console.error(`  [${x.enforcement}] ${x.policy}: ${x.message} (${x.urn})`);
    }
    console.log(`\n${table(rows)}\n`);
    const serving = [...results.values()].filter((r) => !r.error && servingResources(r.plan.resources).length > 0)
        .map((r) => ({ stack: r.plan.stack, resources: r.plan.resources }));
    // Identical serving is the product's promise: a difference outside what a platform forces fails the plan.
    const parityResult = serving.length > 1 ? servingParity(serving) : undefined;
    const parity = parityResult ? formatParity(parityResult) : undefined;
    if (parity) (parityResult!.differences.length > 0 ? console.error : console.log)(`${parity}\n`);
    failed ||= (parityResult?.differences.length ?? 0) > 0;
    // Cross-cluster flows: a flow that cannot work is an error for a consumer in prod.
    const planned = [...results.values()].filter((r) => !r.error).map((r) => r.plan);
    const reach = formatReachability(planned);
    if (reach) console.log(`${reach}\n`);
    const reachErrors = reachabilityErrors(planned, (s) => readStackConfig(s, args.configDir).config["hybridml:environment"]);
    for (const e of reachErrors) console.error(`reachability error: ${e}`);
    failed ||= reachErrors.length > 0;
    if (args.compare) {
        const report = await writeCompareReport(args.out, args.compare, results, parity, args.svgUrl);
        console.log(`report: ${path.relative(process.cwd(), report) || report}`);
    }
    console.log(`planned ${results.size} stack(s) in ${((Date.now() - started) / 1000).toFixed(1)} s; plans in ${path.relative(process.cwd(), args.out) || "."}/`);
    return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
    // A user error (config, contract, stack files) prints its message only; anything else is a bug: show where.
    console.error(err instanceof UserError ? err.message : err instanceof Error ? err.stack ?? err.message : err);
    process.exit(1);
});
