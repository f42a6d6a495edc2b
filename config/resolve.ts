/**
 * Validation and defaults: raw `hybridml:*` values in, a fully resolved `PlatformConfig` out, or one
 * `ConfigError` that names every bad key, what was given and what is valid. Pure (no Pulumi imports).
 */
import { z } from "zod";
import {
    ClusterConfig, ClusterProvider, configSchema, Environment, NAMESPACE, RawPlatformConfig, Role, SecretKey, secretKeys,
} from "./schema";

/** Bad configuration. `issues` holds one line per problem, each naming its key. */
export class ConfigError extends Error {
    constructor(public readonly stackName: string, public readonly issues: string[]) {
        super(`Invalid configuration for stack "${stackName}":\n${issues.map((i) => `  - ${i}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

/** Machine types used when a pool does not name one. */
export const defaultInstanceTypes: Record<"eks" | "gke" | "aks", { system: string; gpu: string; gpuType: string }> = {
    eks: { system: "m7i.xlarge", gpu: "g6.xlarge", gpuType: "nvidia-l4" },
    gke: { system: "e2-standard-4", gpu: "g2-standard-8", gpuType: "nvidia-l4" },
    aks: { system: "Standard_D4s_v5", gpu: "Standard_NC4as_T4_v3", gpuType: "nvidia-tesla-t4" },
};

/** A stack reference target split into its parts. */
export interface StackRefName { organization: string; project: string; stack: string; fullName: string }

export interface ResolvedCluster extends Omit<ClusterConfig, "network" | "systemPool" | "gpuPool"> {
    network: Required<ClusterConfig["network"]>;
    systemPool: ClusterConfig["systemPool"] & { instanceType: string };
    gpuPool: ClusterConfig["gpuPool"] & { instanceType: string; gpuType: string };
}

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
    storage: RawPlatformConfig["storage"] & { rook: { enabled: boolean; poolSize: number } };
    streaming: RawPlatformConfig["streaming"] & { replicas: number; replicationFactor: number; minInSyncReplicas: number };
    serving: RawPlatformConfig["serving"];
    models: RawPlatformConfig["models"];
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
}

function describe(v: unknown): string {
    const s = JSON.stringify(v);
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
function knownKeysAt(path: ReadonlyArray<PropertyKey>): string[] {
    let schema: unknown = configSchema;
    for (const p of path) {
        schema = unwrap(schema);
        if (schema instanceof z.ZodObject) schema = schema.shape[p as string];
        else if (schema instanceof z.ZodArray) schema = schema.element;
        else return [];
    }
    schema = unwrap(schema);
    return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
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
    return `${keyOf([...path, key])} is not a known key: ${hint}valid keys are ${known.join(", ")}`;
}

/** A required value that is not set: say so, and what it may be. */
function requiredMessage(issue: z.core.$ZodIssue, key: string): string {
    if (issue.code === "invalid_value") return `${key} is required: set one of ${issue.values.map((v) => String(v)).join(" | ")}`;
    if (issue.code === "invalid_union" && (issue as { note?: string }).note?.includes("discriminator")) {
        return `${key} is required (it selects the variant: see README "Configuration")`;
    }
    if (issue.code === "invalid_type") return `${key} is required (${issue.expected === "int" ? "a whole number" : `a ${issue.expected}`})`;
    return `${key} is required`;
}

/** One readable line per zod issue, naming the key, what was given and what is valid. */
function formatIssue(issue: z.core.$ZodIssue, input: unknown): string[] {
    const path = issue.path;
    const key = keyOf(path);
    const got = describe(valueAt(input, path));
    if (valueAt(input, path) === undefined && issue.code !== "unrecognized_keys" && issue.code !== "custom") {
        return [requiredMessage(issue, key)];
    }
    switch (issue.code) {
        case "unrecognized_keys":
            return issue.keys.map((k) => unknownKeyMessage(path, k, knownKeysAt(path)));
        case "invalid_type":
            return [valueAt(input, path) === undefined
                ? `${key} is required (${issue.expected})`
                : `${key} must be ${issue.expected === "int" ? "a whole number" : `a ${issue.expected}`} (got ${got})`];
        case "invalid_value":
            return [`${key} must be one of ${issue.values.map((v) => String(v)).join(" | ")} (got ${got})`];
        case "invalid_union": {
            const discriminator = (issue as { note?: string }).note?.includes("discriminator");
            if (discriminator) {
                const modePath = path[path.length - 1] === "mode" ? path : [...path, "mode"];
                return [`${keyOf(modePath)} must be one of none | time-slicing | mig (got ${describe(valueAt(input, modePath))})`];
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
            return [`${key} must be <= ${String(issue.maximum)} (got ${got})`];
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
    }

    const cl = c.cluster;
    const p: ClusterProvider = cl.provider;
    const cloud = p === "eks" || p === "gke" || p === "aks";
    if (cloud && !cl.region) out.push(`${k("cluster.region")} is required for provider ${p} (e.g. ${p === "aks" ? "westeurope" : p === "gke" ? "europe-west4" : "eu-west-1"})`);
    if (p === "gke" && !cl.project) out.push(`${k("cluster.project")} is required for provider gke: set the GCP project ID`);
    if (p === "gke" && !cl.projectNumber) out.push(`${k("cluster.projectNumber")} is required for provider gke: gcloud projects describe <project> --format='value(projectNumber)'`);
    if (p === "aks" && !cl.tenantId) out.push(`${k("cluster.tenantId")} is required for provider aks: set the Entra ID tenant GUID`);
    if (cl.publicEndpoint && cl.authorizedCidrs.length === 0) {
        out.push(`${k("cluster.authorizedCidrs")} must list at least one CIDR when cluster.publicEndpoint is true (a public API open to everyone is not allowed)`);
    }
    if (!cl.publicEndpoint && cl.authorizedCidrs.length > 0) {
        out.push(`${k("cluster.authorizedCidrs")} is set but cluster.publicEndpoint is false: set publicEndpoint: true or remove authorizedCidrs`);
    }
    cl.authorizedCidrs.forEach((cidr, i) => {
        if (cidr.endsWith("/0")) out.push(`${k(`cluster.authorizedCidrs[${i}]`)} opens the API to the whole internet (got ${describe(cidr)}): list your office or VPN ranges`);
    });
    if (cl.systemPool.minSize > cl.systemPool.maxSize) {
        out.push(`${k("cluster.systemPool.maxSize")} must be >= minSize (got ${cl.systemPool.maxSize} < ${cl.systemPool.minSize})`);
    }
    if (cl.gpuPool.minSize > cl.gpuPool.maxSize) {
        out.push(`${k("cluster.gpuPool.maxSize")} must be >= minSize (got ${cl.gpuPool.maxSize} < ${cl.gpuPool.minSize})`);
    }
    if (p === "onprem" && !secretsSet.has(secretKeys.kubeconfig)) {
        out.push(`${k(secretKeys.kubeconfig)} is required for provider onprem: pulumi config set --secret ${k(secretKeys.kubeconfig)} < kubeconfig.yaml`);
    }
    if (p === "k3s") {
        if (cl.hosts.length === 0) out.push(`${k("cluster.hosts")} is required for provider k3s: list the hosts ({ name, address, role: server|agent, gpu })`);
        else if (cl.hosts[0].role !== "server") out.push(`${k("cluster.hosts[0].role")} must be server: the first host initialises the cluster (got ${describe(cl.hosts[0].role)})`);
        const names = cl.hosts.map((h) => h.name);
        const addresses = cl.hosts.map((h) => h.address);
        if (new Set(names).size !== names.length) out.push(`${k("cluster.hosts")} has duplicate names (got ${describe(names)})`);
        if (new Set(addresses).size !== addresses.length) out.push(`${k("cluster.hosts")} has duplicate addresses (got ${describe(addresses)})`);
        if (!secretsSet.has(secretKeys.sshPrivateKey)) {
            out.push(`${k(secretKeys.sshPrivateKey)} is required for provider k3s: pulumi config set --secret ${k(secretKeys.sshPrivateKey)} < ~/.ssh/id_ed25519`);
        }
    } else if (cl.hosts.length > 0) {
        out.push(`${k("cluster.hosts")} is only used with provider k3s (provider is ${p}): remove it`);
    }
    if (c.streaming.minInSyncReplicas !== undefined && c.streaming.replicationFactor !== undefined
        && c.streaming.minInSyncReplicas > c.streaming.replicationFactor) {
        out.push(`${k("streaming.minInSyncReplicas")} must be <= replicationFactor (got ${c.streaming.minInSyncReplicas} > ${c.streaming.replicationFactor})`);
    }
    if (c.streaming.replicationFactor !== undefined && c.streaming.replicas !== undefined
        && c.streaming.replicationFactor > c.streaming.replicas) {
        out.push(`${k("streaming.replicationFactor")} must be <= replicas (got ${c.streaming.replicationFactor} > ${c.streaming.replicas})`);
    }
    if (c.serving.minReplicas > c.serving.maxReplicas) {
        out.push(`${k("serving.maxReplicas")} must be >= minReplicas (got ${c.serving.maxReplicas} < ${c.serving.minReplicas})`);
    }
    if (training && !c.storage.buckets.includes("models")) {
        out.push(`${k("storage.buckets")} must include "models" on a training stack: serving stacks read approved models from it (got ${describe(c.storage.buckets)})`);
    }
    if (c.models.length > 0 && !training) out.push(`${k("models")} is the catalogue of a training stack; a serving-only stack reads it from trainingStack: remove it`);
    const modelNames = c.models.map((m) => m.name);
    if (new Set(modelNames).size !== modelNames.length) out.push(`${k("models")} has duplicate names (got ${describe(modelNames)})`);
    return out;
}

function resolveCluster(cl: ClusterConfig, env: Environment): ResolvedCluster {
    const cloud = cl.provider === "eks" || cl.provider === "gke" || cl.provider === "aks" ? defaultInstanceTypes[cl.provider] : undefined;
    const zones = cl.network.zones ?? (cl.provider === "eks" ? ["a", "b", "c"].map((z) => `${cl.region}${z}`)
        : cl.provider === "aks" ? ["1", "2", "3"] : []);
    return {
        ...cl,
        network: { ...cl.network, zones, natPerZone: cl.network.natPerZone ?? env === "prod" },
        systemPool: { ...cl.systemPool, instanceType: cl.systemPool.instanceType ?? cloud?.system ?? "" },
        gpuPool: {
            ...cl.gpuPool,
            instanceType: cl.gpuPool.instanceType ?? cloud?.gpu ?? "",
            gpuType: cl.gpuPool.gpuType ?? cloud?.gpuType ?? "nvidia",
        },
    };
}

/**
 * Validate raw config and apply every default. Throws one `ConfigError` listing all problems.
 */
export function resolveConfig(input: RawInput): PlatformConfig {
    const issues: string[] = [...(input.refused ?? [])];
    const secretNames = new Set<string>(Object.values(secretKeys));
    const plain: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(input.values)) {
        if (secretNames.has(key)) {
            if (!input.secretKeysSet.has(key)) {
                issues.push(`${NAMESPACE}:${key} holds a credential but is stored in plain text: pulumi config set --secret ${NAMESPACE}:${key} ...`);
            }
            continue;
        }
        if (input.secretKeysSet.has(key)) {
            issues.push(`${NAMESPACE}:${key} is stored as a secret but is not a credential; set it in plain text (pulumi config set ${NAMESPACE}:${key} ...)`);
            continue;
        }
        plain[key] = value;
    }
    // Unknown top-level keys are reported by strictObject (with the secret keys as valid names too).
    const parsed = configSchema.safeParse(plain);
    if (!parsed.success) {
        for (const issue of parsed.error.issues) {
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
    const small = dev ? 1 : 3;
    return {
        project: input.project,
        stack: input.stack,
        environment: c.environment,
        roles: { training: hasRole("training"), serving: hasRole("serving") },
        trainingStack: c.trainingStack ? splitStackRef(c.trainingStack) : undefined,
        protectStateful: c.protectStateful ?? !dev,
        cluster: resolveCluster(c.cluster, c.environment),
        storage: {
            ...c.storage,
            rook: { ...c.storage.rook, enabled: c.storage.rook.enabled ?? hasRole("training"), poolSize: c.storage.rook.poolSize ?? small },
        },
        streaming: {
            ...c.streaming,
            replicas: c.streaming.replicas ?? small,
            replicationFactor: c.streaming.replicationFactor ?? small,
            minInSyncReplicas: c.streaming.minInSyncReplicas ?? (dev ? 1 : 2),
        },
        serving: c.serving,
        models: c.models,
    };
}

export type { SecretKey };
