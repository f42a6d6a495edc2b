/**
 * The pack's configuration, the CrossGuard way: a policy config file maps each policy name to an
 * enforcement level, or to `{ enforcementLevel, environment }` (`pulumi preview --policy-pack policy
 * --policy-pack-config policy/config/<environment>.json`). The pack's own defaults are the prod
 * levels; the shipped files policy/config/{dev,edge,prod}.json set each environment's levels and
 * tell the checks which environment they run in. The offline plan reads the same files.
 */
import * as fs from "fs";
import * as path from "path";
import { ENVIRONMENTS, Environment, Level, PolicyDef } from "./view";

/** One policy's entry in a config file. */
export type PolicyConfigEntry = Level | { enforcementLevel?: Level; environment?: Environment; [key: string]: unknown };
/** A policy config file (`--policy-pack-config`): policy name -> entry. */
export type PackConfig = Record<string, PolicyConfigEntry>;

/** The directory of the shipped config files. */
export const CONFIG_DIR = path.join(__dirname, "..", "config");

/** The config schema every policy declares (its `environment`). */
export const ENVIRONMENT_SCHEMA = {
    properties: {
        environment: {
            type: "string" as const,
            enum: [...ENVIRONMENTS],
            description: "Environment of the stack (dev | edge | prod). Unset: inferred from the stack name (dev*, edge*, else prod).",
        },
    },
};

/**
 * The config file content for an environment, from the policies' levels; policies that read the
 * stack's roles also get `roles` (stack name -> roles, the stack files' `hybridml:roles`), so a
 * first preview, whose `roles` output is still unknown, is judged with the roles it will have.
 */
export function packConfigFor(env: Environment, policies: readonly PolicyDef[], roles: Record<string, string[]> = {}): PackConfig {
    return Object.fromEntries(policies.map((p) => [p.name, {
        enforcementLevel: p.levels[env], environment: env, ...(p.kind === "stack" && p.needsRoles ? { roles } : {}),
    }]));
}

/** Read `policy/config/<env>.json` (or `file`); an absent file is an empty config. */
export function loadPackConfig(env: Environment, file = path.join(CONFIG_DIR, `${env}.json`)): PackConfig {
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) as PackConfig : {};
}

/** The enforcement of a policy under a config (CrossGuard's rule: the entry, else the policy's default). */
export function levelOf(policy: PolicyDef, config: PackConfig, env: Environment): Level {
    const entry = config[policy.name] ?? config.all;
    if (typeof entry === "string") return entry;
    return entry?.enforcementLevel ?? policy.levels[env];
}

/** The environment a config entry names, if any. */
export function environmentOf(policy: PolicyDef, config: PackConfig): Environment | undefined {
    const entry = config[policy.name];
    return typeof entry === "object" && entry.environment && ENVIRONMENTS.includes(entry.environment) ? entry.environment : undefined;
}
