/**
 * The streaming backbone of a stack (SPEC 5 "Streaming", 6): the engine of the training stack with
 * the users and credentials of the serving stacks it accepts feedback from, and on a serving stack
 * a small local engine for its feedback plus the replication back to training (MirrorMaker 2 or
 * Pulsar geo-replication), wired from the contract read through the StackReference.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { ConfigError, type PlatformConfig } from "../config";
import { streamingContractIssues } from "../config/streaming";
import { allowedSourceRanges } from "../config/exposure";
import type { Cluster } from "../components/clusters/types";
import { KafkaCluster } from "../components/streaming/kafkaCluster";
import { KafkaMirror } from "../components/streaming/kafkaMirror";
import {
    brokerHostTemplate, feedbackProducerUser, feedbackUserName, mirroredTopic, mirrorSourceUser, requestLoggerUser, TopicSpecInput, trainingUser,
} from "../components/streaming/kafkaSpecs";
import { Pulsar } from "../components/streaming/pulsar";
import { PulsarGeoReplication } from "../components/streaming/pulsarGeoReplication";
import { pulsarTopic } from "../components/streaming/pulsarSpecs";
import { StreamingCa } from "../components/streaming/streamingCa";
import { StrimziOperator } from "../components/streaming/strimziOperator";
import type { BaseServices } from "./base";
import type { ReplicationCredentials, StreamingEndpoint, TrainingContract } from "./contract";
import type { FeedbackStream } from "./serving";

/** In-cluster names (kept equal to `inCluster` in stacks/training.ts). */
export const streamingNames = {
    kafkaNamespace: "kafka",
    trainingKafka: "training",
    servingKafka: "feedback",
    pulsarNamespace: "pulsar",
    pulsarRelease: "pulsar",
    strimziNamespace: "strimzi-system",
    trainingRole: "training",
    requestLogger: "request-logger",
} as const;

/** Default bootstrap serving stacks use: training's external Kafka listener, or the Pulsar proxy (TLS). */
export function defaultStreamingBootstrap(engine: "kafka" | "pulsar"): string {
    return engine === "kafka"
        ? `${streamingNames.trainingKafka}-kafka-external-bootstrap.${streamingNames.kafkaNamespace}.svc:9094`
        : `${streamingNames.pulsarRelease}-proxy.${streamingNames.pulsarNamespace}.svc:6651`;
}

/** What the training stack's engine publishes. */
export interface TrainingStreaming {
    endpoint: StreamingEndpoint;
    credentials: pulumi.Output<ReplicationCredentials>;
}

/** The feedback stream of a stack that trains and serves (dev): the training engine itself, no replication. */
const localStreams = new WeakMap<Cluster, FeedbackStream>();

/** Partitions of each feedback topic, as the contract publishes them. */
export function feedbackPartitions(topics: Pick<TopicSpecInput, "name" | "partitions" | "feedback">[]): Record<string, number> {
    return Object.fromEntries(topics.filter((t) => t.feedback).map((t) => [t.name, t.partitions]));
}

function topicsOf(config: PlatformConfig): TopicSpecInput[] {
    return config.streaming.topics.map((t) => ({ name: t.name, partitions: t.partitions, retentionHours: t.retentionHours, feedback: t.feedback }));
}

function providers(name: string) {
    return {
        tlsProvider: new tls.Provider(`${name}-streaming-tls`, {}),
        randomProvider: new random.Provider(`${name}-streaming-random`, {}),
    };
}

/** The clients CA of a Kafka cluster (signs mTLS user certificates, the request logger's included). */
function clientsCa(name: string, config: PlatformConfig, tlsProvider: tls.Provider): StreamingCa {
    return new StreamingCa(`${name}-streaming-clients-ca`, {
        tlsProvider, commonName: `hybridml ${config.stack} kafka clients CA`, protect: config.protectStateful, generation: config.streaming.ca.keyGeneration,
    });
}

