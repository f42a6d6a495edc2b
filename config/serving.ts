/**
 * The `serving` config section (SPEC 4, 5 "Serving"): runtimes, autoscaling, model sync, the
 * default predictor resources and the local model store on clusters without a cloud bucket.
 * Pure: no Pulumi imports.
 */
import { z } from "zod";
import { artefactProblems, KSERVE_RUNTIMES, KserveRuntime } from "../lib/kserveRuntimes";
import { cronProblem } from "./cron";
import { limits } from "./limits";

export { KSERVE_RUNTIMES };
export type { KserveRuntime };
export const kserveRuntimeNames = Object.keys(KSERVE_RUNTIMES) as [KserveRuntime, ...KserveRuntime[]];

const quantity = (what: string, example: string) => z.string().regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$/, {
    message: `must be a Kubernetes ${what} quantity such as ${example}`,
});
const dnsName = z.string().regex(/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/, {
    message: "must be lower-case letters, digits and '-', start with a letter, at most 40 characters",
});

const cpuMemory = z.strictObject({
    cpu: quantity("CPU", "500m"),
    memory: quantity("memory", "4Gi"),
});

/** The `hybridml:serving` section. */
export const servingSchema = z.strictObject({
    /** Namespace of the InferenceServices, the model sync and the feedback sink. Default `models`. */
    namespace: dnsName.default("models"),
    /**
     * ClusterServingRuntimes to install (those the catalogue names are always added). Default
     * [kserve-tritonserver, kserve-huggingfaceserver, kserve-sklearnserver, kserve-xgbserver].
     */
    runtimes: z.array(z.enum(kserveRuntimeNames)).min(1)
        .default(["kserve-tritonserver", "kserve-huggingfaceserver", "kserve-sklearnserver", "kserve-xgbserver"]),
    /**
     * Namespaces whose pods may call the predictors (besides the serving namespace itself), e.g. an API
     * gateway's. Default [] (only the serving namespace).
     */
    callerNamespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { message: "must be a namespace name" })).default([]),
    /** Replicas per InferenceService (predictors with more than one get a PodDisruptionBudget). Default 1..3. */
    minReplicas: z.number().int().min(1).max(limits.predictorReplicas).default(1),
    maxReplicas: z.number().int().min(1).max(limits.predictorReplicas).default(3),
    /** HPA metric of the predictors (Standard mode scales with the HPA: cpu or memory). Default cpu. */
    scaleMetric: z.enum(["cpu", "memory"]).default("cpu"),
    /** HPA target: average utilisation in percent of the request. Default 70. */
    scaleTarget: z.number().int().min(10).max(100).default(70),
    /**
     * eks/gke/aks: the address ranges the cloud model bucket answers on from this cluster, when the
     * site reaches it privately (an S3 interface endpoint's or a Private Endpoint's subnet, Private
     * Google Access's 199.36.153.8/30 with its DNS): the predictors' storage initializer and the model
     * sync may then reach the bucket only there, on 443. Default: any address on 443 (the clouds
     * publish no fixed range for their storage services).
     */
    modelStoreEgressCidrs: z.array(z.string().regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/, { message: "must be an IPv4 CIDR such as 10.40.8.0/24" }))
        .min(1).optional(),
    /** Cron schedule of the model re-sync (repairs drift). Default every 15 minutes. */
    modelSyncSchedule: z.string().superRefine((s, ctx) => {
        const problem = cronProblem(s);
        if (problem) ctx.addIssue({ code: "custom", message: `must be a cron schedule such as */15 * * * * or @hourly: ${problem}` });
    }).default("*/15 * * * *"),
    /** Requests and limits of each predictor container (GPU models add nvidia.com/gpu). Default 1 CPU/4Gi .. 2 CPU/8Gi. */
    resources: z.strictObject({
        requests: cpuMemory.default({ cpu: "1", memory: "4Gi" }),
        limits: cpuMemory.default({ cpu: "2", memory: "8Gi" }),
    }).prefault({}),
    /**
     * Local model copy on clusters without a cloud bucket (onprem, k3s): a ReadWriteMany volume (one
     * writer, the sync; predictors on every GPU node read it). `storageClass` defaults to the cluster's
     * default class (CephFS with Rook); it must offer RWX, so never k3s's `local-path` (edge sites set an
     * RWX class such as `longhorn`); `size` defaults to 100Gi.
     */
    localStore: z.strictObject({
        storageClass: z.string().regex(/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/, { message: "must be a StorageClass name" }).optional(),
        size: z.string().regex(/^\d+(Gi|Ti)$/, { message: "must be a size such as 100Gi" }).default("100Gi"),
    }).prefault({}),
});

