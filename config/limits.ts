/**
 * Upper bounds of every count a stack file sets (issue 17): a value above them is almost certainly
 * a typo (`maxSize: 600` for 6) that would order hundreds of GPU nodes or brokers. Each is well
 * above what one platform stack needs; raise one here (and in README "Configuration") when a real
 * deployment needs more. Pure data.
 */
export const limits = {
    /** cluster.systemPool.minSize / maxSize: nodes of the system pool. */
    systemNodes: 100,
    /** cluster.gpuPool.minSize / maxSize: nodes of the GPU pool. */
    gpuNodes: 64,
    /** cluster.hosts: k3s hosts of one edge site. */
    k3sHosts: 100,
    /** cluster.authorizedCidrs: entries (EKS allows 40 public access CIDRs, GKE 50 authorised networks). */
    authorizedCidrs: 40,
    /** cluster.network.zones: zones of one region. */
    zones: 6,
    /** storage.rook.osdCount: PVC-backed OSDs. */
    osds: 100,
    /** streaming.replicas: Kafka brokers / Pulsar bookies and brokers. */
    brokers: 15,
    /** streaming.replicationFactor / minInSyncReplicas. */
    replication: 7,
    /** streaming.topics: topics. */
    topics: 100,
    /** streaming.feedbackProducers: serving stacks sending feedback. */
    feedbackProducers: 50,
    /** serving.minReplicas / maxReplicas: predictor replicas per InferenceService. */
    predictorReplicas: 100,
    /** models: catalogue entries. */
    models: 100,
    /** models[].gpu: GPUs per predictor replica. */
    gpusPerModel: 16,
} as const;
