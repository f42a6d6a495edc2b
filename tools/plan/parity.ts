/**
 * Serving parity (issue 10, SPEC 5 "Serving"): the serving resources of every serving stack must be
 * identical except for what the platform forces. A pure function over planned resources, used by a
 * test and printed in the plan summary.
 *
 * Removed before comparing, and nothing else:
 *  - storage: the InferenceService storage URI's scheme and store (`s3://bucket`, `gs://bucket`,
 *    `https://account.blob.core.windows.net/container`, `pvc://claim`; the `/<model>/<version>` tail
 *    stays), the sync's destination settings (`RCLONE_CONFIG_LOCAL_*`, `DEST_ROOT`, the `models`
 *    volume), the training store's address as the cluster reaches it (`RCLONE_CONFIG_TRAINING_ENDPOINT`:
 *    RGW's Service name where the stack also trains, its external name elsewhere) and the peers of the
 *    egress to it (`allow-sync-training-store`: RGW's pods, or an address range), the local-store volume claim, KServe's S3 region value, and the egress policies to the
 *    cloud bucket and its identity endpoint (`allow-*-model-store`);
 *  - identity: service-account annotations, `serviceAccountName` bindings, and the platform's
 *    identity pod labels (those it adds to predictors, e.g. AKS's `azure.workload.identity/use`),
 *    wherever they appear;
 *  - GPU scheduling: the predictors' `nodeSelector` and `tolerations` (the platform's GPU labels);
 *  - sizing that the stack's config sets (`serving.minReplicas`/`maxReplicas`, replicas by
 *    environment): replica fields and the PodDisruptionBudgets that follow from them.
 * Values unknown in a preview (`[unknown]`) match anything. Resources that carry what the training
 * stack publishes (InferenceServices, the sync Job and CronJob, the egress to the training store, the
 * feedback sink whose output follows the training stack's streaming engine) are compared in full between
 * stacks serving the same training stack, and across training stacks with the published fields masked
 * (`catalogueMask`: the models both serve, every other field); all others across every serving stack.
 */
import type { PlanResource } from "./types";

/** One serving stack's plan, as parity reads it. */
export interface ParityStack {
    stack: string;
    resources: PlanResource[];
}

/** One difference: `stack`'s `resource` differs from `reference`'s at `field`. */
export interface ParityDifference {
    stack: string;
    reference: string;
    /** `<type> <name without the stack prefix>`. */
    resource: string;
    /** Dotted path in the inputs; `(resource)` when the resource exists on one side only. */
    field: string;
    expected: unknown;
    actual: unknown;
}

export interface ParityResult {
    /** The serving stacks compared. */
    stacks: string[];
    differences: ParityDifference[];
}

const UNKNOWN = "[unknown]";
const SERVING = "hybridml:serving:";
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The training stack a serving stack reads (its StackReference), or itself when it trains. */
export function servingSource(p: ParityStack): string {
    const ref = p.resources.find((r) => r.type === "pulumi:pulumi:StackReference");
    const name = ref && typeof ref.inputs.name === "string" ? ref.inputs.name : undefined;
    return name ? name.split("/").pop() ?? name : p.stack;
}

/** Resources inside a `hybridml:serving:*` component (the components themselves excluded). */
export function servingResources(resources: PlanResource[]): PlanResource[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const inServing = (r: PlanResource): boolean => {
        for (let p = r.parent ? byUrn.get(r.parent) : undefined; p; p = p.parent ? byUrn.get(p.parent) : undefined) {
            if (p.type.startsWith(SERVING)) return true;
        }
        return false;
    };
    return resources.filter((r) => !r.type.startsWith("hybridml:") && inServing(r));
}

const parentType = (r: PlanResource, all: Map<string, PlanResource>) => (r.parent ? all.get(r.parent)?.type : undefined);

/** True for resources that carry the training contract: compared only between stacks of one training stack. */
function carriesCatalogue(r: PlanResource, all: Map<string, PlanResource>): boolean {
    const parent = parentType(r, all);
    return parent === `${SERVING}InferenceService`
        || (parent === `${SERVING}ModelSync` && (r.type === "kubernetes:batch/v1:Job" || r.type === "kubernetes:batch/v1:CronJob"))
        // The training store's endpoint and the streaming engine (the sink's output) follow the training stack.
        || (r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && /-allow-(sync-training-store|sink)$/.test(r.name))
        || parent === `${SERVING}FeedbackSink`;
}

/** Resources dropped as a whole: platform-forced (local store volume, cloud-store egress) or sizing (PDBs). */
function dropped(r: PlanResource, all: Map<string, PlanResource>): boolean {
    const parent = parentType(r, all);
    if (r.type === "kubernetes:core/v1:PersistentVolumeClaim" && parent === `${SERVING}ModelSync`) return true;
    if (r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && /-model-store$/.test(r.name)) return true;
    if (r.type === "kubernetes:policy/v1:PodDisruptionBudget") return true;
    return false;
}

