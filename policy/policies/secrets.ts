/**
 * Kubeconfigs and credentials only as secrets: never in plain state, config maps or env values.
 */
import { MANDATORY_EVERYWHERE } from "../lib/levels";
import { get, known, ResourcePolicyDef, ResourceView } from "../lib/view";
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

export const credentialsAsSecrets: ResourcePolicyDef = {
    kind: "resource",
    name: "credentials-as-secrets",
    description: "Kubeconfigs, keys, passwords and tokens are Pulumi secrets: never plain text in state, config maps or container env values.",
    remediation: "Wrap the value in pulumi.secret() (or read it with config.requireSecret); in pods use env valueFrom.secretKeyRef; keep credentials out of ConfigMaps.",
    levels: MANDATORY_EVERYWHERE,
    check(r) {
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
        if (HELM_TYPES.includes(r.type)) {
            for (const path of credentialLeaves(p.values, ["values"])) {
                if (r.secret(path) === false) out.push(`${path.join(".")} is a credential in plain Helm values: pass it as a secret`);
            }
        }
        return out;
    },
};
