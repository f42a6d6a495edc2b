/**
 * Pure builders of the Strimzi 1.2.0 (`kafka.strimzi.io/v1`) custom resources and operator values:
 * Kafka (KRaft), KafkaNodePool, KafkaTopic, KafkaUser (ACLs), KafkaMirrorMaker2, and the Strimzi
 * chart values. No Pulumi resources here: the components feed these into CustomResources and the
 * tests validate them against the real CRD schemas (including their CEL rules).
 */

/** The API version Strimzi 1.2.0 serves (v1 only). */
export const STRIMZI_API = "kafka.strimzi.io/v1";
/** Node label the brokers' rack (broker.rack) is read from on the managed clouds (the default elsewhere is the host). */
export const ZONE_LABEL = "topology.kubernetes.io/zone";
/** Node label every Kubernetes node carries. */
export const HOSTNAME_LABEL = "kubernetes.io/hostname";
/** Internal listener: TLS with mutual-TLS client authentication. */
export const INTERNAL_LISTENER = { name: "tls", port: 9093 } as const;
/** External listener: TLS with SCRAM-SHA-512, for cross-cluster traffic (MirrorMaker 2). */
export const EXTERNAL_LISTENER = { name: "external", port: 9094 } as const;

/** One stream as the components need it. */
export interface TopicSpecInput {
    name: string;
    partitions: number;
    retentionHours: number;
    feedback: boolean;
}

/** A Strimzi simple-authorization ACL rule. */
export interface KafkaAcl {
    resource: { type: "topic" | "group" | "cluster" | "transactionalId"; name?: string; patternType?: "literal" | "prefix" };
    operations: Array<"Read" | "Write" | "Create" | "Delete" | "Alter" | "Describe" | "ClusterAction" | "AlterConfigs" | "DescribeConfigs" | "IdempotentWrite" | "All">;
}

/**
 * A KafkaUser the cluster gets: mTLS with a certificate from the User Operator (`tls`) or from Pulumi
 * (`tls-external`: a client outside the Kafka namespace, e.g. the feedback sink), or SCRAM-SHA-512
 * (external listener, password from a Pulumi-managed Secret).
 */
/** Strimzi KafkaUser broker quotas (per broker). */
export interface KafkaQuotas {
    producerByteRate?: number;
    consumerByteRate?: number;
    requestPercentage?: number;
    controllerMutationRate?: number;
}

export interface KafkaUserInput {
    name: string;
    authentication: "tls" | "tls-external" | "scram-sha-512";
    acls: KafkaAcl[];
    /** Broker quotas of the user. Default: none (unthrottled). */
    quotas?: KafkaQuotas;
}

/** Strimzi labels that tie a CR or Secret to its Kafka cluster. */
export const clusterLabels = (cluster: string) => ({ "strimzi.io/cluster": cluster });

/** Names of the cluster CA secrets Strimzi reads when `clusterCa.generateCertificateAuthority` is false. */
export const clusterCaSecretNames = (cluster: string) => ({ cert: `${cluster}-cluster-ca-cert`, key: `${cluster}-cluster-ca` });
/** Names of the clients CA secrets Strimzi reads when `clientsCa.generateCertificateAuthority` is false. */
export const clientsCaSecretNames = (cluster: string) => ({ cert: `${cluster}-clients-ca-cert`, key: `${cluster}-clients-ca` });

/** In-cluster bootstrap of the internal TLS listener. */
export const internalBootstrap = (cluster: string, namespace: string) => `${cluster}-kafka-bootstrap.${namespace}.svc:${INTERNAL_LISTENER.port}`;

/** Name of the Secret holding a SCRAM user's password (key `password`), referenced by its KafkaUser. */
export const scramSecretName = (user: string) => `${user}-scram`;

/** Strimzi operator chart values: watch exactly `watchNamespaces`, PDB and resources set. */
export function strimziOperatorValues(watchNamespaces: string[]): Record<string, unknown> {
    return {
        replicas: 1,
        watchNamespaces,
        watchAnyNamespace: false,
        createGlobalResources: true,
        generatePodDisruptionBudget: true,
        generateNetworkPolicy: true,
        resources: { requests: { cpu: "200m", memory: "384Mi" }, limits: { cpu: "1", memory: "384Mi" } },
    };
}

export interface KafkaSpecInput {
    /** Kafka version the brokers run (pinned: an operator upgrade never upgrades Kafka by surprise). */
    version: string;
    /** Node label of the brokers' rack; it must be on every node (the broker init container exits otherwise). */
    rackTopologyKey: string;
    replicationFactor: number;
    minInSyncReplicas: number;
    /**
     * The external listener (undefined: none): the bootstrap's DNS name (external-dns annotation and
     * certificate SAN; brokers get `<first label>-<node id>.<rest>`), and the source ranges admitted.
     */
    external?: { bootstrapHost?: string; allowedSources?: string[] };
    /** SCRAM/TLS users that are super users (none by default: everything goes through ACLs). */
    superUsers?: string[];
}

