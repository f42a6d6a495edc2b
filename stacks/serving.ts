/**
 * The serving role (SPEC 2): identical on every platform except what the platform forces
 * (storage URI scheme, identity annotations). Later components (GPU operator, KServe, model
 * sync) hang off this function and consume the training contract.
 */
import * as pulumi from "@pulumi/pulumi";
import { type PlatformConfig, UserError } from "../config";
import { Cluster, gpuToleration, MODEL_READER, MODEL_WRITER } from "../components/clusters/types";
import { FeedbackSink, SINK, SinkClient, streamPort as sinkStreamPort } from "../components/serving/feedbackSink";
import { InferenceService, PREDICTOR_PORTS } from "../components/serving/inferenceService";
import { KServe, RUNTIME_VALUES_KEYS } from "../components/serving/kserve";
import { ModelNamespace } from "../components/serving/modelNamespace";
import { KServeMonitors, PREDICTOR_METRICS_PORTS } from "../components/observability/kserveMonitors";
import { MONITORING_NAMESPACE } from "../components/observability/monitoring";
import { LocalStore, ModelSync, modelStorageUri, SYNC_POD_LABELS } from "../components/serving/modelSync";
import { identityEndpoints, ServingNetworkPolicies, StorePeer } from "../components/serving/networkPolicies";
import { RGW_POD_PORTS, rgwPodLabels, rookNames } from "../components/storage/rookSpecs";
import { artefactProblems } from "../lib/kserveRuntimes";
import { versions } from "../lib/versions";
import type { BaseServices } from "./base";
import type { ModelCatalogEntry, TrainingContract } from "./contract";

/** Claim holding the local model copies where the cluster has no cloud bucket (onprem, k3s). */
export const LOCAL_STORE_CLAIM = "model-store";

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
    /**
     * TLS CA and the request logger's credential (Kafka mTLS cert/key or Pulsar token; secret
     * Outputs) for a TLS/authenticated listener. Absent: the sink connects in plain text.
     */
    client?: SinkClient;
}

/** Runtimes to install: the configured ones plus every one the catalogue names (which must be a known runtime). */
export function servingRuntimes(configured: string[], catalogue: ReadonlyArray<Pick<ModelCatalogEntry, "name" | "runtime">>): string[] {
    const unknown = catalogue.filter((m) => !(m.runtime in RUNTIME_VALUES_KEYS));
    if (unknown.length > 0) {
        throw new UserError(unknown.map((m) => `modelCatalog entry ${m.name} names serving runtime ${JSON.stringify(m.runtime)}, which KServe ${versions.charts.kserve} does not ship`
            + ` (known: ${Object.keys(RUNTIME_VALUES_KEYS).join(", ")}): fix hybridml:models in the training stack`).join("\n"));
    }
    return [...new Set([...configured, ...catalogue.map((m) => m.runtime)])].sort();
}

/**
 * Catalogue entries this stack cannot serve: an InferenceService name must be a DNS-1123 label short
 * enough for KServe's `<name>-predictor` objects (63 characters), and a version a path segment.
 */
export function catalogueProblems(catalogue: ReadonlyArray<Pick<ModelCatalogEntry, "name" | "version"> & Partial<Pick<ModelCatalogEntry, "runtime" | "artifactPath">>>): string[] {
    return catalogue.flatMap((m) => [
        ...(m.runtime !== undefined && m.artifactPath !== undefined ? artefactProblems({ name: m.name, runtime: m.runtime, artifactPath: m.artifactPath }).map((p) => `modelCatalog entry ${p}`) : []),
        ...(/^[a-z]([-a-z0-9]{0,43}[a-z0-9])?$/.test(m.name) ? [] : [`modelCatalog entry ${JSON.stringify(m.name)}: the name must be a DNS-1123 label of at most 45 characters (it names the InferenceService)`]),
        ...(/^[A-Za-z0-9._-]{1,64}$/.test(m.version) && m.version !== "." && m.version !== ".." ? [] : [`modelCatalog entry ${m.name}: version ${JSON.stringify(m.version)} must be 1-64 of A-Z a-z 0-9 . _ -`]),
    ]);
}

/** Port of the training object store endpoint (URL), as the sync reaches it. */
export function endpointPort(endpoint: string): number {
    const u = new URL(endpoint);
    return u.port ? Number(u.port) : u.protocol === "http:" ? 80 : 443;
}

/**
 * The training store as a NetworkPolicy peer. The in-cluster RGW Service (`rook-ceph-rgw-<store>.<ns>.svc`,
 * a stack with both roles) is its pods on their container port (8080 for http: the Service's port 80 is
 * translated before the policy applies); any other endpoint is outside the cluster, on the URL's port.
 */
