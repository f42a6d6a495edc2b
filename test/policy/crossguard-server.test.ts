/**
 * The pack as the Pulumi CLI runs it: the Node.js language host starts `run-policy-pack <engine>
 * <pack dir>` from `policy/` (ts-node with type-checking, the pack's `main`), which prints its gRPC
 * port; then driven over gRPC the way `pulumi preview --policy-pack policy --policy-pack-config
 * policy/config/<env>.json` does: GetAnalyzerInfo, Configure (with the shipped config file),
 * Analyze, AnalyzeStack.
 */
import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { allPolicies } from "../../policy/policies";
import { loadPackConfig, PackConfig } from "../../policy/lib/config";
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

/** A Configure request with a config file's content (default: the shipped policy/config/<env>.json). */
function configureFor(env: "dev" | "edge" | "prod", config: PackConfig = loadPackConfig(env)) {
    const req = new analyzerPb.ConfigureAnalyzerRequest();
    const map = req.getPolicyconfigMap();
    for (const [name, entry] of Object.entries(config)) {
        const { enforcementLevel, ...props } = entry as { enforcementLevel: string; environment: string };
        const pc = new analyzerPb.PolicyConfig();
        pc.setEnforcementlevel(analyzerPb.EnforcementLevel[enforcementLevel.toUpperCase()]);
        pc.setProperties(structPb.Struct.fromJavaScript(props));
        map.set(name, pc);
    }
    return req;
}

