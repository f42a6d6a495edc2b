/**
 * The `storage` config section (SPEC 4, 5 "Storage"; issue 8): its zod schema, the durability
 * floors that depend on the environment and the cluster, and its resolved defaults.
 *
 * Pure: no Pulumi imports. `config/schema.ts` uses `storageSchema` for the `storage` key;
 * `config/resolve.ts` calls `storageIssues` with the other cross-field rules and `resolveStorage`
 * for the defaults. Keys are documented in README.md ("Storage (Rook-Ceph)").
 */
import { z } from "zod";
import { limits } from "./limits";

/** The config namespace (the same as `NAMESPACE` in schema.ts, which imports this file). */
const NS = "hybridml";
const key = (path: string) => `${NS}:storage.${path}`;
const count = (min: number) => z.number().int().min(min);
/** DNS-1123 label (bucket and Kubernetes object names). */
const dnsLabel = z.string().regex(/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/, {
    message: "must be lower-case letters, digits and '-', start with a letter, at most 40 characters",
});
/** DNS-1123 subdomain (Kubernetes Secret and StorageClass names). */
const dnsSubdomain = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, {
    message: "must be a Kubernetes object name (lower-case letters, digits, '-' and '.')",
});

/** Block StorageClass of each cloud that PVC-backed OSDs use when `osdStorageClass` is not set. */
export const cloudBlockStorageClass: Record<"eks" | "gke" | "aks", string> = {
    eks: "gp3",
    gke: "standard-rwo",
    aks: "managed-csi-premium",
};

/** Floors outside `environment: dev` (issue 8 item 2). */
export const storageFloors = {
    /** Replicas of the block, file and object metadata pools. */
    poolSize: 3,
    /** Ceph monitors (a quorum survives one lost mon). */
    monCount: 3,
    /**
     * Object store erasure-coding parity chunks (m). Ceph's EC pools default to min_size = k + 1 and
     * Rook keeps that: with m = 1 one lost host leaves k chunks, below min_size, and writes stop (or,
     * with min_size lowered to k, continue with no redundancy at all). m >= 2 survives a host loss.
     */
    codingChunks: 2,
    /** Hosts needed for failure domain `osd` with replicated pools to survive a host loss. */
    hostsForOsdFailureDomain: 3,
    /** RGW instances serving the object store. */
    rgwInstances: 2,
} as const;

