/**
 * Never echo a credential (issue 17): every message that shows a value a user typed goes through
 * these functions, so a URL with a user and password (`https://user:pass@host`) or the value of a
 * key whose name says credential (`password`, `token`, `secretAccessKey`, ...) is masked in errors,
 * warnings, the "Fix:" commands, the plan summary and the report. Pure.
 */

/** The mask shown instead of a credential. */
export const MASK = "***";

/** Key names that say their value is a credential (whole words in camelCase, snake_case or kebab-case). */
const CREDENTIAL_NAME = /(passw(or)?d|passphrase|secret|token|credential|private[-_]?key|api[-_]?key|access[-_]?key|auth[-_]?key|bearer|^pwd$|^auth$)/i;
/** Names that match the pattern above but hold no credential value (a Secret's name, a counter). */
const NOT_CREDENTIALS = new Set(["tlsSecret", "credentialRotation"]);

/** True when a config key (its last segment, e.g. `password` of `cluster.admin.password`) names a credential. */
export function isCredentialKey(key: string): boolean {
    const last = key.replace(/\[\d+\]/g, "").split(/[.:]/).pop() ?? key;
    return !NOT_CREDENTIALS.has(last) && CREDENTIAL_NAME.test(last);
}

/** `scheme://user:pass@host` and `user:pass@host` keep their host, lose the user information. */
export function maskUserinfo(s: string): string {
    return s
        .replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/@"']+@/g, `$1${MASK}@`)
        .replace(/(^|[\s"'(=,])[^\s/@"':(=,]+:[^\s/@"']+@(?=[A-Za-z0-9[])/g, `$1${MASK}@`);
}

/** True when `s` carries user information (`user:pass@`). */
export function hasUserinfo(s: string): boolean {
    return maskUserinfo(s) !== s;
}

/**
 * A copy of a config value safe to print: strings under credential-named keys become `***`, user
 * information in every string is masked. `key` is the name the value is stored under.
 */
export function redactValue(value: unknown, key = ""): unknown {
    if (typeof value === "string") return key && isCredentialKey(key) ? MASK : maskUserinfo(value);
    if (Array.isArray(value)) return value.map((v) => redactValue(v, key));
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, k)]));
    }
    return value;
}

/**
 * A last pass over a finished message: user information in URLs, and JSON members named like a
 * credential (`"password":"..."`), are masked. Messages already built from `redactValue` pass unchanged.
 */
export function redactText(text: string): string {
    return maskUserinfo(text).replace(/"([^"\\]*)"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g, (m, k: string, sep: string) => (isCredentialKey(k) ? `"${k}"${sep}"${MASK}"` : m));
}

/** What to tell a user who put a credential into plain config. */
export const STORE_AS_SECRET = "credentials are never plain config: store them with pulumi config set --secret "
    + "(the program reads kubeconfig, sshPrivateKey and k3sToken), or in the cloud's secret store";
