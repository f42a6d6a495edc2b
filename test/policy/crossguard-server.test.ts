/**
 * The pack as the Pulumi CLI runs it: `policy/index.ts` started as an analyzer plugin (it prints
 * its gRPC port), then driven over gRPC the way `pulumi preview --policy-pack policy
 * --policy-pack-config ...` does: GetAnalyzerInfo, Configure, Analyze.
 */
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { allPolicies } from "../../policy/policies";
import { packConfigFor } from "../../policy/lib/config";
import type { Plan, PlanResource } from "../../tools/plan/types";
import * as f from "./fixtures";
import { sharedFleet } from "./run";

/* eslint-disable @typescript-eslint/no-require-imports */
const grpc = require("@grpc/grpc-js");
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const structPb = require("google-protobuf/google/protobuf/struct_pb");
const emptyPb = require("google-protobuf/google/protobuf/empty_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = path.join(__dirname, "..", "..");

function call<T>(client: any, method: string, req: unknown): Promise<T> {
    return new Promise((resolve, reject) => client[method](req, (err: Error | null, resp: T) => (err ? reject(err) : resolve(resp))));
}

function analyzeRequest(type: string, name: string, props: Record<string, unknown>, stack = "prod-aws") {
    const req = new analyzerPb.AnalyzeRequest();
    req.setType(type);
    req.setName(name);
    req.setUrn(f.urnOf(type, name, stack));
    req.setProperties(structPb.Struct.fromJavaScript(props));
    const opts = new analyzerPb.AnalyzerResourceOptions();
    opts.setProtect(false);
    req.setOptions(opts);
    return req;
}

/** Plan values as the engine sends them: unknowns as the analyzer's unknown sentinel. */
function wire(v: unknown): unknown {
    if (v === "[unknown]") return "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    if (Array.isArray(v)) return v.map(wire);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, wire(x)]));
    return v;
}

function configureFor(env: "dev" | "edge" | "prod") {
    const req = new analyzerPb.ConfigureAnalyzerRequest();
    const map = req.getPolicyconfigMap();
    for (const [name, entry] of Object.entries(packConfigFor(env, allPolicies))) {
        const { enforcementLevel, ...props } = entry as { enforcementLevel: string; environment: string };
        const pc = new analyzerPb.PolicyConfig();
        pc.setEnforcementlevel(analyzerPb.EnforcementLevel[enforcementLevel.toUpperCase()]);
        pc.setProperties(structPb.Struct.fromJavaScript(props));
        map.set(name, pc);
    }
    return req;
}

/** An AnalyzeStackRequest from a plan: the root stack's properties are its outputs, as after a preview. */
function stackRequest(plan: Plan, resources: PlanResource[]) {
    const req = new analyzerPb.AnalyzeStackRequest();
    req.setResourcesList(resources.filter((r) => !r.read).map((r) => {
        const a = new analyzerPb.AnalyzerResource();
        a.setType(r.type);
        a.setName(r.name);
        a.setUrn(r.urn);
        const props = r.type === "pulumi:pulumi:Stack" ? { environment: plan.outputs.environment, roles: plan.outputs.roles } : r.inputs;
        a.setProperties(structPb.Struct.fromJavaScript(wire(props) as Record<string, unknown>));
        const opts = new analyzerPb.AnalyzerResourceOptions();
        opts.setProtect(r.protect);
        a.setOptions(opts);
        if (r.parent) a.setParent(r.parent);
        a.setDependenciesList(r.dependencies);
        return a;
    }));
    return req;
}

interface Diagnostic { policyName: string; message: string; enforcement: number }
const diagnostics = (resp: any): Diagnostic[] => resp.getDiagnosticsList().map((d: any) => ({
    policyName: d.getPolicyname(), message: d.getMessage(), enforcement: d.getEnforcementlevel(),
}));

describe("the CrossGuard pack served over gRPC (as `pulumi preview --policy-pack policy` runs it)", function () {
    this.timeout(60_000);
    let proc: ChildProcess;
    let client: any;

    before(async () => {
        proc = spawn(process.execPath, ["-r", path.join(ROOT, "tools", "register.js"), "index.ts"], { cwd: path.join(ROOT, "policy"), stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        proc.stderr!.on("data", (d) => (stderr += String(d)));
        const port = await new Promise<string>((resolve, reject) => {
            let out = "";
            proc.stdout!.on("data", (d) => {
                out += String(d);
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) resolve(m[1]);
            });
            proc.on("exit", (code) => reject(new Error(`policy pack exited ${code}: ${stderr}`)));
        });
        client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });
    after(() => {
        client?.close();
        proc?.kill();
    });

    it("announces every policy with its description, remediation and prod enforcement", async () => {
        const info = await call<any>(client, "getAnalyzerInfo", new emptyPb.Empty());
        assert.equal(info.getName(), "hybridml");
        const policies = info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel(), p.getRemediationSteps() !== "", p.getConfigschema()?.getProperties()?.toJavaScript()]);
        assert.deepEqual(policies.map((p: unknown[]) => p[0]).sort(), allPolicies.map((p) => p.name).sort());
        const MANDATORY = analyzerPb.EnforcementLevel.MANDATORY;
        for (const [name, level, remediation, schema] of policies) {
            assert.equal(level, MANDATORY, name);
            assert.ok(remediation, name);
            assert.deepEqual(schema?.environment?.enum, ["dev", "edge", "prod"], `${name} declares its environment config`);
        }
    });

    it("reports an EKS API open to the world as a mandatory violation with the same message as the offline plan", async () => {
        const bad = f.change(f.eksCluster, ["vpcConfig", "publicAccessCidrs"], ["0.0.0.0/0"]);
        const resp = await call<any>(client, "analyze", analyzeRequest("aws:eks/cluster:Cluster", "prod-aws-cluster", bad));
        const d = diagnostics(resp).filter((x) => x.policyName === "cluster-api-not-public");
        assert.equal(d.length, 1);
        assert.match(d[0].message, /EKS public endpoint is open: vpcConfig\.publicAccessCidrs contains 0\.0\.0\.0\/0$/);
        assert.equal(d[0].enforcement, analyzerPb.EnforcementLevel.MANDATORY);
        const ok = await call<any>(client, "analyze", analyzeRequest("aws:eks/cluster:Cluster", "prod-aws-cluster", f.eksCluster));
        assert.deepEqual(diagnostics(ok), []);
    });

    it("gives the offline plan's verdict on the real prod-aws plan: resources and stack, clean and with protection off", async () => {
        await call(client, "configure", configureFor("prod"));
        const plan = (await sharedFleet()).get("prod-aws")!.plan;
        for (const r of plan.resources.filter((x) => !x.read)) {
            const resp = await call<any>(client, "analyze", analyzeRequest(r.type, r.name, wire(r.inputs) as Record<string, unknown>));
            assert.deepEqual(diagnostics(resp).filter((d) => !d.message.includes("can't run policy")), [], `${r.type} ${r.name}`);
        }
        assert.deepEqual(diagnostics(await call<any>(client, "analyzeStack", stackRequest(plan, plan.resources))), []);
        const unprotected = plan.resources.map((r) => (r.type === "aws:eks/cluster:Cluster" ? { ...r, protect: false } : r));
        const d = diagnostics(await call<any>(client, "analyzeStack", stackRequest(plan, unprotected)));
        assert.deepEqual(d.map((x) => [x.policyName, x.enforcement, x.message.split("\n").pop()]), [
            ["stateful-protected", analyzerPb.EnforcementLevel.MANDATORY, "prod-aws-cluster: aws:eks/cluster:Cluster is not protected in prod stack prod-aws"],
        ]);
    });

    it("takes enforcement and environment from the policy config file (dev: Ceph pool size 1 is advisory)", async () => {
        await call(client, "configure", configureFor("dev"));
        const pool = f.change(f.cephBlockPool, ["spec", "replicated", "size"], 1);
        const resp = await call<any>(client, "analyze", analyzeRequest("kubernetes:ceph.rook.io/v1:CephBlockPool", "dev-pool", pool, "dev"));
        const d = diagnostics(resp).filter((x) => x.policyName === "ceph-pool-replication");
        assert.equal(d.length, 1);
        assert.match(d[0].message, /spec\.replicated\.size is 1, must be >= 3$/);
        assert.equal(d[0].enforcement, analyzerPb.EnforcementLevel.ADVISORY);
    });
});