export const storageSchema = z.strictObject({
    rook: z.strictObject({
        /** Deploy Rook-Ceph. Default: true on stacks with the training role. */
        enabled: z.boolean().optional(),
        /** OSDs on raw host devices, or PVC-backed on a block StorageClass (clouds). Default `devices`. */
        osdSource: z.enum(["devices", "pvc"]).default("devices"),
        /**
         * Storage nodes (Kubernetes node names) whose devices carry OSDs (osdSource devices): Rook then
         * uses exactly these (`useAllNodes: false`) and config can check the floors against their count.
         * Required outside dev on onprem; default on k3s: the hosts without GPUs; on dev unset: every non-GPU node.
         */
        nodes: z.array(dnsSubdomain).min(1).optional(),
        /** Regex of host devices for OSDs (osdSource devices). Default `^(sd[b-z]|nvme[1-9]n1)$`. */
        deviceFilter: z.string().min(1).refine((s) => {
            try {
                new RegExp(s);
                return true;
            } catch {
                return false;
            }
        }, { message: "must be a regular expression" }).default("^(sd[b-z]|nvme[1-9]n1)$"),
        /** Number of PVC-backed OSDs (osdSource pvc). Default 4 (one per chunk of the default EC 2+2). */
        osdCount: count(1).max(limits.osds).default(4),
        /** Size of each PVC-backed OSD. Default 500Gi. */
        osdSize: z.string().regex(/^[1-9]\d*(Gi|Ti)$/, { message: "must be a size such as 500Gi" }).default("500Gi"),
        /** Block StorageClass of the PVC-backed OSDs. Default: eks gp3 (the encrypted class EksCluster creates), gke standard-rwo, aks managed-csi-premium; required elsewhere. */
        osdStorageClass: dnsSubdomain.optional(),
        /** Ceph monitors (odd). Default 3 (dev: 1). */
        monCount: count(1).max(9).refine((n) => n % 2 === 1, { message: "must be odd (1, 3, 5, 7 or 9) so that a quorum is a majority" }).optional(),
        /** Replicas of each block/file pool and of the object store's metadata pools. Default 3 (dev: 1). */
        poolSize: count(1).max(7).optional(),
        /** CRUSH failure domain. Default host. */
        failureDomain: z.enum(["host", "zone", "rack", "osd"]).default("host"),
        /**
         * Object store data pool erasure coding (k data + m coding chunks). Default 2+1; on dev, when
         * unset, a replicated data pool of `poolSize` instead.
         */
        erasureCoding: z.strictObject({ dataChunks: count(2).max(16).default(2), codingChunks: count(0).max(8).default(storageFloors.codingChunks) }).optional(),
        /** RGW (S3 gateway) instances. Default 2 (dev: 1). */
        rgwInstances: count(1).max(10).optional(),
        /** Host path of the Ceph daemons' configuration. Default /var/lib/rook. */
        dataDirHostPath: z.string().regex(/^\/\S+$/, { message: "must be an absolute path such as /var/lib/rook" }).default("/var/lib/rook"),
        /**
         * Secret (namespace rook-ceph; kubernetes.io/tls, or key `cert` with certificate and key in PEM)
         * that RGW serves TLS with when `storage.endpoint` is https. Default `models-rgw-tls`.
         */
        tlsSecret: dnsSubdomain.default("models-rgw-tls"),
    }).prefault({}),
    /** S3 endpoint of the training object store as serving stacks reach it. Default: the in-cluster RGW service. */
    endpoint: z.url({ protocol: /^https?$/, message: "must be an http(s) URL such as https://s3.training.example.com" }).optional(),
    /** S3 region name the object store answers to (RGW zone group). Default `default`. */
    region: z.string().regex(/^[a-z0-9][-a-z0-9]{0,62}$/, { message: "must be a region name such as default or eu-private-1" }).default("default"),
    /** Buckets on the training object store. Default [datasets, models]. */
    buckets: z.array(dnsLabel).min(1).default(["datasets", "models"]),
});

/** The section as parsed (defaults of single keys applied). */
export type StorageConfigInput = z.output<typeof storageSchema>;

/** The facts outside the section that the storage rules depend on. */
export interface StorageContext {
    environment: "dev" | "edge" | "prod";
    /** The stack has the training role. */
    training: boolean;
    /** Where the cluster comes from. */
    clusterProvider: "eks" | "gke" | "aks" | "onprem" | "k3s";
    /**
     * Hosts that can carry Ceph daemons, when config knows them (k3s: the hosts without GPUs, since
     * Ceph is kept off GPU nodes). Undefined when unknown (existing clusters, clouds).
     */
    storageHosts?: number;
    /** k3s: the names of the hosts without GPUs (the default storage nodes). */
    storageHostNames?: string[];
}

/** The section with every default applied. */
export interface ResolvedStorage {
    rook: {
        enabled: boolean;
        osdSource: "devices" | "pvc";
        deviceFilter: string;
        osdCount: number;
        osdSize: string;
        /** Storage nodes of device OSDs (undefined: every non-GPU node, dev only). */
        nodes?: string[];
        /** Block StorageClass of PVC-backed OSDs ("" when osdSource is devices and none is known). */
        osdStorageClass: string;
        monCount: number;
        poolSize: number;
        failureDomain: "host" | "zone" | "rack" | "osd";
        /** Undefined: a replicated data pool of `poolSize` (dev only). */
        erasureCoding: { dataChunks: number; codingChunks: number } | undefined;
        rgwInstances: number;
        dataDirHostPath: string;
        tlsSecret: string;
    };
    endpoint?: string;
    region: string;
    buckets: string[];
}

function show(v: unknown): string {
    return JSON.stringify(v) ?? String(v);
}

