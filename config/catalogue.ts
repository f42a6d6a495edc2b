/**
 * The model catalogue rules (issue 17), checked where the catalogue is written (the training
 * stack's `hybridml:models`) and again where it is read (a serving stack, from the contract), and
 * whether this stack's GPU nodes can run each model. Pure: no Pulumi imports.
 */
import { KSERVE_RUNTIMES, KserveRuntime, RUNTIME_FORMATS } from "../lib/kserveRuntimes";
import { versions } from "../lib/versions";
import { BALANCED_MIG_PROFILE, GPU_MODELS } from "../lib/gpuModels";

/** What the rules read of one catalogue entry. */
export interface CatalogueEntry { name: string; version: string; format: string; runtime: string; artifactPath: string; gpu: number }

/**
 * Problems of the catalogue, each naming the entry. `where(i, field)` names the key of an entry's
 * field (`hybridml:models[0].runtime` in the training stack; the contract entry on a serving stack);
 * `buckets` are the training object store's buckets other than `models` (an artefact path must not
 * point into them).
 */
export function catalogueIssues(models: readonly CatalogueEntry[], where: (i: number, field: string) => string, buckets: readonly string[] = ["datasets"]): string[] {
    const out: string[] = [];
    const known = Object.keys(KSERVE_RUNTIMES);
    models.forEach((m, i) => {
        if (!/^[a-z]([-a-z0-9]{0,43}[a-z0-9])?$/.test(m.name)) {
            out.push(`${where(i, "name")} must be a DNS-1123 label of at most 45 characters: it names the InferenceService and its <name>-predictor objects (got ${JSON.stringify(m.name)})`);
        }
        if (m.version === "." || m.version === ".." || !/^[A-Za-z0-9._-]{1,64}$/.test(m.version)) {
            out.push(`${where(i, "version")} must be 1-64 of A-Z a-z 0-9 . _ - and not "." or ".." (it is a path segment of the model copy) (got ${JSON.stringify(m.version)})`);
        }
        if (!known.includes(m.runtime)) {
            out.push(`${where(i, "runtime")} is not a serving runtime of KServe ${versions.charts.kserve} (got ${JSON.stringify(m.runtime)}): use one of ${known.join(", ")}`);
        } else if (!RUNTIME_FORMATS[m.runtime as KserveRuntime].includes(m.format)) {
            const serving = known.filter((r) => RUNTIME_FORMATS[r as KserveRuntime].includes(m.format));
            out.push(`${where(i, "runtime")} ${m.runtime} does not serve format ${m.format} (it serves ${RUNTIME_FORMATS[m.runtime as KserveRuntime].join(", ")}): `
                + (serving.length > 0 ? `use ${serving.join(" or ")}` : `no runtime of KServe ${versions.charts.kserve} serves ${m.format}`));
        }
        out.push(...artifactPathIssues(m, where(i, "artifactPath"), buckets));
    });
    return out;
}

function artifactPathIssues(m: CatalogueEntry, key: string, buckets: readonly string[]): string[] {
    const p = m.artifactPath;
    const got = `(got ${JSON.stringify(p)})`;
    const fix = `use a path under the model's own prefix, e.g. ${m.name}/${/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(m.version) && !/^\.+$/.test(m.version) ? m.version : "<version>"}/`;
    if (p.startsWith("/") || /^[a-z][a-z0-9+.-]*:/i.test(p)) return [`${key} must be relative to the models bucket, not absolute ${got}: ${fix}`];
    const segments = p.replace(/\/$/, "").split("/");
    if (segments.some((s) => s === ".." || s === ".")) return [`${key} must not contain "." or ".." segments: they leave the model's prefix ${got}: ${fix}`];
    if (segments.some((s) => s === "")) return [`${key} has an empty segment ("//") ${got}: ${fix}`];
    if (buckets.includes(segments[0])) return [`${key} points into the ${segments[0]} bucket ${got}: only the models bucket crosses to serving stacks (datasets never leave training); ${fix}`];
    if (segments[0] !== m.name) return [`${key} must start with the model's own prefix ${m.name}/ ${got}: ${fix}`];
    return [];
}

/** The GPU facts of this stack's GPU nodes that decide whether a model fits. */
export interface GpuNodes {
    /** GPUs per node (cluster.gpuPool.gpuCount). */
    gpuCount: number;
    gpuType: string;
    sharing: { mode: "none" } | { mode: "time-slicing"; replicas: number } | { mode: "mig"; profile: string };
    /** The cluster has GPU nodes at all (a pool with maxSize > 0, or k3s hosts with gpu: true). */
    present: boolean;
    /** The key to name when there are no GPU nodes (k3s: cluster.hosts). */
    absentKey?: string;
}

/** `nvidia.com/gpu` one GPU node advertises: GPUs x time-slicing replicas, or MIG instances (none with mixed MIG). */
export function advertisedGpus(nodes: GpuNodes): number {
    if (!nodes.present) return 0;
    const s = nodes.sharing;
    if (s.mode === "time-slicing") return nodes.gpuCount * s.replicas;
    if (s.mode === "mig") {
        if (s.profile === BALANCED_MIG_PROFILE) return 0;
        return nodes.gpuCount * (GPU_MODELS[nodes.gpuType]?.migProfiles[s.profile] ?? 1);
    }
    return nodes.gpuCount;
}

/**
 * Catalogue models this stack serves that no GPU node can run: more `nvidia.com/gpu` than one node
 * advertises. `source` says where the catalogue comes from (for the fix).
 */
export function gpuFitIssues(models: ReadonlyArray<Pick<CatalogueEntry, "name" | "gpu">>, nodes: GpuNodes, source: string): string[] {
    const offered = advertisedGpus(nodes);
    const s = nodes.sharing;
    const why = !nodes.present ? "the cluster has no GPU nodes"
        : s.mode === "mig" && s.profile === BALANCED_MIG_PROFILE ? `MIG profile ${BALANCED_MIG_PROFILE} advertises MIG devices (nvidia.com/mig-*), not nvidia.com/gpu`
            : `a GPU node offers ${offered} (gpuCount ${nodes.gpuCount}${s.mode === "time-slicing" ? ` x time-slicing replicas ${s.replicas}` : s.mode === "mig" ? ` x ${offered / nodes.gpuCount} MIG instances of ${s.profile}` : ""})`;
    const key = !nodes.present ? nodes.absentKey ?? "hybridml:cluster.gpuPool.maxSize" : s.mode === "mig" ? "hybridml:cluster.gpuPool.sharing" : "hybridml:cluster.gpuPool.gpuCount";
    const fix = !nodes.present ? "give the cluster GPU nodes"
        : s.mode === "mig" ? "use a single-size MIG profile with enough instances, raise cluster.gpuPool.gpuCount" : "raise cluster.gpuPool.gpuCount (a larger GPU instance type)";
    return models.filter((m) => m.gpu > offered).map((m) => `${key} cannot run model ${m.name}: it asks for ${m.gpu} GPU(s) per replica but ${why}, so it would never schedule: `
        + `${fix}, or lower the model's gpu in ${source}`);
}