/** Identity pod labels a platform adds: the keys of InferenceService predictor labels. */
function identityLabelKeys(stacks: ParityStack[]): Set<string> {
    const keys = new Set<string>();
    for (const s of stacks) {
        for (const r of s.resources) {
            const labels = (r.inputs as any)?.spec?.predictor?.labels;
            if (isObject(labels)) Object.keys(labels).forEach((k) => keys.add(k));
        }
    }
    return keys;
}

const SIZING_KEYS = new Set(["replicas", "replicaCount", "minReplicas", "maxReplicas"]);
// The destination settings, and the training store's address as this cluster reaches it (its RGW
// Service name on a stack that also trains, the external name from any other cluster).
const STORAGE_ENV = /^(RCLONE_CONFIG_LOCAL_|DEST_ROOT$|RCLONE_CONFIG_TRAINING_ENDPOINT$)/;

/** The inputs of one serving resource with the platform-forced fields (and config sizing) removed. */
export function normalise(r: PlanResource, identityLabels: ReadonlySet<string>): unknown {
    const inputs = clone(r.inputs);
    const walk = (v: unknown, key: string | undefined): unknown => {
        if (Array.isArray(v)) {
            let items = v;
            if (key === "env") items = v.filter((e) => !(isObject(e) && typeof e.name === "string" && STORAGE_ENV.test(e.name)));
            if (key === "volumes" || key === "volumeMounts") items = v.filter((e) => !(isObject(e) && e.name === "models"));
            return items.map((x) => walk(x, undefined));
        }
        if (!isObject(v)) return v;
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) {
            if (k === "serviceAccountName" || SIZING_KEYS.has(k)) continue;
            if (k === "annotations" && r.type === "kubernetes:core/v1:ServiceAccount") continue;
            if (k === "labels" && isObject(x)) {
                const kept = Object.fromEntries(Object.entries(x).filter(([l]) => !identityLabels.has(l)));
                if (Object.keys(kept).length > 0) out[k] = walk(kept, k);
                continue;
            }
            if (k === "podDisruptionBudget") continue;
            out[k] = walk(x, k);
        }
        return out;
    };
    const n = walk(inputs, undefined) as Record<string, any>;
    // The egress to the training store names it as this cluster reaches it: RGW's pods where the stack
    // also trains, the external address range from any other cluster (the ports stay compared).
    if (r.type === "kubernetes:networking.k8s.io/v1:NetworkPolicy" && /allow-sync-training-store$/.test(r.name) && Array.isArray(n?.spec?.egress)) {
        for (const rule of n.spec.egress) if (isObject(rule)) delete rule.to;
    }
    const predictor = n?.spec?.predictor;
    if (r.type.endsWith(":InferenceService") && isObject(predictor)) {
        delete predictor.nodeSelector;
        delete predictor.tolerations;
        const model = predictor.model as Record<string, unknown> | undefined;
        if (model && typeof model.storageUri === "string" && model.storageUri !== UNKNOWN) {
            model.storageUri = `<local store>/${model.storageUri.split("/").slice(-2).join("/")}`;
        }
    }
    return n;
}

/** Env of the sync that names the training store (its endpoint, region, bucket). */
const TRAINING_ENV = /^(RCLONE_CONFIG_TRAINING_|SOURCE_BUCKET$)/;

/**
 * A catalogue resource without what the training stack decides: the model's version, format, runtime
 * and GPUs, the sync Job's catalogue hash and script, the training store and stream it reaches, the
 * sink's engine configuration. What is left is the serving stack's own (probes, autoscaling target,
 * logger, security context, resources other than GPUs, schedules, ...).
 */
export function catalogueMask(key: string, value: unknown): unknown {
    const v = clone(value) as Record<string, any>;
    const sink = /^kubernetes:apps\/v1:Deployment .*feedback-sink/.test(key);
    const walk = (x: unknown, k?: string): unknown => {
        if (Array.isArray(x)) {
            const items = k === "env" ? x.filter((e) => !(isObject(e) && typeof e.name === "string" && TRAINING_ENV.test(e.name))) : x;
            return items.map((i) => walk(i));
        }
        if (!isObject(x)) return x;
        const out: Record<string, unknown> = {};
        for (const [kk, xx] of Object.entries(x)) {
            if (["command", "args", "nvidia.com/gpu", "hybridml.io/model-version", "modelFormat", "runtime", "storageUri", "hybridml.io/config-hash"].includes(kk)) continue;
            // The sink's stream credentials follow the engine (Kafka client certificate or Pulsar token).
            if (sink && (kk === "env" || (kk === "items" && k === "secret"))) continue;
            out[kk] = walk(xx, kk);
        }
        return out;
    };
    const n = walk(v) as Record<string, any>;
    if (key.startsWith("kubernetes:batch/v1:Job ") && isObject(n.metadata)) delete n.metadata.name;
    if (key.startsWith("kubernetes:networking.k8s.io/v1:NetworkPolicy ") && isObject(n.spec)) delete n.spec.egress;
    if (key.startsWith("kubernetes:core/v1:ConfigMap ") || key.startsWith("kubernetes:core/v1:Secret ")) {
        delete n.data;
        delete n.stringData;
    }
    return n;
}