/** Apply the defaults (dev sizing only where `environment: dev`). Call after `storageIssues` found nothing. */
export function resolveStorage(s: StorageConfigInput, ctx: StorageContext): ResolvedStorage {
    const dev = ctx.environment === "dev";
    const r = s.rook;
    const cloud = ctx.clusterProvider === "eks" || ctx.clusterProvider === "gke" || ctx.clusterProvider === "aks";
    return {
        ...s,
        rook: {
            enabled: r.enabled ?? ctx.training,
            osdSource: r.osdSource,
            deviceFilter: r.deviceFilter,
            ...(r.osdSource === "devices" && (r.nodes ?? ctx.storageHostNames) ? { nodes: r.nodes ?? ctx.storageHostNames } : {}),
            osdCount: r.osdCount,
            osdSize: r.osdSize,
            osdStorageClass: r.osdStorageClass ?? (cloud ? cloudBlockStorageClass[ctx.clusterProvider as "eks" | "gke" | "aks"] : ""),
            monCount: r.monCount ?? (dev ? 1 : storageFloors.monCount),
            poolSize: r.poolSize ?? (dev ? 1 : storageFloors.poolSize),
            failureDomain: r.failureDomain,
            erasureCoding: r.erasureCoding ?? (dev ? undefined : { dataChunks: 2, codingChunks: storageFloors.codingChunks }),
            rgwInstances: r.rgwInstances ?? (dev ? 1 : storageFloors.rgwInstances),
            dataDirHostPath: r.dataDirHostPath,
            tlsSecret: r.tlsSecret,
        },
    };
}

/**
 * The storage rules a per-key schema cannot express: the durability floors outside dev (each error
 * names the key, the value given and the floor), and consistency with the roles and the cluster.
 */
