/**
 * The CI workflows validate (@action-validator/core, the GitHub workflow schema) and cover every
 * shipped stack in dependency order: a stack's job runs after the job of the training stack it
 * reads (`hybridml:trainingStack` in its Pulumi.<stack>.yaml).
 */
import { validateWorkflow } from "@action-validator/core";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { listStacks, readStackConfig, referencedStack, REPO_ROOT } from "../tools/plan/plan";

const DIR = path.join(REPO_ROOT, ".github", "workflows");

interface Step { uses?: string; run?: string; if?: string; with?: Record<string, unknown>; env?: Record<string, unknown> }
interface Job {
    needs?: string | string[];
    if?: string;
    environment?: unknown;
    permissions?: Record<string, string>;
    strategy?: { matrix?: { include?: Array<Record<string, string>>; stack?: string[] } };
    steps?: Step[];
}
interface Workflow { on: Record<string, unknown>; jobs: Record<string, Job> }

const load = (file: string): Workflow => parse(fs.readFileSync(path.join(DIR, file), "utf8"));
const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);

/** Every job a job waits for, transitively. */
function upstream(wf: Workflow, job: string, seen = new Set<string>()): Set<string> {
    for (const n of needsOf(wf.jobs[job])) {
        if (!seen.has(n)) {
            seen.add(n);
            upstream(wf, n, seen);
        }
    }
    return seen;
}

/** stack -> the job that runs `pulumi/actions` with `command` on it (from the job's matrix). */
function stackJobs(wf: Workflow, command: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const [name, job] of Object.entries(wf.jobs)) {
        const pulumiStep = (job.steps ?? []).find((s) => s.uses?.startsWith("pulumi/actions@"));
        if (!pulumiStep || pulumiStep.with?.command !== command) continue;
        const stacks = job.strategy?.matrix?.include?.map((i) => i.stack) ?? job.strategy?.matrix?.stack ?? [];
        for (const s of stacks) {
            assert.ok(!out.has(s), `${s} is deployed by two jobs`);
            out.set(s, name);
        }
    }
    return out;
}

/** The training stack each shipped stack reads. */
function dependencies(): Array<[string, string]> {
    return listStacks().flatMap((s) => {
        const dep = referencedStack(readStackConfig(s));
        return dep ? [[s, dep] as [string, string]] : [];
    });
}

describe("CI workflows", () => {
    const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)) : [];

    it("exist: pull-request previews and deploy on main", () => {
        assert.deepEqual(files.sort(), ["deploy.yml", "pr-preview.yml"]);
    });

    for (const file of ["pr-preview.yml", "deploy.yml"]) {
        it(`${file} is a valid workflow (action-validator)`, () => {
            const state = validateWorkflow(fs.readFileSync(path.join(DIR, file), "utf8"));
            assert.deepEqual(state.errors, []);
        });
    }

    it("the validator does reject a broken workflow (it is not a no-op)", () => {
        const broken = fs.readFileSync(path.join(DIR, "deploy.yml"), "utf8").replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest");
        assert.ok(validateWorkflow(broken).errors.length > 0);
    });

    it("pins every action to a version tag or a commit SHA", () => {
        for (const file of files) {
            for (const [name, job] of Object.entries(load(file).jobs)) {
                for (const s of job.steps ?? []) {
                    if (s.uses) assert.match(s.uses, /^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/, `${file} ${name}: ${s.uses}`);
                }
            }
        }
    });

    it("the shipped stacks read their training stack as the workflows assume", () => {
        assert.deepEqual(dependencies().sort(), [["edge", "dev"], ["prod-aws", "prod-training"], ["prod-azure", "prod-training"], ["prod-gcp", "prod-training"]]);
    });

    for (const [file, command] of [["pr-preview.yml", "preview"], ["deploy.yml", "up"]] as const) {
        describe(`${file}: pulumi ${command}`, () => {
            const wf = load(file);
            const jobs = stackJobs(wf, command);

            it("covers all six shipped stacks", () => {
                assert.deepEqual([...jobs.keys()].sort(), listStacks());
                assert.equal(jobs.size, 6);
            });

            it("runs each serving stack after its training stack", () => {
                for (const [stack, training] of dependencies()) {
                    const job = jobs.get(stack)!;
                    const trainingJob = jobs.get(training)!;
                    assert.notEqual(job, trainingJob, `${stack} and ${training} must not run in the same job`);
                    assert.ok(upstream(wf, job).has(trainingJob), `${file}: ${job} (${stack}) must need ${trainingJob} (${training})`);
                }
            });

            it("runs the policy pack with the config of each stack's environment", () => {
                for (const job of new Set(jobs.values())) {
                    const step = wf.jobs[job].steps!.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
                    assert.equal(step.with?.policyPacks, "policy");
                    assert.equal(step.with?.policyPackConfigs, "policy/config/${{ matrix.environment }}.json");
                    for (const entry of wf.jobs[job].strategy!.matrix!.include!) {
                        const env = readStackConfig(entry.stack).config["hybridml:environment"];
                        assert.equal(entry.environment, env, `${entry.stack} environment`);
                        assert.ok(fs.existsSync(path.join(REPO_ROOT, "policy", "config", `${entry.environment}.json`)));
                    }
                }
            });

            it("gets cloud credentials through OIDC (id-token: write), never from stored keys", () => {
                const text = fs.readFileSync(path.join(DIR, file), "utf8");
                assert.doesNotMatch(text, /AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|credentials_json|ARM_CLIENT_SECRET|client-secret/);
                for (const job of new Set(jobs.values())) assert.equal(wf.jobs[job].permissions?.["id-token"], "write", job);
                const uses = Object.values(wf.jobs).flatMap((j) => (j.steps ?? []).map((s) => s.uses ?? ""));
                for (const action of ["aws-actions/configure-aws-credentials@", "google-github-actions/auth@", "azure/login@"]) {
                    assert.ok(uses.some((u) => u.startsWith(action)), `${file} uses ${action}`);
                }
            });
        });
    }

    it("pull requests: install, lint, tests, offline plan compared with the base and commented; previews commented; forks skipped with a note", () => {
        const wf = load("pr-preview.yml");
        assert.ok("pull_request" in wf.on);
        const checks = wf.jobs.checks.steps!.map((s) => s.run ?? s.uses ?? "").join("\n");
        for (const cmd of ["npm ci", "npm run lint", "npm run build", "npm test", "npm run plan -- --all --out plan --compare"]) assert.ok(checks.includes(cmd), cmd);
        assert.ok(wf.jobs.checks.steps!.some((s) => s.uses?.startsWith("actions/github-script@") && String(s.with?.script).includes("plan/report.md")));
        for (const job of new Set(stackJobs(wf, "preview").values())) {
            assert.equal(wf.jobs[job].if, "needs.secrets-gate.outputs.available == 'true'");
            assert.equal(wf.jobs[job].steps!.find((s) => s.uses?.startsWith("pulumi/actions@"))!.with?.["comment-on-pr"], true);
        }
        assert.match(JSON.stringify(wf.jobs["secrets-gate"]), /Cloud previews skipped/);
    });

    it("main: every deploy job is gated by the stack's GitHub environment", () => {
        const wf = load("deploy.yml");
        assert.deepEqual(wf.on, { push: { branches: ["main"] } });
        for (const job of new Set(stackJobs(wf, "up").values())) assert.equal(wf.jobs[job].environment, "${{ matrix.stack }}");
    });
});
