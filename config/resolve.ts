/**
 * Validation and defaults: raw `hybridml:*` values in, a fully resolved `PlatformConfig` out, or one
 * `ConfigError` that names every bad key, what was given and what is valid. Pure (no Pulumi imports).
 */
import { z } from "zod";
import {
    configSchema, Environment, NAMESPACE, RawPlatformConfig, Role, SecretKey, secretKeys,
} from "./schema";
import { clusterIssues, clusterNotes, defaultInstanceTypes, ResolvedCluster, resolveCluster } from "./cluster";
import { ResolvedStorage, resolveStorage, storageContextOf, storageIssues } from "./storage";
import { resolveStreaming, StreamingConfig, streamingIssues } from "./streaming";
import { modelCatalogIssues, servingIssues } from "./serving";
import { observabilityIssues } from "./observability";
import { chartsIssues, resolveCharts } from "./charts";
import type { ChartMirror } from "../lib/charts";
import { catalogueIssues, gpuFitIssues, GpuNodes } from "./catalogue";
import { isCredentialKey, redactText, redactValue, STORE_AS_SECRET } from "./redact";
import { exposureIssues, trainingExposureIssues } from "./exposure";

/**
 * A user error: Pulumi's language host prints the message of an error marked `__pulumiRunError`
 * (what `pulumi.RunError` sets; cmd/run checks `RunError.isInstance`) without a stack trace.
 * Config cannot import @pulumi/pulumi, so it sets the marker itself.
 */
export class UserError extends Error {
    readonly __pulumiRunError = true;
    constructor(message: string) {
        super(redactText(message));
        this.name = "UserError";
    }
}

/** Bad configuration. `issues` holds one line per problem, each naming its key (credentials masked). */
export class ConfigError extends UserError {
    public readonly issues: string[];
    constructor(public readonly stackName: string, issues: string[]) {
        const safe = issues.map(redactText);
        super(`Invalid configuration for stack "${stackName}":\n${safe.map((i) => `  - ${i}`).join("\n")}`);
        this.issues = safe;
        this.name = "ConfigError";
    }
}

export { defaultInstanceTypes };
export type { ResolvedCluster };

/** A stack reference target split into its parts. */
export interface StackRefName { organization: string; project: string; stack: string; fullName: string }

/** The configuration of one stack, validated and with every default applied. */
export interface PlatformConfig {
    project: string;
    stack: string;
    environment: Environment;
    roles: { training: boolean; serving: boolean };
    /** The training stack a serving-only stack reads (undefined when this stack trains). */
    trainingStack?: StackRefName;
    protectStateful: boolean;
    cluster: ResolvedCluster;
    storage: ResolvedStorage;
    streaming: StreamingConfig;
    serving: RawPlatformConfig["serving"];
    observability: RawPlatformConfig["observability"];
    /** Where every Helm chart comes from (default: upstream). */
    charts: ChartMirror;
    exposure: RawPlatformConfig["exposure"];
    models: RawPlatformConfig["models"];
    /** Warnings and notes that do not stop the program (a Kubernetes minor near its end of support, an unchecked region). */
    notes: string[];
}

/** Raw input: plain keys (already JSON-decoded) and which secret keys are set. */
export interface RawInput {
    project: string;
    stack: string;
    /** `hybridml:<key>` values without the namespace, JSON-decoded. */
    values: Record<string, unknown>;
    /** Keys whose value is stored as a secret. */
    secretKeysSet: ReadonlySet<string>;
    /** Organization of this stack, when known: a trainingStack naming this very stack is refused. */
    organization?: string;
    /** Keys refused before validation (other namespaces, flat dotted keys): one message each. */
    refused?: string[];
    /** The date the version support calendar is read at. Default: now (tests pass a date). */
    today?: Date;
}

