/**
 * The training role (SPEC 2): the private-cloud side that owns datasets and publishes approved
 * models. Later components (Rook-Ceph, streaming, GPU operator) hang off this function; the
 * contract it returns is what serving stacks read.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import type { Cluster } from "../components/clusters/types";
import type { BaseServices } from "./base";
import { S3Credentials } from "../components/storage/s3Credentials";
import { CONTRACT_VERSION, ModelStoreCredentials, TrainingContract } from "./contract";

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

/** Default streaming bootstrap: Strimzi's TLS bootstrap service, or the Pulsar proxy. */
export function defaultBootstrap(engine: "kafka" | "pulsar"): string {
    return engine === "kafka"
        ? `${inCluster.kafkaCluster}-kafka-bootstrap.${inCluster.kafkaNamespace}.svc:9093`
        : `pulsar-proxy.${inCluster.pulsarNamespace}.svc:6651`;
}

/** The contract a training stack publishes, from its config and the model-sync credentials. Pure. */
export function trainingContract(config: PlatformConfig, credentials: pulumi.Output<ModelStoreCredentials>): TrainingContract {
    return {
        contractVersion: CONTRACT_VERSION,
        modelCatalog: config.models.map((m) => ({
            name: m.name, version: m.version, format: m.format, runtime: m.runtime, artifactPath: m.artifactPath, gpu: m.gpu,
            ...(m.sha256 ? { sha256: m.sha256 } : {}),
        })),
        modelStore: {
            endpoint: config.storage.endpoint ?? defaultModelStoreEndpoint(),
            bucket: inCluster.modelsBucket,
            region: config.storage.region,
        },
        modelStoreReadCredentials: credentials,
        streaming: {
            engine: config.streaming.engine,
            bootstrap: config.streaming.bootstrap ?? defaultBootstrap(config.streaming.engine),
            caCert: null,
            feedbackTopics: config.streaming.topics.filter((t) => t.feedback).map((t) => t.name),
        },
    };
}

/** Deploy the training role onto `cluster` and return the contract it publishes. */
export function deployTraining(name: string, config: PlatformConfig, _cluster: Cluster, _base: BaseServices): TrainingContract {
    // Read-only key pair for the model sync of serving stacks (Rook CephObjectStoreUser keys).
    const modelSync = new S3Credentials(`${name}-model-sync`);
    return trainingContract(config, modelSync.credentials);
}
