import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const root = path.resolve(__dirname, "..");

/** Run `npm run plan` as a user would, with stack files from `configDir`. */
function plan(configDir: string, out: string, ...args: string[]) {
    return spawnSync(process.execPath, ["-r", "./tools/register.js", "tools/plan/cli.ts", "--config-dir", configDir, "--out", out, ...args], {
        cwd: root, encoding: "utf8",
    });
}

describe("plan CLI", function () {
    this.timeout(60_000);
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "hybridml-plan-"));
        const aws = fs.readFileSync(path.join(root, "Pulumi.prod-aws.yaml"), "utf8");
        fs.copyFileSync(path.join(root, "Pulumi.prod-training.yaml"), path.join(dir, "Pulumi.prod-training.yaml"));
        fs.writeFileSync(path.join(dir, "Pulumi.prod-aws.yaml"), aws);
        fs.writeFileSync(path.join(dir, "Pulumi.typo.yaml"), aws.replace("trainingStack:", "trainingStak:").replace("maxSize: 6", "maxSize: -6"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("plans a serving stack with its training stack and writes both plans", () => {
        const out = path.join(dir, "out-ok");
        const r = plan(dir, out, "--stack", "prod-aws");
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(fs.readdirSync(out).sort(), ["prod-aws.json", "prod-training.json"]);
        assert.match(r.stdout, /prod-aws\s+ok\s+\d+/);
        const written = JSON.parse(fs.readFileSync(path.join(out, "prod-aws.json"), "utf8"));
        assert.equal(written.stack, "prod-aws");
        assert.deepEqual(written.violations, []);
    });

    it("exits non-zero on bad config, naming each key, without a stack trace or a plan", () => {
        const out = path.join(dir, "out-bad");
        const r = plan(dir, out, "--stack", "typo");
        assert.equal(r.status, 1);
        assert.match(r.stderr, /hybridml:trainingStak is not a known key: did you mean trainingStack\?/);
        assert.match(r.stderr, /hybridml:cluster\.gpuPool\.maxSize must be >= 1 \(got -6\)/);
        assert.doesNotMatch(r.stderr, /^\s+at /m);
        assert.equal(fs.existsSync(path.join(out, "typo.json")), false);
    });

    it("says a serving stack's training stack failed to plan, distinctly from not planned", () => {
        const broken = fs.mkdtempSync(path.join(dir, "broken-"));
        fs.writeFileSync(path.join(broken, "Pulumi.prod-aws.yaml"), fs.readFileSync(path.join(root, "Pulumi.prod-aws.yaml"), "utf8"));
        fs.writeFileSync(path.join(broken, "Pulumi.prod-training.yaml"),
            fs.readFileSync(path.join(root, "Pulumi.prod-training.yaml"), "utf8").replace("environment: prod", "environment: staging"));
        const failed = plan(broken, path.join(broken, "out"), "--stack", "prod-aws");
        assert.equal(failed.status, 1);
        assert.match(failed.stderr, /prod-aws: the training stack prod-training failed to plan, so prod-aws .* was not planned; fix prod-training first:\n\s+Invalid configuration for stack "prod-training"/);
        assert.doesNotMatch(failed.stderr, /^\s+at /m);

        fs.rmSync(path.join(broken, "Pulumi.prod-training.yaml"));
        const missing = plan(broken, path.join(broken, "out2"), "--stack", "prod-aws");
        assert.equal(missing.status, 1);
        assert.match(missing.stderr, /prod-aws reads prod-training through hybridml:trainingStack, but prod-training was not planned: there is no Pulumi\.prod-training\.yaml/);
        assert.doesNotMatch(missing.stderr, /failed to plan/);
        assert.doesNotMatch(missing.stderr, /^\s+at /m);
    });

    it("fails when one serving stack's serving differs from the others in a field no platform forces", () => {
        const drift = fs.mkdtempSync(path.join(dir, "parity-"));
        for (const stack of ["prod-training", "prod-aws"]) {
            fs.copyFileSync(path.join(root, `Pulumi.${stack}.yaml`), path.join(drift, `Pulumi.${stack}.yaml`));
        }
        const gcp = fs.readFileSync(path.join(root, "Pulumi.prod-gcp.yaml"), "utf8");
        fs.writeFileSync(path.join(drift, "Pulumi.prod-gcp.yaml"), `${gcp.trimEnd()}\n  hybridml:serving:\n    scaleTarget: 50\n`);
        const r = plan(drift, path.join(drift, "out"), "--all");
        assert.equal(r.status, 1, r.stdout);
        assert.match(r.stderr, /serving parity: \d+ difference\(s\) across 2 stacks/);
        assert.match(r.stderr, /prod-gcp: .*InferenceService.*: .*scaleTarget: 50 \(prod-aws: 70\)/);
    });

    it("refuses an unknown stack name", () => {
        const r = plan(dir, path.join(dir, "out-none"), "--stack", "nope");
        assert.equal(r.status, 1);
        assert.match(r.stderr, /no such stack: nope/);
    });
});
