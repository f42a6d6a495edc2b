/**
 * The CI workflows (SPEC 9, 11b): valid (@action-validator/core), every shipped stack previewed in
 * parallel and deployed in dependency order, each on the runner of its repository variable, every
 * action pinned by commit SHA with its tag, the CLI version pinned, the auth plugins installed, and
 * preview jobs that can reach no deploy identity or secret.
 */
import { validateWorkflow } from "@action-validator/core";
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { listStacks, readStackConfig, referencedStack, REPO_ROOT } from "../tools/plan/plan";

const DIR = path.join(REPO_ROOT, ".github", "workflows");

interface Step { uses?: string; run?: string; if?: string; with?: Record<string, unknown>; env?: Record<string, unknown>; name?: string }
interface Job {
    needs?: string | string[];
    if?: string;
    uses?: string;
    with?: Record<string, unknown>;
    secrets?: unknown;
    environment?: unknown;
    "runs-on"?: unknown;
    permissions?: Record<string, string>;
    steps?: Step[];
}
interface Workflow { on: Record<string, any>; env?: Record<string, string>; jobs: Record<string, Job> }

const text = (file: string) => fs.readFileSync(path.join(DIR, file), "utf8");
const load = (file: string): Workflow => parse(text(file));
const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
const runnerVar = (stack: string) => `RUNNER_${stack.toUpperCase().replace(/-/g, "_")}`;

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