function diff(a: unknown, b: unknown, at: string, out: Array<{ field: string; expected: unknown; actual: unknown }>): void {
    if (a === UNKNOWN || b === UNKNOWN) return;
    if (Array.isArray(a) && Array.isArray(b)) {
        for (let i = 0; i < Math.max(a.length, b.length); i++) diff(a[i], b[i], `${at}[${i}]`, out);
        return;
    }
    if (isObject(a) && isObject(b)) {
        for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) diff(a[k], b[k], at ? `${at}.${k}` : k, out);
        return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ field: at || "(inputs)", expected: a, actual: b });
}

/** Compare the serving resources of `stacks` (the serving stacks' plans). */
export function servingParity(stacks: ParityStack[]): ParityResult {
    const sorted = [...stacks].sort((x, y) => x.stack.localeCompare(y.stack));
    const identityLabels = identityLabelKeys(sorted);
    type Entry = { key: string; catalogue: boolean; value: unknown };
    const entries = new Map<string, Map<string, Entry>>();
    for (const s of sorted) {
        const all = new Map(s.resources.map((r) => [r.urn, r]));
        const m = new Map<string, Entry>();
        for (const r of servingResources(s.resources)) {
            if (dropped(r, all)) continue;
            const key = `${r.type} ${r.name.startsWith(`${s.stack}-`) ? r.name.slice(s.stack.length + 1) : r.name}`;
            m.set(key, { key, catalogue: carriesCatalogue(r, all), value: normalise(r, identityLabels) });
        }
        entries.set(s.stack, m);
    }
    const differences: ParityDifference[] = [];
    const compare = (ref: string, other: string, catalogue: boolean) => {
        const a = entries.get(ref)!;
        const b = entries.get(other)!;
        for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
            const x = a.get(key);
            const y = b.get(key);
            if ((x ?? y)!.catalogue !== catalogue) continue;
            if (!x || !y) {
                differences.push({ stack: other, reference: ref, resource: key, field: "(resource)", expected: x ? "present" : "absent", actual: y ? "present" : "absent" });
                continue;
            }
            const found: Array<{ field: string; expected: unknown; actual: unknown }> = [];
            diff(x.value, y.value, "", found);
            differences.push(...found.map((f) => ({ stack: other, reference: ref, resource: key, ...f })));
        }
    };
    /**
     * Across training stacks: the catalogue resources both stacks have (same model, same sync Job role,
     * same policy) are compared too, with what the training stack publishes masked (`catalogueMask`),
     * so that a serving-side difference between, say, dev and edge cannot hide behind the catalogue.
     */
    const compareAcross = (ref: string, other: string) => {
        const a = entries.get(ref)!;
        const b = entries.get(other)!;
        for (const key of [...a.keys()].sort()) {
            const x = a.get(key)!;
            const y = b.get(key);
            if (!x.catalogue || !y) continue;
            const found: Array<{ field: string; expected: unknown; actual: unknown }> = [];
            diff(catalogueMask(key, x.value), catalogueMask(key, y.value), "", found);
            differences.push(...found.map((f) => ({ stack: other, reference: ref, resource: key, ...f })));
        }
    };
    if (sorted.length > 0) {
        const reference = sorted[0].stack;
        for (const s of sorted.slice(1)) compare(reference, s.stack, false);
        const groups = new Map<string, string[]>();
        for (const s of sorted) groups.set(servingSource(s), [...(groups.get(servingSource(s)) ?? []), s.stack]);
        for (const members of groups.values()) for (const s of members.slice(1)) compare(members[0], s, true);
        const leaders = [...groups.values()].map((m) => m[0]);
        for (const l of leaders.slice(1)) compareAcross(leaders[0], l);
    }
    return { stacks: sorted.map((s) => s.stack), differences };
}

/** One line for the plan summary, or the differences one per line. */
export function formatParity(r: ParityResult): string {
    if (r.differences.length === 0) return `serving parity: OK across ${r.stacks.length} stacks (${r.stacks.join(", ")})`;
    const fmt = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
    return [`serving parity: ${r.differences.length} difference(s) across ${r.stacks.length} stacks`,
        ...r.differences.map((d) => `  ${d.stack}: ${d.resource}: ${d.field}: ${fmt(d.actual)} (${d.reference}: ${fmt(d.expected)})`)].join("\n");
}