export function trainingStorePeer(endpoint: string, cidrs: string[] = ["0.0.0.0/0"]): StorePeer {
    const u = new URL(endpoint);
    const m = /^rook-ceph-rgw-([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\.cluster\.local)?$/.exec(u.hostname);
    if (m && m[1] === rookNames.objectStore) {
        const tls = u.protocol === "https:";
        return { kind: "pods", namespace: m[2], podLabels: rgwPodLabels(m[2]), port: tls ? RGW_POD_PORTS.https : RGW_POD_PORTS.http };
    }
    return { kind: "external", cidrs, port: endpointPort(endpoint) };
}

/**
 * Deploy the serving role onto `cluster`, reading models published by the training stack:
 * cert-manager, KServe (Standard mode) and its runtimes, the model sync into the local store, the
 * feedback sink (when the stack has a feedback stream), default-deny network policies, and one
 * InferenceService per catalogue model that depends on the sync Job.
 */
export function deployServing(name: string, config: PlatformConfig, cluster: Cluster, contract: TrainingContract, base: BaseServices, feedback?: FeedbackStream) {
    const s = config.serving;
    const provider = cluster.provider;
    const store = cluster.objectStore;
    const identity = store?.readIdentity;
    const prod = config.environment === "prod";
    const catalogue = contract.modelCatalog;
    const problems = catalogueProblems(catalogue);
    if (problems.length > 0) throw new UserError(`${problems.join("\n")}\nFix hybridml:models in the training stack.`);
    const runtimes = servingRuntimes(s.runtimes, catalogue);
    const models = new ModelNamespace(`${name}-models`, {
        provider,
        namespace: s.namespace,
        serviceAccountName: identity?.serviceAccountName ?? MODEL_READER.serviceAccountName,
        serviceAccountAnnotations: identity?.serviceAccountAnnotations ?? {},
        // No identity labels on the namespace: AKS workload identity reads them from pods (predictor and sync templates).
    });
    const namespace = models.namespace;
    if (!base.certManager) throw new Error("the serving role needs cert-manager from the base services (needsCertManager)");
    const kserve = new KServe(`${name}-kserve`, {
        charts: config.charts, provider, certManager: base.certManager, runtimes,
    });
    const localStore: LocalStore = store
        ? { kind: store.kind, uriPrefix: store.uriPrefix, region: store.region }
        : {
            kind: "pvc", claimName: LOCAL_STORE_CLAIM, size: s.localStore.size,
            // A stack running Rook (dev) has CephFS: ReadWriteMany for the sync and every predictor.
            storageClass: s.localStore.storageClass ?? (config.storage.rook.enabled ? rookNames.storageClasses.filesystem : undefined),
        };
    const writer = store?.writeIdentity;
    const sync = new ModelSync(`${name}-model-sync`, {
        provider,
        namespace,
        models: catalogue,
        source: { endpoint: contract.modelStore.endpoint, bucket: contract.modelStore.bucket, region: contract.modelStore.region },
        sourceCaCert: contract.modelStore.caCert ?? undefined,
        sourceCredentials: contract.modelStoreReadCredentials,
        store: localStore,
        writer: {
            serviceAccountName: writer?.serviceAccountName ?? MODEL_WRITER.serviceAccountName,
            annotations: writer?.serviceAccountAnnotations,
            podLabels: writer?.podLabels,
        },
        schedule: s.modelSyncSchedule,
        protect: config.protectStateful,
        // The copy runs only once the writer identity has its permissions (policy/IAM/role assignment and binding).
        dependsOn: writer?.grants ?? [],
    });
    const sink = feedback ? new FeedbackSink(`${name}-feedback-sink`, {
        provider, namespace, replicas: prod ? 2 : 1,
        stream: { engine: feedback.engine, address: feedback.address, topic: feedback.topic, ready: feedback.ready, client: feedback.client },
    }) : undefined;
    const streamPort = feedback ? pulumi.output(feedback.address).apply((a) => sinkStreamPort(feedback.engine, a)) : undefined;
    new ServingNetworkPolicies(`${name}-netpol`, {
        provider,
        namespace,
        rules: {
            predictors: { component: "predictor" },
            callers: [s.namespace, ...s.callerNamespaces],
            predictorPort: sink ? PREDICTOR_PORTS.agent : PREDICTOR_PORTS.model,
            sync: { ...SYNC_POD_LABELS },
            trainingStore: trainingStorePeer(contract.modelStore.endpoint, contract.modelStore.exposure?.addresses),
            sink: streamPort ? { selector: { ...SINK.labels }, port: SINK.port, streamPort } : undefined,
            scrapers: base.monitoring ? { namespace: MONITORING_NAMESPACE, ports: [...PREDICTOR_METRICS_PORTS] } : undefined,
            modelStore: store ? [...(s.modelStoreEgressCidrs ?? ["0.0.0.0/0"]).map((cidr) => ({ cidr, port: 443 })), ...identityEndpoints(cluster.platform)] : [],
        },
    });
    // Prometheus (base monitoring) scrapes the KServe controller and every predictor pod.
    if (base.monitoring) {
        new KServeMonitors(`${name}-kserve-monitors`, {
            provider, monitoring: base.monitoring, servingNamespace: s.namespace, dependsOn: [models, kserve.controller],
        });
    }
    const services = catalogue.map((m) => new InferenceService(`${name}-isvc-${m.name}`, {
        provider,
        namespace,
        model: m,
        storageUri: sync.uriPrefix.apply((p) => modelStorageUri(p, m)),
        serviceAccountName: models.serviceAccountName,
        podLabels: identity?.podLabels,
        gpuScheduling: { nodeSelector: cluster.gpu.nodeSelector, toleration: gpuToleration() },
        scaling: { minReplicas: s.minReplicas, maxReplicas: s.maxReplicas, metric: s.scaleMetric, target: s.scaleTarget },
        resources: s.resources,
        loggerUrl: sink?.url,
        dependsOn: [sync.job, ...(identity?.grants ?? []), kserve.controller, kserve.runtimes,
            ...(m.gpu > 0 && base.gpuOperator ? [base.gpuOperator] : []), ...(sink ? [sink.deployment, sink.service] : [])],
    }));
    return {
        servingNamespace: models.namespace,
        /** The catalogue this stack serves, as read from the training stack. */
        servedModels: catalogue.map((m) => `${m.name}:${m.version}`),
        modelSource: contract.modelStore,
        feedbackTopics: contract.streaming.feedbackTopics,
        modelSyncJob: sync.jobName,
        inferenceServices: services.map((i) => ({ name: i.isvc.metadata.name, storageUri: i.storageUri })),
    };
}