/** An AnalyzeStackRequest from a plan: the root stack's properties are its outputs, as after a preview (or `rootProps`). */
function stackRequest(plan: Plan, resources: PlanResource[], rootProps: Record<string, unknown> = { environment: plan.outputs.environment, roles: plan.outputs.roles }) {
    const req = new analyzerPb.AnalyzeStackRequest();
    req.setResourcesList(resources.filter((r) => !r.read).map((r) => {
        const a = new analyzerPb.AnalyzerResource();
        a.setType(r.type);
        a.setName(r.name);
        a.setUrn(r.urn);
        const props = r.type === "pulumi:pulumi:Stack" ? rootProps : r.inputs;
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
/** The policies the pack reported as not applicable, with their reasons. */
const notApplicable = (resp: any): Array<[string, string]> => resp.getNotApplicableList().map((n: any) => [n.getPolicyName(), n.getReason()]);

/** A value as the engine sends a secret: the secret signature around the plain value. */
const secretWire = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
const UNKNOWN_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

describe("the CrossGuard pack served over gRPC (as `pulumi preview --policy-pack policy` runs it)", function () {
    this.timeout(180_000);
    let proc: ChildProcess;
    let client: any;

    before(async () => {
        // As pulumi-language-nodejs starts a pack: `node run-policy-pack <engine address> <pack dir>`, cwd the pack.
        const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [path.join(ROOT, "policy")] });
        proc = spawn(process.execPath, [runPolicyPack, "127.0.0.1:0", "."], { cwd: path.join(ROOT, "policy"), stdio: ["ignore", "pipe", "pipe"] });
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
        const policies = info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel(), p.getRemediationSteps() !== "", p.getConfigschema()?.getProperties()?.toJavaScript(), p.getSeverity(), p.getUrl(), p.getFramework()?.getName()]);
        assert.deepEqual(policies.map((p: unknown[]) => p[0]).sort(), allPolicies.map((p) => p.name).sort());
        const MANDATORY = analyzerPb.EnforcementLevel.MANDATORY;
        for (const [name, level, remediation, schema, severity, url, framework] of policies) {
            const def = allPolicies.find((p) => p.name === name)!;
            assert.equal(level, def.levels.prod === "advisory" ? analyzerPb.EnforcementLevel.ADVISORY : MANDATORY, name);
            assert.ok(remediation, name);
            assert.deepEqual(schema?.environment?.enum, ["dev", "edge", "prod"], `${name} declares its environment config`);
            assert.notEqual(severity, analyzerPb.PolicySeverity.POLICY_SEVERITY_UNSPECIFIED, `${name} has a severity`);
            assert.equal(url, def.url ?? "", name);
            assert.equal(framework ?? "", def.framework?.name ?? "", name);
            assert.equal(schema?.roles !== undefined, def.kind === "stack" && def.needsRoles === true, `${name}: a roles config entry exactly when it reads roles`);
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

    it("reports a check that read an unknown value as not applicable, with the field, not as a silent pass", async () => {
        await call(client, "configure", configureFor("prod"));
        const unknownCidrs = f.change(f.eksCluster, ["vpcConfig", "publicAccessCidrs"], UNKNOWN_WIRE);
        const resp = await call<any>(client, "analyze", analyzeRequest("aws:eks/cluster:Cluster", "prod-aws-cluster", unknownCidrs));
        assert.deepEqual(diagnostics(resp), []);
        const na = notApplicable(resp).filter(([p]) => p === "cluster-api-not-public");
        assert.equal(na.length, 1);
        assert.match(na[0][1], /^not run: vpcConfig\.publicAccessCidrs unknown until the resource is deployed$/);
        // Known values: judged, nothing "not applicable".
        const known = await call<any>(client, "analyze", analyzeRequest("aws:eks/cluster:Cluster", "prod-aws-cluster", f.eksCluster));
        assert.deepEqual(notApplicable(known).filter(([p]) => p === "cluster-api-not-public"), []);
    });

    it("secrets arrive unwrapped: credentials-as-secrets is not applicable for a secret and a plain kubeconfig alike (the offline plan checks it)", async () => {
        await call(client, "configure", configureFor("prod"));
        for (const kubeconfig of [secretWire("apiVersion: v1\nkind: Config"), "apiVersion: v1\nkind: Config"]) {
            const resp = await call<any>(client, "analyze", analyzeRequest("pulumi:providers:kubernetes", "k8s", { kubeconfig }));
            assert.deepEqual(diagnostics(resp).filter((d) => d.policyName === "credentials-as-secrets"), []);
            const na = notApplicable(resp).filter(([p]) => p === "credentials-as-secrets");
            assert.equal(na.length, 1);
            assert.match(na[0][1], /unwrapped.*offline plan/);
        }
        // What CrossGuard can see, it checks: a literal credential env value is a mandatory violation.
        const literal = f.change(f.deployment, ["spec", "template", "spec", "containers", 0, "env", 0], { name: "AWS_SECRET_ACCESS_KEY", value: "abc" });
        const d = diagnostics(await call<any>(client, "analyze", analyzeRequest("kubernetes:apps/v1:Deployment", "d", literal)));
        assert.deepEqual(d.filter((x) => x.policyName === "credentials-not-in-plain-config").map((x) => x.enforcement), [analyzerPb.EnforcementLevel.MANDATORY]);
    });

    it("first preview of prod-training (roles output unknown): the shipped config's roles decide; no roles anywhere: not applicable", async () => {
        const plan = (await sharedFleet()).get("prod-training")!.plan;
        const firstPreview = { environment: "prod", roles: UNKNOWN_WIRE };
        await call(client, "configure", configureFor("prod"));
        const withConfig = await call<any>(client, "analyzeStack", stackRequest(plan, plan.resources, firstPreview));
        assert.deepEqual(diagnostics(withConfig), []);
        assert.deepEqual(notApplicable(withConfig).filter(([p]) => p === "datasets-stay-in-training"), []);
        // A config file without the roles entry: unknown means not applicable, never a residency violation.
        const noRoles = Object.fromEntries(Object.entries(loadPackConfig("prod")).map(([k, v]) => [k, typeof v === "object" ? { ...v, roles: undefined } : v]));
        await call(client, "configure", configureFor("prod", JSON.parse(JSON.stringify(noRoles))));
        const without = await call<any>(client, "analyzeStack", stackRequest(plan, plan.resources, firstPreview));
        assert.deepEqual(diagnostics(without).filter((d) => d.policyName === "datasets-stay-in-training"), []);
        assert.match(notApplicable(without).find(([p]) => p === "datasets-stay-in-training")?.[1] ?? "", /roles are unknown/);
        // The same stack as a serving stack in the config would violate: the configured roles are used.
        const wrong = { ...loadPackConfig("prod") } as Record<string, any>;
        wrong["datasets-stay-in-training"] = { ...wrong["datasets-stay-in-training"], roles: { "prod-training": ["serving"] } };
        await call(client, "configure", configureFor("prod", wrong));
        const d = diagnostics(await call<any>(client, "analyzeStack", stackRequest(plan, plan.resources, firstPreview)));
        assert.ok(d.some((x) => x.policyName === "datasets-stay-in-training" && x.enforcement === analyzerPb.EnforcementLevel.MANDATORY), JSON.stringify(d));
    });
});
