/**
 * The serving role (SPEC 2): identical on every platform except what the platform forces
 * (storage URI scheme, identity annotations). Later components (GPU operator, KServe, model
 * sync) hang off this function and consume the training contract.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import type { Cluster } from "../components/clusters/types";
import { ModelNamespace } from "../components/serving/modelNamespace";
import type { BaseServices } from "./base";
import type { TrainingContract } from "./contract";

/**
 * The serving stack's local feedback stream (built by the streaming components, read by the
 * InferenceServices' request/response logger sink): what is logged here is mirrored back to training.
 */
export interface FeedbackStream {
    engine: "kafka" | "pulsar";
    /** In-cluster address the sink writes to: Kafka bootstrap host:port, or the Pulsar service URL. */
    address: pulumi.Output<string> | string;
    /** The feedback topic inference logs are written to (Pulsar: persistent://tenant/ns/topic). */
    topic: string;
    /** The stream's readiness (its cluster resource): the sink depends on it. */
    ready: pulumi.Resource | undefined;
}

/** Deploy the serving role onto `cluster`, reading models published by the training stack. */
export function deployServing(name: string, config: PlatformConfig, cluster: Cluster, contract: TrainingContract, _base: BaseServices) {
    const identity = cluster.objectStore?.readIdentity;
    const models = new ModelNamespace(`${name}-models`, {
        provider: cluster.provider,
        namespace: config.serving.namespace,
        serviceAccountName: identity?.serviceAccountName ?? "model-reader",
        serviceAccountAnnotations: identity?.serviceAccountAnnotations ?? {},
        labels: identity?.podLabels,
    });
    return {
        servingNamespace: models.namespace,
        /** The catalogue this stack serves, as read from the training stack. */
        servedModels: contract.modelCatalog.map((m) => `${m.name}:${m.version}`),
        modelSource: contract.modelStore,
        feedbackTopics: contract.streaming.feedbackTopics,
    };
}
