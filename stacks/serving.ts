/**
 * The serving role (SPEC 2): identical on every platform except what the platform forces
 * (storage URI scheme, identity annotations). Later components (GPU operator, KServe, model
 * sync) hang off this function and consume the training contract.
 */
import type { PlatformConfig } from "../config";
import type { Cluster } from "../components/clusters/types";
import { ModelNamespace } from "../components/serving/modelNamespace";
import type { TrainingContract } from "./contract";

/** Deploy the serving role onto `cluster`, reading models published by the training stack. */
export function deployServing(name: string, config: PlatformConfig, cluster: Cluster, contract: TrainingContract) {
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