/** The request logger's stream on Kafka: the internal mTLS listener, with its Pulumi-issued certificate. */
function kafkaFeedbackStream(kafka: KafkaCluster, ca: StreamingCa, topic: string): FeedbackStream {
    const logger = kafka.clientCertificates.apply((c) => c[streamingNames.requestLogger]);
    return {
        engine: "kafka", address: kafka.internalBootstrap, topic, ready: kafka.kafka,
        client: { caCert: ca.certPem, cert: pulumi.secret(logger.apply((c) => c?.cert ?? "")), key: pulumi.secret(logger.apply((c) => c?.key ?? "")) },
    };
}

/** The request logger's stream on Pulsar: the brokers' TLS service URL, with its role token. */
function pulsarFeedbackStream(pulsar: Pulsar, topic: string): FeedbackStream {
    return {
        engine: "pulsar", address: pulsar.serviceUrl, topic: pulsarTopic(topic, true), ready: pulsar.streamsJob,
        client: { caCert: pulsar.caCert, token: pulumi.secret(pulsar.clientTokens.apply((t) => t[streamingNames.requestLogger] ?? "")) },
    };
}

/**
 * A serving stack's engine must match its training stack's, and the training stack must accept its
 * feedback: checked right after the contract is read, before anything is registered.
 */
export function checkStreamingContract(config: PlatformConfig, contract: Pick<TrainingContract, "streaming">): void {
    if (!config.trainingStack) return;
    const issues = streamingContractIssues(config.streaming, config.stack, {
        stack: config.trainingStack.fullName, engine: contract.streaming.engine, feedbackProducers: contract.streaming.feedbackProducers,
        feedbackPartitions: contract.streaming.feedbackPartitions,
    });
    if (issues.length > 0) throw new ConfigError(config.stack, issues);
}

