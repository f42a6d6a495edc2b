/**
 * What a killed `pulumi up` leaves behind: pending creates in the state, whose objects may exist on the
 * cluster without the state knowing them. Clearing them (`refresh --clear-pending-creates`) orphans
 * those objects and the next `up` fails on them ("cannot re-use a name that is still in use" for a Helm
 * release, "already exists" for a Kubernetes object). For the Kubernetes provider the ID of what a
 * pending create made follows from its inputs, so the state can adopt it with that ID; a refresh then
 * reads what exists and drops what never reached the API server. (`pulumi refresh
 * --import-pending-creates URN ID` marks the operation "importing", but the 3.248 engine keeps only
 * pending creates when it writes the next snapshot, so the mark is lost with the operation.) Pure
 * functions over the exported deployment, and one repair of the file backend.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** A pending operation in an exported deployment (`pending_operations`). */
export interface PendingOperation {
    resource: { urn: string; type: string; id?: string; inputs?: Record<string, unknown>; [k: string]: unknown };
    type: string;
    [k: string]: unknown;
}

export interface PendingPlan {
    /** Pending creates to import, with the ID their provider gives the object. */
    imports: { urn: string; id: string }[];
    /** Pending creates with nothing outside the state (random, tls): safe to clear and create again. */
    local: string[];
    /** Pending creates whose ID cannot be derived (cloud resources): the operator must find them. */
    unknown: string[];
}

/** Providers whose resources live only in the state. */
const LOCAL_PROVIDERS = new Set(["random", "tls"]);

/** Built-in kinds without a namespace (custom kinds without one are the `Cluster*` ones by convention). */
const CLUSTER_SCOPED = new Set([
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "StorageClass",
    "CSIDriver", "PriorityClass", "IngressClass", "RuntimeClass", "APIService", "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "VolumeSnapshotClass",
]);

/** The ID the Kubernetes provider gives the object a create with these inputs makes, if it can tell. */
export function kubernetesId(type: string, inputs: Record<string, unknown> = {}): string | undefined {
    if (type === "kubernetes:helm.sh/v3:Release") {
        const name = inputs.name;
        return typeof name === "string" && name ? `${typeof inputs.namespace === "string" && inputs.namespace ? inputs.namespace : "default"}/${name}` : undefined;
    }
    if (!type.startsWith("kubernetes:") || type.startsWith("kubernetes:yaml") || type.startsWith("kubernetes:helm.sh/v4")) return undefined;
    const md = inputs.metadata as { name?: unknown; namespace?: unknown } | undefined;
    if (typeof md?.name !== "string" || !md.name) return undefined;
    if (typeof md.namespace === "string" && md.namespace) return `${md.namespace}/${md.name}`;
    const kind = type.split(":").pop() ?? "";
    // A namespaced object without a namespace went to the provider's default namespace.
    return CLUSTER_SCOPED.has(kind) || kind.startsWith("Cluster") ? md.name : `default/${md.name}`;
}

/** Sort a deployment's pending creates into imports, local ones and unknown ones. */
export function planPendingCreates(pending: PendingOperation[] = []): PendingPlan {
    const plan: PendingPlan = { imports: [], local: [], unknown: [] };
    for (const op of pending) {
        if (op.type !== "creating") continue;
        const { urn, type } = op.resource;
        const id = kubernetesId(type, op.resource.inputs);
        if (id) plan.imports.push({ urn, id });
        else if (LOCAL_PROVIDERS.has(type.split(":")[0])) plan.local.push(urn);
        else plan.unknown.push(urn);
    }
    return plan;
}

/**
 * The plan with IDs the operator found (`recover --import URN ID`) for pending creates it could not
 * identify: they become imports too. An ID for a URN that is no pending create is an error (a typo
 * would otherwise be ignored).
 */
export function withOperatorImports(plan: PendingPlan, imports: PendingPlan["imports"]): PendingPlan {
    const pendingUrns = new Set([...plan.imports.map((i) => i.urn), ...plan.local, ...plan.unknown]);
    const stray = imports.filter((i) => !pendingUrns.has(i.urn));
    if (stray.length > 0) throw new Error(`--import names no pending create: ${stray.map((i) => i.urn).join(", ")}`);
    const given = new Map(imports.map((i) => [i.urn, i.id]));
    return {
        imports: [...plan.imports.filter((i) => !given.has(i.urn)), ...imports],
        local: plan.local.filter((u) => !given.has(u)),
        unknown: plan.unknown.filter((u) => !given.has(u)),
    };
}

/** A deployment as `pulumi stack export` gives it (the parts recovery touches). */
export interface DeploymentState {
    resources?: { urn: string; [k: string]: unknown }[];
    pending_operations?: PendingOperation[];
    [k: string]: unknown;
}

/**
 * The deployment with the planned imports adopted: each becomes a resource with its ID (after every
 * resource already there: nothing in the state can depend on a create that never finished) and leaves
 * the pending operations. Refresh fills in its outputs from the live object.
 */
export function adoptPendingCreates(d: DeploymentState, imports: PendingPlan["imports"]): DeploymentState {
    const ids = new Map(imports.map((i) => [i.urn, i.id]));
    const pending = d.pending_operations ?? [];
    const adopted = pending.filter((op) => op.type === "creating" && ids.has(op.resource.urn))
        .map((op) => ({ ...op.resource, id: ids.get(op.resource.urn)!, outputs: op.resource.outputs ?? {} }));
    return {
        ...d,
        resources: [...(d.resources ?? []), ...adopted],
        pending_operations: pending.filter((op) => !(op.type === "creating" && ids.has(op.resource.urn))),
    };
}

/**
 * A file (diy) backend after a kill: its blob library writes each checkpoint to a temporary file and
 * renames it (atomic), but writes the `.attrs` sidecar in place, so a kill at the wrong moment leaves
 * an empty or cut `.attrs` and every later command fails with "failed to load checkpoint: EOF" (seen in
 * the e2e). A sidecar that is not JSON is removed (the blob is read without attributes, as before they
 * existed), and so are the leftover temporary files. Returns what it removed. Other backends: nothing.
 */
export function repairFileBackend(backendUrl: string | undefined, project: string, stack: string): string[] {
    if (!backendUrl?.startsWith("file://")) return [];
    const dir = path.join(backendUrl.slice("file://".length), ".pulumi", "stacks", project);
    if (!fs.existsSync(dir)) return [];
    const removed: string[] = [];
    for (const f of fs.readdirSync(dir)) {
        if (!f.startsWith(`${stack}.json`)) continue;
        const file = path.join(dir, f);
        let broken = /\.tmp$/.test(f);
        if (f.endsWith(".attrs")) {
            try {
                JSON.parse(fs.readFileSync(file, "utf8"));
            } catch {
                broken = true;
            }
        }
        if (broken) {
            fs.rmSync(file);
            removed.push(f);
        }
    }
    return removed;
}