export function storageIssues(s: StorageConfigInput, ctx: StorageContext): string[] {
    const out: string[] = [];
    const dev = ctx.environment === "dev";
    const resolved = resolveStorage(s, ctx);
    const r = resolved.rook;
    const where = `outside environment dev (environment is ${ctx.environment})`;

    if (ctx.training && !s.buckets.includes("models")) {
        out.push(`${key("buckets")} must include "models" on a training stack: serving stacks read approved models from it (got ${show(s.buckets)})`);
    }
    if (new Set(s.buckets).size !== s.buckets.length) out.push(`${key("buckets")} lists a bucket twice (got ${show(s.buckets)})`);
    if (!ctx.training) {
        // Only a training stack runs Rook and publishes the model store: refuse what would be ignored.
        const defaults = storageSchema.parse({});
        const differs = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
        const rookKeys = (Object.keys(s.rook) as (keyof typeof s.rook)[])
            .filter((k) => (k === "enabled" ? s.rook.enabled === true : differs(s.rook[k], defaults.rook[k]))).map((k) => `rook.${k}`);
        const topKeys = (["endpoint", "region", "buckets"] as const).filter((k) => differs(s[k], defaults[k]));
        for (const k of [...rookKeys, ...topKeys]) {
            out.push(`${key(k)} is only used on a stack with the training role (roles do not include training): remove it`);
        }
        return out;
    }
    if (!r.enabled) return out;

    // Durability floors (issue 8 item 2): dev sizing only where environment is dev.
    if (!dev) {
        if (r.poolSize < storageFloors.poolSize) {
            out.push(`${key("rook.poolSize")} must be >= ${storageFloors.poolSize} ${where} (got ${r.poolSize}): fewer replicas lose data or block writes when one host fails`);
        }
        if (r.monCount < storageFloors.monCount) {
            out.push(`${key("rook.monCount")} must be >= ${storageFloors.monCount} ${where} (got ${r.monCount}): a single mon is a single point of failure for the whole cluster`);
        }
        if (r.rgwInstances < storageFloors.rgwInstances) {
            out.push(`${key("rook.rgwInstances")} must be >= ${storageFloors.rgwInstances} ${where} (got ${r.rgwInstances}): serving stacks sync models through RGW`);
        }
    }
    if (r.erasureCoding && r.erasureCoding.codingChunks < 1) {
        out.push(`${key("rook.erasureCoding.codingChunks")} must be >= 1 (got ${r.erasureCoding.codingChunks}): with m = 0 any lost OSD loses objects`);
    } else if (!dev && r.erasureCoding && r.erasureCoding.codingChunks < storageFloors.codingChunks) {
        out.push(`${key("rook.erasureCoding.codingChunks")} must be >= ${storageFloors.codingChunks} ${where} (got ${r.erasureCoding.codingChunks}): with m = 1 one lost host leaves k chunks, below the pool's min_size k+1, and writes stop (lowering min_size to k writes with no redundancy)`);
    }
    if (!dev && r.failureDomain === "osd") {
        out.push(`${key("rook.failureDomain")} osd is refused ${where}: all replicas or chunks of an object may land on one host, which one host loss then destroys; use host (or rack, zone)`);
    }
    if (!dev && r.osdSource === "devices" && r.nodes === undefined) {
        out.push(`${key("rook.nodes")} is required ${where} with osdSource devices on provider ${ctx.clusterProvider}: list the storage nodes (Kubernetes node names) so that Rook uses exactly them (useAllNodes: false) and the durability floors can be checked against their count`);
    }

    // What the cluster can place: known host counts (listed nodes, k3s) and PVC-backed OSD counts.
    const ecWidth = r.erasureCoding ? r.erasureCoding.dataChunks + r.erasureCoding.codingChunks : 0;
    const needed = Math.max(r.poolSize, ecWidth);
    const hosts = s.rook.nodes?.length ?? ctx.storageHosts;
    const which = s.rook.nodes ? "storage.rook.nodes" : "hosts without GPUs";
    if (hosts !== undefined && r.osdSource === "devices") {
        if (r.failureDomain === "osd" && dev && r.poolSize >= 2 && hosts < storageFloors.hostsForOsdFailureDomain) {
            out.push(`${key("rook.failureDomain")} osd with poolSize ${r.poolSize} needs at least ${storageFloors.hostsForOsdFailureDomain} storage hosts (got ${hosts} ${which}): all replicas could sit on one host; add hosts or lower poolSize`);
        }
        if (r.failureDomain !== "osd" && hosts < needed) {
            out.push(`${key(s.rook.nodes ? "rook.nodes" : "rook.failureDomain")} lists ${hosts} storage host(s) (${which}), but failureDomain ${r.failureDomain} needs at least ${needed} for poolSize ${r.poolSize}${ecWidth ? ` and erasure coding ${ecWidth - (r.erasureCoding?.codingChunks ?? 0)}+${r.erasureCoding?.codingChunks ?? 0}` : ""}: add storage hosts or lower poolSize/erasureCoding${dev ? " (or use failureDomain osd on dev)" : ""}`);
        }
    }
    if (r.osdSource === "pvc") {
        if (r.osdCount < needed) {
            out.push(`${key("rook.osdCount")} must be >= ${needed} (poolSize ${r.poolSize}${ecWidth ? `, erasure coding k+m = ${ecWidth}` : ""}) (got ${r.osdCount}): each replica or chunk needs its own OSD`);
        }
        if (r.osdStorageClass === "") {
            out.push(`${key("rook.osdStorageClass")} is required with osdSource pvc on provider ${ctx.clusterProvider}: name the block StorageClass the OSD volumes come from`);
        }
    } else if (s.rook.osdStorageClass !== undefined) {
        out.push(`${key("rook.osdStorageClass")} is only used with osdSource pvc (osdSource is devices): remove it`);
    }
    if (s.endpoint !== undefined) {
        const u = new URL(s.endpoint);
        if (u.pathname !== "/" || u.search !== "" || u.username !== "") {
            out.push(`${key("endpoint")} must be a bare scheme://host[:port] URL (got ${show(s.endpoint)})`);
        }
    }
    return out;
}

/** The storage context of a parsed config (the k3s hosts without GPUs are the known storage hosts). */
export function storageContextOf(c: {
    environment: StorageContext["environment"];
    roles: ReadonlyArray<string>;
    cluster: { provider: "k3s"; hosts?: ReadonlyArray<{ name: string; gpu: boolean }> } | { provider: Exclude<StorageContext["clusterProvider"], "k3s"> };
}): StorageContext {
    return {
        environment: c.environment,
        training: c.roles.includes("training"),
        clusterProvider: c.cluster.provider,
        storageHosts: c.cluster.provider === "k3s" ? (c.cluster.hosts ?? []).filter((h) => !h.gpu).length : undefined,
        storageHostNames: c.cluster.provider === "k3s" ? (c.cluster.hosts ?? []).filter((h) => !h.gpu).map((h) => h.name) : undefined,
    };
}
