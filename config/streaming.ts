/**
 * The `streaming` config section (SPEC 4, 5 "Streaming"): its zod schema, its defaults, the
 * durability floors outside dev and the engine checks. Pure: no Pulumi imports.
 */
import { z } from "zod";
import { limits } from "./limits";

const count = (min: number) => z.number().int().min(min);
/** DNS-1123 label used for stack names listed in `feedbackProducers`. */
const stackName = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/, {
    message: "must be a stack name: lower-case letters, digits and '-', at most 40 characters",
});

/** The four streams of the platform (seed 004 ch. 2 and 5): the default `streaming.topics`. */
export const defaultTopics = [
    { name: "features", partitions: 12, feedback: false, retentionHours: 168 },
    { name: "inference-requests", partitions: 6, feedback: false, retentionHours: 72 },
    { name: "inference-feedback", partitions: 6, feedback: true, retentionHours: 336 },
    { name: "model-events", partitions: 1, feedback: false, retentionHours: 720 },
];

const topic = z.strictObject({
    /** Topic name: a DNS-1123 label (it also names the KafkaTopic resource). */
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,62}[a-z0-9])?$/, { message: "must be a topic name: a-z, 0-9 and '-', at most 64 characters" }),
    /** Partitions. Default 6. */
    partitions: count(1).max(1000).default(6),
    /** Inference feedback flowing back from serving stacks to training. Default false. */
    feedback: z.boolean().default(false),
    /** Retention in hours (Kafka retention.ms, Pulsar namespace retention). Default 168 (7 days). */
    retentionHours: count(1).max(87600).default(168),
});

/** The `hybridml:streaming` section. */
export const streamingSchema = z.strictObject({
    /** kafka (Strimzi) | pulsar. Default kafka. */
    engine: z.enum(["kafka", "pulsar"]).default("kafka"),
    /** Brokers (Kafka) or bookies and brokers (Pulsar). Default 3 (dev: 1). */
    replicas: count(1).max(limits.brokers).optional(),
    /** Topic replication factor / Pulsar ensemble and write quorum. Default 3 (dev: 1). */
    replicationFactor: count(1).max(limits.replication).optional(),
    /** Min in-sync replicas / Pulsar ack quorum. Default 2 (dev: 1). */
    minInSyncReplicas: count(1).max(limits.replication).optional(),
    /** Bootstrap address serving stacks use (host:port). Default: the in-cluster TLS bootstrap service. */
    bootstrap: z.string().regex(/^[A-Za-z0-9.-]+:\d{2,5}$/, { message: "must be host:port" }).optional(),
    /** Topics. Default: the four streams features, inference-requests, inference-feedback (feedback), model-events. */
    topics: z.array(topic).min(1).max(limits.topics).default(defaultTopics),
    /** Mirror feedback topics from serving stacks back to training (MirrorMaker 2 / geo-replication). Default true. */
    crossClusterReplication: z.boolean().default(true),
    /** Training stacks: the serving stacks (stack names) allowed to send feedback; each gets its own user and credentials. Default []. */
    feedbackProducers: z.array(stackName).max(limits.feedbackProducers).default([]),
    /**
     * Training stacks (Kafka): broker quotas of each serving stack's feedback user, so one serving
     * stack's MirrorMaker 2 cannot saturate the training brokers. `producerByteRate` bytes/s per broker
     * (default 5 MiB/s), `requestPercentage` of the network and I/O threads (default 25), and
     * `controllerMutationRate` partitions created/deleted per second (default 2: MirrorMaker 2 creates
     * the mirrored topics once). Kafka training stacks only.
     */
    feedbackQuota: z.strictObject({
        producerByteRate: z.number().int().min(1024).max(1024 ** 3).optional(),
        requestPercentage: z.number().int().min(1).max(100).optional(),
        controllerMutationRate: z.number().min(0.1).max(100).optional(),
    }).optional(),
    /**
     * The streaming CAs' key generation and renewal phase (README "Renewing the streaming CAs"): raise
     * `keyGeneration` by one to replace the CA keys (the previous certificate stays trusted until the
     * next replacement); with Kafka, set `renewal: paused` for that up (Strimzi's reconciliation is
     * paused while the keys change) and remove it for the next. Default generation 0, not paused.
     */
    ca: z.strictObject({
        keyGeneration: z.number().int().min(0).max(1000).default(0),
        renewal: z.enum(["paused"]).optional(),
    }).prefault({}),
    /**
     * Pulsar: lifetime in days of the role tokens the program signs (RS256). Every `pulumi up` in the
     * second half of a token's life issues a new one (the old one stays valid to its end), so run an up
     * at least every lifetime/2 days. Default 180.
     */
    tokenLifetimeDays: z.number().int().min(2).max(3650).optional(),
    /** Persistent volume size per broker / bookie ledger volume. Default 100Gi (dev: 10Gi). */
    storageSize: z.string().regex(/^\d+(Mi|Gi|Ti)$/, { message: "must be a size such as 100Gi" }).optional(),
    /**
     * Kafka: node label the brokers' rack (`broker.rack`) is read from; it must be a label the platform
     * puts on every node (Strimzi's broker init container exits when the node lacks it). Default
     * `topology.kubernetes.io/zone` on eks/gke/aks, `kubernetes.io/hostname` on onprem/k3s.
     */
    rackTopologyKey: z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9][-A-Za-z0-9_.]{0,62}$/, { message: "must be a node label key such as topology.kubernetes.io/zone" }).optional(),
    /** StorageClass of the broker / bookie volumes. Default: the cluster's default StorageClass. */
    storageClass: z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, { message: "must be a StorageClass name" }).optional(),
});

