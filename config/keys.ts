/**
 * From the stack's whole config map (every namespace, as `pulumi config` wrote it) to the
 * `hybridml:*` values the schema validates, refusing every key the program would otherwise drop
 * without a word (SPEC 4): keys in another namespace, provider configuration (every provider is
 * explicit, so the engine never applies it), and structured keys set flat without `--path`.
 * Pure: `loadConfig` feeds it `pulumi.runtime.allConfig()`.
 */
import { NAMESPACE } from "./schema";
import { hasUserinfo, isCredentialKey, STORE_AS_SECRET } from "./redact";

/** Engine settings (`pulumi:disable-default-providers`, ...): read by the engine, not the program. */
const ENGINE_NAMESPACE = "pulumi";

/**
 * Namespaces of the provider packages the program uses. Their config keys are ignored: every
 * provider is created explicitly from `hybridml:*` keys (and the stacks disable default providers),
 * so the engine never hands `aws:region` & co. to any resource. Each names where the setting goes.
 */
const PROVIDER_HINTS: Record<string, string> = {
    aws: "set hybridml:cluster.region; credentials come from the environment (AWS_PROFILE, or OIDC in CI)",
    gcp: "set hybridml:cluster.region and hybridml:cluster.project; credentials come from the environment (gcloud auth application-default login, or OIDC in CI)",
    "azure-native": "set hybridml:cluster.region (the Azure location) and hybridml:cluster.tenantId; credentials come from the environment (az login, or ARM_* / OIDC in CI)",
    kubernetes: "the cluster comes from hybridml:cluster (and the secret hybridml:kubeconfig for onprem)",
    command: "the k3s hosts come from hybridml:cluster.hosts and the secret hybridml:sshPrivateKey",
    random: "nothing to configure",
    tls: "nothing to configure",
};

/** The raw config of a stack, as the CLI hands it to the program. */
export interface AllConfig {
    project: string;
    stack: string;
    /** Organization of the stack, when known ("" otherwise). */
    organization?: string;
    /** Every key `namespace:key` with its raw string value. */
    all: Record<string, string>;
    /** Whether a full key holds a secret. */
    isSecret: (fullKey: string) => boolean;
}

/** The `hybridml:*` values (JSON-decoded, without the namespace), the secret keys, and the refused keys. */
export interface CollectedConfig {
    values: Record<string, unknown>;
    secretKeysSet: Set<string>;
    /** One message per refused key, naming it and the fix. */
    refused: string[];
}

/** Decode a raw Pulumi config string: structured values arrive as JSON text. */
export function decodeConfigValue(raw: string): unknown {
    try {
        return JSON.parse(raw);
    } catch {
        return raw;
    }
}

function shellQuote(s: string): string {
    return /^[A-Za-z0-9_.:/@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** Sort the stack's config into the program's values and the keys it refuses. */
export function collectConfig(input: AllConfig): CollectedConfig {
    const out: CollectedConfig = { values: {}, secretKeysSet: new Set(), refused: [] };
    for (const fullKey of Object.keys(input.all).sort()) {
        const colon = fullKey.indexOf(":");
        const ns = colon < 0 ? "" : fullKey.slice(0, colon);
        const key = colon < 0 ? fullKey : fullKey.slice(colon + 1);
        const secret = input.isSecret(fullKey);
        if (ns === NAMESPACE) {
            if (/[.[]/.test(key)) {
                const raw = input.all[fullKey];
                const credential = isCredentialKey(key) || hasUserinfo(raw);
                if (secret || credential) {
                    // Never echo the value; and structured keys take no secrets, so --path --secret would not help either.
                    out.refused.push(`${fullKey} was set as one flat key, which the program never reads (the value is not shown): `
                        + `pulumi config rm ${shellQuote(fullKey)}; structured keys need --path and take no secrets`
                        + (credential ? `; ${STORE_AS_SECRET}` : `: pulumi config set --path ${shellQuote(fullKey)} <value>, in plain text`));
                    continue;
                }
                out.refused.push(`${fullKey} was set as one flat key, which the program never reads: structured keys need --path. `
                    + `Fix: pulumi config rm ${shellQuote(fullKey)} && pulumi config set --path ${shellQuote(fullKey)} ${shellQuote(raw)}`);
                continue;
            }
            out.values[key] = decodeConfigValue(input.all[fullKey]);
            if (secret) out.secretKeysSet.add(key);
        } else if (ns === ENGINE_NAMESPACE) {
            continue;
        } else if (ns === input.project) {
            // Only reachable if the project is ever renamed away from the namespace.
            out.refused.push(`${fullKey} is in the project's namespace "${ns}", which this program does not read: set ${NAMESPACE}:${key} instead`);
        } else if (ns in PROVIDER_HINTS) {
            out.refused.push(`${fullKey} is provider configuration, which this program never applies (every provider is explicit): ${PROVIDER_HINTS[ns]}; then pulumi config rm ${shellQuote(fullKey)}`);
        } else {
            out.refused.push(`${fullKey} is in namespace "${ns}", which belongs to no provider this program uses: the program reads only ${NAMESPACE}:* keys (did you mean ${NAMESPACE}:${key}?)`);
        }
    }
    return out;
}
