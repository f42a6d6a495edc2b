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
import { parse, stringify } from "yaml";
import { criticalPath, estimate } from "../tools/plan/critical-path";
import { fleetDot, fleetSvg } from "../tools/plan/graph";
import { listStacks, Plan, planFleet, REPO_ROOT } from "../tools/plan/plan";
import { buildReport, compareStack, diffInputs, readPlans, StackComparison } from "../tools/plan/report";
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
        assert.ok(c.refused.some((x) => x.includes(`aws:s3/bucket:Bucket ${bucket.name} is protected and would be replaced (bucket)`)), c.refused.join("\n"));
        const removed = compareStack(aws, { ...aws, resources: aws.resources.filter((r) => r.urn !== bucket.urn) });
        assert.ok(removed.refused.some((x) => x.includes("is protected and would be deleted")));
    });

    it("writes report.md and fleet.svg with `npm run plan -- --all --compare`", () => {
        const out = path.join(dir, "head");
        // One serving stack and its training stack keep this test quick; the comparisons above cover all six.
        const r = spawnSync(process.execPath, ["-r", "./tools/register.js", "tools/plan/cli.ts", "--stack", "prod-aws", "--config-dir", path.join(dir, "cfg"), "--out", out, "--compare", path.join(dir, "base")], {
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
        assert.match(report, /Deploy critical path \(estimate\): \*\*\d+ min/);
        assert.match(report, /\[fleet\.svg\]\(fleet\.svg\)/);
        assert.doesNotMatch(report, /BEGIN [A-Z ]*PRIVATE KEY|fake-random-password|client-key-data/);
        const svg = fs.readFileSync(path.join(out, "fleet.svg"), "utf8");
        assert.deepEqual(xmlProblems(svg), []);
        // The report is built from the same plans readPlans reads back.
        assert.deepEqual([...readPlans(path.join(dir, "base")).keys()].sort(), listStacks());
    });

    it("reports new and resolved violations against the base", () => {
        const training = base.get("prod-training")!;
        const v = { policy: "ceph-pool-replication", enforcement: "mandatory" as const, urn: "urn:x", message: "m" };
        const c = compareStack({ ...training, violations: [v] }, training);
        assert.deepEqual([c.newViolations, c.resolvedViolations], [[], [v]]);
        const text = buildReport({ base: new Map([["prod-training", training]]), head: [{ ...training, violations: [v] }] });
        assert.match(text, /## Mandatory policy violations\n\n- prod-training: \*\*ceph-pool-replication\*\*: m/);
        assert.match(buildReport({ base, head: [...head.values()], parity: "serving parity: OK across 5 stacks" }), /## Serving parity\n\n```\nserving parity: OK across 5 stacks\n```/);
    });
});

describe("deploy critical path", () => {
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
