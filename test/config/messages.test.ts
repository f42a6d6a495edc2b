/**
 * Issue 17, "refused today, but poorly": each case with its new message. No stack trace for any
 * user error (cycles, another project's training stack, catalogue errors met by a serving stack, a
 * VPC too small for its subnets), `--compare` still writes the report on a config error, shapes and
 * quoting explained, structured keys take no secrets, and no credential is ever echoed.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, UserError } from "../../config";
import { RESERVED_NAMESPACES } from "../../config/serving";
import { ContractError } from "../../stacks/contract";
import { defaultInstanceTypes } from "../../config/cluster";
import { isCredentialKey, maskUserinfo, redactText } from "../../config/redact";
import { GPU_MODELS } from "../../lib/gpuModels";
import { listStacks, planFleet, planStack, PlanResult, readStackConfig, ReferencedStackError, REPO_ROOT, stackConfigFromDoc, StackConfig } from "../../tools/plan/plan";
import { shippedPlans } from "../helpers/fleet";

const base = readStackConfig("prod-aws");
const withKeys = (cfg: StackConfig, add: Record<string, string>): StackConfig => ({ ...cfg, config: { ...cfg.config, ...add } });
const json = (cfg: StackConfig, key: string) => JSON.parse(cfg.config[`hybridml:${key}`]) as Record<string, any>;

async function issuesOf(cfg: StackConfig, stack = "prod-aws"): Promise<string[]> {
    const r = await planStack(stack, { stackConfig: cfg });
    assert.ok(r.error instanceof ConfigError, `expected a ConfigError, got ${String(r.error)}`);
    assert.deepEqual(r.recorded.map((x) => x.type), ["pulumi:pulumi:Stack"]);
    assert.doesNotMatch(r.error.message, /^\s+at /m);
    return r.error.issues;
}

function tmpDir(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hybridml-i17-"));
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
    return dir;
}
const shipped = (stack: string) => fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8");

describe("config messages (issue 17)", function () {
    this.timeout(120_000);

    it("every user error is a RunError, which `pulumi up` prints without a stack trace", () => {
        for (const e of [new ConfigError("s", ["hybridml:x is bad"]), new ContractError("o/p/s", ["missing output(s): x"]),
            new ReferencedStackError("a", "b", "not planned", "/tmp"), new UserError("x")]) {
            assert.ok(pulumi.RunError.isInstance(e), e.name);
        }
        assert.ok(!pulumi.RunError.isInstance(new Error("a bug")), "a bug keeps its stack trace");
    });

    it("shape errors show the expected shape; numbers where strings belong say to quote them", async () => {
        const cluster = json(base, "cluster");
        const issues = await issuesOf(withKeys(base, {
            "hybridml:cluster": JSON.stringify({ ...cluster, version: 1.3, gpuPool: { ...cluster.gpuPool, sharing: "time-slicing" }, network: [] }),
        }));
        assert.deepEqual(issues.sort(), [
            "hybridml:cluster.gpuPool.sharing must be an object {mode: none} | {mode: time-slicing, replicas} | {mode: mig, profile} (got \"time-slicing\")",
            "hybridml:cluster.network must be an object {vpcCidr, podCidr, serviceCidr, zones, natPerZone} (got [])",
            "hybridml:cluster.version must be a string (got the number 1.3): quote it in YAML, e.g. \"1.3\"; unquoted, 1.30 is read as the number 1.3",
        ]);
    });

    it("a secure value inside a structured key: structured keys take no secrets, and the ciphertext is not shown", async () => {
        const doc = { config: { ...Object.fromEntries(Object.entries(base.config).map(([k, v]) => [k, k === "hybridml:cluster" ? JSON.parse(v) : v])) } };
        (doc.config["hybridml:cluster"] as Record<string, unknown>).deployerRoleArn = { secure: "AAABAKCIPHERTEXTv1" };
        const issues = await issuesOf(stackConfigFromDoc(doc as never));
        assert.equal(issues.length, 1, issues.join("\n"));
        assert.match(issues[0], /^hybridml:cluster holds a secret value, but structured keys take no secrets \(the value is not shown\): set its fields in plain text; credentials go in the secret keys kubeconfig, sshPrivateKey, k3sToken/);
        assert.doesNotMatch(issues.join("\n"), /CIPHERTEXT/);
    });

    it("a VPC too small for its subnets names the config key, not the component's arguments", async () => {
        const cluster = json(base, "cluster");
        const issues = await issuesOf(withKeys(base, { "hybridml:cluster": JSON.stringify({ ...cluster, network: { ...cluster.network, vpcCidr: "10.41.0.0/25" } }) }));
        assert.deepEqual(issues, ["hybridml:cluster.network.vpcCidr is too small for 3 zones (got \"10.41.0.0/25\"): each zone gets a private and a public subnet; use a /22 or larger (a /16 is typical)"]);
    });

    it("a URL with a user and password is masked, whichever key holds it", async () => {
        const training = readStackConfig("prod-training");
        const storage = json(training, "storage");
        const issues = await issuesOf(withKeys(training, { "hybridml:storage": JSON.stringify({ ...storage, endpoint: "https://admin:hunter2@s3.training.acme.example/path" }) }), "prod-training");
        assert.deepEqual(issues, ["hybridml:storage.endpoint must be a bare scheme://host[:port] URL (got \"https://***@s3.training.acme.example/path\")"]);
    });
});

describe("a serving stack meets a bad catalogue, or one its GPU nodes cannot run (issue 17)", function () {
    this.timeout(120_000);
    let training: PlanResult;
    before(async () => {
        training = (await shippedPlans()).get("prod-training")!;
    });
    const withCatalog = (edit: (m: Record<string, any>[]) => void) => (s: string) => {
        if (s !== "prod-training") return undefined;
        const modelCatalog = structuredClone(training.rawOutputs.modelCatalog) as Record<string, any>[];
        edit(modelCatalog);
        return { ...training.rawOutputs, modelCatalog };
    };

    it("catalogue errors read from the training stack are a contract error naming the training stack's key, before anything but the reference is registered", async () => {
        const r = await planStack("prod-aws", { references: withCatalog((m) => { m[0].runtime = "kserve-onnxserver"; m[1].artifactPath = "../datasets/"; }) });
        assert.ok(r.error instanceof ContractError, String(r.error));
        assert.match(r.error.message, /modelCatalog\[0\]\.runtime \(hybridml:models\[0\]\.runtime of acme\/hybridml\/prod-training\) is not a serving runtime of KServe/);
        assert.match(r.error.message, /modelCatalog\[1\]\.artifactPath \(hybridml:models\[1\]\.artifactPath of acme\/hybridml\/prod-training\) must not contain "\." or "\.\." segments/);
        assert.doesNotMatch(r.error.message, /^\s+at /m);
        assert.deepEqual(r.recorded.map((x) => x.type), ["pulumi:pulumi:Stack", "pulumi:pulumi:StackReference"]);
    });

    it("a model asking more GPUs than this stack's GPU node offers is refused on the serving stack, naming its key", async () => {
        const r = await planStack("prod-aws", { references: withCatalog((m) => { m[0].gpu = 4; }) });
        assert.ok(r.error instanceof ConfigError, String(r.error));
        assert.deepEqual(r.error.issues, ["hybridml:cluster.gpuPool.gpuCount cannot run model fraud-detector: it asks for 4 GPU(s) per replica but a GPU node offers 1 (gpuCount 1), "
            + "so it would never schedule: raise cluster.gpuPool.gpuCount (a larger GPU instance type), or lower the model's gpu in hybridml:models of the training stack acme/hybridml/prod-training"]);
        assert.deepEqual(r.recorded.map((x) => x.type), ["pulumi:pulumi:Stack", "pulumi:pulumi:StackReference"]);
    });
});

describe("rules between stack files, in the offline plan (issue 17)", function () {
    this.timeout(120_000);

    it("a trainingStack cycle is one config error per stack of the cycle, not a crash", async () => {
        const serving = (ref: string) => shipped("prod-aws").replace("acme/hybridml/prod-training", `acme/hybridml/${ref}`);
        const dir = tmpDir({ "Pulumi.a.yaml": serving("b"), "Pulumi.b.yaml": serving("a") });
        try {
            const results = await planFleet(["a", "b"], undefined, dir);
            for (const s of ["a", "b"]) {
                const e = results.get(s)!.error;
                assert.ok(e instanceof ConfigError, `${s}: ${String(e)}`);
                assert.match(e.issues[0], /^hybridml:trainingStack forms a cycle of stack references \((a -> b -> a|b -> a -> b)\)/);
                assert.deepEqual(results.get(s)!.recorded, []);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("feedbackProducers: not itself, not a stack without serving, not a stack reading another training stack; a typo next to an unlisted reader", async () => {
        const training = shipped("prod-training").replace("      - prod-gcp\n      - prod-azure\n", "      - prod-training\n      - lab\n      - prod-awz\n");
        const lab = shipped("prod-training").replace(/feedbackProducers:\n(\s+- .+\n)+/, "feedbackProducers: []\n");
        const dir = tmpDir({ "Pulumi.prod-training.yaml": training, "Pulumi.lab.yaml": lab, "Pulumi.prod-aws.yaml": shipped("prod-aws"), "Pulumi.prod-gcp.yaml": shipped("prod-gcp") });
        try {
            const results = await planFleet(["prod-training"], undefined, dir);
            const e = results.get("prod-training")!.error;
            assert.ok(e instanceof ConfigError, String(e));
            assert.deepEqual(e.issues.map((l) => l.split(" (got")[0].split(",")[0]), [
                "hybridml:streaming.feedbackProducers[1] is this training stack itself",
                "hybridml:streaming.feedbackProducers[2] is not a serving stack",
                "hybridml:streaming.feedbackProducers[3] names no stack of project hybridml",
            ]);
            assert.match(e.issues[2], /while prod-gcp reads this stack and is not listed: did you mean prod-gcp\?/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("`--compare` with a config error still writes report.md saying which stack failed and why, and never prints a credential", () => {
        const bad = shipped("prod-training").replace("endpoint: https://s3.training.acme.example", "endpoint: https://admin:hunter2pw@s3.training.acme.example/x")
            .replace("environment: prod", "environment: prod\n  hybridml:apiToken: tok3n-s3cr3t");
        const dir = tmpDir({ "Pulumi.prod-training.yaml": bad, "Pulumi.prod-aws.yaml": shipped("prod-aws") });
        try {
            fs.mkdirSync(path.join(dir, "base"));
            const r = spawnSync(process.execPath, ["-r", "./tools/register.js", "tools/plan/cli.ts", "--all", "--config-dir", dir, "--out", path.join(dir, "out"), "--compare", path.join(dir, "base")], {
                cwd: REPO_ROOT, encoding: "utf8",
            });
            assert.equal(r.status, 1, r.stdout + r.stderr);
            const report = fs.readFileSync(path.join(dir, "out", "report.md"), "utf8");
            assert.match(report, /\*\*Blocked\*\*/);
            assert.match(report, /\| prod-training \| :x: plan failed \| plan failed: Invalid configuration for stack "prod-training":<br>- hybridml:apiToken is not a known key, and its name says it holds a credential/);
            assert.match(report, /hybridml:storage\.endpoint must be a bare scheme:\/\/host\[:port\] URL \(got "https:\/\/\*\*\*@s3\.training\.acme\.example\/x"\)/);
            assert.match(report, /\| prod-aws \| :x: plan failed \| plan failed: the training stack prod-training failed to plan/);
            for (const text of [report, r.stdout, r.stderr]) {
                assert.doesNotMatch(text, /hunter2pw|tok3n-s3cr3t/);
                assert.doesNotMatch(text, /^\s+at /m);
            }
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("namespaces the serving namespace must not take (issue 17)", function () {
    this.timeout(120_000);

    it("every namespace the shipped stacks deploy into is reserved, except each stack's serving namespace", async () => {
        const seen = new Set<string>();
        for (const r of (await shippedPlans()).values()) {
            for (const res of r.plan.resources) {
                const inputs = res.inputs as { namespace?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
                if (res.type === "kubernetes:core/v1:Namespace" && typeof inputs.metadata?.name === "string") seen.add(inputs.metadata.name);
                if (typeof inputs.namespace === "string") seen.add(inputs.namespace);
                if (typeof inputs.metadata?.namespace === "string") seen.add(inputs.metadata.namespace);
            }
        }
        const serving = "models";
        const unreserved = [...seen].filter((n) => n !== serving && !(RESERVED_NAMESPACES as readonly string[]).includes(n));
        assert.deepEqual(unreserved, [], "add these to RESERVED_NAMESPACES in config/serving.ts");
        assert.ok(seen.has(serving) && seen.has("rook-ceph") && seen.has("kafka"));
    });
});

describe("the tables behind the refusals (issue 17)", () => {
    it("every MIG profile fits its GPU: slices x instances <= 7 compute slices, memory <= the GPU's", () => {
        for (const [name, model] of Object.entries(GPU_MODELS)) {
            for (const [profile, instances] of Object.entries(model.migProfiles)) {
                const m = /^all-(\d)g\.(\d+)gb$/.exec(profile);
                assert.ok(m, `${name}: ${profile} is a single-size mig-parted profile`);
                assert.ok(instances >= 1 && Number(m[1]) * instances <= 7, `${name}: ${instances} x ${profile} fits 7 slices`);
                assert.ok(Number(m[2]) * instances <= model.memoryGb + 1, `${name}: ${instances} x ${profile} fits ${model.memoryGb} GB`);
            }
        }
        for (const p of Object.values(defaultInstanceTypes)) assert.ok(p.gpuType in GPU_MODELS, `default gpuType ${p.gpuType} is a known model`);
        for (const stack of listStacks()) {
            const cluster = JSON.parse(readStackConfig(stack).config["hybridml:cluster"]) as { gpuPool?: { gpuType?: string } };
            if (cluster.gpuPool?.gpuType) assert.ok(cluster.gpuPool.gpuType in GPU_MODELS, `${stack}: ${cluster.gpuPool.gpuType}`);
        }
    });

    it("masks user information and credential-named values, and nothing else", () => {
        assert.equal(maskUserinfo("https://bob:pw@host:9000/x and kafka://u:p@k:9094"), "https://***@host:9000/x and kafka://***@k:9094");
        assert.equal(maskUserinfo("\"root:pw@192.0.2.1\""), "\"***@192.0.2.1\"");
        assert.equal(maskUserinfo("https://host/x@y and 10.0.0.0/16 and a:b"), "https://host/x@y and 10.0.0.0/16 and a:b");
        for (const k of ["password", "cluster.adminPassword", "apiToken", "secretAccessKey", "client_secret", "privateKey", "models[0].accessKeyId", "credentials"]) {
            assert.ok(isCredentialKey(k), k);
        }
        for (const k of ["keyVaultName", "tlsSecret", "credentialRotation", "authorizedCidrs", "sshUser", "region", "storage.rook.osdSize"]) {
            assert.ok(!isCredentialKey(k), k);
        }
        assert.equal(redactText('{"user":"u","password":"pw","nested":{"token":"t"}}'), '{"user":"u","password":"***","nested":{"token":"***"}}');
    });
});