export type RawStreamingConfig = z.output<typeof streamingSchema>;

/** The streaming section with every default applied. */
export interface StreamingConfig extends RawStreamingConfig {
    replicas: number;
    replicationFactor: number;
    minInSyncReplicas: number;
    storageSize: string;
    rackTopologyKey: string;
    feedbackQuota: { producerByteRate: number; requestPercentage: number; controllerMutationRate: number };
}

/** Facts outside the section the streaming rules depend on. */
export interface StreamingContext {
    clusterProvider: "eks" | "gke" | "aks" | "onprem" | "k3s";
    /**
     * Hosts streaming pods can run on, when config knows them (k3s: the hosts without GPUs; GPU hosts
     * carry the NoSchedule GPU taint, which no streaming pod tolerates). Undefined when unknown.
     */
    schedulableHosts?: number;
}

const HOSTNAME = "kubernetes.io/hostname";
/**
 * Node labels each platform guarantees on every node: the managed clouds label zone and region, an
 * existing on-prem cluster and k3s only the host name (anything else depends on the site).
 */
export const guaranteedNodeLabels: Record<StreamingContext["clusterProvider"], readonly string[]> = {
    eks: [HOSTNAME, "topology.kubernetes.io/zone", "topology.kubernetes.io/region"],
    gke: [HOSTNAME, "topology.kubernetes.io/zone", "topology.kubernetes.io/region"],
    aks: [HOSTNAME, "topology.kubernetes.io/zone", "topology.kubernetes.io/region"],
    onprem: [HOSTNAME],
    k3s: [HOSTNAME],
};

/** The default rack key: the zone where the platform guarantees it, else the host. */
export function defaultRackTopologyKey(provider: StreamingContext["clusterProvider"]): string {
    return guaranteedNodeLabels[provider].includes("topology.kubernetes.io/zone") ? "topology.kubernetes.io/zone" : HOSTNAME;
}

/** ZooKeepers (Pulsar) and KRaft controllers (Kafka) outside dev: each on its own host. */
export const QUORUM_NODES = 3;

/** Broker quotas of a feedback user unless `streaming.feedbackQuota` says otherwise. */
export const FEEDBACK_QUOTA_DEFAULTS = { producerByteRate: 5 * 1024 * 1024, requestPercentage: 25, controllerMutationRate: 2 } as const;

