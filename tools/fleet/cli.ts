/**
 * npm run fleet -- preview|up|destroy|recover [--stacks a,b] [--parallel N] [--work-dir DIR] [--clear-unknown] [--import URN ID]...
 *
 * Runs the operation over the stacks of DIR (default: this repository's stack files) in dependency
 * order with the real Pulumi CLI (on PATH) and whatever backend and secrets provider the environment
 * selects (PULUMI_BACKEND_URL, PULUMI_ACCESS_TOKEN, PULUMI_CONFIG_PASSPHRASE). Each line of output
 * carries its stack's name; the run ends with a table and exits 1 if any stack failed or was skipped.
 * `recover`, after an interrupted `up`: releases the lock, adopts the pending creates whose objects can
 * be found by ID and refreshes (tools/fleet/pending.ts). Pending creates it cannot identify (cloud
 * resources) stop it: give each one's ID with `--import URN ID`, or drop them with `--clear-unknown`.
 */
import { fleetTable, REPO_ROOT, runFleet, StackOp } from "./fleet";

const USAGE = "usage: npm run fleet -- preview|up|destroy|recover [--stacks a,b] [--parallel N] [--work-dir DIR] [--clear-unknown] [--import URN ID]...";

type RecoverExtra = { clearUnknown?: true; imports?: { urn: string; id: string }[] };

export function parseArgs(argv: string[]): { op: StackOp; stacks?: string[]; parallel: number; workDir: string; extra?: RecoverExtra } {
    const [op, ...rest] = argv;
    if (op !== "preview" && op !== "up" && op !== "destroy" && op !== "recover") throw new Error(USAGE);
    let stacks: string[] | undefined;
    let extra: RecoverExtra | undefined;
    let parallel = 4;
    let workDir = REPO_ROOT;
    for (let i = 0; i < rest.length; i++) {
        const v = rest[i + 1];
        switch (rest[i]) {
            case "--stacks":
                if (!v) throw new Error(`--stacks needs a comma-separated list\n${USAGE}`);
                stacks = v.split(",").map((s) => s.trim()).filter(Boolean);
                i++;
                break;
            case "--parallel":
                if (!v || !/^[1-9]\d*$/.test(v)) throw new Error(`--parallel needs a positive whole number (got ${v ?? "nothing"})\n${USAGE}`);
                parallel = Number(v);
                i++;
                break;
            case "--work-dir":
                if (!v) throw new Error(`--work-dir needs a folder\n${USAGE}`);
                workDir = v;
                i++;
                break;
            case "--clear-unknown":
                if (op !== "recover") throw new Error(`--clear-unknown is an option of recover\n${USAGE}`);
                extra = { ...extra, clearUnknown: true };
                break;
            case "--import": {
                const id = rest[i + 2];
                if (op !== "recover") throw new Error(`--import is an option of recover\n${USAGE}`);
                if (!v?.startsWith("urn:pulumi:") || !id) throw new Error(`--import needs a URN and the ID of what it created (--import urn:pulumi:... ID)\n${USAGE}`);
                extra = { ...extra, imports: [...(extra?.imports ?? []), { urn: v, id }] };
                i += 2;
                break;
            }
            default:
                throw new Error(`unknown argument ${rest[i]}\n${USAGE}`);
        }
    }
    return { op, stacks, parallel, workDir, ...(extra ? { extra } : {}) };
}

async function main(): Promise<void> {
    let args: ReturnType<typeof parseArgs>;
    try {
        args = parseArgs(process.argv.slice(2));
    } catch (e) {
        console.error((e as Error).message);
        process.exit(2);
    }
    const started = Date.now();
    const rows = await runFleet({
        ...args,
        onLine: (l) => console.log(l),
        onStack: (s, phase, row) => console.log(phase === "start" ? `::: ${s}: ${args.op} started` : `::: ${s}: ${row?.result}`),
    });
    console.log(`\n${fleetTable(rows)}\nfleet ${args.op}: ${((Date.now() - started) / 1000).toFixed(1)} s wall`);
    if (rows.some((r) => r.result !== "ok")) process.exitCode = 1;
}

if (require.main === module) {
    main().catch((e) => {
        console.error((e as Error).message);
        process.exit(1);
    });
}
