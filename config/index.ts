/**
 * The only reader of `pulumi.Config` (SPEC 3). Everything else receives a `PlatformConfig`.
 */
import * as pulumi from "@pulumi/pulumi";
import { decodeConfigValue, PlatformConfig, resolveConfig } from "./resolve";
import { NAMESPACE, SecretKey, secretKeys } from "./schema";

export * from "./resolve";
export * from "./schema";

/** `isConfigSecret` is exported by @pulumi/pulumi at run time but marked internal in its typings. */
const runtimeInternals = pulumi.runtime as unknown as { isConfigSecret(fullKey: string): boolean };

/** Secret config values, as secret Outputs. Absent keys are undefined. */
export type PlatformSecrets = { [K in SecretKey]?: pulumi.Output<string> };

/** The validated configuration of the current stack plus its secrets. */
export interface LoadedConfig {
    config: PlatformConfig;
    secrets: PlatformSecrets;
}

/**
 * Read, validate and default the current stack's `hybridml:*` configuration.
 * Throws `ConfigError` (naming every bad key) before the program registers anything.
 */
export function loadConfig(): LoadedConfig {
    const all = pulumi.runtime.allConfig();
    const values: Record<string, unknown> = {};
    const secretKeysSet = new Set<string>();
    for (const [fullKey, raw] of Object.entries(all)) {
        const [ns, key] = fullKey.split(":", 2);
        if (ns !== NAMESPACE || key === undefined) continue;
        values[key] = decodeConfigValue(raw);
        if (runtimeInternals.isConfigSecret(fullKey)) secretKeysSet.add(key);
    }
    const config = resolveConfig({ project: pulumi.getProject(), stack: pulumi.getStack(), values, secretKeysSet });
    const cfg = new pulumi.Config(NAMESPACE);
    const secrets: PlatformSecrets = {};
    for (const key of Object.keys(secretKeys) as SecretKey[]) {
        const value = cfg.getSecret(secretKeys[key]);
        if (value !== undefined) secrets[key] = value;
    }
    return { config, secrets };
}
