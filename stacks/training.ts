/**
 * The training role (SPEC 2): the private-cloud side that owns datasets and publishes approved
 * models. Later components (Rook-Ceph, streaming, GPU operator) hang off this function; the
 * contract it returns is what serving stacks read.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import type { Cluster } from "../components/clusters/types";
import type { BaseServices } from "./base";
import * as random from "@pulumi/random";
import { RookCeph, RookCephArgs } from "../components/storage/rookCeph";
import { S3Credentials } from "../components/storage/s3Credentials";
import { RgwTls } from "../components/storage/rgwTls";
import { rgwCertificateNames } from "../components/storage/rookSpecs";
import * as tls from "@pulumi/tls";
import { allowedSourceRanges } from "../config/exposure";
import { defaultStreamingBootstrap, deployTrainingStreaming, feedbackPartitions } from "./streaming";
import { CONTRACT_VERSION, ModelStore, ModelStoreCredentials, ReplicationCredentials, TrainingContract } from "./contract";

/** In-cluster names the storage and streaming components use (defaults for the contract endpoints). */
export const inCluster = {
    rookNamespace: "rook-ceph",
    objectStore: "models",
    modelsBucket: "models",
    kafkaNamespace: "kafka",
    kafkaCluster: "training",
    pulsarNamespace: "pulsar",
} as const;

/** Default S3 endpoint: the RGW service of the object store (reachable in-cluster, e.g. on dev). */
export function defaultModelStoreEndpoint(): string {
    return `http://rook-ceph-rgw-${inCluster.objectStore}.${inCluster.rookNamespace}.svc`;
}

/**
 * The model store as a workload on the training cluster itself reaches it: RGW's Service name, over
 * https when the store has a certificate (its SANs carry that name), else the plain in-cluster URL.
 */
export function inClusterModelStore(store: ModelStore): ModelStore {
    const svc = `rook-ceph-rgw-${inCluster.objectStore}.${inCluster.rookNamespace}.svc`;
    return { ...store, endpoint: store.caCert !== null ? `https://${svc}` : `http://${svc}` };
}

/** Default streaming bootstrap: Strimzi's external (SCRAM, TLS) bootstrap service, or the Pulsar proxy (TLS). */
export function defaultBootstrap(engine: "kafka" | "pulsar"): string {
    return defaultStreamingBootstrap(engine);
}

/** The contract a training stack publishes, from its config and the model-sync credentials. Pure. */
export function trainingContract(
    config: PlatformConfig,
    credentials: pulumi.Output<ModelStoreCredentials>,
    modelStore?: ModelStore,
): TrainingContract {
    return {
        contractVersion: CONTRACT_VERSION,
        modelCatalog: config.models.map((m) => ({
            name: m.name, version: m.version, format: m.format, runtime: m.runtime, artifactPath: m.artifactPath, gpu: m.gpu,
            ...(m.sha256 ? { sha256: m.sha256 } : {}),
        })),
        // Without Rook the stack publishes the configured endpoint as is (no certificate issued here: no CA).
        modelStore: modelStore ?? {
            endpoint: config.storage.endpoint ?? defaultModelStoreEndpoint(),
            bucket: inCluster.modelsBucket,
            region: config.storage.region,
            caCert: null,
        },
        modelStoreReadCredentials: credentials,
        streaming: {
            engine: config.streaming.engine,
            bootstrap: config.streaming.bootstrap ?? defaultBootstrap(config.streaming.engine),
            caCert: null,
            feedbackTopics: config.streaming.topics.filter((t) => t.feedback).map((t) => t.name),
            feedbackPartitions: feedbackPartitions(config.streaming.topics),
        },
        streamingReplicationCredentials: pulumi.secret<ReplicationCredentials>({}),
    };
}

/** RookCeph arguments from the resolved `storage` config (dev sizing only on environment dev). */
export function rookCephArgs(
    config: PlatformConfig,
    cluster: Pick<Cluster, "provider">,
    base: Pick<BaseServices, "monitoring">,
    modelSyncCredentials: pulumi.Input<ModelStoreCredentials>,
    tls?: RookCephArgs["tls"],
): RookCephArgs {
    const r = config.storage.rook;
    const dev = config.environment === "dev";
    return {
        charts: config.charts,
        provider: cluster.provider,
        modelSyncCredentials,
        namespace: inCluster.rookNamespace,
        osds: r.osdSource === "pvc"
            ? { source: "pvc", count: r.osdCount, size: r.osdSize, storageClassName: r.osdStorageClass }
            : { source: "devices", deviceFilter: r.deviceFilter, ...(r.nodes ? { nodes: r.nodes } : {}) },
        monCount: r.monCount,
        mgrCount: dev ? 1 : 2,
        allowMultiplePerNode: dev,
        poolSize: r.poolSize,
        failureDomain: r.failureDomain,
        erasureCoding: r.erasureCoding ?? false,
        rgwInstances: r.rgwInstances,
        endpoint: config.storage.endpoint,
        tlsSecret: r.tlsSecret,
        tls,
        allowedSources: allowedSourceRanges(config.exposure),
        ...(config.exposure.endpointAddresses ? { endpointAddresses: config.exposure.endpointAddresses } : {}),
        region: config.storage.region,
        buckets: config.storage.buckets,
        dataDirHostPath: r.dataDirHostPath,
        encryption: !dev,
        retainBuckets: !dev,
        monitoring: base.monitoring,
        protect: config.protectStateful,
    };
}

/** Deploy the training role onto `cluster` and return the contract it publishes. */
export function deployTraining(name: string, config: PlatformConfig, cluster: Cluster, base: BaseServices): TrainingContract {
    // Read-only key pair for the model sync of serving stacks (the Rook CephObjectStoreUser's keys).
    const randomProvider = new random.Provider(`${name}-training-random`);
    const modelSync = new S3Credentials(`${name}-model-sync`, { provider: randomProvider });
    // Rook-Ceph: the models bucket, its endpoint and the read-only user the contract publishes.
    // An https endpoint gets its certificate here (external name + the RGW Service names Rook calls).
    const endpoint = config.storage.endpoint;
    const rgwTls = config.storage.rook.enabled && endpoint?.startsWith("https://")
        ? new RgwTls(`${name}-rgw-tls`, {
            tlsProvider: new tls.Provider(`${name}-training-tls`, {}),
            dnsNames: rgwCertificateNames(inCluster.rookNamespace, endpoint),
            caCommonName: `hybridml ${config.stack} object store CA`,
            protect: config.protectStateful,
        })
        : undefined;
    const storage = config.storage.rook.enabled
        ? new RookCeph(`${name}-storage`, rookCephArgs(config, cluster, base, modelSync.credentials, rgwTls ? {
            certPem: rgwTls.certPem, privateKeyPem: rgwTls.privateKeyPem, caCertPem: rgwTls.caCertPem, dnsNames: rgwTls.dnsNames,
        } : undefined))
        : undefined;
    const streaming = deployTrainingStreaming(name, config, cluster, base);
    const contract = trainingContract(config, storage?.modelStoreReadCredentials ?? modelSync.credentials, storage?.modelStore);
    return { ...contract, streaming: streaming.endpoint, streamingReplicationCredentials: streaming.credentials };
}
