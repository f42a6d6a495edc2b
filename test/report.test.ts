/**
 * The offline preview report on two real plan sets: the base is the shipped stacks; the change is a
 * copy of the stack files (`--config-dir`) where prod-training promotes a new model version and
 * moves Rook's dataDirHostPath (immutable by the CephCluster CRD's transition rule). Also: the
 * critical path and the fleet picture (well-formed SVG naming every stack).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";
import { criticalPath, estimate, estimateOf } from "../tools/plan/critical-path";
import { fleetDot, fleetSvg } from "../tools/plan/graph";
import { listStacks, Plan, planFleet, planStack, REPO_ROOT } from "../tools/plan/plan";
import { runProgram, SecretValue } from "../tools/plan/recorder";
import { buildReport, compareStack, diffInputs, readPlans, secretDigests, StackComparison } from "../tools/plan/report";
import { sharedFleet } from "./policy/run";

const SERVING_OF_TRAINING = ["prod-aws", "prod-gcp", "prod-azure"];

/** A minimal XML well-formedness check: balanced tags, quoted attributes, one root element. */
function xmlProblems(xml: string): string[] {
    const problems: string[] = [];
    const stack: string[] = [];
    let roots = 0;
    const body = xml.replace(/<\?[\s\S]*?\?>/g, "").replace(/<!--[\s\S]*?-->/g, "").replace(/<!DOCTYPE[^>]*>/i, "").replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, "");
    const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
    let last = 0;
    for (let m = tag.exec(body); m; m = tag.exec(body)) {
        const between = body.slice(last, m.index);
        if (between.includes("<")) problems.push(`malformed markup near: ${between.slice(between.indexOf("<"), between.indexOf("<") + 40)}`);
        if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(between)) problems.push(`bare & in text: ${between.slice(0, 40)}`);
        last = tag.lastIndex;
        const [, close, name, , selfClose] = m;
        if (close) {
            if (stack.pop() !== name) problems.push(`unbalanced </${name}>`);
        } else if (!selfClose) {
            if (stack.length === 0) roots++;
            stack.push(name);
        } else if (stack.length === 0) roots++;
    }
    if (body.slice(last).includes("<")) problems.push("trailing malformed markup");
    if (stack.length > 0) problems.push(`unclosed: ${stack.join(", ")}`);
    if (roots !== 1) problems.push(`${roots} root elements`);
    return problems;
}

