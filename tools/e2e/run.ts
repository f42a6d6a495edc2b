/**
 * `npm run e2e`: the platform on the real Pulumi engine and real Kubernetes API servers (SPEC 9a).
 *
 * Builds the Pulumi CLI, the providers, etcd, the Kubernetes control plane and kwok from Go modules
 * (tools/e2e/go, cached), starts two local clusters and a chart mirror on 127.0.0.1, and runs the
 * training and serving stacks of test/e2e through `pulumi up`, `preview --expect-no-changes`, the
 * policy pack, a state export, an interrupted up, the fleet command and destroy. Each step is a row
 * of e2e-report.json and of the printed table; the run ends with `N passed, N failed`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { locateSchemaDir } from "../schemas/locate";
import { killRun, projectOf, REPO_ROOT, runFleet, startStackOp, StackOp, WorkerEvent, WorkerResult } from "../fleet/fleet";
import { LocalCluster } from "./cluster";
import { startChartMirror, ChartMirror } from "./chartMirror";
import { e2eStackConfig, estimatedReplacements, replacementDifferences, withConfigValue } from "./replacements";
import { apiPath, Kube, KubeObject } from "./kube";

const TRAINING = "e2e-training";
const SERVING = "e2e-serving";
/** Every server stops by itself after this long (CI's limit is 90 minutes). */
const LIFETIME_SECONDS = 80 * 60;

interface Step {
    name: string;
    ok: boolean;
    seconds: number;
    detail: string;
}

interface Report {
    steps: Step[];
    /** Objects found on the API servers after the ups, by cluster and kind. */
    apiObjects: Record<string, Record<string, number>>;
    timings: Record<string, number>;
    /** What the real engine replaces for one config change, against the preview report's estimate. */
    replacementFacts?: { change: string; engine: string[]; estimated: string[] };
}

const report: Report = { steps: [], apiObjects: {}, timings: {} };
const log = (s: string) => process.stdout.write(`${s}\n`);

class StepFailure extends Error {}
function check(cond: unknown, message: string): asserts cond {
    if (!cond) throw new StepFailure(message);
}

async function step(name: string, fn: () => Promise<string>, opts: { needs?: string[] } = {}): Promise<boolean> {
    const missing = (opts.needs ?? []).filter((n) => !report.steps.find((s) => s.name === n)?.ok);
    if (missing.length > 0) {
        report.steps.push({ name, ok: false, seconds: 0, detail: `not run: ${missing.join(", ")} failed` });
        log(`::: ${name}: not run (${missing.join(", ")} failed)`);
        return false;
    }
    log(`::: ${name}`);
    const started = Date.now();
    try {
        const detail = await fn();
        report.steps.push({ name, ok: true, seconds: (Date.now() - started) / 1000, detail });
        log(`::: ${name}: ok (${((Date.now() - started) / 1000).toFixed(1)} s) ${detail}`);
        return true;
    } catch (e) {
        const detail = e instanceof StepFailure ? e.message : (e as Error).stack ?? String(e);
        report.steps.push({ name, ok: false, seconds: (Date.now() - started) / 1000, detail: detail.slice(0, 4000) });
        log(`::: ${name}: FAILED\n${detail}`);
        return false;
    }
}

/** The e2e's world: binaries, clusters, mirror, a project folder and a file backend. */
interface World {
    tmp: string;
    bin: string;
    workDir: string;
    env: NodeJS.ProcessEnv;
    mirror?: ChartMirror;
    clusters: Record<string, LocalCluster | undefined>;
    logDir: string;
    secretsPlanted: string[];
}