/** A value as messages show it: credentials masked (`key` is the name it is stored under), long values cut. */
function describe(v: unknown, key = ""): string {
    const s = JSON.stringify(redactValue(v, key));
    return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function keyOf(path: ReadonlyArray<PropertyKey>): string {
    let key = NAMESPACE + ":";
    path.forEach((p, i) => {
        key += typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`;
    });
    return key;
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
    let v: unknown = root;
    for (const p of path) {
        if (v === null || typeof v !== "object") return undefined;
        v = (v as Record<PropertyKey, unknown>)[p];
    }
    return v;
}

/** Levenshtein distance, for "did you mean" hints on mistyped keys. */
function distance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
    }
    return d[a.length][b.length];
}

/** Known keys of the object schema at `path`, for unknown-key messages. */
function knownKeysAt(path: ReadonlyArray<PropertyKey>, input?: unknown): string[] {
    const schema = variantOf(schemaAt(path, input), valueAt(input, path));
    return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** The option of a discriminated union that `value` selects (all keys of all options when none does). */
function variantOf(schema: unknown, value: unknown): unknown {
    if (!(schema instanceof z.ZodDiscriminatedUnion)) return schema;
    const d = schema.def.discriminator;
    const options = schema.options as unknown as z.ZodObject[];
    const chosen = (value !== null && typeof value === "object") ? (value as Record<string, unknown>)[d] : undefined;
    const match = options.find((o) => (o.shape[d] as z.ZodLiteral).values.has(chosen as never));
    return match ?? z.object(Object.assign({}, ...options.map((o) => o.shape)) as z.ZodRawShape);
}

function unwrap(schema: unknown): unknown {
    let s = schema;
    while (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodPrefault) {
        s = s.def.innerType;
    }
    return s;
}

function unknownKeyMessage(path: ReadonlyArray<PropertyKey>, key: string, known: string[]): string {
    const close = known.filter((k) => distance(k.toLowerCase(), key.toLowerCase()) <= 2);
    const hint = close.length > 0 ? `did you mean ${close.join(" or ")}? ` : "";
    const credential = isCredentialKey(key) ? `; its name says it holds a credential (the value is not shown): ${STORE_AS_SECRET}` : "";
    return `${keyOf([...path, key])} is not a known key: ${hint}valid keys are ${known.join(", ")}${credential}`;
}

/** A required value that is not set: say so, and what it may be. */
function requiredMessage(issue: z.core.$ZodIssue, key: string): string {
    if (issue.code === "invalid_value") return `${key} is required: set one of ${issue.values.map((v) => String(v)).join(" | ")}`;
    if (issue.code === "invalid_union" && (issue as { note?: string }).note?.includes("discriminator")) {
        return `${key} is required (it selects the variant: see README "Configuration")`;
    }
    if (issue.code === "invalid_type") return `${key} is required (${expectedName(issue.expected)})`;
    return `${key} is required`;
}

/** "a string", "an object", "a list", "a whole number". */
function expectedName(expected: string): string {
    if (expected === "int") return "a whole number";
    if (expected === "array") return "a list";
    return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** The schema at `path` (the variant the input selects on the way), or undefined. */
function schemaAt(path: ReadonlyArray<PropertyKey>, input: unknown): unknown {
    let schema: unknown = configSchema;
    for (const [i, p] of path.entries()) {
        schema = variantOf(unwrap(schema), valueAt(input, path.slice(0, i)));
        if (schema instanceof z.ZodObject) schema = schema.shape[p as string];
        else if (schema instanceof z.ZodArray) schema = schema.element;
        else return undefined;
    }
    return unwrap(schema);
}

/** The expected shape of an object or union key, as YAML-ish text: `{mode: none} | {mode: time-slicing, replicas}`. */
function shapeOf(schema: unknown): string | undefined {
    if (schema instanceof z.ZodDiscriminatedUnion) {
        const d = schema.def.discriminator;
        return (schema.options as unknown as z.ZodObject[]).map((o) => {
            const tag = [...(o.shape[d] as z.ZodLiteral).values].map(String).join("|");
            const rest = Object.keys(o.shape).filter((k) => k !== d);
            return `{${[`${d}: ${tag}`, ...rest].join(", ")}}`;
        }).join(" | ");
    }
    if (schema instanceof z.ZodObject) return `{${Object.keys(schema.shape).join(", ")}}`;
    if (schema instanceof z.ZodArray) {
        const inner = shapeOf(unwrap(schema.element));
        return inner ? `a list of ${inner}` : undefined;
    }
    return undefined;
}

/** A value of the wrong type: what was expected (with the shape of structured keys), and how to fix the usual YAML slips. */
function typeMessage(key: string, expected: string, value: unknown, got: string, path: ReadonlyArray<PropertyKey>, input: unknown): string {
    if (value === undefined) return `${key} is required (${expectedName(expected)})`;
    if (expected === "string" && typeof value === "number") {
        return `${key} must be a string (got the number ${got}): quote it in YAML, e.g. "${String(value)}"; unquoted, 1.30 is read as the number 1.3`;
    }
    const shape = expected === "object" || expected === "array" ? shapeOf(schemaAt(path, input)) : undefined;
    return `${key} must be ${expectedName(expected)}${shape ? ` ${expected === "array" ? shape.replace(/^a list of /, "of ") : shape}` : ""} (got ${got})`;
}

/** One readable line per zod issue, naming the key, what was given and what is valid. */
function formatIssue(issue: z.core.$ZodIssue, input: unknown): string[] {
    const path = issue.path;
    const key = keyOf(path);
    const got = describe(valueAt(input, path), String(path[path.length - 1] ?? ""));
    if (valueAt(input, path) === undefined && issue.code !== "unrecognized_keys" && issue.code !== "custom") {
        return [requiredMessage(issue, key)];
    }
    switch (issue.code) {
        case "unrecognized_keys":
            return issue.keys.map((k) => unknownKeyMessage(path, k, knownKeysAt(path, input)));
        case "invalid_type":
            return [typeMessage(key, issue.expected, valueAt(input, path), got, path, input)];
        case "invalid_value":
            return [`${key} must be one of ${issue.values.map((v) => String(v)).join(" | ")} (got ${got})`];
        case "invalid_union": {
            const discriminator = (issue as { note?: string }).note?.includes("discriminator");
            if (discriminator) {
                const d = (issue as { discriminator?: string }).discriminator ?? "mode";
                const options = (issue as { options?: unknown[] }).options ?? ["none", "time-slicing", "mig"];
                const dPath = path[path.length - 1] === d ? path : [...path, d];
                const holder = valueAt(input, dPath.slice(0, -1));
                if (holder === null || typeof holder !== "object" || Array.isArray(holder)) {
                    // `sharing: time-slicing`: a scalar where an object with a discriminator belongs.
                    const shape = shapeOf(schemaAt(dPath.slice(0, -1), input));
                    return [`${keyOf(dPath.slice(0, -1))} must be an object${shape ? ` ${shape}` : ""} (got ${describe(holder)})`];
                }
                return [`${keyOf(dPath)} must be one of ${options.map(String).join(" | ")} (got ${describe(valueAt(input, dPath))})`];
            }
            const firsts = issue.errors.flatMap((errs) => errs.slice(0, 1)).map((e) => formatIssue({ ...e, path: [...path, ...e.path] } as z.core.$ZodIssue, input));
            return firsts[0] ?? [`${key} is invalid (got ${got})`];
        }
        case "too_small": {
            if (issue.origin === "array") return [`${key} must have at least ${String(issue.minimum)} item(s) (got ${got})`];
            if (issue.origin === "string") return [`${key} must not be empty`];
            return [`${key} must be >= ${String(issue.minimum)} (got ${got})`];
        }
        case "too_big":
            if (issue.origin === "array") return [`${key} must have at most ${String(issue.maximum)} item(s) (got ${(valueAt(input, path) as unknown[]).length}): the upper bounds are in README "Configuration" (config/limits.ts)`];
            if (issue.origin === "string") return [`${key} is too long (got ${got})`];
            return [`${key} must be <= ${String(issue.maximum)} (got ${got}): the upper bounds are in README "Configuration" (config/limits.ts)`];
        default:
            return [`${key} ${issue.message} (got ${got})`];
    }
}

function splitStackRef(s: string): StackRefName {
    const [organization, project, stack] = s.split("/");
    return { organization, project, stack, fullName: s };
}

/** True when `ref` names the stack being configured (same project and stack; same organization where known). */
function isThisStack(ref: StackRefName, self: RawInput): boolean {
    return ref.stack === self.stack && ref.project === self.project && (!self.organization || ref.organization === self.organization);
}

/**
 * Cross-field rules that a per-key schema cannot express. Each returns the offending key and the fix.
 */
function crossFieldIssues(c: RawPlatformConfig, secretsSet: ReadonlySet<string>, self: RawInput): string[] {
    const out: string[] = [];
    const k = (p: string) => `${NAMESPACE}:${p}`;
    const training = c.roles.includes("training");
    const serving = c.roles.includes("serving");
    if (new Set(c.roles).size !== c.roles.length) out.push(`${k("roles")} lists a role twice (got ${describe(c.roles)})`);
    if (serving && !training && !c.trainingStack) {
        out.push(`${k("trainingStack")} is required on a serving-only stack: set it to organization/<project>/<training stack>`);
    }
    if (training && c.trainingStack) {
        out.push(`${k("trainingStack")} must not be set on a stack with the training role (it would read itself): remove it (got ${describe(c.trainingStack)})`);
    }
    if (c.trainingStack && isThisStack(splitStackRef(c.trainingStack), self)) {
        out.push(`${k("trainingStack")} names this stack itself (got ${describe(c.trainingStack)})`);
    } else if (c.trainingStack && splitStackRef(c.trainingStack).project !== self.project) {
        const ref = splitStackRef(c.trainingStack);
        out.push(`${k("trainingStack")} names a stack of project ${JSON.stringify(ref.project)}, but a serving stack reads the contract of a training stack of this program (project ${JSON.stringify(self.project)}) (got ${describe(c.trainingStack)}): `
            + `set it to ${ref.organization}/${self.project}/<training stack>`);
    }
    c.streaming.feedbackProducers.forEach((p, i) => {
        if (p === self.stack) out.push(`${k(`streaming.feedbackProducers[${i}]`)} is this training stack itself (got ${describe(p)}): list the serving stacks that send feedback here`);
    });
    if (c.protectStateful === false && c.environment === "prod") {
        out.push(`${k("protectStateful")} must not be false in environment prod: clusters, keys, buckets, Ceph and Kafka would be deletable by one pulumi up or destroy; remove the key (default true outside dev)`);
    }
    if (training && c.storage.rook.enabled === false) {
        out.push(`${k("storage.rook.enabled")} is false on a stack with the training role, which still exports the model store (modelStore, modelStoreReadCredentials) that serving stacks sync from, and nothing would serve it: remove the key (Rook runs on training stacks)`);
    }

    const clusterProblems = clusterIssues(c.cluster, { environment: c.environment, secretsSet, today: self.today });
    out.push(...clusterProblems);
    out.push(...streamingIssues(c.streaming, c.environment, { training, serving }, {
        clusterProvider: c.cluster.provider,
        schedulableHosts: c.cluster.provider === "k3s" ? (c.cluster.hosts ?? []).filter((h) => !h.gpu).length : undefined,
    }));
    out.push(...servingIssues(c.serving, {
        serving, clusterProvider: c.cluster.provider, rook: training && c.storage.rook.enabled !== false,
    }));
    out.push(...observabilityIssues(c.observability));
    out.push(...chartsIssues(c.charts, c.environment));
    out.push(...storageIssues(c.storage, storageContextOf(c)));
    if (training) out.push(...modelCatalogIssues(c.models, c.environment));
    out.push(...exposureIssues(c.exposure, { training, serving, clusterProvider: c.cluster.provider }));
    if (training) {
        out.push(...trainingExposureIssues(c.exposure, {
            environment: c.environment, storageEndpoint: c.storage.endpoint, streamingBootstrap: c.streaming.bootstrap,
        }));
    }
    if (c.models.length > 0 && !training) out.push(`${k("models")} is the catalogue of a training stack; a serving-only stack reads it from trainingStack: remove it`);
    const modelNames = c.models.map((m) => m.name);
    if (new Set(modelNames).size !== modelNames.length) out.push(`${k("models")} has duplicate names (got ${describe(modelNames)})`);
    if (training) {
        out.push(...catalogueIssues(c.models, (i, f) => k(`models[${i}].${f}`), c.storage.buckets.filter((b) => b !== "models")));
    }
    // Whether the catalogue fits the GPU nodes is only known once the GPU pool itself is valid.
    if (training && serving && clusterProblems.length === 0) out.push(...gpuFitIssues(c.models, gpuNodesOf(resolveCluster(c.cluster, c.environment)), k("models")));
    return out;
}

/** The GPU nodes of a resolved cluster, as the model-fit check sees them. */
export function gpuNodesOf(cl: ResolvedCluster): GpuNodes {
    const k3s = cl.provider === "k3s";
    return {
        gpuCount: cl.gpuPool.gpuCount, gpuType: cl.gpuPool.gpuType, sharing: cl.gpuPool.sharing,
        present: k3s ? cl.hosts.some((h) => h.gpu) : cl.gpuPool.maxSize > 0,
        absentKey: k3s ? `${NAMESPACE}:cluster.hosts` : undefined,
    };
}

/**
 * A serving stack's check of the catalogue it read from its training stack: every model must fit
 * one of this stack's GPU nodes. Throws `ConfigError` (naming this stack's key) before anything is registered.
 */
export function checkServingFit(config: PlatformConfig, catalogue: ReadonlyArray<{ name: string; gpu: number }>, trainingStack: string): void {
    const issues = gpuFitIssues(catalogue, gpuNodesOf(config.cluster), `hybridml:models of the training stack ${trainingStack}`);
    if (issues.length > 0) throw new ConfigError(config.stack, issues);
}

/** Where each secret key is read: any other provider never reads it. */
const SECRET_KEY_PROVIDERS: Record<SecretKey, readonly string[]> = { kubeconfig: ["onprem"], sshPrivateKey: ["k3s"], k3sToken: ["k3s"] };

/** Keys whose value is an object or a list (structured keys). */
const STRUCTURED_KEYS = new Set(["roles", "cluster", "storage", "streaming", "serving", "observability", "charts", "models"]);

/**
 * Validate raw config and apply every default. Throws one `ConfigError` listing all problems.
 */
export function resolveConfig(input: RawInput): PlatformConfig {
    const issues: string[] = [...(input.refused ?? [])];
    const secretNames = new Set<string>(Object.values(secretKeys));
    const plain: Record<string, unknown> = {};
    const secretStructured = new Set<string>();
    const cluster = input.values.cluster;
    const provider = cluster !== null && typeof cluster === "object" ? (cluster as Record<string, unknown>).provider : undefined;
    for (const [key, value] of Object.entries(input.values)) {
        const secret = input.secretKeysSet.has(key);
        if (secretNames.has(key)) {
            const readBy = SECRET_KEY_PROVIDERS[key as SecretKey];
            if (typeof provider === "string" && !readBy.includes(provider)) {
                issues.push(`${NAMESPACE}:${key} is only read with cluster.provider ${readBy.join(" or ")} (this stack's provider is ${provider}), so it would be ignored`
                    + `${secret ? "" : ", and it is stored in plain text"}: pulumi config rm ${NAMESPACE}:${key}`);
            } else if (!secret) {
                issues.push(`${NAMESPACE}:${key} holds a credential but is stored in plain text: pulumi config rm ${NAMESPACE}:${key} && pulumi config set --secret ${NAMESPACE}:${key} < <file>`);
            }
            continue;
        }
        if (secret && STRUCTURED_KEYS.has(key)) {
            secretStructured.add(key);
            issues.push(`${NAMESPACE}:${key} holds a secret value, but structured keys take no secrets (the value is not shown): set its fields in plain text; `
                + `credentials go in the secret keys ${[...secretNames].join(", ")} (pulumi config set --secret)`);
            continue;
        }
        if (secret) {
            issues.push(`${NAMESPACE}:${key} is stored as a secret but is not a credential; set it in plain text (pulumi config set ${NAMESPACE}:${key} ...)`);
            continue;
        }
        if (!(key in configSchema.shape) && isCredentialKey(key)) {
            issues.push(`${NAMESPACE}:${key} is not a known key, and its name says it holds a credential (the value is not shown): pulumi config rm ${NAMESPACE}:${key}; ${STORE_AS_SECRET}`);
            continue;
        }
        plain[key] = value;
    }
    // Unknown top-level keys are reported by strictObject (with the secret keys as valid names too).
    const parsed = configSchema.safeParse(plain);
    if (!parsed.success) {
        for (const issue of parsed.error.issues) {
            // A structured key refused for holding a secret is not "required" a second time.
            if (secretStructured.has(String(issue.path[0]))) continue;
            if (issue.code === "unrecognized_keys" && issue.path.length === 0) {
                const known = [...Object.keys(configSchema.shape), ...secretNames];
                issues.push(...issue.keys.map((k) => unknownKeyMessage([], k, known)));
            } else {
                issues.push(...formatIssue(issue, plain));
            }
        }
        throw new ConfigError(input.stack, [...new Set(issues)]);
    }
    const c = parsed.data;
    issues.push(...crossFieldIssues(c, input.secretKeysSet, input));
    if (issues.length > 0) throw new ConfigError(input.stack, issues);

    const dev = c.environment === "dev";
    const hasRole = (r: Role) => c.roles.includes(r);
    return {
        project: input.project,
        stack: input.stack,
        environment: c.environment,
        roles: { training: hasRole("training"), serving: hasRole("serving") },
        trainingStack: c.trainingStack ? splitStackRef(c.trainingStack) : undefined,
        protectStateful: c.protectStateful ?? !dev,
        cluster: resolveCluster(c.cluster, c.environment),
        storage: resolveStorage(c.storage, storageContextOf(c)),
        streaming: resolveStreaming(c.streaming, c.environment, c.cluster.provider),
        serving: c.serving,
        observability: c.observability,
        charts: resolveCharts(c.charts),
        exposure: c.exposure,
        models: c.models,
        notes: clusterNotes(c.cluster, { environment: c.environment, secretsSet: input.secretKeysSet, today: input.today }),
    };
}

export type { SecretKey };