/** Deploy the training stack's engine; returns the contract's `streaming` and the replication credentials. */
export function deployTrainingStreaming(name: string, config: PlatformConfig, cluster: Cluster, base: BaseServices): TrainingStreaming {
    const s = config.streaming;
    const dev = config.environment === "dev";
    const topics = topicsOf(config);
    const feedbackTopics = topics.filter((t) => t.feedback).map((t) => t.name);
    const producers = s.crossClusterReplication ? s.feedbackProducers : [];
    const bootstrap = s.bootstrap ?? defaultStreamingBootstrap(s.engine);
    const bootstrapHost = s.bootstrap ? s.bootstrap.split(":")[0] : undefined;
    const allowed = allowedSourceRanges(config.exposure);
    const { tlsProvider, randomProvider } = providers(name);
    const ca = new StreamingCa(`${name}-streaming-ca`, {
        tlsProvider, commonName: `hybridml ${config.stack} ${s.engine} CA`, protect: config.protectStateful, generation: s.ca.keyGeneration,
    });

    if (s.engine === "kafka") {
        const operator = new StrimziOperator(`${name}-strimzi`, {
            provider: cluster.provider, namespace: streamingNames.strimziNamespace, watchNamespaces: [streamingNames.kafkaNamespace],
            charts: config.charts,
            protect: config.protectStateful,
        });
        const users = [
            trainingUser(topics, producers),
            ...producers.map((p) => feedbackProducerUser(p, feedbackTopics, s.feedbackQuota)),
            ...(config.roles.serving ? [requestLoggerUser(topics)] : []),
        ];
        const kafka = new KafkaCluster(`${name}-kafka`, {
            provider: cluster.provider, randomProvider, namespace: operator.watchedNamespaces[0], clusterName: streamingNames.trainingKafka,
            operator: operator.release, brokers: s.replicas, controllers: dev ? 1 : 3, rackTopologyKey: s.rackTopologyKey,
            replicationFactor: s.replicationFactor, minInSyncReplicas: s.minInSyncReplicas,
            storageSize: s.storageSize, storageClass: s.storageClass, deleteClaim: dev,
            topics,
            extraTopics: producers.flatMap((p) => topics.filter((t) => t.feedback).map((t) => ({
                topicName: mirroredTopic(p, t.name), resourceName: mirroredTopic(p, t.name), topic: t,
            }))),
            users,
            // Exposed (LoadBalancer) only under the external name the stack publishes, with its allow-list.
            external: bootstrapHost ? { bootstrapHost, allowedSources: allowed } : undefined, ca, clientsCa: clientsCa(name, config, tlsProvider), tlsProvider, pauseReconciliation: s.ca.renewal === "paused",
            monitoring: base.monitoring, protect: config.protectStateful,
        });
        if (config.roles.serving && feedbackTopics.length > 0) {
            localStreams.set(cluster, kafkaFeedbackStream(kafka, ca, feedbackTopics[0]));
        }
        const credentials = pulumi.secret(kafka.scramPasswords.apply((pw) => Object.fromEntries(producers.map((p) => [p, {
            username: feedbackUserName(p), password: pw[feedbackUserName(p)] ?? "",
        }]))));
        return {
            endpoint: {
                engine: "kafka", bootstrap, caCert: ca.trustBundlePem, feedbackTopics, feedbackPartitions: feedbackPartitions(topics), feedbackProducers: producers,
                ...(bootstrapHost ? { exposure: {
                    dnsName: bootstrapHost,
                    // Strimzi's broker certificates carry the bootstrap alternative name and each broker's advertised name.
                    sans: [bootstrapHost, brokerHostTemplate(bootstrapHost), `${streamingNames.trainingKafka}-kafka-external-bootstrap.${streamingNames.kafkaNamespace}.svc`],
                    allowedSources: allowed,
                } } : {}),
            },
            credentials,
        };
    }

    const pulsar = new Pulsar(`${name}-pulsar`, {
        charts: config.charts, provider: cluster.provider, tlsProvider, namespace: streamingNames.pulsarNamespace, releaseName: streamingNames.pulsarRelease,
        tokenIssuedAt: Date.now(), tokenLifetimeDays: s.tokenLifetimeDays,
        clusterName: config.stack, dev, replicas: s.replicas, writeQuorum: s.replicationFactor, ackQuorum: s.minInSyncReplicas,
        storageSize: s.storageSize, storageClass: s.storageClass, exposeProxy: bootstrapHost !== undefined, proxyHost: bootstrapHost,
        ca, topics, trainingRole: streamingNames.trainingRole, feedbackRoles: producers.map(feedbackUserName), proxyAllowedSources: allowed,
        clientRoles: config.roles.serving ? [streamingNames.requestLogger] : [],
        monitoring: base.monitoring, protect: config.protectStateful,
        dependsOn: base.certManager ? [base.certManager] : [],
    });
    if (config.roles.serving && feedbackTopics.length > 0) localStreams.set(cluster, pulsarFeedbackStream(pulsar, feedbackTopics[0]));
    const credentials = pulumi.secret(pulsar.roleTokens.apply((tokens) => Object.fromEntries(producers.map((p) => [p, {
        username: feedbackUserName(p), password: tokens[feedbackUserName(p)] ?? "",
    }]))));
    return {
        endpoint: {
            engine: "pulsar", bootstrap, caCert: ca.trustBundlePem, feedbackTopics, feedbackPartitions: feedbackPartitions(topics), feedbackProducers: producers, clusterName: config.stack,
            ...(bootstrapHost ? { exposure: {
                dnsName: bootstrapHost,
                // tls.proxy.dnsNames plus the chart's in-cluster proxy names.
                sans: [bootstrapHost, `${streamingNames.pulsarRelease}-proxy.${streamingNames.pulsarNamespace}.svc.cluster.local`],
                allowedSources: allowed,
            } } : {}),
        },
        credentials,
    };
}

/**
 * Deploy a serving stack's feedback stream: its own small engine (sized by its config) and the
 * replication of the feedback topics to training. On a stack that also trains, the training
 * engine is the feedback stream. Returns what the request logger's sink writes to.
 */
