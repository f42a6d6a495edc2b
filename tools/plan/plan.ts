/**
 * The offline plan of a stack (SPEC 8): run the real program under Pulumi's mock runtime in
 * preview mode, with the stack's own config file, and describe every registration.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { ConfigError, UserError } from "../../config/resolve";
import { decodeConfigValue } from "../../config/keys";
import { fleetIssues } from "../../config/fleet";
import { packChecks, PlanCheck, planContext, runPolicies } from "./policies";
import { mask, RecordedResource, reveal, runProgram, SecretValue, StackOutputs } from "./recorder";
import { secretDigests } from "./report";
import type { Plan, PlanResource, PlanSecrets } from "./types";

export type { Plan, PlanResource, Violation } from "./types";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface PlanResult {
    plan: Plan;
    /** Outputs with secrets as `SecretValue`, for stacks that reference this one. */
    rawOutputs: Record<string, unknown>;
    /** Resources as recorded (secrets as `SecretValue`). */
    recorded: RecordedResource[];
    /** Config or contract error (a user error: print the message, no stack trace). */
    error?: Error;
}

/** Project name from Pulumi.yaml. */
export function projectName(root = REPO_ROOT): string {
    const doc = parseYaml(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name: string };
    return doc.name;
}

/** The shipped stacks: one `Pulumi.<stack>.yaml` each. */
export function listStacks(root = REPO_ROOT): string[] {
    return fs.readdirSync(root)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** Config of a stack as the CLI passes it to a program: `ns:key` -> string, plus the secret keys. */
export interface StackConfig {
    config: Record<string, string>;
    secretKeys: string[];
}

/** True when a structured value holds a `secure:` value somewhere inside (`pulumi config set --path --secret`). */
function holdsSecure(value: unknown): boolean {
    if (Array.isArray(value)) return value.some(holdsSecure);
    if (value === null || typeof value !== "object") return false;
    const o = value as Record<string, unknown>;
    return (Object.keys(o).length === 1 && typeof o.secure === "string") || Object.values(o).some(holdsSecure);
}

/** Turn a stack file's `config:` map into the program's config. Secure values become "[secret]". */
export function stackConfigFromDoc(doc: { config?: Record<string, unknown> } | null): StackConfig {
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries(doc?.config ?? {})) {
        if (holdsSecure(value)) {
            // Pulumi marks the whole key secret when any part of it is; the ciphertext is never shown.
            // Ciphertext cannot be decrypted offline; the program only needs to know the secret is set.
            config[key] = "[secret]";
            secretKeys.push(key);
        } else {
            config[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return { config, secretKeys };
}

export function readStackConfig(stack: string, root = REPO_ROOT): StackConfig {
    const file = path.join(root, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) throw new UserError(`no stack file ${path.basename(file)} (stacks: ${listStacks(root).join(", ")})`);
    let doc: unknown;
    try {
        doc = parseYaml(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new UserError(`${path.basename(file)} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
    }
    if (doc !== null && (typeof doc !== "object" || Array.isArray(doc))) throw new UserError(`${path.basename(file)} must be a YAML mapping with a config: key`);
    return stackConfigFromDoc(doc as { config?: Record<string, unknown> } | null);
}

/** The stack a stack references (`hybridml:trainingStack`), as a local stack name. */
export function referencedStack(cfg: StackConfig): string | undefined {
    const ref = cfg.config["hybridml:trainingStack"];
    return ref ? ref.split("/").pop() : undefined;
}

/** Outputs of a planned stack as a StackReference reads them. */
export function asStackOutputs(raw: Record<string, unknown>): StackOutputs {
    const secretOutputNames = Object.entries(raw).filter(([, v]) => v instanceof SecretValue).map(([k]) => k);
    return { outputs: reveal(raw) as Record<string, unknown>, secretOutputNames };
}

function stripProviderId(ref: string): string {
    // A provider reference is `<urn>::<id>`; the id is unknown in a preview.
    const i = ref.lastIndexOf("::");
    return i > 0 && ref.slice(0, i).startsWith("urn:") && ref.slice(0, i).includes("pulumi:providers:") ? ref.slice(0, i) : ref;
}

function toPlanResource(r: RecordedResource, readState?: Record<string, unknown>): PlanResource {
    const res: PlanResource = {
        urn: r.urn, type: r.type, name: r.name, parent: r.parent, provider: stripProviderId(r.provider),
        dependencies: r.dependencies, protect: r.protect, retainOnDelete: r.retainOnDelete, ignoreChanges: r.ignoreChanges, read: r.read,
        ...(r.aliases && r.aliases.length > 0 ? { aliases: r.aliases } : {}),
        inputs: mask(r.inputs) as Record<string, unknown>,
    };
    if (readState) res.outputs = readState;
    return res;
}

/** Loads the program once (module cache); each call runs its exported function for a new stack. */
function program(): () => Promise<Record<string, unknown>> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(REPO_ROOT, "index"));
}

export interface PlanOptions {
    project?: string;
    /** Config to use instead of the stack file (tests). */
    stackConfig?: StackConfig;
    /** Outputs of referenced stacks, by local stack name. */
    references?: (stack: string) => Record<string, unknown> | undefined;
    /** Policy checks to run over the plan (default: the CrossGuard pack's policies, `packChecks()`). */
    checks?: readonly PlanCheck[];
    /** Salt of the secrets' digests (default $PLAN_SECRET_SALT; unset: no digests, secret changes undetectable). */
    secretSalt?: string;
}

/** Salted digests of a run's secrets (outputs and inputs), for the compare report. */
function digestsOf(outputs: Record<string, unknown>, records: RecordedResource[], salt: string): PlanSecrets {
    const isSecret = (x: unknown) => x instanceof SecretValue;
    const unwrap = (x: unknown) => reveal(x);
    const inputs: PlanSecrets["inputs"] = {};
    for (const r of records) {
        const d = secretDigests(r.inputs, salt, isSecret, unwrap);
        if (Object.keys(d).length > 0) inputs[r.urn] = d;
    }
    return { outputs: secretDigests(outputs, salt, isSecret, unwrap), inputs };
}

/** Plan one stack. Never throws for user errors (config, contract): they come back in `error`. */
export async function planStack(stack: string, opts: PlanOptions = {}): Promise<PlanResult> {
    const project = opts.project ?? projectName();
    const cfg = opts.stackConfig ?? readStackConfig(stack);
    const readStates = new Map<string, Record<string, unknown>>();
    const result = await runProgram(() => program()(), {
        project, stack, preview: true, config: cfg.config, secretKeys: cfg.secretKeys,
        stackOutputs: (fullName) => {
            const [, refProject, refStack] = fullName.split("/");
            if (refProject !== project) throw new UserError(`the offline plan resolves stacks of project ${project} only (got ${fullName})`);
            const raw = opts.references?.(refStack);
            if (!raw) return undefined;
            const outs = asStackOutputs(raw);
            readStates.set(fullName, mask(Object.fromEntries(Object.entries(raw))) as Record<string, unknown>);
            return outs;
        },
    });
    const resources = result.resources.map((r) => toPlanResource(r,
        r.type === "pulumi:pulumi:StackReference" ? readStates.get(String(reveal(r.inputs.name))) : undefined));
    const plan: Plan = { stack, resources, outputs: mask(result.outputs) as Record<string, unknown>, violations: [] };
    const salt = opts.secretSalt ?? process.env.PLAN_SECRET_SALT;
    if (salt) plan.secrets = digestsOf(result.outputs, result.resources, salt);
    const userError = result.error instanceof UserError;
    if (result.error && !userError) throw result.error;
    if (!result.error) {
        let roles: string[] | undefined;
        try {
            roles = JSON.parse(cfg.config["hybridml:roles"] ?? "null") ?? undefined;
        } catch {
            roles = undefined;
        }
        plan.violations = runPolicies(plan, opts.checks ?? packChecks(), planContext(plan, cfg.config["hybridml:environment"], roles));
    }
    return { plan, rawOutputs: result.outputs, recorded: result.resources, error: result.error };
}

/**
 * A stack whose referenced (training) stack could not be read: it failed to plan, or it was not
 * planned at all (no stack file for it). Two different fixes, so two different messages.
 */
export class ReferencedStackError extends UserError {
    constructor(public readonly stack: string, public readonly referenced: string, cause: Error | "not planned", configDir: string) {
        super(cause === "not planned"
            ? `${stack} reads ${referenced} through hybridml:trainingStack, but ${referenced} was not planned: there is no `
                + `Pulumi.${referenced}.yaml in ${configDir}; add it, or set hybridml:trainingStack to a stack that has one`
            : `the training stack ${referenced} failed to plan, so ${stack} (which reads it through hybridml:trainingStack) `
                + `was not planned; fix ${referenced} first:\n  ${cause.message.split("\n").join("\n  ")}`);
        this.name = "ReferencedStackError";
    }
}

function unplanned(stack: string, error: Error): PlanResult {
    return { plan: { stack, resources: [], outputs: {}, violations: [] }, rawOutputs: {}, recorded: [], error };
}

/**
 * Plan several stacks in dependency order: a stack named by another's `trainingStack` is planned
 * first, and its outputs feed the other's StackReference. Missing dependencies are planned too.
 */
export async function planFleet(
    stacks: string[],
    onPlanned?: (r: PlanResult) => void,
    configDir = REPO_ROOT,
    checks?: readonly PlanCheck[],
): Promise<Map<string, PlanResult>> {
    const results = new Map<string, PlanResult>();
    const visiting = new Set<string>();
    const project = projectName();
    // Every stack file first: rules between stacks (feedback producers, trainingStack cycles) and unreadable files.
    const configs = new Map<string, StackConfig | UserError>();
    for (const s of new Set([...listStacks(configDir), ...stacks])) {
        try {
            configs.set(s, readStackConfig(s, configDir));
        } catch (e) {
            if (!(e instanceof UserError)) throw e;
            configs.set(s, e);
        }
    }
    const raw = (cfg: StackConfig, key: string) => (cfg.config[`hybridml:${key}`] === undefined ? undefined : decodeConfigValue(cfg.config[`hybridml:${key}`]));
    const between = fleetIssues(project, [...configs].filter((e): e is [string, StackConfig] => !(e[1] instanceof Error)).map(([name, cfg]) => {
        const streaming = raw(cfg, "streaming");
        return {
            name, roles: raw(cfg, "roles"), trainingStack: raw(cfg, "trainingStack"),
            feedbackProducers: streaming !== null && typeof streaming === "object" ? (streaming as Record<string, unknown>).feedbackProducers : undefined,
        };
    }));
    const visit = async (stack: string): Promise<void> => {
        if (results.has(stack)) return;
        visiting.add(stack);
        const cfg = configs.get(stack)!;
        if (cfg instanceof Error || between.has(stack)) {
            const r = unplanned(stack, cfg instanceof Error ? cfg : new ConfigError(stack, between.get(stack)!));
            results.set(stack, r);
            onPlanned?.(r);
            visiting.delete(stack);
            return;
        }
        const dep = referencedStack(cfg);
        const depPlanned = dep !== undefined && fs.existsSync(path.join(configDir, `Pulumi.${dep}.yaml`));
        if (depPlanned && !visiting.has(dep)) await visit(dep);
        const depError = dep === undefined ? undefined : depPlanned ? results.get(dep)?.error : "not planned";
        const r = dep !== undefined && depError
            ? unplanned(stack, new ReferencedStackError(stack, dep, depError, configDir))
            : await planStack(stack, { stackConfig: cfg, checks, references: (name) => results.get(name)?.rawOutputs });
        results.set(stack, r);
        onPlanned?.(r);
        visiting.delete(stack);
    };
    for (const s of stacks) await visit(s);
    return results;
}