/** The external-dns annotation that gives a Service its DNS name (the site runs external-dns for the zone). */
export const EXTERNAL_DNS_HOSTNAME = "external-dns.alpha.kubernetes.io/hostname";

/** Per-broker external name for `bootstrapHost` (`kafka.example.org` -> `kafka-{nodeId}.example.org`; Strimzi fills in `{nodeId}`). */
export function brokerHostTemplate(bootstrapHost: string): string {
    const [first, ...rest] = bootstrapHost.split(".");
    return [`${first}-{nodeId}`, ...rest].join(".");
}

/**
 * The external listener's configuration: its bootstrap and per-broker Services get DNS names
 * (external-dns annotations), brokers advertise those names (never raw load-balancer addresses, and
 * Strimzi puts them in the broker certificates), and only `allowedSources` may connect.
 */
export function externalListenerConfiguration(e: { bootstrapHost?: string; allowedSources?: string[] }): Record<string, unknown> {
    const sources = e.allowedSources ?? [];
    return {
        externalTrafficPolicy: "Local",
        ...(sources.length > 0 ? { loadBalancerSourceRanges: [...sources] } : {}),
        ...(e.bootstrapHost ? {
            bootstrap: { alternativeNames: [e.bootstrapHost], annotations: { [EXTERNAL_DNS_HOSTNAME]: e.bootstrapHost } },
            advertisedHostTemplate: brokerHostTemplate(e.bootstrapHost),
            perBrokerAnnotationsTemplate: { [EXTERNAL_DNS_HOSTNAME]: brokerHostTemplate(e.bootstrapHost) },
        } : {}),
    };
}

/** Kafka CR spec: KRaft with node pools, TLS listeners, simple authorization, rack awareness, Pulumi-provided cluster CA. */
export function kafkaSpec(i: KafkaSpecInput): Record<string, unknown> {
    const rf = i.replicationFactor;
    const isr = i.minInSyncReplicas;
    const listeners: Record<string, unknown>[] = [
        { name: INTERNAL_LISTENER.name, port: INTERNAL_LISTENER.port, type: "internal", tls: true, authentication: { type: "tls" } },
    ];
    if (i.external) {
        listeners.push({
            name: EXTERNAL_LISTENER.name, port: EXTERNAL_LISTENER.port, type: "loadbalancer", tls: true,
            authentication: { type: "scram-sha-512" },
            configuration: externalListenerConfiguration(i.external),
        });
    }
    return {
        kafka: {
            version: i.version,
            listeners,
            authorization: { type: "simple", ...(i.superUsers && i.superUsers.length > 0 ? { superUsers: i.superUsers } : {}) },
            rack: { topologyKey: i.rackTopologyKey },
            config: {
                "default.replication.factor": rf,
                "min.insync.replicas": isr,
                "offsets.topic.replication.factor": rf,
                "transaction.state.log.replication.factor": rf,
                "transaction.state.log.min.isr": isr,
                "auto.create.topics.enable": false,
            },
            metricsConfig: {
                type: "strimziMetricsReporter",
                values: { allowList: ["kafka_server.*", "kafka_network.*", "kafka_controller.*", "kafka_log.*", "kafka_cluster_partition.*"] },
            },
            template: { podDisruptionBudget: { maxUnavailable: 1 } },
        },
        entityOperator: {
            topicOperator: { resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "256Mi" } } },
            userOperator: { resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "256Mi" } } },
        },
        clusterCa: { generateCertificateAuthority: false },
        clientsCa: { generateCertificateAuthority: false },
    };
}

export interface NodePoolInput {
    role: "controller" | "broker";
    replicas: number;
    size: string;
    storageClass?: string;
    deleteClaim: boolean;
    /** Kafka cluster name (the pods' `strimzi.io/cluster` label). */
    cluster: string;
    /** Pool name (the pods' `strimzi.io/pool-name` label). */
    pool: string;
    /** The rack key: pods are spread over it too (Strimzi adds no spread constraint of its own). */
    rackTopologyKey: string;
}

/**
 * Spread of a pool's pods: evenly over hosts and over the rack key (zones on the clouds), hard
 * (`DoNotSchedule`): with rack awareness Strimzi spreads partition replicas over racks, but places
 * pods only as the constraints say, so two brokers of one pool could otherwise share a node.
 */
export function poolSpreadConstraints(cluster: string, pool: string, rackTopologyKey: string): Record<string, unknown>[] {
    const labelSelector = { matchLabels: { "strimzi.io/cluster": cluster, "strimzi.io/pool-name": pool } };
    const keys = [...new Set([HOSTNAME_LABEL, rackTopologyKey])];
    return keys.map((topologyKey) => ({ maxSkew: 1, topologyKey, whenUnsatisfiable: "DoNotSchedule", labelSelector }));
}