describe("offline preview report (--compare)", function () {
    this.timeout(240_000);
    let dir: string;
    let base: Map<string, Plan>;
    let head: Map<string, Plan>;
    let comparisons: Map<string, StackComparison>;

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "hybridml-report-"));
        // Base: the shipped stacks.
        const baseResults = await sharedFleet();
        fs.mkdirSync(path.join(dir, "base"));
        base = new Map();
        for (const r of baseResults.values()) {
            assert.equal(r.error, undefined, r.error?.message);
            base.set(r.plan.stack, r.plan);
            fs.writeFileSync(path.join(dir, "base", `${r.plan.stack}.json`), JSON.stringify(r.plan));
        }
        // The change: a modified copy of the stack files.
        const cfgDir = path.join(dir, "cfg");
        fs.mkdirSync(cfgDir);
        for (const s of listStacks()) fs.copyFileSync(path.join(REPO_ROOT, `Pulumi.${s}.yaml`), path.join(cfgDir, `Pulumi.${s}.yaml`));
        const file = path.join(cfgDir, "Pulumi.prod-training.yaml");
        const doc = parse(fs.readFileSync(file, "utf8"));
        const models = doc.config["hybridml:models"] as Array<Record<string, unknown>>;
        const fraud = models.find((m) => m.name === "fraud-detector")!;
        assert.equal(fraud.version, "3.2.0");
        Object.assign(fraud, { version: "3.3.0", artifactPath: "fraud-detector/3.3.0/", sha256: "d".repeat(64) });
        doc.config["hybridml:storage"].rook.dataDirHostPath = "/data/rook";
        fs.writeFileSync(file, stringify(doc));
        const headResults = await planFleet(listStacks(), undefined, cfgDir);
        head = new Map([...headResults.values()].map((r) => {
            assert.equal(r.error, undefined, r.error?.message);
            return [r.plan.stack, r.plan];
        }));
        comparisons = new Map([...head.values()].map((p) => [p.stack, compareStack(base.get(p.stack), p)]));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("diffs inputs field by field", () => {
        assert.deepEqual(diffInputs({ a: 1, b: { c: [1, 2], d: "x" } }, { a: 1, b: { c: [1, 3], e: "y" } }), [
            { path: "b.c[1]", before: 2, after: 3 },
            { path: "b.d", before: "x", after: undefined },
            { path: "b.e", before: undefined, after: "y" },
        ]);
        assert.deepEqual(diffInputs({ labels: { "app.kubernetes.io/name": "a" } }, { labels: { "app.kubernetes.io/name": "b" } }),
            [{ path: 'labels["app.kubernetes.io/name"]', before: "a", after: "b" }]);
    });

    it("shows the model version change as a field-level change in every serving stack of prod-training", () => {
        for (const stack of SERVING_OF_TRAINING) {
            const c = comparisons.get(stack)!;
            const fields = c.changed.flatMap((ch) => ch.fields.map((f) => ({ type: ch.resource.type, ...f })));
            const version = fields.filter((f) => JSON.stringify(f.before ?? "").includes("3.2.0") && JSON.stringify(f.after ?? "").includes("3.3.0"));
            assert.ok(version.length >= 1, `${stack}: ${JSON.stringify(fields.slice(0, 10))}`);
            assert.ok(version.some((f) => f.type.endsWith(":InferenceService") || f.type === "pulumi:pulumi:StackReference" || f.type.startsWith("kubernetes:")), stack);
            assert.deepEqual(c.refused, [], `${stack} has nothing refused`);
        }
        // Stacks that do not read prod-training do not change.
        for (const stack of ["dev", "edge"]) {
            const c = comparisons.get(stack)!;
            assert.deepEqual([c.added.length, c.changed.length, c.removed.length], [0, 0, 0], stack);
        }
    });

    it("flags the immutable Rook field as refused by the API server (CephCluster transition rule)", () => {
        const c = comparisons.get("prod-training")!;
        const cluster = c.changed.find((ch) => ch.resource.type === "kubernetes:ceph.rook.io/v1:CephCluster");
        assert.ok(cluster, "the CephCluster changed");
        assert.deepEqual(cluster.fields.filter((f) => f.path === "spec.dataDirHostPath"), [{ path: "spec.dataDirHostPath", before: "/var/lib/rook", after: "/data/rook" }]);
        assert.ok(c.refused.some((x) => /CephCluster .*the API server would reject the update: spec\.dataDirHostPath: DataDirHostPath is immutable/.test(x)), c.refused.join("\n"));
    });

    it("flags a protected resource that would be replaced or removed", () => {
        const aws = base.get("prod-aws")!;
        const changed: Plan = structuredClone(aws);
        const bucket = changed.resources.find((r) => r.type === "aws:s3/bucket:Bucket" && r.protect)!;
        bucket.inputs.bucket = "renamed-bucket";
        const c = compareStack(aws, changed);
        assert.ok(c.refused.some((x) => x.includes(`aws:s3/bucket:Bucket ${bucket.name} is protected and would be replaced (bucket`) && x.includes("estimate")), c.refused.join("\n"));
        const removed = compareStack(aws, { ...aws, resources: aws.resources.filter((r) => r.urn !== bucket.urn) });
        assert.ok(removed.refused.some((x) => x.includes("is protected and would be deleted")));
    });

    it("writes report.md and fleet.svg with `npm run plan -- --all --compare`", () => {
        const out = path.join(dir, "head");
        // One serving stack and its training stack keep this test quick; the comparisons above cover all six.
        const svgUrl = "https://github.com/acme/hybridml/actions/runs/42#artifacts";
        const r = spawnSync(process.execPath, ["-r", "./tools/register.js", "tools/plan/cli.ts", "--stack", "prod-aws", "--config-dir", path.join(dir, "cfg"), "--out", out, "--compare", path.join(dir, "base"), "--svg-url", svgUrl], {
            cwd: REPO_ROOT, encoding: "utf8",
        });
        assert.equal(r.status, 0, r.stderr);
        const report = fs.readFileSync(path.join(out, "report.md"), "utf8");
        assert.match(report, /^# Offline preview report/);
        assert.match(report, /\*\*Blocked\*\*/, "a refused change blocks");
        for (const s of ["prod-training", "prod-aws"]) assert.match(report, new RegExp(`^## ${s}$`, "m"));
        for (const s of ["prod-aws"]) {
            const section = report.split(/^## /m).find((x) => x.startsWith(`${s}\n`))!;
            assert.match(section, /3\.2\.0.*→.*3\.3\.0/, s);
        }
        assert.match(report, /DataDirHostPath is immutable/);
        assert.match(report, /Full create path of the stack \(estimate\): \d+ min/);
        assert.match(report, /Critical path of this change \(estimate\): \*\*\d+/);
        // The link is absolute: a PR comment or job summary can open it (a relative link is dead there).
        assert.ok(report.includes(`[fleet.svg](${svgUrl})`), "absolute link to the picture");
        assert.doesNotMatch(report, /BEGIN [A-Z ]*PRIVATE KEY|fake-random-password|client-key-data/);
        const svg = fs.readFileSync(path.join(out, "fleet.svg"), "utf8");
        assert.deepEqual(xmlProblems(svg), []);
        // Coloured by what the change does: prod-training is blocked (the refused Rook update), prod-aws changes.
        assert.match(svg, /BLOCKED/);
        assert.match(svg, /changes/);
        const bad = spawnSync(process.execPath, ["-r", "./tools/register.js", "tools/plan/cli.ts", "--stack", "dev", "--compare", path.join(dir, "base"), "--svg-url", "fleet.svg"], { cwd: REPO_ROOT, encoding: "utf8" });
        assert.equal(bad.status, 2);
        assert.match(bad.stderr, /--svg-url must be an absolute http\(s\) URL/);
        // The report is built from the same plans readPlans reads back.
        assert.deepEqual([...readPlans(path.join(dir, "base")).keys()].sort(), listStacks());
    });

    it("reports new and resolved violations against the base", () => {
        const training = base.get("prod-training")!;
        const v = { policy: "ceph-pool-replication", enforcement: "mandatory" as const, urn: "urn:x", message: "m" };
        const c = compareStack({ ...training, violations: [...training.violations, v] }, training);
        assert.deepEqual([c.newViolations, c.resolvedViolations], [[], [v]]);
        const text = buildReport({ base: new Map([["prod-training", training]]), head: [{ ...training, violations: [...training.violations, v] }] });
        assert.match(text, /## Mandatory policy violations\n\n- prod-training: \*\*ceph-pool-replication\*\*: m/);
        assert.match(buildReport({ base, head: [...head.values()], parity: "serving parity: OK across 5 stacks" }), /## Serving parity\n\n```\nserving parity: OK across 5 stacks\n```/);
    });
});

describe("deploy critical path", () => {
    it("estimates Helm releases per chart: a CRD-only chart is not an operator, nor a Pulsar", () => {
        const rel = (chart: string) => ({ type: "kubernetes:helm.sh/v3:Release", inputs: { chart } });
        assert.equal(estimateOf(rel("oci://ghcr.io/kserve/charts/kserve-crd")), 15);
        assert.equal(estimateOf(rel("pulsar")), 600);
        assert.ok(estimateOf(rel("gpu-operator")) > estimateOf(rel("cert-manager")));
        assert.equal(estimateOf(rel("some-other-chart")), 120);
    });

    it("the critical path of a change counts only what it creates or replaces", () => {
        const r = (urn: string, type: string, deps: string[] = []) => ({
            urn, type, name: urn, parent: "", provider: "", dependencies: deps, protect: false, retainOnDelete: false, ignoreChanges: [], read: false, inputs: {},
        });
        const resources = [r("cluster", "aws:eks/cluster:Cluster"), r("ng", "aws:eks/nodeGroup:NodeGroup", ["cluster"]), r("isvc", "kubernetes:serving.kserve.io/v1beta1:InferenceService", ["ng"])];
        assert.equal(criticalPath(resources).seconds, 600 + 240 + 2);
        const change = criticalPath(resources, new Set(["isvc"]));
        assert.equal(change.seconds, 2);
        assert.equal(change.chain[change.chain.length - 1].urn, "isvc");
    });

    it("uses documented estimates per type", () => {
        assert.equal(estimate("aws:eks/cluster:Cluster"), 600);
        assert.equal(estimate("hybridml:clusters:EksCluster"), 0);
        assert.equal(estimate("kubernetes:ceph.rook.io/v1:CephCluster"), 2);
    });

    it("follows dependencies and providers to the longest chain", () => {
        const r = (urn: string, type: string, deps: string[] = [], provider = "") => ({
            urn, type, name: urn, parent: "", provider, dependencies: deps, protect: false, retainOnDelete: false, ignoreChanges: [], read: false, inputs: {},
        });
        const cp = criticalPath([
            r("vpc", "aws:ec2/vpc:Vpc"), r("nat", "aws:ec2/natGateway:NatGateway", ["vpc"]),
            r("cluster", "aws:eks/cluster:Cluster", ["vpc"]), r("k8s", "pulumi:providers:kubernetes", ["cluster"]),
            r("release", "kubernetes:helm.sh/v3:Release", [], "k8s"), r("role", "aws:iam/role:Role"),
        ]);
        assert.deepEqual(cp.chain.map((c) => c.urn), ["vpc", "cluster", "k8s", "release"]);
        assert.equal(cp.seconds, 5 + 600 + 1 + 120);
    });

    it("names the cluster as the long pole of the EKS stack", async () => {
        const results = await sharedFleet();
        const cp = criticalPath(results.get("prod-aws")!.plan.resources);
        assert.ok(cp.chain.some((c) => c.type === "aws:eks/cluster:Cluster"), JSON.stringify(cp.chain));
        assert.ok(cp.seconds >= 600);
    }).timeout(60_000);
});

describe("fleet picture", () => {
    it("is well-formed SVG that names every stack and the stack references", async () => {
        const results = await sharedFleet();
        const plans = [...results.values()].map((r) => r.plan);
        const dot = fleetDot(plans);
        assert.match(dot, /"prod-training" -> "prod-aws" \[label="approved models/);
        assert.match(dot, /"edge" -> "dev" \[label="StackReference/);
        const svg = await fleetSvg(plans);
        assert.match(svg, /<svg[\s>]/);
        assert.deepEqual(xmlProblems(svg), []);
        const text = svg.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)));
        for (const s of listStacks()) assert.ok(text.includes(`>${s}<`), `the SVG names ${s}`);
        assert.match(svg, /EKS/);
        assert.match(svg, /GKE/);
        assert.match(svg, /AKS/);
    }).timeout(60_000);

    it("the well-formedness check does catch broken XML", () => {
        assert.notDeepEqual(xmlProblems("<svg><g></svg>"), []);
        assert.notDeepEqual(xmlProblems("<svg><text>a & b</text></svg>"), []);
        assert.deepEqual(xmlProblems('<?xml version="1.0"?><svg a="1"><g/><text>a &amp; b</text></svg>'), []);
    });
});

describe("the report says only what is true (base vs PR plans)", function () {
    this.timeout(120_000);
    let base: Map<string, Plan>;
    before(async () => {
        base = new Map([...(await sharedFleet()).values()].map((r) => [r.plan.stack, r.plan]));
    });

    it("a resource renamed with aliases is the same resource: changed at most, never protected-and-deleted", () => {
        const aws = base.get("prod-aws")!;
        const cluster = aws.resources.find((r) => r.type === "aws:eks/cluster:Cluster")!;
        assert.equal(cluster.protect, true);
        const renamedUrn = cluster.urn.replace(/::[^:]+$/, "::prod-aws-eks");
        const rename = (withAliases: boolean): Plan => {
            const p = structuredClone(aws);
            for (const r of p.resources) {
                if (r.urn === cluster.urn) Object.assign(r, { urn: renamedUrn, name: "prod-aws-eks", ...(withAliases ? { aliases: [cluster.urn] } : {}) });
                r.dependencies = r.dependencies.map((d) => (d === cluster.urn ? renamedUrn : d));
            }
            return p;
        };
        const aliased = compareStack(aws, rename(true));
        assert.deepEqual([aliased.removed.length, aliased.added.length, aliased.refused], [0, 0, []]);
        // Without aliases the same rename is a delete and a create: pulumi up refuses (protected).
        const bare = compareStack(aws, rename(false));
        assert.ok(bare.refused.some((x) => x.includes("is protected and would be deleted")), bare.refused.join("\n"));
        // A renamed resource whose inputs changed too shows as changed, with where it came from.
        const changed = rename(true);
        const renamed = changed.resources.find((r) => r.urn === renamedUrn)!;
        renamed.inputs.version = `${String(renamed.inputs.version)}.1`;
        const c = compareStack(aws, changed);
        assert.deepEqual(c.changed.map((x) => [x.renamedFrom, x.fields.map((f) => f.path)]), [[cluster.urn, ["version"]]]);
        assert.match(buildReport({ base, head: [changed] }), /renamed from `[^`]+` through its aliases/);
    });

    it("records aliases as the engine resolves them (spec and URN aliases)", async () => {
        class R extends pulumi.CustomResource {
            constructor(name: string, opts: pulumi.CustomResourceOptions) {
                super("x:y:R", name, {}, opts);
            }
        }
        const r = await runProgram(() => {
            const parent = new pulumi.ComponentResource("x:y:C", "comp", {});
            new R("child", { parent, aliases: [{ name: "old-child" }] });
            new R("top", { aliases: ["urn:pulumi:s::p::x:y:R::literal"] });
        }, { project: "p", stack: "s" });
        const child = r.resources.find((x) => x.name === "child")!;
        assert.deepEqual(child.aliases, [child.urn.replace(/::child$/, "::old-child")]);
        assert.deepEqual(r.resources.find((x) => x.name === "top")!.aliases, ["urn:pulumi:s::p::x:y:R::literal"]);
    });

    it("a GKE node pool machine type change is an in-place update", () => {
        const gcp = base.get("prod-gcp")!;
        const p = structuredClone(gcp);
        const pool = p.resources.find((r) => r.type === "gcp:container/nodePool:NodePool")!;
        (pool.inputs.nodeConfig as Record<string, unknown>).machineType = "n2-standard-16";
        const c = compareStack(gcp, p);
        assert.deepEqual(c.changed.map((x) => [x.resource.name, x.fields.map((f) => f.path), x.replaceBecause]), [[pool.name, ["nodeConfig.machineType"], []]]);
    });

    it("a bucket rename replaces the bucket and its access block, encryption, versioning and policy (estimates, marked)", () => {
        const aws = base.get("prod-aws")!;
        const p = structuredClone(aws);
        const bucket = p.resources.find((r) => r.type === "aws:s3/bucket:Bucket")!;
        const oldName = bucket.inputs.bucket as string;
        for (const r of p.resources) {
            if (r.urn === bucket.urn) r.inputs.bucket = `${oldName}-v2`;
            else if (r.inputs.bucket === oldName) r.inputs.bucket = `${oldName}-v2`;
        }
        const c = compareStack(aws, p);
        const replaced = c.changed.filter((x) => x.replaceBecause.length > 0).map((x) => x.resource.type.split(":").pop()).sort();
        for (const t of ["Bucket", "BucketPublicAccessBlock", "BucketServerSideEncryptionConfiguration", "BucketVersioning", "BucketPolicy"]) assert.ok(replaced.includes(t), `${t} replaced: ${replaced.join(", ")}`);
        assert.match(buildReport({ base, head: [p] }), /\*\*replace\*\* \(estimate: bucket/);
    });

    it("a force-new input known only after deploy, from a replaced resource, is replaced too", () => {
        const mk = (urn: string, type: string, inputs: Record<string, unknown>, deps: string[] = []) => ({
            urn, type, name: urn, parent: "", provider: "", dependencies: deps, protect: false, retainOnDelete: false, read: false, inputs,
        });
        const plan = (name: string): Plan => ({
            stack: "s", outputs: {}, violations: [], resources: [
                mk("b", "aws:s3/bucket:Bucket", { bucket: name }),
                mk("pab", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", { bucket: "[unknown]", blockPublicAcls: true }, ["b"]),
            ],
        });
        const c = compareStack(plan("a"), plan("b"));
        assert.deepEqual(c.changed.map((x) => [x.resource.urn, x.replaceBecause]), [["b", ["bucket"]], ["pab", ["bucket (from replaced b)"]]]);
        // Not replaced when the bucket is not.
        assert.deepEqual(compareStack(plan("a"), plan("a")).changed, []);
    });

    it("shows stack output changes (the contract), and a changed secret as changed without its value", async () => {

        const training = base.get("prod-training")!;
        const digests = (password: string) => ({
            outputs: secretDigests({ modelStoreReadCredentials: new SecretValue({ accessKeyId: "AK", secretAccessKey: password }) }, "salt", (x) => x instanceof SecretValue, (x) => (x as SecretValue).value),
            inputs: {},
        });
        const before: Plan = { ...structuredClone(training), secrets: digests("old-password-1") };
        const after: Plan = { ...structuredClone(training), secrets: digests("new-password-2") };
        (after.outputs as Record<string, unknown>).contractVersion = "v2";
        const c = compareStack(before, after);
        assert.deepEqual(c.outputs.map((f) => [f.path, f.secretChanged ?? false]), [["contractVersion", false], ["modelStoreReadCredentials", true]]);
        const text = buildReport({ base: new Map([["prod-training", before]]), head: [after] });
        assert.match(text, /### Stack outputs changed \(2; the stack-reference contract\)/);
        assert.match(text, /`modelStoreReadCredentials`: `\[secret\]` → `\[secret\]` \(\*\*secret value changed\*\*/);
        assert.doesNotMatch(text, /old-password-1|new-password-2/);
        // The same secret: no change; no digests on one side: said, not guessed.
        assert.deepEqual(compareStack(before, { ...before }).outputs, []);
        assert.ok(compareStack({ ...training }, after).notes.some((n) => /PLAN_SECRET_SALT/.test(n)));
    });

    it("plans carry salted digests of their secrets when PLAN_SECRET_SALT is set, never the values", async () => {
        assert.equal(base.get("prod-training")!.secrets, undefined, "no salt, no digests");
        const salted = await planStack("prod-training", { secretSalt: "s1" });
        const again = await planStack("prod-training", { secretSalt: "s2" });
        assert.ok(salted.plan.secrets && Object.keys(salted.plan.secrets.outputs).length > 0, JSON.stringify(salted.plan.secrets?.outputs));
        assert.ok(Object.keys(salted.plan.secrets.inputs).length > 0);
        const some = Object.keys(salted.plan.secrets.outputs)[0];
        assert.notEqual(salted.plan.secrets.outputs[some], again.plan.secrets!.outputs[some], "the digest depends on the salt");
        assert.match(salted.plan.secrets.outputs[some], /^[0-9a-f]{16}$/);
    });
});

describe("replacement estimates: one list per provider version, every entry checked against the installed SDK", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { REPLACEMENT_RULES, replaceFields } = require("../tools/plan/replacements") as typeof import("../tools/plan/replacements");
    /** The SDK file of a type token: `aws:eks/cluster:Cluster` -> aws/eks/cluster.d.ts, `kubernetes:apps/v1:Deployment` -> kubernetes/apps/v1/deployment.d.ts. */
    const sdkFile = (pkg: string, type: string) => {
        const [, mod, name] = type.split(":");
        const file = name.charAt(0).toLowerCase() + name.slice(1);
        const parts = mod.replace(/^helm\.sh\//, "helm/").split("/");
        const candidates = [path.join(REPO_ROOT, "node_modules", pkg, ...parts, `${file}.d.ts`), path.join(REPO_ROOT, "node_modules", pkg, ...parts.slice(0, -1), `${file}.d.ts`)];
        return candidates.find((c) => fs.existsSync(c)) ?? candidates[0];
    };
    for (const [pkg, rules] of Object.entries(REPLACEMENT_RULES)) {
        it(`${pkg}: the list was checked against the installed version (${rules.version})`, () => {
            const installed = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version.replace(/^v/, "");
            assert.equal(installed, rules.version, `${pkg} is ${installed}: re-check tools/plan/replacements.ts for it, then update the version there`);
        });
        for (const [type, paths] of Object.entries(rules.types)) {
            for (const p of paths) {
                it(`${type}: a change of ${p} is reported as a replacement; ${p} is an input of the SDK`, () => {
                    assert.deepEqual(replaceFields(type, [p, `${p}.sub`, "unrelated.field"]), [p, `${p}.sub`]);
                    const file = sdkFile(pkg, type);
                    assert.ok(fs.existsSync(file), `${type}: no ${path.relative(REPO_ROOT, file)}`);
                    const dts = fs.readFileSync(file, "utf8");
                    const name = type.split(":").pop()!;
                    const args = new RegExp(`export interface ${name}Args \\{([\\s\\S]*?)\\n\\}`).exec(dts)?.[1] ?? "";
                    const first = p.split(".")[0];
                    assert.match(args, new RegExp(`\\b${first}\\??:`), `${first} is an input of ${name}Args`);
                });
            }
        }
    }
});

