/**
 * Workload hygiene: GPU pods tolerate the GPU taint, images and charts are pinned, and every
 * container states its requests and limits.
 */
import { MANDATORY_EVERYWHERE, MANDATORY_IN_PROD } from "../lib/levels";
import { parseQuantity } from "../lib/quantity";
import { get, isUnknown, known, ResourcePolicyDef } from "../lib/view";
import { helmImages, imageTag, podsOf, requestsGpu, toleratesGpu } from "../lib/workloads";

const HELM_TYPES = ["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v3:Chart", "kubernetes:helm.sh/v4:Chart"];

export const gpuPodsTolerate: ResourcePolicyDef = {
    kind: "resource",
    name: "gpu-pods-tolerate",
    description: "Pods that request nvidia.com/gpu tolerate the GPU pools' nvidia.com/gpu NoSchedule taint (or they never schedule).",
    remediation: "Add the toleration {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule} to the pod spec (InferenceService: spec.predictor.tolerations).",
    levels: MANDATORY_IN_PROD,
    check(r) {
        return podsOf(r.type, r.props)
            .filter((pod) => pod.containers.some((c) => requestsGpu(c.container)) && !isUnknown(pod.spec.tolerations) && !toleratesGpu(pod.spec))
            .map((pod) => `${pod.where} requests nvidia.com/gpu but does not tolerate the nvidia.com/gpu:NoSchedule taint`);
    },
};

/** Exact chart versions: `1.2.3`, `v1.20.6`, `4.7.0-rc.1`; no ranges, wildcards or `latest`. */
const PINNED = /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/;

export const helmVersionPinned: ResourcePolicyDef = {
    kind: "resource",
    name: "helm-version-pinned",
    description: "Every Helm release pins an exact chart version (no empty version, range or wildcard).",
    remediation: "Set `version` to an exact chart version from lib/versions.ts (the versions in shared/crds/MANIFEST.md).",
    levels: MANDATORY_EVERYWHERE,
    check(r) {
        if (!HELM_TYPES.includes(r.type)) return [];
        const v = r.props.version;
        if (isUnknown(v)) return [];
        if (v === undefined || v === null || v === "") return [`chart ${r.props.chart ?? "?"} has no version (Helm would install the newest)`];
        if (typeof v !== "string" || !PINNED.test(v.trim())) return [`chart ${r.props.chart ?? "?"} version ${JSON.stringify(v)} is not an exact version`];
        return [];
    },
};

export const noLatestImageTags: ResourcePolicyDef = {
    kind: "resource",
    name: "no-latest-image-tags",
    description: "Container images are pinned: no `latest` tag and no untagged image (containers, KServe, Helm values `image.tag`).",
    remediation: "Use an explicit version tag or digest (`repo:1.2.3` or `repo@sha256:...`); in Helm values set image.tag to a version or leave it unset for the chart's pinned default.",
    levels: MANDATORY_IN_PROD,
    check(r) {
        const out: string[] = [];
        for (const pod of podsOf(r.type, r.props)) {
            for (const c of pod.containers) {
                const image = c.container.image;
                if (typeof image !== "string" || isUnknown(image)) continue;
                const tag = imageTag(image);
                if (tag === undefined) out.push(`${c.where}: image ${image} has no tag (means latest)`);
                else if (tag === "latest") out.push(`${c.where}: image ${image} uses the latest tag`);
            }
        }
        if (HELM_TYPES.includes(r.type)) {
            for (const img of helmImages(r.props.values)) {
                if (img.tag !== undefined && String(img.tag).trim().toLowerCase() === "latest") out.push(`${img.where}.tag is "latest"`);
                if (img.image !== undefined && !isUnknown(img.image) && imageTag(img.image) === "latest") out.push(`${img.where} is ${img.image} (latest tag)`);
            }
        }
        return out;
    },
};

export const containerResources: ResourcePolicyDef = {
    kind: "resource",
    name: "container-resources",
    description: "Every container requests CPU and memory and has a memory limit; requests never exceed limits.",
    remediation: "Set resources.requests.cpu, resources.requests.memory and resources.limits.memory (GPU containers: limits nvidia.com/gpu) on every container.",
    levels: MANDATORY_IN_PROD,
    check(r) {
        const out: string[] = [];
        for (const pod of podsOf(r.type, r.props)) {
            for (const c of pod.containers) {
                const res = c.container.resources;
                if (isUnknown(res)) continue;
                const missing = [["requests", "cpu"], ["requests", "memory"], ["limits", "memory"]]
                    .filter(([k, q]) => !known(get(res, [k, q])) && !isUnknown(get(res, [k, q])))
                    .map(([k, q]) => `${k}.${q}`);
                if (missing.length > 0) out.push(`${c.where}: no resources ${missing.join(", ")}`);
                for (const [q, req] of Object.entries((get(res, "requests") ?? {}) as Record<string, unknown>)) {
                    const lim = get(res, ["limits", q]);
                    const a = parseQuantity(req);
                    const b = parseQuantity(lim);
                    if (a !== undefined && b !== undefined && a > b) out.push(`${c.where}: requests.${q} ${String(req)} exceeds limits.${q} ${String(lim)}`);
                }
            }
        }
        return out;
    },
};