function buildBinaries(): { bin: string; detail: string } {
    const started = Date.now();
    const out = spawnSync("bash", [path.join(REPO_ROOT, "tools/e2e/go/build.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    check(out.status === 0, `tools/e2e/go/build.sh failed (exit ${out.status})`);
    const bin = out.stdout.trim().split("\n").pop() as string;
    const need = ["pulumi", "pulumi-resource-kubernetes", "pulumi-resource-random", "pulumi-resource-tls", "pulumi-resource-command",
        "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"];
    const absent = need.filter((b) => !fs.existsSync(path.join(bin, b)));
    check(absent.length === 0, `binaries not built: ${absent.join(", ")}`);
    const version = execFileSync(path.join(bin, "pulumi"), ["version"], { encoding: "utf8" }).trim();
    return { bin, detail: `pulumi ${version}, ${need.length} binaries in ${((Date.now() - started) / 1000).toFixed(0)} s` };
}

/**
 * CrossGuard starts a Node policy pack through the `nodejs` language plugin, or, without one, through
 * an analyzer plugin `pulumi-analyzer-policy-nodejs` that runs @pulumi/pulumi's run-policy-pack
 * (sdk/go/common/resource/plugin/analyzer_plugin.go). The module proxy does not serve the language
 * plugin's module, so the e2e provides that analyzer plugin: the same entry point the language plugin runs.
 */
function writeAnalyzerShim(dir: string): void {
    const runPolicyPack = path.join(REPO_ROOT, "node_modules/@pulumi/pulumi/cmd/run-policy-pack");
    const file = path.join(dir, "pulumi-analyzer-policy-nodejs");
    fs.writeFileSync(file, `#!/bin/sh\n# args: <engine address> <policy pack folder> [-option=value ...]\nexec "${process.execPath}" "${runPolicyPack}" "$1" "$2"\n`, { mode: 0o755 });
}

async function setUpWorld(bin: string): Promise<World> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hybridml-e2e-"));
    const workDir = path.join(tmp, "project");
    const shimDir = path.join(tmp, "bin");
    const logDir = path.join(REPO_ROOT, ".cache", "e2e-logs");
    for (const d of [workDir, shimDir, path.join(tmp, "state"), path.join(tmp, "home")]) fs.mkdirSync(d, { recursive: true });
    fs.rmSync(logDir, { recursive: true, force: true });
    fs.mkdirSync(logDir, { recursive: true });
    writeAnalyzerShim(shimDir);
    // The program runs inline (tools/fleet/worker.ts): the project file names no main of its own.
    fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), `name: ${projectOf(REPO_ROOT)}\nruntime: nodejs\ndescription: e2e copy of the project (inline program)\n`);
    for (const s of [TRAINING, SERVING]) fs.copyFileSync(path.join(REPO_ROOT, "test/e2e", `Pulumi.${s}.yaml`), path.join(workDir, `Pulumi.${s}.yaml`));
    const passphrase = crypto.randomBytes(18).toString("base64url");
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${bin}:${shimDir}:${process.env.PATH ?? ""}`,
        PULUMI_BACKEND_URL: `file://${path.join(tmp, "state")}`,
        PULUMI_HOME: path.join(tmp, "home"),
        PULUMI_CONFIG_PASSPHRASE: passphrase,
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    };
    delete env.PULUMI_ACCESS_TOKEN;
    // The Automation API looks the CLI up on this process's PATH.
    process.env.PATH = env.PATH;
    return { tmp, bin, workDir, env, clusters: {}, logDir, secretsPlanted: [passphrase] };
}

/** Run one stack operation in a worker and wait; engine output goes to the stack's log file. */
async function stackOp(w: World, stack: string, op: StackOp, extra: Parameters<typeof startStackOp>[3] = {}, onEvent?: (e: WorkerEvent) => void): Promise<WorkerResult & { events: WorkerEvent[] }> {
    const logFile = path.join(w.logDir, `${stack}.log`);
    fs.appendFileSync(logFile, `\n===== ${op} ${JSON.stringify(extra)}\n`);
    const events: WorkerEvent[] = [];
    const run = startStackOp(stack, op, {
        workDir: w.workDir, env: w.env,
        onLine: (l) => fs.appendFileSync(logFile, `${l}\n`),
        onEvent: (e) => {
            events.push(e);
            onEvent?.(e);
        },
    }, extra);
    const r = await run.result;
    return { ...r, events };
}

function lastLines(s: string | undefined, n = 12): string {
    return (s ?? "").split("\n").filter((l) => l.trim()).slice(-n).join("\n");
}

/** Kinds whose objects the checks count, as [apiVersion, plural, namespaced]. */
const COUNTED: [string, string, string][] = [
    ["Namespace", "v1", "namespaces"], ["Secret", "v1", "secrets"], ["ConfigMap", "v1", "configmaps"], ["Service", "v1", "services"],
    ["ServiceAccount", "v1", "serviceaccounts"], ["PersistentVolumeClaim", "v1", "persistentvolumeclaims"],
    ["Deployment", "apps/v1", "deployments"], ["Job", "batch/v1", "jobs"], ["CronJob", "batch/v1", "cronjobs"],
    ["NetworkPolicy", "networking.k8s.io/v1", "networkpolicies"], ["PodDisruptionBudget", "policy/v1", "poddisruptionbudgets"],
    ["CustomResourceDefinition", "apiextensions.k8s.io/v1", "customresourcedefinitions"], ["Pod", "v1", "pods"],
];

