/**
 * Kubeconfigs and credentials only as secrets: never in plain state, config maps or env values.
 * Split by what each runner can see: secret-ness only in the offline plan, plain config in both.
 */
import { MANDATORY_EVERYWHERE } from "../lib/levels";
import { get, known, notApplicable, ResourcePolicyDef, ResourceView } from "../lib/view";
import { podsOf } from "../lib/workloads";

/** Names that hold credentials (env vars, config-map keys, Helm values keys). */
export const CREDENTIAL_NAME = /(password|passwd|secret[_-]?(access[_-]?)?key|access[_-]?key([_-]?id)?|api[_-]?key|token|private[_-]?key|kubeconfig|credentials?)$/i;

const HELM_TYPES = ["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"];

/** Paths (arrays) of known string values under `root` whose key looks like a credential. */
function credentialLeaves(v: unknown, at: string[]): string[][] {
    if (Array.isArray(v)) return v.flatMap((x, i) => credentialLeaves(x, [...at, String(i)]));
    if (!v || typeof v !== "object") return [];
    return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) =>
        typeof x === "string" && x !== "" && known(x) && CREDENTIAL_NAME.test(k) ? [[...at, k]] : credentialLeaves(x, [...at, k]));
}

/** True when the value at `path` is known, and the runtime says it is not a secret. */
const plain = (r: ResourceView, path: string[]) => known(get(r.props, path)) && r.secret(path) === false;

/** Types whose credential fields must be Pulumi secrets (what only the offline plan can see). */
const SECRET_HOLDERS = ["pulumi:providers:kubernetes", "command:remote:Command", "pulumi:providers:command", "kubernetes:core/v1:Secret", ...HELM_TYPES];

export const credentialsAsSecrets: ResourcePolicyDef = {
    kind: "resource",
    name: "credentials-as-secrets",
    description: "Kubeconfigs, SSH keys, Secret data and credential Helm values are Pulumi secrets (encrypted in state). "
        + "Checked by the offline plan: CrossGuard hands policies secrets unwrapped, so under `pulumi preview` it is not applicable.",
    remediation: "Wrap the value in pulumi.secret() (or read it with config.requireSecret) before it reaches the resource.",
    levels: MANDATORY_EVERYWHERE,
    severity: "critical",
    check(r) {
        if (!SECRET_HOLDERS.includes(r.type)) return [];
        if (!r.secretsVisible) notApplicable("CrossGuard hands policies secret values unwrapped: whether these inputs are secrets is checked by the offline plan (npm run plan), which CI runs on every pull request");
        const out: string[] = [];
        const p = r.props;
        if (r.type === "pulumi:providers:kubernetes" && plain(r, ["kubeconfig"])) out.push("provider kubeconfig is not a secret");
        if (r.type === "command:remote:Command" || r.type === "pulumi:providers:command") {
            for (const f of ["privateKey", "password", "privateKeyPassword"]) if (plain(r, ["connection", f])) out.push(`connection.${f} is not a secret`);
        }
        if (r.type === "kubernetes:core/v1:Secret") {
            for (const field of ["data", "stringData"]) {
                const m = p[field];
                if (!m || typeof m !== "object") continue;
                for (const k of Object.keys(m)) if (plain(r, [field, k])) out.push(`${field}["${k}"] is not a secret (pass it as pulumi.secret)`);
            }
        }
        if (HELM_TYPES.includes(r.type)) {
            for (const path of credentialLeaves(p.values, ["values"])) {
                if (r.secret(path) === false) out.push(`${path.join(".")} is a credential in plain Helm values: pass it as a secret`);
            }
        }
        return out;
    },
};

export const credentialsNotInPlainConfig: ResourcePolicyDef = {
    kind: "resource",
    name: "credentials-not-in-plain-config",
    description: "No credential in a ConfigMap key or a literal container env value (both runners see these: CrossGuard and the offline plan).",
    remediation: "Keep credentials in a Secret and reference them with env valueFrom.secretKeyRef; never a ConfigMap key or an env `value`.",
    levels: MANDATORY_EVERYWHERE,
    severity: "high",
    url: "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
    check(r) {
        const out: string[] = [];
        const p = r.props;
        if (r.type === "kubernetes:core/v1:ConfigMap") {
            for (const k of Object.keys((p.data ?? {}) as object)) if (CREDENTIAL_NAME.test(k)) out.push(`ConfigMap key "${k}" holds a credential: use a Secret`);
        }
        for (const pod of podsOf(r.type, p)) {
            for (const c of pod.containers) {
                for (const e of Array.isArray(c.container.env) ? c.container.env : []) {
                    if (e && typeof e.name === "string" && CREDENTIAL_NAME.test(e.name) && typeof e.value === "string" && e.value !== "") {
                        out.push(`${c.where}: env ${e.name} has a literal value: use valueFrom.secretKeyRef`);
                    }
                }
            }
        }
        return out;
    },
};