/** KafkaNodePool spec: JBOD with one persistent-claim volume holding the KRaft metadata log too. */
export function nodePoolSpec(i: NodePoolInput): Record<string, unknown> {
    const controller = i.role === "controller";
    return {
        replicas: i.replicas,
        roles: [i.role],
        storage: {
            type: "jbod",
            volumes: [{
                id: 0, type: "persistent-claim", size: i.size, deleteClaim: i.deleteClaim, kraftMetadata: "shared",
                ...(i.storageClass ? { class: i.storageClass } : {}),
            }],
        },
        resources: controller
            ? { requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } }
            : { requests: { cpu: "500m", memory: "2Gi" }, limits: { cpu: "2", memory: "2Gi" } },
        template: { pod: { topologySpreadConstraints: poolSpreadConstraints(i.cluster, i.pool, i.rackTopologyKey) } },
    };
}

/** KafkaTopic spec: partitions, replication and retention from config; min ISR per topic too. */
export function topicSpec(t: TopicSpecInput, replicationFactor: number, minInSyncReplicas: number, topicName?: string): Record<string, unknown> {
    return {
        ...(topicName ? { topicName } : {}),
        partitions: t.partitions,
        replicas: replicationFactor,
        config: {
            "retention.ms": t.retentionHours * 3_600_000,
            "min.insync.replicas": minInSyncReplicas,
            "cleanup.policy": "delete",
        },
    };
}

/** KafkaUser spec: authentication (SCRAM password from `scramSecretName(name)`) and simple ACLs. */
export function userSpec(u: KafkaUserInput): Record<string, unknown> {
    return {
        authentication: u.authentication === "scram-sha-512"
            ? { type: "scram-sha-512", password: { valueFrom: { secretKeyRef: { name: scramSecretName(u.name), key: "password" } } } }
            : { type: u.authentication },
        authorization: {
            type: "simple",
            acls: u.acls.map((a) => ({ type: "allow", resource: { patternType: "literal", ...a.resource }, operations: a.operations })),
        },
        ...(u.quotas ? { quotas: u.quotas } : {}),
    };
}

const topicAcl = (name: string, operations: KafkaAcl["operations"], patternType: "literal" | "prefix" = "literal"): KafkaAcl =>
    ({ resource: { type: "topic", name, patternType }, operations });
const groupAcl = (name: string, operations: KafkaAcl["operations"], patternType: "literal" | "prefix" = "literal"): KafkaAcl =>
    ({ resource: { type: "group", name, patternType }, operations });

/** Consumer group / Connect group prefix of the training jobs. */
export const TRAINING_GROUP_PREFIX = "training-";

/** The training jobs' user (mTLS): read every stream and the mirrored feedback, write features and model events. */
export function trainingUser(topics: TopicSpecInput[], producers: string[]): KafkaUserInput {
    const feedback = topics.filter((t) => t.feedback).map((t) => t.name);
    return {
        name: "training",
        authentication: "tls",
        acls: [
            ...topics.map((t) => topicAcl(t.name, t.feedback ? ["Read", "Describe"] : ["Read", "Write", "Describe"])),
            ...producers.flatMap((p) => feedback.map((f) => topicAcl(mirroredTopic(p, f), ["Read", "Describe"]))),
            groupAcl(TRAINING_GROUP_PREFIX, ["Read", "Describe"], "prefix"),
        ],
    };
}

/** Name of the feedback topic of serving stack `source` on the training cluster (MirrorMaker 2 DefaultReplicationPolicy: `<source alias>.<topic>`). */
export const mirroredTopic = (source: string, topic: string) => `${source}.${topic}`;

/** MirrorMaker 2's Connect group and internal topics on the target (training) cluster, per serving stack. */
export function mirrorConnectNames(source: string) {
    const group = `mirrormaker2-${source}`;
    return { group, configs: `${group}-configs`, status: `${group}-status`, offsets: `${group}-offsets` };
}

/** Name of the KafkaUser on the training cluster for serving stack `source`'s feedback replication. */
export const feedbackUserName = (source: string) => `feedback-${source}`;

/**
 * The per-serving-stack replication user on the training cluster (SCRAM, external listener): it may
 * only write its own mirrored feedback topics (`<source>.<feedback>`) and use its own MirrorMaker
 * Connect group and internal topics. It can never read `features` or any other stream.
 */