export function deployServingStreaming(name: string, config: PlatformConfig, cluster: Cluster, contract: TrainingContract, base: BaseServices): FeedbackStream | undefined {
    const local = localStreams.get(cluster);
    if (config.roles.training) return local;
    const s = config.streaming;
    const dev = config.environment === "dev";
    const topics = topicsOf(config);
    const feedbackTopics = topics.filter((t) => t.feedback).map((t) => t.name);
    if (feedbackTopics.length === 0) return undefined;
    const replicate = s.crossClusterReplication && contract.streaming.feedbackTopics.length > 0;
    const credential = contract.streamingReplicationCredentials.apply((c) => c?.[config.stack]);
    const password = pulumi.secret(credential.apply((c) => c?.password ?? ""));
    const caCert = contract.streaming.caCert ?? "";
    const { tlsProvider, randomProvider } = providers(name);
    const ca = new StreamingCa(`${name}-streaming-ca`, {
        tlsProvider, commonName: `hybridml ${config.stack} ${s.engine} CA`, protect: config.protectStateful, generation: s.ca.keyGeneration,
    });

    if (s.engine === "kafka") {
        const operator = new StrimziOperator(`${name}-strimzi`, {
            provider: cluster.provider, namespace: streamingNames.strimziNamespace, watchNamespaces: [streamingNames.kafkaNamespace],
            charts: config.charts,
            protect: config.protectStateful,
        });
        const kafka = new KafkaCluster(`${name}-kafka`, {
            provider: cluster.provider, randomProvider, namespace: operator.watchedNamespaces[0], clusterName: streamingNames.servingKafka,
            operator: operator.release, brokers: s.replicas, controllers: dev ? 1 : 3, rackTopologyKey: s.rackTopologyKey,
            replicationFactor: s.replicationFactor, minInSyncReplicas: s.minInSyncReplicas,
            storageSize: s.storageSize, storageClass: s.storageClass, deleteClaim: dev,
            topics, users: [mirrorSourceUser(feedbackTopics), requestLoggerUser(topics)],
            ca, clientsCa: clientsCa(name, config, tlsProvider), tlsProvider, pauseReconciliation: s.ca.renewal === "paused", monitoring: base.monitoring, protect: config.protectStateful,
        });
        if (replicate) {
            new KafkaMirror(`${name}-mirror`, {
                provider: cluster.provider, namespace: operator.watchedNamespaces[0], operator: operator.release, localKafka: kafka.kafka,
                source: { alias: config.stack, bootstrap: kafka.internalBootstrap, caSecretName: kafka.caCertSecretName, userSecretName: "mirror-maker" },
                target: {
                    alias: "training", bootstrap: contract.streaming.bootstrap, caCert,
                    username: feedbackUserName(config.stack), password,
                },
                topics: feedbackTopics.filter((t) => contract.streaming.feedbackTopics.includes(t)),
                replicas: dev ? 1 : 2,
            });
        }
        return kafkaFeedbackStream(kafka, ca, feedbackTopics[0]);
    }

    const pulsar = new Pulsar(`${name}-pulsar`, {
        charts: config.charts, provider: cluster.provider, tlsProvider, namespace: streamingNames.pulsarNamespace, releaseName: streamingNames.pulsarRelease,
        tokenIssuedAt: Date.now(), tokenLifetimeDays: s.tokenLifetimeDays,
        clusterName: config.stack, dev, replicas: s.replicas, writeQuorum: s.replicationFactor, ackQuorum: s.minInSyncReplicas,
        storageSize: s.storageSize, storageClass: s.storageClass, ca, topics, clientRoles: [streamingNames.requestLogger],
        remoteCaCert: replicate ? caCert : undefined, monitoring: base.monitoring, protect: config.protectStateful,
        dependsOn: base.certManager ? [base.certManager] : [],
    });
    let georep: PulsarGeoReplication | undefined;
    if (replicate) {
        const [host, port] = contract.streaming.bootstrap.split(":");
        georep = new PulsarGeoReplication(`${name}-georep`, {
            provider: cluster.provider, namespace: streamingNames.pulsarNamespace, localCluster: config.stack,
            local: { adminUrl: pulsar.adminUrl, adminTokenSecret: pulsar.adminTokenSecret, caSecret: pulsar.caSecret },
            remote: {
                clusterName: contract.streaming.clusterName ?? config.trainingStack?.stack ?? "training",
                host, brokerPort: Number(port ?? 6651), webPort: 443, token: password,
            },
            dependsOn: [pulsar.release, pulsar.streamsJob],
        });
    }
    // The sink starts only once the feedback namespace replicates to training: nothing logged before stays behind.
    const stream = pulsarFeedbackStream(pulsar, feedbackTopics[0]);
    return georep ? { ...stream, ready: georep.job } : stream;
}
