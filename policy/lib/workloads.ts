/**
 * Where pod specs and containers live in the Kubernetes resources the platform creates: the
 * built-in workloads, KServe InferenceServices and serving runtimes, and Helm values.
 */
import { get, known, list } from "./view";

/** Built-in workload kinds and the path of their pod spec. */
const POD_SPEC_PATHS: Record<string, string> = {
    "kubernetes:apps/v1:Deployment": "spec.template.spec",
    "kubernetes:apps/v1:StatefulSet": "spec.template.spec",
    "kubernetes:apps/v1:DaemonSet": "spec.template.spec",
    "kubernetes:apps/v1:ReplicaSet": "spec.template.spec",
    "kubernetes:batch/v1:Job": "spec.template.spec",
    "kubernetes:batch/v1:CronJob": "spec.jobTemplate.spec.template.spec",
    "kubernetes:core/v1:Pod": "spec",
};

/** KServe component specs (PodSpec fields plus a `model` container and framework shorthands). */
const ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService";
const RUNTIMES = ["kubernetes:serving.kserve.io/v1alpha1:ServingRuntime", "kubernetes:serving.kserve.io/v1alpha1:ClusterServingRuntime"];
const ISVC_COMPONENTS = ["predictor", "transformer", "explainer"];
/** Predictor fields that hold a container-like model spec. */
const MODEL_FIELDS = ["model", "sklearn", "xgboost", "tensorflow", "pytorch", "triton", "onnx", "huggingface", "pmml", "lightgbm", "paddle"];

export interface ContainerRef {
    /** Where it is, for messages: `spec.template.spec.containers[0] (app)`. */
    where: string;
    container: Record<string, any>;
    /** Whether this is an init container (no long-running resources needed for some checks). */
    init: boolean;
}

export interface PodRef {
    where: string;
    /** The pod spec (or KServe component spec) holding tolerations. */
    spec: Record<string, any>;
    containers: ContainerRef[];
}

function containersOf(spec: Record<string, any>, base: string): ContainerRef[] {
    const out: ContainerRef[] = [];
    for (const [field, init] of [["containers", false], ["initContainers", true]] as const) {
        list(spec[field]).forEach((c, i) => {
            if (c && typeof c === "object") out.push({ where: `${base}.${field}[${i}]${c.name ? ` (${c.name})` : ""}`, container: c, init });
        });
    }
    return out;
}

/** The pod specs of a resource (empty for resources that run no pods). */
export function podsOf(type: string, props: Record<string, any>): PodRef[] {
    const path = POD_SPEC_PATHS[type];
    if (path) {
        const spec = get(props, path);
        return spec && typeof spec === "object" ? [{ where: path, spec, containers: containersOf(spec, path) }] : [];
    }
    if (type === ISVC) {
        const out: PodRef[] = [];
        for (const comp of ISVC_COMPONENTS) {
            const spec = get(props, ["spec", comp]);
            if (!spec || typeof spec !== "object") continue;
            const base = `spec.${comp}`;
            const containers = containersOf(spec, base);
            for (const f of MODEL_FIELDS) {
                if (spec[f] && typeof spec[f] === "object") containers.push({ where: `${base}.${f}`, container: spec[f], init: false });
            }
            out.push({ where: base, spec, containers });
        }
        return out;
    }
    if (RUNTIMES.includes(type)) {
        const spec = get(props, "spec");
        return spec && typeof spec === "object" ? [{ where: "spec", spec, containers: containersOf(spec, "spec") }] : [];
    }
    return [];
}

/** True when a container asks for NVIDIA GPUs (requests or limits). */
export function requestsGpu(c: Record<string, any>): boolean {
    const r = c.resources ?? {};
    return [get(r, ["limits", "nvidia.com/gpu"]), get(r, ["requests", "nvidia.com/gpu"])].some((v) => known(v) && Number(v) > 0);
}

/** True when the pod tolerates the GPU taint `nvidia.com/gpu[=...]:NoSchedule`. */
export function toleratesGpu(spec: Record<string, any>): boolean {
    return list(spec.tolerations).some((t) => t && (t.key === "nvidia.com/gpu" || (t.key === undefined && t.operator === "Exists"))
        && (t.effect === undefined || t.effect === "" || t.effect === "NoSchedule"));
}

/** The tag of an image reference (`undefined` when it has none; digests count as pinned). */
export function imageTag(image: string): string | undefined {
    if (image.includes("@sha256:")) return "@digest";
    const last = image.split("/").pop() ?? image;
    const i = last.lastIndexOf(":");
    return i >= 0 ? last.slice(i + 1) : undefined;
}

/** Images in Helm values: `image: "repo:tag"` strings and `{repository, tag}` objects, with their paths. */
export function helmImages(values: unknown, base = "values"): Array<{ where: string; image?: string; tag?: unknown; repository?: string }> {
    const out: Array<{ where: string; image?: string; tag?: unknown; repository?: string }> = [];
    const walk = (v: unknown, at: string) => {
        if (Array.isArray(v)) {
            v.forEach((x, i) => walk(x, `${at}[${i}]`));
            return;
        }
        if (!v || typeof v !== "object") return;
        const o = v as Record<string, unknown>;
        if (typeof o.repository === "string" && "tag" in o) out.push({ where: at, repository: o.repository, tag: o.tag });
        for (const [k, x] of Object.entries(o)) {
            if (k === "image" && typeof x === "string") out.push({ where: `${at}.image`, image: x });
            else walk(x, `${at}.${k}`);
        }
    };
    walk(values, base);
    return out;
}