export function feedbackProducerUser(source: string, feedbackTopics: string[], quotas?: KafkaQuotas): KafkaUserInput {
    const c = mirrorConnectNames(source);
    return {
        name: feedbackUserName(source),
        authentication: "scram-sha-512",
        ...(quotas ? { quotas } : {}),
        acls: [
            ...feedbackTopics.map((f) => topicAcl(mirroredTopic(source, f), ["Write", "Describe"])),
            topicAcl(`${c.group}-`, ["Read", "Write", "Create", "Describe", "DescribeConfigs"], "prefix"),
            groupAcl(c.group, ["Read", "Describe"]),
        ],
    };
}

/** Local (serving-side) MirrorMaker source user (mTLS): read the feedback topics, keep offset-syncs on the source. */
export function mirrorSourceUser(feedbackTopics: string[]): KafkaUserInput {
    return {
        name: "mirror-maker",
        authentication: "tls",
        acls: [
            ...feedbackTopics.map((f) => topicAcl(f, ["Read", "Describe", "DescribeConfigs"])),
            topicAcl("mm2-offset-syncs.", ["Read", "Write", "Create", "Describe", "DescribeConfigs"], "prefix"),
            groupAcl("mirrormaker2-", ["Read", "Describe"], "prefix"),
        ],
    };
}

/** Local (serving-side) request logger (mTLS): the InferenceServices' logger sink writes requests and feedback. */
export function requestLoggerUser(topics: TopicSpecInput[]): KafkaUserInput {
    return {
        name: "request-logger",
        // Its certificate comes from Pulumi (signed by the clients CA), so the sink in the serving namespace can use it.
        authentication: "tls-external",
        acls: topics.filter((t) => t.feedback || t.name === "inference-requests").map((t) => topicAcl(t.name, ["Write", "Describe"])),
    };
}

export interface MirrorMaker2Input {
    /** The serving stack (source alias: it prefixes the topics on the training side). */
    sourceAlias: string;
    sourceBootstrap: string;
    /** Secret with the local cluster CA (`ca.crt`) and the local mTLS user (`user.crt`, `user.key`). */
    sourceCaSecret: string;
    sourceUserSecret: string;
    targetAlias: string;
    targetBootstrap: string;
    /** Secret holding the training cluster CA as `ca.crt`. */
    targetCaSecret: string;
    targetUsername: string;
    /** Secret holding the SCRAM password as `password`. */
    targetPasswordSecret: string;
    topics: string[];
    replicas: number;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** KafkaMirrorMaker2 spec: Connect on the training cluster, one mirror from the local cluster, DefaultReplicationPolicy. */
export function mirrorMaker2Spec(i: MirrorMaker2Input): Record<string, unknown> {
    const c = mirrorConnectNames(i.sourceAlias);
    return {
        replicas: i.replicas,
        target: {
            alias: i.targetAlias,
            bootstrapServers: i.targetBootstrap,
            groupId: c.group,
            configStorageTopic: c.configs,
            statusStorageTopic: c.status,
            offsetStorageTopic: c.offsets,
            tls: { trustedCertificates: [{ secretName: i.targetCaSecret, certificate: "ca.crt" }] },
            authentication: {
                type: "scram-sha-512", username: i.targetUsername,
                passwordSecret: { secretName: i.targetPasswordSecret, password: "password" },
            },
            config: {
                "config.storage.replication.factor": -1,
                "offset.storage.replication.factor": -1,
                "status.storage.replication.factor": -1,
            },
        },
        mirrors: [{
            source: {
                alias: i.sourceAlias,
                bootstrapServers: i.sourceBootstrap,
                tls: { trustedCertificates: [{ secretName: i.sourceCaSecret, certificate: "ca.crt" }] },
                authentication: { type: "tls", certificateAndKey: { secretName: i.sourceUserSecret, certificate: "user.crt", key: "user.key" } },
            },
            sourceConnector: {
                tasksMax: 2,
                config: {
                    "replication.factor": -1,
                    "offset-syncs.topic.location": "source",
                    "offset-syncs.topic.replication.factor": -1,
                    "replication.policy.class": "org.apache.kafka.connect.mirror.DefaultReplicationPolicy",
                    "sync.topic.acls.enabled": "false",
                    "sync.topic.configs.enabled": "false",
                    "refresh.topics.interval.seconds": 60,
                },
            },
            topicsPattern: i.topics.map(escapeRegex).join("|"),
        }],
        resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } },
    };
}

/** PodMonitor spec scraping the Strimzi metrics reporter port (9404, `tcp-prometheus`) of a cluster's pods. */
export function kafkaPodMonitorSpec(cluster: string, namespace: string): Record<string, unknown> {
    return {
        selector: { matchLabels: { "strimzi.io/cluster": cluster, "strimzi.io/kind": "Kafka" } },
        namespaceSelector: { matchNames: [namespace] },
        podMetricsEndpoints: [{ port: "tcp-prometheus", path: "/metrics", interval: "30s" }],
    };
}
