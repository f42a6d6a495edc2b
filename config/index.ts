/**
 * The only reader of `pulumi.Config` (SPEC 3). Everything else receives a `PlatformConfig`.
 */
import * as pulumi from "@pulumi/pulumi";
import { collectConfig } from "./keys";
import { PlatformConfig, resolveConfig } from "./resolve";
import { NAMESPACE, SecretKey, secretKeys } from "./schema";

export * from "./keys";
export * from "./resolve";
export * from "./schema";

/** `isConfigSecret` is exported by @pulumi/pulumi at run time but marked internal in its typings. */
const runtimeInternals = pulumi.runtime as unknown as { isConfigSecret(fullKey: string): boolean };

/** The stack's organization, or "" where the runtime does not know it (the offline plan). */
function organizationOrEmpty(): string {
    try {
        return pulumi.getOrganization();
    } catch {
        return "";
    }
}

/** Secret config values, as secret Outputs. Absent keys are undefined. */
export type PlatformSecrets = { [K in SecretKey]?: pulumi.Output<string> };

/** The validated configuration of the current stack plus its secrets. */
export interface LoadedConfig {
    config: PlatformConfig;
    secrets: PlatformSecrets;
}

/**
 * Read, validate and default the current stack's `hybridml:*` configuration, refusing every other
 * key the program would silently drop (see `collectConfig`).
 * Throws `ConfigError` (naming every bad key) before the program registers anything.
 */
export function loadConfig(): LoadedConfig {
    const project = pulumi.getProject();
    const stack = pulumi.getStack();
    const organization = organizationOrEmpty();
    const { values, secretKeysSet, refused } = collectConfig({
        project, stack, organization, all: pulumi.runtime.allConfig(), isSecret: (k) => runtimeInternals.isConfigSecret(k),
    });
    const config = resolveConfig({ project, stack, organization, values, secretKeysSet, refused, today: new Date() });
    for (const note of config.notes) pulumi.log.warn(note);
    const cfg = new pulumi.Config(NAMESPACE);
    const secrets: PlatformSecrets = {};
    for (const key of Object.keys(secretKeys) as SecretKey[]) {
        const value = cfg.getSecret(secretKeys[key]);
        if (value !== undefined) secrets[key] = value;
    }
    return { config, secrets };
}