/** stack -> the job that calls stack.yml with `command` on it. */
function stackJobs(wf: Workflow, command: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const [name, job] of Object.entries(wf.jobs)) {
        if (job.uses !== "./.github/workflows/stack.yml" || job.with?.command !== command) continue;
        const stack = String(job.with.stack);
        assert.ok(!out.has(stack), `${stack} is run by two jobs`);
        out.set(stack, name);
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

const cloudOf = (stack: string): string => {
    const provider = (JSON.parse(readStackConfig(stack).config["hybridml:cluster"]) as { provider: string }).provider;
    return { eks: "aws", gke: "gcp", aks: "azure" }[provider] ?? "none";
};

describe("CI workflows", () => {
    const files = fs.existsSync(DIR) ? fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)) : [];

    it("exist: pull-request previews, deploy on main, and the per-stack job they both call", () => {
        assert.deepEqual(files.sort(), ["deploy.yml", "pr-preview.yml", "stack.yml"]);
    });

    for (const file of ["pr-preview.yml", "deploy.yml", "stack.yml"]) {
        it(`${file} is a valid workflow (action-validator)`, () => {
            assert.deepEqual(validateWorkflow(text(file)).errors, []);
        });
    }

    it("the validator does reject a broken workflow (it is not a no-op)", () => {
        assert.ok(validateWorkflow(text("stack.yml").replace("runs-on: ${{", "runs_on: ${{")).errors.length > 0);
    });

    it("pins every action to a full commit SHA with its release tag in a comment, at current majors", () => {
        const majors: Record<string, number> = {
            "actions/checkout": 7, "actions/setup-node": 7, "actions/cache": 5, "actions/upload-artifact": 7, "actions/github-script": 8,
            "pulumi/actions": 7, "pulumi/auth-actions": 2, "aws-actions/configure-aws-credentials": 6, "google-github-actions/auth": 3,
            "google-github-actions/setup-gcloud": 3, "Azure/use-kubelogin": 1,
        };
        let count = 0;
        for (const file of files) {
            for (const line of text(file).split("\n")) {
                const m = /^\s*(?:- )?uses: (\S+)(.*)$/.exec(line);
                if (!m || m[1].startsWith("./")) continue;
                count++;
                const pin = /^([\w.-]+\/[\w.-]+)@([0-9a-f]{40})$/.exec(m[1]);
                assert.ok(pin, `${file}: ${m[1]} is not pinned by commit SHA`);
                const tag = /^ # v(\d+)(\.\d+){0,2}$/.exec(m[2]);
                assert.ok(tag, `${file}: ${m[1]} has no "# vX.Y.Z" tag comment`);
                assert.equal(Number(tag[1]), majors[pin[1]], `${file}: ${pin[1]} major`);
            }
        }
        assert.ok(count >= 15, `only ${count} actions found`);
        // The same action is pinned to one SHA everywhere.
        const shas = new Map<string, Set<string>>();
        for (const file of files) for (const m of text(file).matchAll(/uses: ([\w.-]+\/[\w.-]+)@([0-9a-f]{40})/g)) shas.set(m[1], (shas.get(m[1]) ?? new Set()).add(m[2]));
        for (const [action, set] of shas) assert.equal(set.size, 1, action);
    });

    it("the stack job: pinned CLI 3.248.0, plugin cache, the GKE and AKS auth plugins, OIDC for Pulumi Cloud and each cloud", () => {
        const wf = load("stack.yml");
        assert.ok("workflow_call" in wf.on);
        assert.equal(wf.env?.PULUMI_VERSION, "3.248.0");
        const steps = wf.jobs.pulumi.steps!;
        const step = (action: string) => steps.find((s) => s.uses?.startsWith(`${action}@`));
        assert.equal(step("pulumi/actions")!.with!["pulumi-version"], "${{ env.PULUMI_VERSION }}");
        assert.equal(step("actions/cache")!.with!.path, "~/.pulumi/plugins");
        assert.equal(step("google-github-actions/setup-gcloud")!.with!.install_components, "gke-gcloud-auth-plugin");
        assert.equal(step("google-github-actions/setup-gcloud")!.if, "inputs.cloud == 'gcp'");
        assert.match(String(step("Azure/use-kubelogin")!.with!["kubelogin-version"]), /env\.KUBELOGIN_VERSION/);
        assert.match(wf.env!.KUBELOGIN_VERSION, /^v\d+\.\d+\.\d+$/);
        assert.equal(step("pulumi/auth-actions")!.with!.scope, "team:${{ inputs.pulumi-team }}");
        assert.equal(wf.jobs.pulumi.permissions?.["id-token"], "write");
        // kubelogin's workloadidentity mode takes the client and tenant from the environment.
        const env = step("pulumi/actions")!.env!;
        assert.equal(env.AZURE_CLIENT_ID, "${{ inputs.azure-client-id }}");
        assert.equal(env.AZURE_TENANT_ID, "${{ vars.AZURE_TENANT_ID }}");
        assert.equal(wf.jobs.pulumi["runs-on"], "${{ startsWith(inputs.runs-on, '[') && fromJSON(inputs.runs-on) || inputs.runs-on }}");
        assert.equal(wf.jobs.pulumi.environment, "${{ inputs.github-environment }}");
        assert.equal(step("pulumi/actions")!.with!.policyPackConfigs, "policy/config/${{ inputs.environment }}.json");
    });

    it("no stored credential anywhere: every identity comes through OIDC", () => {
        for (const file of files) {
            assert.doesNotMatch(text(file), /AWS_SECRET_ACCESS_KEY|AWS_ACCESS_KEY_ID|credentials_json|ARM_CLIENT_SECRET|client-secret|PULUMI_ACCESS_TOKEN/, file);
            assert.deepEqual([...text(file).matchAll(/secrets\.(\w+)/g)].map((m) => m[1]), [], `${file} reads no secret`);
        }
    });

    it("the shipped stacks read their training stack as the workflows assume", () => {
        assert.deepEqual(dependencies().sort(), [["edge", "dev"], ["prod-aws", "prod-training"], ["prod-azure", "prod-training"], ["prod-gcp", "prod-training"]]);
    });

    for (const [file, command] of [["pr-preview.yml", "preview"], ["deploy.yml", "up"]] as const) {
        describe(`${file}: pulumi ${command}`, () => {
            const wf = load(file);
            const jobs = stackJobs(wf, command);

            it("covers all six shipped stacks, each with its environment, cloud and runner variable; skipped (never failed) without a runner", () => {
                assert.deepEqual([...jobs.keys()].sort(), listStacks());
                for (const [stack, name] of jobs) {
                    const job = wf.jobs[name];
                    assert.equal(job.with!.environment, readStackConfig(stack).config["hybridml:environment"], stack);
                    assert.equal(job.with!.cloud, cloudOf(stack), stack);
                    assert.equal(job.with!["runs-on"], `\${{ vars.${runnerVar(stack)} }}`, stack);
                    assert.ok(String(job.if).includes(`vars.${runnerVar(stack)} != ''`), `${stack}: ${job.if}`);
                }
                const notes = JSON.stringify(wf.jobs.runners);
                for (const stack of listStacks()) assert.ok(notes.includes(`vars.${runnerVar(stack)}`), `${stack} runner note`);
                assert.match(notes, /is not set: that stack is skipped/);
            });

            if (command === "preview") {
                it("previews run in parallel (none waits for another) and each comments on the PR", () => {
                    for (const name of jobs.values()) {
                        assert.deepEqual(needsOf(wf.jobs[name]).sort(), ["checks", "gate"], name);
                        assert.equal(wf.jobs[name].if!.startsWith("needs.gate.outputs.available == 'true'"), true);
                    }
                    const pulumiStep = load("stack.yml").jobs.pulumi.steps!.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
                    assert.equal(pulumiStep.with!["comment-on-pr"], "${{ inputs.command == 'preview' }}");
                    assert.equal(pulumiStep.with!["edit-pr-comment"], true);
                });

                it("no preview job can reach a deploy identity or an environment's secrets", () => {
                    assert.doesNotMatch(text(file), /DEPLOY|deployers|github-environment/);
                    for (const name of jobs.values()) {
                        const job = wf.jobs[name];
                        assert.equal(job.with!["pulumi-team"], "previewers");
                        assert.equal(job.secrets, undefined, `${name} passes no secrets`);
                        assert.equal(job.with!["github-environment"], undefined, `${name} runs in no environment (its secrets stay out of reach)`);
                        for (const [k, v] of Object.entries(job.with!)) if (/role|account|client/.test(k)) assert.match(String(v), /PREVIEW/, `${name} ${k}`);
                    }
                });
            } else {
                it("deploys each serving stack after its training stack; a failed training deploy stops it, a skipped one does not", () => {
                    for (const [stack, training] of dependencies()) {
                        const job = jobs.get(stack)!;
                        assert.ok(upstream(wf, job).has(jobs.get(training)!), `${job} must need ${jobs.get(training)}`);
                        assert.match(String(wf.jobs[job].if), /^\$\{\{ !failure\(\) && !cancelled\(\) && /);
                    }
                    for (const name of jobs.values()) assert.ok(needsOf(wf.jobs[name]).includes("checks"));
                });

                it("every deploy job runs in its stack's GitHub environment with the deploy identities", () => {
                    assert.deepEqual(wf.on, { push: { branches: ["main"] } });
                    for (const [stack, name] of jobs) {
                        const job = wf.jobs[name];
                        assert.equal(job.with!["github-environment"], stack);
                        assert.equal(job.with!["pulumi-team"], "deployers");
                        for (const [k, v] of Object.entries(job.with!)) if (/role|account|client/.test(k)) assert.match(String(v), /DEPLOY/, `${name} ${k}`);
                    }
                });
            }

            it("forwards the cloud identity its stack needs, and only that one", () => {
                for (const [stack, name] of jobs) {
                    const keys = Object.keys(wf.jobs[name].with!).filter((k) => /role|account|client/.test(k));
                    const want = { aws: ["aws-role-arn"], gcp: ["gcp-service-account"], azure: ["azure-client-id"], none: [] }[cloudOf(stack)]!;
                    assert.deepEqual(keys, want, stack);
                    assert.equal(wf.jobs[name].permissions?.["id-token"], "write", name);
                }
            });
        });
    }

    it("pull requests: install, lint, tests, offline plan compared with the base and commented; forks skipped with a note", () => {
        const wf = load("pr-preview.yml");
        assert.ok("pull_request" in wf.on);
        const checks = wf.jobs.checks.steps!.map((s) => s.run ?? s.uses ?? "").join("\n");
        for (const cmd of ["npm ci", "npm run lint", "npm run build", "npm test", "npm run plan -- --all --out plan --compare"]) assert.ok(checks.includes(cmd), cmd);
        assert.ok(wf.jobs.checks.steps!.some((s) => s.uses?.startsWith("actions/github-script@") && String(s.with?.script).includes("plan/report.md")));
        assert.match(JSON.stringify(wf.jobs.gate), /Cloud previews skipped/);
        assert.match(JSON.stringify(wf.jobs.gate), /head\.repo\.full_name == github\.repository/);
    });
});