/**
 * The platform's objects on an API server by kind, as `namespace/name` (system namespaces left out;
 * Helm's release records too: one Secret per revision, so an upgrade adds one by design).
 */
async function listObjects(kube: Kube): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const [kind, v, plural] of COUNTED) {
        const items = await kube.list(apiPath(v, plural)) as (KubeObject & { type?: string })[];
        out[kind] = items.filter((o) => !/^kube-|^default$/.test(o.metadata.namespace ?? "") && !/^kube-|^default$/.test(o.metadata.name) && o.type !== "helm.sh/release.v1")
            .map((o) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`).sort();
    }
    return out;
}

/** What differs between two listings (Pods left out: their names change with every rollout). */
function objectDiff(before: Record<string, string[]>, after: Record<string, string[]>): string[] {
    return Object.keys(before).filter((k) => k !== "Pod").flatMap((k) => [
        ...before[k].filter((n) => !after[k]?.includes(n)).map((n) => `${k} ${n} lost`),
        ...(after[k] ?? []).filter((n) => !before[k].includes(n)).map((n) => `${k} ${n} extra`),
    ]);
}

interface StateResource { urn: string; type: string; id?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown>; protect?: boolean; custom?: boolean }

async function exportResources(w: World, stack: string): Promise<{ text: string; resources: StateResource[] }> {
    const ws = await LocalWorkspace.create({ workDir: w.workDir, envVars: envVars(w) });
    const d = await ws.exportStack(stack);
    const text = JSON.stringify(d);
    return { text, resources: ((d.deployment as { resources?: StateResource[] }).resources ?? []) };
}

function envVars(w: World): Record<string, string> {
    return Object.fromEntries(Object.entries(w.env).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/** Custom resources in a stack's state: every `kubernetes:<group>/<version>:<Kind>` outside the built-in groups. */
function isCustomResource(type: string): boolean {
    return type.startsWith("kubernetes:") && !type.startsWith("kubernetes:index:") && !BUILTIN_GROUP.test(type);
}
const BUILTIN_GROUP = /^kubernetes:(core|apps|batch|networking\.k8s\.io|policy|rbac\.authorization\.k8s\.io|storage\.k8s\.io|scheduling\.k8s\.io|apiextensions\.k8s\.io|admissionregistration\.k8s\.io|helm\.sh|yaml|autoscaling|coordination\.k8s\.io)\//;

/** Check the API server holds what the state says: every custom resource (with its server-side defaults), typed Secrets, NetworkPolicies. */
async function checkObjects(kube: Kube, resources: StateResource[]): Promise<string> {
    const crs = resources.filter((r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:index:") && !BUILTIN_GROUP.test(r.type));
    let defaulted = 0;
    const missing: string[] = [];
    for (const r of crs) {
        const [, gv, kind] = /^kubernetes:([^:]+):(.+)$/.exec(r.type) ?? [];
        const outputs = r.outputs as { apiVersion?: string; metadata?: { name?: string; namespace?: string } } | undefined;
        const name = outputs?.metadata?.name;
        if (!gv || !name) continue;
        const crdPlural = await pluralOf(kube, gv, kind);
        const obj = await kube.find<KubeObject>(apiPath(gv, crdPlural, outputs?.metadata?.namespace, name));
        if (!obj) missing.push(`${kind} ${outputs?.metadata?.namespace ?? ""}/${name}`);
        else if (JSON.stringify(obj.spec ?? {}).length > JSON.stringify((r.inputs as { spec?: unknown } | undefined)?.spec ?? {}).length) defaulted++;
    }
    check(missing.length === 0, `custom resources in state but not on the API server: ${missing.join(", ")}`);
    const secrets = resources.filter((r) => r.type === "kubernetes:core/v1:Secret");
    const badSecrets: string[] = [];
    for (const s of secrets) {
        const m = (s.outputs as { metadata?: { name: string; namespace: string } }).metadata;
        if (!m) continue;
        const obj = await kube.find<KubeObject & { type?: string; data?: Record<string, string> }>(apiPath("v1", "secrets", m.namespace, m.name));
        if (!obj) badSecrets.push(`${m.namespace}/${m.name} missing`);
        else if (obj.type === "kubernetes.io/tls" && !(obj.data?.["tls.crt"] && obj.data?.["tls.key"])) badSecrets.push(`${m.namespace}/${m.name} is kubernetes.io/tls without tls.crt/tls.key`);
        else if (!obj.type) badSecrets.push(`${m.namespace}/${m.name} has no type`);
    }
    check(badSecrets.length === 0, `Secrets: ${badSecrets.join("; ")}`);
    const policies = resources.filter((r) => r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy").length;
    const onServer = (await kube.list(apiPath("networking.k8s.io/v1", "networkpolicies"))).length;
    check(onServer >= policies, `${policies} NetworkPolicies in state, ${onServer} on the API server`);
    return `${crs.length} custom resources on the API server (${defaulted} with server-side defaults), ${secrets.length} typed Secrets, ${policies} NetworkPolicies`;
}

const plurals = new Map<string, string>();
async function pluralOf(kube: Kube, gv: string, kind: string): Promise<string> {
    const key = `${gv}/${kind}`;
    if (!plurals.has(key)) {
        const list = await kube.get<{ resources: { name: string; kind: string }[] }>(gv.includes("/") ? `/apis/${gv}` : `/api/${gv}`);
        for (const r of list.resources) if (!r.name.includes("/")) plurals.set(`${gv}/${r.kind}`, r.name);
    }
    const p = plurals.get(key);
    check(p, `the API server serves no ${kind} in ${gv}`);
    return p;
}

/** Keys whose values are public even inside a secret (certificates, names, addresses). */
const PUBLIC_KEY = /(^|[-_.])(ca|crt|cert|certs|certificate|certificates|pub|public|publickey|host|hosts|server|url|uri|endpoint|endpoints|topic|topics|name|namespace|bucket|region|user|username|kind|apiversion|type|cluster|context|current-context|chart|version|repo|repository|image|tag|release|id|urn|status|description|app)($|[-_.])/i;
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** A leaf that would be a leak in clear: long, without spaces, letters and digits mixed (generated), not an address. */
function secretLike(v: string): boolean {
    return v.length >= 12 && !/\s/.test(v) && /\d/.test(v) && /[a-z]/i.test(v)
        && !/^[a-z]+:\/\//i.test(v) && !/^[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?$/i.test(v);
}

/**
 * The secret-like leaves of one decrypted secret value, keyed by where they sit: private key blocks
 * and passwords, tokens and keys; not the certificates, public keys, names and addresses a secret
 * object also carries (they are public, and appear in clear elsewhere by design).
 */
function secretLeaves(v: unknown, key: string, where: string, out: Map<string, string>): void {
    if (Array.isArray(v)) return v.forEach((x, i) => secretLeaves(x, key, `${where}[${i}]`, out));
    if (v && typeof v === "object") {
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) secretLeaves(x, k, `${where}.${k}`, out);
        return;
    }
    if (typeof v !== "string") return;
    let text = v;
    for (const m of v.matchAll(/-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/g)) {
        text = text.replace(m[0], "");
        // The whole block: single lines of a private key also occur in its certificate (the public modulus).
        if (/PRIVATE KEY/.test(m[1])) out.set(m[0], `${where} (private key)`);
    }
    if (/^[A-Za-z0-9+/]{40,}={0,2}$/.test(text)) { // base64 (Secret data): judge what it encodes
        const decoded = Buffer.from(text, "base64").toString("utf8");
        if (/-----BEGIN /.test(decoded)) {
            if (/PRIVATE KEY/.test(decoded)) out.set(text, `${where} (base64 private key)`);
            return secretLeaves(decoded, key, `${where}(base64)`, out);
        }
    }
    const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
    if (lines.length > 1) { // a config file (kubeconfig, rclone.conf): its `key: value` / `key = value` lines
        for (const line of lines) {
            const m = /^-?\s*([A-Za-z0-9_.-]+)\s*[:=]\s*"?([^"]*)"?$/.exec(line);
            if (m) secretLeaves(m[2], m[1], `${where}/${m[1]}`, out);
        }
        return;
    }
    if (!PUBLIC_KEY.test(key) && secretLike(text)) out.set(text, where);
}

/** The path of the first string in `v` that contains `needle` (never the string itself). */
function findString(v: unknown, needle: string, where = "$"): string | undefined {
    if (typeof v === "string") return v.includes(needle) ? where : undefined;
    if (v === null || typeof v !== "object") return undefined;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const found = findString(x, needle, Array.isArray(v) ? `${where}[${k}]` : `${where}.${k}`);
        if (found) return found;
    }
    return undefined;
}

/** The secret-like plaintexts of a `--show-secrets` export, with the path each was found at. */
function collectPlaintexts(v: unknown, out: Map<string, string>, where = "$"): void {
    if (Array.isArray(v)) return v.forEach((x, i) => collectPlaintexts(x, out, `${where}[${i}]`));
    if (v === null || typeof v !== "object") return;
    const o = v as Record<string, unknown>;
    if (o[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270" && "plaintext" in o) {
        let p: unknown = o.plaintext;
        try {
            p = JSON.parse(String(o.plaintext));
        } catch {
            // a plain string
        }
        secretLeaves(p, where.split(".").pop() ?? "", where, out);
        return;
    }
    for (const [k, x] of Object.entries(o)) collectPlaintexts(x, out, `${where}.${k}`);
}

function table(steps: Step[]): string {
    const rows = [["step", "result", "seconds", "detail"], ...steps.map((s) => [s.name, s.ok ? "ok" : "FAILED", s.seconds.toFixed(1), s.detail.split("\n")[0].slice(0, 110)])];
    const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return rows.map((r) => r.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd()).join("\n");
}

async function main(): Promise<void> {
    const started = Date.now();
    let world: World | undefined;
    const ups: Record<string, number> = {};
    let servingUrns: string[] = [];
    let servingObjects: Record<string, string[]> = {};
    try {
        let bin = "";
        await step("build", async () => {
            const b = buildBinaries();
            bin = b.bin;
            return b.detail;
        });
        await step("clusters", async () => {
            world = await setUpWorld(bin);
            const w = world;
            const crds = locateSchemaDir();
            check(crds, "no CRD schema dir (../shared/crds or $CRD_SCHEMA_DIR)");
            w.mirror = await startChartMirror(path.join(w.tmp, "charts"), crds.dir, LIFETIME_SECONDS);
            const gpuNode = (name: string) => ({
                name, labels: { "hybridml.io/node-pool": "gpu", "nvidia.com/gpu.present": "true" },
                taints: [{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" as const }], extra: { "nvidia.com/gpu": "1" },
            });
            for (const [stack, prefix] of [[TRAINING, "t"], [SERVING, "s"]] as const) {
                w.clusters[stack] = await LocalCluster.start({
                    name: stack, dir: path.join(w.tmp, stack), bin: w.bin, lifetimeSeconds: LIFETIME_SECONDS,
                    nodes: [{ name: `${prefix}-node-1` }, { name: `${prefix}-node-2` }, { name: `${prefix}-node-3` }, gpuNode(`${prefix}-gpu-1`)],
                });
            }
            const ws = await LocalWorkspace.create({ workDir: w.workDir, envVars: envVars(w) });
            for (const stack of [TRAINING, SERVING]) {
                await ws.createStack(stack);
                const c = w.clusters[stack]!;
                await ws.setConfig(stack, "hybridml:kubeconfig", { value: c.kubeconfig(), secret: true });
                await ws.setConfig(stack, "hybridml:charts.mirror", { value: w.mirror.url }, true);
                w.secretsPlanted.push(c.token);
            }
            const charts = Object.entries(w.mirror.charts).map(([n, k]) => `${n}(${k})`).join(" ");
            return `2 clusters (etcd, kube-apiserver, controller-manager, scheduler, kwok: 4 nodes each); chart mirror ${w.mirror.url}: ${charts}`;
        }, { needs: ["build"] });

        for (const stack of [TRAINING, SERVING]) {
            await step(`up ${stack === TRAINING ? "training" : "serving"}`, async () => {
                const w = world!;
                const r = await stackOp(w, stack, "up");
                check(r.ok, `pulumi up failed:\n${lastLines(r.error, 25)}`);
                ups[stack] = r.seconds;
                const kube = w.clusters[stack]!.kube;
                const { resources } = await exportResources(w, stack);
                const detail = await checkObjects(kube, resources);
                const listed = await listObjects(kube);
                report.apiObjects[stack] = Object.fromEntries(Object.entries(listed).map(([k, v]) => [k, v.length]));
                if (stack === SERVING) {
                    servingUrns = resources.map((x) => x.urn).sort();
                    servingObjects = listed;
                }
                return `${JSON.stringify(r.changes)} in ${r.seconds.toFixed(0)} s; ${detail}`;
            }, { needs: stack === TRAINING ? ["clusters"] : ["up training"] });
        }

        await step("preview no changes", async () => {
            const out: string[] = [];
            for (const stack of [TRAINING, SERVING]) {
                const r = await stackOp(world!, stack, "preview", { expectNoChanges: true });
                check(r.ok, `${stack}: preview --expect-no-changes found changes:\n${lastLines(r.error, 25)}`);
                out.push(`${stack} ${JSON.stringify(r.changes)}`);
            }
            return out.join("; ");
        }, { needs: ["up serving"] });

        await step("policy pack", async () => {
            const policy = path.join(REPO_ROOT, "policy");
            const out: string[] = [];
            for (const stack of [TRAINING, SERVING]) {
                const r = await stackOp(world!, stack, "preview", { policyPacks: [policy], policyPackConfigs: [path.join(policy, "config/dev.json")] });
                const mandatory = r.events.filter((e) => e.kind === "policy" && e.level === "mandatory");
                check(r.ok && mandatory.length === 0, `${stack}: ${mandatory.map((e) => `${e.policy}: ${e.message}`).join("; ") || lastLines(r.error, 20)}`);
                const advisory = new Set(r.events.filter((e) => e.kind === "policy").map((e) => e.policy));
                out.push(`${stack}: 0 mandatory${advisory.size ? `, advisory ${[...advisory].join(", ")}` : ""}`);
            }
            // The unsafe variant: the dev-sized training stack judged by the prod levels must fail, naming the policy.
            const bad = await stackOp(world!, TRAINING, "preview", { policyPacks: [policy], policyPackConfigs: [path.join(policy, "config/prod.json")] });
            const named = [...new Set(bad.events.filter((e) => e.kind === "policy" && e.level === "mandatory").map((e) => e.policy))];
            check(!bad.ok && named.length > 0, `the unsafe variant (dev sizing under prod levels) was not refused: ok=${bad.ok}, mandatory=${named.join(",")}`);
            out.push(`unsafe variant refused by ${named.join(", ")}`);
            return out.join("; ");
        }, { needs: ["up serving"] });

        await step("state secrets", async () => {
            const w = world!;
            // Every value the state holds as a secret, decrypted by the CLI itself, plus what was given outside the state.
            const planted = new Map<string, string>(w.secretsPlanted.map((p) => [p, "planted outside the state"]));
            const cli = (args: string[]) => spawnSync(path.join(w.bin, "pulumi"), args, { cwd: w.workDir, env: w.env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
            for (const stack of [TRAINING, SERVING]) {
                const shown = cli(["stack", "export", "--show-secrets", "--stack", stack]);
                check(shown.status === 0, `pulumi stack export --show-secrets failed: ${shown.stderr}`);
                collectPlaintexts(JSON.parse(shown.stdout), planted, stack);
            }
            const leaks: string[] = [];
            for (const stack of [TRAINING, SERVING]) {
                const plain = cli(["stack", "export", "--stack", stack]);
                check(plain.status === 0, `pulumi stack export failed: ${plain.stderr}`);
                const parsed = JSON.parse(plain.stdout) as unknown;
                for (const [p, where] of planted) {
                    if (plain.stdout.includes(p) || plain.stdout.includes(JSON.stringify(p).slice(1, -1))) leaks.push(`${stack} holds the value of ${where} in clear at ${findString(parsed, p) ?? "?"}`);
                }
            }
            check(planted.size > w.secretsPlanted.length, "the state holds no secret at all");
            check(leaks.length === 0, `secrets in clear in the state: ${leaks.length}: ${leaks.slice(0, 6).join("; ")}`);
            return `${planted.size} secret values (every secret the state holds, the kubeconfig tokens, the passphrase) absent in clear from both stack exports`;
        }, { needs: ["up serving"] });

        await step("replacement estimates", async () => {
            const w = world!;
            // One change that renames objects: the serving namespace. The real preview's replacements must be
            // exactly those the preview report estimates from the offline plans (tools/plan/replacements.ts).
            const renamed = "models-renamed";
            const base = e2eStackConfig(SERVING, w.mirror!.url);
            const estimated = await estimatedReplacements(TRAINING, SERVING, base, withConfigValue(base, "serving", ["namespace"], renamed));
            const ws = await LocalWorkspace.create({ workDir: w.workDir, envVars: envVars(w) });
            await ws.setConfig(SERVING, "hybridml:serving.namespace", { value: renamed }, true);
            try {
                const r = await stackOp(w, SERVING, "preview");
                check(r.ok, `preview with serving.namespace ${renamed} failed:\n${lastLines(r.error, 20)}`);
                const engine = [...new Set(r.events.filter((e) => e.kind === "resource" && (e.op === "replace" || e.op === "create-replacement") && e.urn).map((e) => e.urn!))].sort();
                report.replacementFacts = { change: `serving.namespace -> ${renamed}`, engine, estimated };
                check(engine.length > 0, "the engine replaces nothing: the change did not reach the program");
                const diff = replacementDifferences(estimated, engine);
                check(diff.length === 0, `the report's estimates differ from the engine (${diff.length}): ${diff.slice(0, 8).join("; ")}`);
                return `serving.namespace renamed: the engine and the estimate both replace the same ${engine.length} resources`;
            } finally {
                await ws.removeConfig(SERVING, "hybridml:serving.namespace", true);
            }
        }, { needs: ["up serving"] });

        await step("interrupted up converges", async () => {
            const w = world!;
            const d = await stackOp(w, SERVING, "destroy");
            check(d.ok, `destroy before the interrupted up failed: ${lastLines(d.error)}`);
            let created = 0;
            const run = startStackOp(SERVING, "up", {
                workDir: w.workDir, env: w.env,
                onLine: (l) => fs.appendFileSync(path.join(w.logDir, `${SERVING}.log`), `${l}\n`),
                onEvent: (e) => {
                    if (e.kind === "resource" && e.op === "create" && ++created === 20) killRun(run);
                },
            });
            const killed = await run.result;
            check(!killed.ok, `the up finished before it could be interrupted (${created} creates)`);
            // The dead up left its lock and pending creates: recover adopts what reached the API server and clears the rest.
            const rec = await stackOp(w, SERVING, "recover");
            check(rec.ok, `recover after the kill failed: ${lastLines(rec.error)}`);
            const up = await stackOp(w, SERVING, "up");
            check(up.ok, `up after the kill failed: ${lastLines(up.error, 25)}`);
            const { resources } = await exportResources(w, SERVING);
            const urns = resources.map((x) => x.urn).sort();
            const dupes = urns.filter((u, i) => urns[i - 1] === u);
            check(dupes.length === 0, `duplicate URNs: ${dupes.join(", ")}`);
            const lost = servingUrns.filter((u) => !urns.includes(u));
            const extra = urns.filter((u) => !servingUrns.includes(u));
            check(lost.length === 0 && extra.length === 0, `state differs from the first up: lost ${lost.join(", ")}; extra ${extra.join(", ")}`);
            const diff = objectDiff(servingObjects, await listObjects(w.clusters[SERVING]!.kube));
            check(diff.length === 0, `API objects differ from the first up: ${diff.join(", ")}`);
            return `killed after ${created} creates; recover (${rec.detail}) and up converged to the same ${urns.length} resources and API objects`;
        }, { needs: ["up serving"] });

        await step("fleet up", async () => {
            const w = world!;
            const d = await runFleet({ op: "destroy", stacks: [SERVING], workDir: w.workDir, env: w.env, onLine: (l) => fs.appendFileSync(path.join(w.logDir, "fleet.log"), `${l}\n`) });
            check(d.every((r) => r.result === "ok"), `fleet destroy of ${SERVING} failed: ${d.map((r) => r.detail).join("; ")}`);
            const t0 = Date.now();
            const rows = await runFleet({ op: "up", workDir: w.workDir, env: w.env, parallel: 4, onLine: (l) => fs.appendFileSync(path.join(w.logDir, "fleet.log"), `${l}\n`) });
            const wall = (Date.now() - t0) / 1000;
            check(rows.every((r) => r.result === "ok"), `fleet up: ${rows.map((r) => `${r.stack} ${r.result} ${lastLines(r.detail, 5)}`).join("; ")}`);
            const order = rows.map((r) => r.stack).join(" -> ");
            const sum = (ups[TRAINING] ?? 0) + (ups[SERVING] ?? 0);
            report.timings.fleetUpWall = wall;
            report.timings.singleUpsSum = sum;
            return `${order}: ${rows.map((r) => `${r.stack} ${JSON.stringify(r.changes)}`).join(", ")}; wall ${wall.toFixed(0)} s vs ${sum.toFixed(0)} s for the two single-stack ups`;
        }, { needs: ["up serving"] });

        await step("destroy", async () => {
            const w = world!;
            const s = await stackOp(w, SERVING, "destroy");
            check(s.ok, `destroy ${SERVING} failed: ${lastLines(s.error)}`);
            // Which custom resources depend on which operator release, before anything is deleted.
            const before = (await exportResources(w, TRAINING)).resources as (StateResource & { dependencies?: string[] })[];
            const releases = new Set(before.filter((r) => r.type === "kubernetes:helm.sh/v3:Release").map((r) => r.urn));
            const pairs = before.filter((r) => isCustomResource(r.type)).flatMap((r) => (r.dependencies ?? []).filter((d) => releases.has(d)).map((d) => [r.urn, d] as const));
            const deletes: string[] = [];
            const onDelete = (e: WorkerEvent) => e.kind === "resource" && e.op === "delete" && e.urn && deletes.push(e.urn);
            const refused = await stackOp(w, TRAINING, "destroy", {}, onDelete);
            check(!refused.ok && /protect/i.test(refused.error ?? ""), `destroy of the training stack with protected resources did not refuse: ${lastLines(refused.error)}`);
            const unprotect = spawnSync(path.join(w.bin, "pulumi"), ["state", "unprotect", "--all", "--yes", "--stack", TRAINING, "--non-interactive"], { cwd: w.workDir, env: w.env, encoding: "utf8" });
            check(unprotect.status === 0, `pulumi state unprotect failed: ${unprotect.stderr}`);
            const t = await stackOp(w, TRAINING, "destroy", {}, onDelete);
            check(t.ok, `destroy ${TRAINING} failed: ${lastLines(t.error)}`);
            const late = pairs.filter(([cr, rel]) => deletes.indexOf(cr) < 0 || deletes.indexOf(cr) > deletes.indexOf(rel));
            check(pairs.length > 0, "no custom resource depends on its operator's release in the state");
            check(late.length === 0, `custom resources deleted after their operator's release: ${late.map(([cr]) => cr.split("::").pop()).join(", ")}`);
            // What the program retains on delete (the data-holding namespaces, when protected) must stay; nothing else may.
            const retained = new Set(before.filter((r) => (r as { retainOnDelete?: boolean }).retainOnDelete && r.type.startsWith("kubernetes:core/v1:"))
                .map((r) => { const m = (r.outputs as { kind?: string; metadata?: { name?: string; namespace?: string } } | undefined); return `${m?.kind} ${m?.metadata?.namespace ?? ""}/${m?.metadata?.name}`; }));
            const left: string[] = [];
            const kept: string[] = [];
            for (const stack of [TRAINING, SERVING]) {
                const n = await listObjects(w.clusters[stack]!.kube);
                for (const k of ["Namespace", "Deployment", "Job", "NetworkPolicy", "Secret"]) {
                    for (const o of n[k]) (stack === TRAINING && retained.has(`${k} ${o}`) ? kept : left).push(`${stack}: ${k} ${o}`);
                }
            }
            check(left.length === 0, `objects left after destroy: ${left.join(", ")}`);
            check(retained.size === 0 || kept.length > 0, `the resources retained on delete are gone: ${[...retained].join(", ")}`);
            return `serving destroyed; training refused while protected, then destroyed after unprotect (${deletes.length} deletes; ${pairs.length} custom resources before their operators' releases); `
                + `nothing left on either API server but what is retained on delete (${kept.map((k) => k.split(": ")[1]).join(", ") || "none"})`;
        }, { needs: ["up serving"] });
    } finally {
        for (const c of Object.values(world?.clusters ?? {})) c?.stop();
        await world?.mirror?.close();
    }
    report.timings.totalSeconds = (Date.now() - started) / 1000;
    fs.writeFileSync(path.join(REPO_ROOT, "e2e-report.json"), `${JSON.stringify(report, null, 2)}\n`);
    log(`\n${table(report.steps)}\n\nlogs: ${world?.logDir ?? "-"}; report: e2e-report.json; total ${report.timings.totalSeconds.toFixed(0)} s`);
    const passed = report.steps.filter((s) => s.ok).length;
    log(`${passed} passed, ${report.steps.length - passed} failed`);
    process.exitCode = passed === report.steps.length ? 0 : 1;
    // The clusters' data and the file backend (about 160 MB): kept for a failed run, to look into.
    if (world && passed === report.steps.length) {
        try {
            fs.rmSync(world.tmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
        } catch (e) {
            log(`could not remove ${world.tmp}: ${(e as Error).message}`);
        }
    } else if (world) log(`kept for inspection: ${world.tmp}`);
}

void main();