export type ServingConfig = z.output<typeof servingSchema>;

const parseQuantity = (q: string): number => {
    const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti)?$/.exec(q);
    if (!m) return NaN;
    const unit = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 }[m[2] ?? ""] ?? 1;
    return Number(m[1]) * unit;
};

/** Cross-field rules of the serving section: one line per problem naming the key, the value and the fix. */
/** Facts outside the section that the serving rules depend on. */
export interface ServingContext {
    /** The stack runs the serving role. */
    serving: boolean;
    clusterProvider: string;
    /** Rook runs on this stack (its CephFS class then backs the local model copy). */
    rook: boolean;
}

/**
 * Namespaces `serving.namespace` must not take: the cluster's own (`kube-*`, `default`) and those of
 * the platform's components (a test checks every namespace the shipped plans use is listed here).
 */
export const RESERVED_NAMESPACES = [
    "default", "kube-system", "kube-public", "kube-node-lease",
    "monitoring", "gpu-operator", "cert-manager", "kserve", "rook-ceph", "kafka", "strimzi-system", "pulsar",
] as const;

export function servingIssues(s: ServingConfig, ctx?: ServingContext): string[] {
    const out: string[] = [];
    const k = (p: string) => `hybridml:serving.${p}`;
    if ((RESERVED_NAMESPACES as readonly string[]).includes(s.namespace) || s.namespace.startsWith("kube-")) {
        const system = s.namespace === "default" || s.namespace.startsWith("kube-");
        out.push(`${k("namespace")} cannot be ${JSON.stringify(s.namespace)}: it is ${system ? "a Kubernetes system namespace" : "the namespace of another platform component"}, `
            + "whose objects the serving stack's default-deny network policies and its deletion would hit: use a namespace of its own, e.g. models");
    }
    if (ctx?.serving && ctx.clusterProvider === "k3s" && !ctx.rook && s.localStore.storageClass === undefined) {
        out.push(`${k("localStore.storageClass")} is required on k3s: the cluster's only class (local-path) has no ReadWriteMany, and the model copy is read by predictors on several nodes; set an RWX class the site provides (e.g. longhorn, an NFS class)`);
    }
    if (s.modelStoreEgressCidrs !== undefined && ctx?.clusterProvider !== undefined && !["eks", "gke", "aks"].includes(ctx.clusterProvider)) {
        out.push(`${k("modelStoreEgressCidrs")} describes how a cloud cluster reaches its model bucket; on ${ctx.clusterProvider} the model copy is a local volume: remove it`);
    }
    if (s.modelStoreEgressCidrs?.some((c) => c.endsWith("/0"))) {
        out.push(`${k("modelStoreEgressCidrs")} contains a /0 (any address, as without the key): list the private endpoint's range, or remove the key`);
    }
    if (s.minReplicas > s.maxReplicas) {
        out.push(`${k("maxReplicas")} must be >= minReplicas (got ${s.maxReplicas} < ${s.minReplicas})`);
    }
    if (s.localStore.storageClass === "local-path") {
        out.push(`${k("localStore.storageClass")} cannot be local-path (got "local-path"): k3s's local-path class has no ReadWriteMany, and the model copy is read by predictors on several nodes; set an RWX class the site provides (e.g. longhorn, an NFS class)`);
    }
    if (new Set(s.runtimes).size !== s.runtimes.length) out.push(`${k("runtimes")} lists a runtime twice (got ${JSON.stringify(s.runtimes)})`);
    for (const r of ["cpu", "memory"] as const) {
        if (parseQuantity(s.resources.requests[r]) > parseQuantity(s.resources.limits[r])) {
            out.push(`${k(`resources.limits.${r}`)} must be >= resources.requests.${r} (got ${s.resources.limits[r]} < ${s.resources.requests[r]})`);
        }
    }
    return out;
}

/**
 * Catalogue rules of a training stack's `models`: outside dev every entry carries its sha256 (the
 * sync verifies every copy before serving it), and each artefact has the layout its runtime serves.
 */
export function modelCatalogIssues(models: ReadonlyArray<{ name: string; runtime: string; artifactPath: string; sha256?: string }>, environment: string): string[] {
    const out: string[] = [];
    models.forEach((m, i) => {
        if (environment !== "dev" && m.sha256 === undefined) {
            out.push(`hybridml:models[${i}].sha256 is required outside dev (model ${m.name}, environment ${environment}): the model sync verifies every copy before it is served; set the artefact's digest (README "Serving": digest rule)`);
        }
        for (const p of artefactProblems(m)) out.push(`hybridml:models[${i}].artifactPath: ${p}`);
    });
    return out;
}
