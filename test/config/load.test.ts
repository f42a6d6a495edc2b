/**
 * `loadConfig` through the real program (index.ts under the mock runtime), as `pulumi up` runs it:
 * every key a user can reach with the Pulumi CLI that the program would not read is refused with
 * one message naming the key and the fix, and nothing is registered.
 */
import * as assert from "node:assert/strict";
import { ConfigError, resolveConfig } from "../../config";
import { collectConfig } from "../../config/keys";
import { planStack, readStackConfig, StackConfig } from "../../tools/plan/plan";

const base = readStackConfig("prod-aws");

function withKeys(cfg: StackConfig, add: Record<string, string>, remove: string[] = []): StackConfig {
    const config = { ...cfg.config, ...add };
    for (const k of remove) delete config[k];
    return { ...cfg, config };
}

/** Plan prod-aws with `cfg` through the program; it must fail with a ConfigError and register nothing. */
async function refused(cfg: StackConfig, project?: string): Promise<string[]> {
    const r = await planStack("prod-aws", { stackConfig: cfg, project });
    assert.ok(r.error instanceof ConfigError, `expected a ConfigError, got ${String(r.error)}`);
    assert.deepEqual(r.recorded.map((x) => x.type), ["pulumi:pulumi:Stack"], "nothing but the root stack is registered");
    return r.error.issues;
}

describe("loadConfig through the program", () => {
    it("reads a shipped stack as is: its engine keys pass, its hybridml keys are all read", async () => {
        const cfg = readStackConfig("prod-training");
        assert.ok(Object.keys(cfg.config).some((k) => k.startsWith("pulumi:")));
        const r = await planStack("prod-training", { stackConfig: cfg });
        assert.equal(r.error, undefined);
        assert.ok(r.recorded.length > 1);
    });

    it("refuses a key under the old project name (pulumi config set without the namespace, before the rename)", async () => {
        const issues = await refused(withKeys(base, { "hybrid-ml-platform:protectStateful": "false" }));
        assert.deepEqual(issues, [
            'hybrid-ml-platform:protectStateful is in namespace "hybrid-ml-platform", which belongs to no provider this program uses: '
            + "the program reads only hybridml:* keys (did you mean hybridml:protectStateful?)",
        ]);
    });

    it("refuses a key under the project's namespace if the project and the namespace ever differ", async () => {
        const issues = await refused(withKeys(base, { "renamed:environment": "prod", "hybridml:trainingStack": "acme/renamed/prod-training" }), "renamed");
        assert.deepEqual(issues, ['renamed:environment is in the project\'s namespace "renamed", which this program does not read: set hybridml:environment instead']);
    });

    it("refuses provider configuration: every provider is explicit, so the engine would never apply it", async () => {
        const issues = await refused(withKeys(base, { "aws:region": "us-east-1", "kubernetes:context": "lab" }));
        assert.equal(issues.length, 2);
        assert.match(issues[0], /^aws:region is provider configuration, which this program never applies \(every provider is explicit\): set hybridml:cluster\.region; .*pulumi config rm aws:region$/);
        assert.match(issues[1], /^kubernetes:context is provider configuration/);
    });

    it("refuses a structured key set flat (without --path) and shows the exact command", async () => {
        const issues = await refused(withKeys(base, { "hybridml:cluster.gpuPool.maxSize": "3" }));
        assert.deepEqual(issues, [
            "hybridml:cluster.gpuPool.maxSize was set as one flat key, which the program never reads: structured keys need --path. "
            + "Fix: pulumi config rm hybridml:cluster.gpuPool.maxSize && pulumi config set --path hybridml:cluster.gpuPool.maxSize 3",
        ]);
        const indexed = await refused(withKeys(base, { "hybridml:models[0].version": "1.2.0" }));
        assert.match(indexed[0], /pulumi config set --path 'hybridml:models\[0\]\.version' 1\.2\.0$/);
    });

    it("keeps a flat key's secret value out of the message, and says structured keys take no secrets", async () => {
        const cfg = { config: { ...base.config, "hybridml:cluster.adminRoleArns": "s3cr3t" }, secretKeys: [...base.secretKeys, "hybridml:cluster.adminRoleArns"] };
        const issues = await refused(cfg);
        assert.match(issues[0], /the value is not shown.*pulumi config rm hybridml:cluster\.adminRoleArns; structured keys need --path and take no secrets: pulumi config set --path hybridml:cluster\.adminRoleArns <value>, in plain text$/);
        assert.doesNotMatch(issues.join("\n"), /s3cr3t/);
    });

    it("never echoes a flat key that looks like a credential, secret or not, in the Fix command", async () => {
        const issues = await refused(withKeys(base, {
            "hybridml:storage.password": "hunter2-plain",
            "hybridml:storage.endpoint": "https://admin:hunter3-url@s3.example.com",
        }));
        assert.equal(issues.length, 2, issues.join("\n"));
        for (const i of issues) assert.match(i, /the value is not shown\): pulumi config rm .*credentials are never plain config: store them with pulumi config set --secret/);
        assert.doesNotMatch(issues.join("\n"), /hunter/);
    });

    it("says a missing required value is required (not 'got nothing'), naming what it may be", async () => {
        const issues = await refused(withKeys(base, {}, ["hybridml:environment"]));
        assert.deepEqual(issues, ["hybridml:environment is required: set one of dev | edge | prod"]);
    });

    it("reports every refused key and every invalid value together, once each", async () => {
        const issues = await refused(withKeys(base, { "aws:region": "x", "hybridml:serving.minReplicas": "2", "hybridml:environment": "staging" }));
        assert.equal(issues.length, 3, issues.join("\n"));
        assert.equal(issues.filter((i) => i.startsWith("aws:region ")).length, 1);
        assert.equal(issues.filter((i) => i.startsWith("hybridml:serving.minReplicas ")).length, 1);
        assert.equal(issues.filter((i) => i.startsWith("hybridml:environment ")).length, 1);
    });
});

describe("trainingStack naming this very stack", () => {
    const input = (trainingStack: string, organization?: string) => {
        const c = collectConfig({ project: "hybridml", stack: "prod-aws", all: { ...base.config, "hybridml:trainingStack": trainingStack }, isSecret: () => false });
        return { project: "hybridml", stack: "prod-aws", organization, ...c };
    };
    const selfRef = /hybridml:trainingStack names this stack itself/;

    it("is detected by its full name", () => {
        assert.throws(() => resolveConfig(input("acme/hybridml/prod-aws", "acme")), selfRef);
        assert.throws(() => resolveConfig(input("acme/hybridml/prod-aws")), selfRef);
    });

    it("a stack of the same name in another organization is not this stack", () => {
        assert.doesNotThrow(() => resolveConfig(input("other-org/hybridml/prod-aws", "acme")));
    });

    it("a training stack of another project is refused: its outputs are not this program's contract", () => {
        assert.throws(() => resolveConfig(input("acme/other-project/prod-training", "acme")),
            /hybridml:trainingStack names a stack of project "other-project", but a serving stack reads the contract of a training stack of this program \(project "hybridml"\).*set it to acme\/hybridml\/<training stack>/);
    });
});