/** Apply the environment defaults (dev runs 1/1/1 on 10Gi). */
export function resolveStreaming(s: RawStreamingConfig, environment: string, provider: StreamingContext["clusterProvider"] = "onprem"): StreamingConfig {
    const dev = environment === "dev";
    return {
        ...s,
        rackTopologyKey: s.rackTopologyKey ?? defaultRackTopologyKey(provider),
        replicas: s.replicas ?? (dev ? 1 : 3),
        replicationFactor: s.replicationFactor ?? (dev ? 1 : 3),
        minInSyncReplicas: s.minInSyncReplicas ?? (dev ? 1 : 2),
        storageSize: s.storageSize ?? (dev ? "10Gi" : "100Gi"),
        feedbackQuota: { ...FEEDBACK_QUOTA_DEFAULTS, ...s.feedbackQuota },
    };
}

/** Durability floors outside dev (SPEC 11): Kafka RF/min ISR, Pulsar write/ack quorum, brokers/bookies. */
export const streamingFloors = { replicas: 3, replicationFactor: 3, minInSyncReplicas: 2 } as const;

/**
 * Cross-field and durability checks of the streaming section: one line per problem naming the
 * full key, the value given and the floor or fix. `roles` decides which keys apply.
 */
export function streamingIssues(raw: RawStreamingConfig, environment: string, roles: { training: boolean; serving: boolean }, ctx?: StreamingContext): string[] {
    const out: string[] = [];
    const k = (p: string) => `hybridml:streaming.${p}`;
    const s = resolveStreaming(raw, environment, ctx?.clusterProvider);
    const pulsar = s.engine === "pulsar";
    if (s.minInSyncReplicas > s.replicationFactor) {
        out.push(`${k("minInSyncReplicas")} must be <= replicationFactor (got ${s.minInSyncReplicas} > ${s.replicationFactor})`);
    }
    if (s.replicationFactor > s.replicas) {
        out.push(`${k("replicationFactor")} must be <= replicas (got ${s.replicationFactor} > ${s.replicas}): a topic cannot have more replicas than there are ${pulsar ? "bookies" : "brokers"}`);
    }
    if (environment !== "dev") {
        const what = pulsar
            ? { replicas: "bookies and brokers", replicationFactor: "write quorum", minInSyncReplicas: "ack quorum" }
            : { replicas: "brokers", replicationFactor: "replication factor", minInSyncReplicas: "min in-sync replicas" };
        for (const key of ["replicas", "replicationFactor", "minInSyncReplicas"] as const) {
            if (s[key] < streamingFloors[key]) {
                out.push(`${k(key)} must be >= ${streamingFloors[key]} outside dev (${what[key]}; got ${s[key]} in ${environment}): only dev may run below the durability floor`);
            }
        }
    }
    if (pulsar && environment !== "dev" && s.replicas < s.replicationFactor + 1) {
        out.push(`${k("replicas")} must be >= replicationFactor + 1 with Pulsar outside dev (got ${s.replicas} bookies for an ensemble of ${s.replicationFactor}): `
            + "a restarting bookie must leave a spare, or writes stop until it is back");
    }
    if (raw.ca.renewal !== undefined && pulsar) {
        out.push(`${k("ca.renewal")} pauses Strimzi's reconciliation during a Kafka CA key replacement (engine is pulsar: cert-manager re-issues its certificates by itself): remove it`);
    }
    if (raw.tokenLifetimeDays !== undefined && !pulsar) {
        out.push(`${k("tokenLifetimeDays")} is the lifetime of Pulsar's role tokens (engine is kafka, whose users authenticate with SCRAM or certificates): remove it`);
    }
    if (raw.feedbackQuota !== undefined && (pulsar || !roles.training)) {
        out.push(`${k("feedbackQuota")} limits the feedback users of a Kafka training stack (${pulsar ? "engine is pulsar" : "this stack has no training role"}): remove it`);
    }
    if (raw.rackTopologyKey !== undefined) {
        if (pulsar) {
            out.push(`${k("rackTopologyKey")} is only used with engine kafka (engine is pulsar): remove it`);
        } else if (ctx && !guaranteedNodeLabels[ctx.clusterProvider].includes(raw.rackTopologyKey)) {
            out.push(`${k("rackTopologyKey")} ${JSON.stringify(raw.rackTopologyKey)} is not a label provider ${ctx.clusterProvider} guarantees on every node `
                + `(guaranteed: ${guaranteedNodeLabels[ctx.clusterProvider].join(", ")}): Strimzi's broker init container exits on a node without it; use one of those or remove the key`);
        }
    }
    if (ctx?.schedulableHosts !== undefined && environment !== "dev") {
        // Required anti-affinity (ZooKeeper, bookies) and per-host spread (KRaft controllers, brokers): one pod per host.
        const needed = Math.max(s.replicas, QUORUM_NODES);
        if (ctx.schedulableHosts < needed) {
            const what = pulsar ? `${QUORUM_NODES} ZooKeepers and ${s.replicas} bookies` : `${QUORUM_NODES} controllers and ${s.replicas} brokers`;
            out.push(`hybridml:cluster.hosts has ${ctx.schedulableHosts} host(s) without GPUs, but ${what} need ${needed} hosts outside dev (one per host; GPU hosts are tainted): `
                + `add hosts without gpu to hybridml:cluster.hosts${s.replicas > QUORUM_NODES ? " or lower hybridml:streaming.replicas" : ""}`);
        }
    }
    const names = s.topics.map((t) => t.name);
    const dup = names.filter((n, i) => names.indexOf(n) !== i);
    if (dup.length > 0) out.push(`${k("topics")} has duplicate names (got ${JSON.stringify([...new Set(dup)])})`);
    if (s.crossClusterReplication && !s.topics.some((t) => t.feedback)) {
        out.push(`${k("topics")} has no feedback topic but crossClusterReplication is true: mark one topic feedback: true (e.g. inference-feedback) or set crossClusterReplication: false`);
    }
    if (raw.feedbackProducers.length > 0 && !roles.training) {
        out.push(`${k("feedbackProducers")} is a training stack's list of serving stacks allowed to send feedback; this stack has no training role: remove it`);
    }
    if (raw.bootstrap !== undefined && !roles.training) {
        out.push(`${k("bootstrap")} is the address a training stack publishes; a serving-only stack replicates to the bootstrap its training stack exports: remove it (got ${JSON.stringify(raw.bootstrap)})`);
    }
    const producers = raw.feedbackProducers;
    if (new Set(producers).size !== producers.length) out.push(`${k("feedbackProducers")} lists a stack twice (got ${JSON.stringify(producers)})`);
    return out;
}

