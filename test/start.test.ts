/**
 * How the program starts (README "Program start"): Pulumi.yaml hands index.ts to tools/register.js
 * instead of ts-node; errors still name TypeScript lines; the transpile cache is never stale; the
 * policy pack skips the runner's type-check; Pulumi's source-map-support hook stays off.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";

const ROOT = path.resolve(__dirname, "..");
const REGISTER = path.join(ROOT, "tools", "register.js");

interface Project { main: string; runtime: { name: string; options: Record<string, unknown> } }
const project = parseYaml(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as Project;
/** Pulumi.yaml's nodeargs as the language host splits them (no quoting used). */
const nodeargs = String(project.runtime.options.nodeargs ?? "").split(/\s+/).filter(Boolean);

function node(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
    const r = spawnSync(process.execPath, args, { cwd: opts.cwd ?? ROOT, encoding: "utf8", env: { ...process.env, ...opts.env } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Prints which loaders a process has loaded, as JSON. `mapsStacks`: a source-map-support formatter
 * is installed (both source-map-support and ts-node's fork name it prepareStackTrace; Node's own
 * default has another name).
 */
const reportLoaders = `
const loaded = (name) => Object.keys(require.cache).some((f) => f.includes("/node_modules/" + name + "/"));
console.log(JSON.stringify({ tsNode: loaded("ts-node"), cspotcode: loaded("@cspotcode/source-map-support"), sucrase: loaded("sucrase/dist"),
    mapsStacks: Error.prepareStackTrace?.name === "prepareStackTrace" }));`;

describe("program start (Pulumi.yaml, tools/register.js)", function () {
    this.timeout(60_000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hybridml-start-"));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("Pulumi.yaml turns Pulumi's ts-node start off and requires the project's loader, which exists", () => {
        assert.equal(project.runtime.name, "nodejs");
        assert.equal(project.runtime.options.typescript, false);
        assert.deepEqual(nodeargs, ["--require", "./tools/register.js"]);
        assert.ok(fs.existsSync(path.join(ROOT, nodeargs[1])));
        assert.equal(project.main, "index.ts");
        assert.equal(project.runtime.options.tsconfig, undefined, "no tsconfig option: nothing reads it with typescript: false");
    });

    it("loads the whole program with those nodeargs and no ts-node, and a warm start loads no transpiler", () => {
        const script = `require("./${project.main}"); ${reportLoaders}`;
        const cache = path.join(tmp, "cache-program");
        const cold = node([...nodeargs, "-e", script], { env: { HYBRIDML_REGISTER_CACHE: cache } });
        assert.equal(cold.status, 0, cold.stderr);
        assert.deepEqual(JSON.parse(cold.stdout), { tsNode: false, cspotcode: false, sucrase: true, mapsStacks: false });
        const warm = node([...nodeargs, "-e", script], { env: { HYBRIDML_REGISTER_CACHE: cache } });
        assert.equal(warm.status, 0, warm.stderr);
        assert.deepEqual(JSON.parse(warm.stdout), { tsNode: false, cspotcode: false, sucrase: false, mapsStacks: false });
    });

    it("errors point at the TypeScript line that threw, with no source map", () => {
        const file = path.join(tmp, "thrower.ts");
        fs.writeFileSync(file, [
            "import * as path from \"path\";", // 1: rewritten to a require on the same line
            "interface Args {", // 2-5: removed, lines kept
            "    name: string;",
            "    size?: number;",
            "}",
            "export function check(args: Args): string {",
            "    const n: number = args.size ?? 0;",
            "    if (n < 1) throw new Error(`size of ${args.name} must be >= 1`);", // 8
            "    return path.join(args.name, String(n));",
            "}",
            "check({ name: \"x\" });", // 11
        ].join("\n"));
        const r = node(["-r", REGISTER, file], { env: { HYBRIDML_REGISTER_CACHE: path.join(tmp, "cache-thrower") } });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /Error: size of x must be >= 1/);
        assert.match(r.stderr, /at check \(.*thrower\.ts:8:\d+\)/);
        assert.match(r.stderr, /thrower\.ts:11:\d+\)/);
    });

    it("a syntax error is one message naming the file, line and column", () => {
        const file = path.join(tmp, "broken.ts");
        fs.writeFileSync(file, "const a = 1;\nconst b: number = ;\n");
        const r = node(["-r", REGISTER, file], { cwd: tmp, env: { HYBRIDML_REGISTER_CACHE: path.join(tmp, "cache-broken") } });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /SyntaxError: broken\.ts:2:\d+: Unexpected token/);
    });

    it("the cache is keyed by content: an edited file runs as edited, never from a stale entry", () => {
        const file = path.join(tmp, "answer.ts");
        const cache = path.join(tmp, "cache-edit");
        const run = () => node(["-r", REGISTER, "-e", `console.log(require(${JSON.stringify(file)}).answer)`], { env: { HYBRIDML_REGISTER_CACHE: cache } });
        fs.writeFileSync(file, "export const answer: number = 1;\n");
        assert.equal(run().stdout.trim(), "1");
        // Same size, same mtime second: only the content tells them apart.
        const { mtime } = fs.statSync(file);
        fs.writeFileSync(file, "export const answer: number = 2;\n");
        fs.utimesSync(file, mtime, mtime);
        assert.equal(run().stdout.trim(), "2");
        assert.equal(fs.readdirSync(cache).filter((f) => f.endsWith(".js")).length, 2);
    });

    it("keeps Pulumi's run script from installing source-map-support, unless HYBRIDML_SOURCE_MAP_SUPPORT=1", () => {
        // What @pulumi/pulumi/cmd/run/index.js does first.
        const script = `require(require(${JSON.stringify(REGISTER)}).pulumiSourceMapSupport()); ${reportLoaders}`;
        const off = node(["-r", REGISTER, "-e", script]);
        assert.equal(off.status, 0, off.stderr);
        assert.equal(JSON.parse(off.stdout).mapsStacks, false);
        const on = node(["-r", REGISTER, "-e", script], { env: { HYBRIDML_SOURCE_MAP_SUPPORT: "1" } });
        assert.equal(on.status, 0, on.stderr);
        assert.equal(JSON.parse(on.stdout).mapsStacks, true);
    });

    it("the policy pack's entry takes .ts over from the runner's type-checking ts-node", () => {
        const policy = path.join(ROOT, "policy");
        const pkg = JSON.parse(fs.readFileSync(path.join(policy, "package.json"), "utf8")) as { main: string };
        assert.equal(pkg.main, "start.js");
        // What @pulumi/pulumi/cmd/run-policy-pack/run.js does (3.248): ts-node with type-checking, then require(dir).
        const script = `
            require(require.resolve("ts-node", { paths: [process.cwd()] })).register({ typeCheck: true, skipProject: true,
                compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext" } });
            require(process.cwd());
            console.log(require.extensions[".ts"].name);
            process.exit(0);`;
        const r = node(["-e", script], { cwd: policy });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim().split("\n").pop(), "compileTs");
    });
});