/** A serving stack's engine must be the engine of the training stack it reads (known once the contract is read). */
export function streamingContractIssues(
    s: Pick<RawStreamingConfig, "engine" | "crossClusterReplication"> & Partial<Pick<RawStreamingConfig, "topics">>,
    stack: string,
    training: { stack: string; engine: string; feedbackProducers?: string[]; feedbackPartitions?: Record<string, number> },
): string[] {
    const out: string[] = [];
    if (s.crossClusterReplication && training.feedbackPartitions) {
        (s.topics ?? []).forEach((t, i) => {
            const want = training.feedbackPartitions?.[t.name];
            if (t.feedback && want !== undefined && t.partitions !== want) {
                out.push(`hybridml:streaming.topics[${i}].partitions is ${t.partitions} but training stack ${training.stack} mirrors ${t.name} into ${want} partitions: `
                    + `replication maps partition to partition and this stack's replication user may not add partitions there; set partitions: ${want}`);
            }
        });
    }
    if (s.engine !== training.engine) {
        out.push(`hybridml:streaming.engine is ${JSON.stringify(s.engine)} but training stack ${training.stack} runs ${JSON.stringify(training.engine)}: `
            + `feedback cannot flow between engines; set hybridml:streaming.engine: ${training.engine} on this stack (or change the training stack)`);
    }
    if (s.crossClusterReplication && training.feedbackProducers !== undefined && !training.feedbackProducers.includes(stack)) {
        out.push(`hybridml:streaming.feedbackProducers of training stack ${training.stack} does not list this stack (${stack}): add "${stack}" there and run pulumi up on ${training.stack} first, `
            + "or set hybridml:streaming.crossClusterReplication: false on this stack");
    }
    return out;
}
