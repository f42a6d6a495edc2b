/**
 * One served model: a KServe v1beta1 InferenceService (Standard mode, HPA autoscaling) reading its
 * local copy of exactly the catalogue's version, as the platform's model-reader identity, logging
 * requests and responses to the feedback sink; plus a PodDisruptionBudget when it runs more than
 * one predictor replica.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ISVC_SCRAPE_ANNOTATION } from "../../lib/kserveRuntimes";

/**
 * The model container's security context (Pod Security "restricted"): the Triton and Hugging Face
 * server images run as uid 1000; the model itself is read from KServe's /mnt/models emptyDir.
 */
export const MODEL_SECURITY_CONTEXT = {
    runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
} as const;

/** KServe's labels on predictor pods (Standard mode). */
export function predictorSelector(isvc: string): Record<string, string> {
    return { "serving.kserve.io/inferenceservice": isvc, component: "predictor" };
}
/** Port of the predictor's Service target when the logger is on (KServe's agent sidecar), and of the model server. */
export const PREDICTOR_PORTS = { agent: 9081, model: 8080 } as const;

export interface ServedModel {
    name: string;
    version: string;
    /** KServe model format name (onnx, huggingface, sklearn, ...). */
    format: string;
    /** ClusterServingRuntime name. */
    runtime: string;
    /** GPUs per replica (0: CPU only, no GPU scheduling). */
    gpu: number;
}

export interface InferenceServiceArgs {
    /** Provider of the target cluster (required). */
    provider: k8s.Provider;
    /** Namespace (the serving namespace). Required. */
    namespace: pulumi.Input<string>;
    /** The catalogue entry. Required. */
    model: ServedModel;
    /** Storage URI of the local copy of exactly this version. Required. */
    storageUri: pulumi.Input<string>;
    /** Service account bound to the platform's model-read identity. Required. */
    serviceAccountName: pulumi.Input<string>;
    /** Extra predictor pod labels the identity needs (AKS workload identity). Default {}. */
    podLabels?: Record<string, string>;
    /** GPU node selector and taint toleration (used only when model.gpu > 0). Required. */
    gpuScheduling: { nodeSelector: Record<string, string>; toleration: { key: string; operator: string; value: string; effect: string } };
    /** Replica bounds and HPA target. Required. */
    scaling: { minReplicas: number; maxReplicas: number; metric: "cpu" | "memory"; target: number };
    /** Requests and limits of the model container (nvidia.com/gpu added for GPU models). Required. */
    resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
    /** URL of the feedback sink (request/response logger); no logger when absent. Default none. */
    loggerUrl?: pulumi.Input<string>;
    /** What must exist first: the sync Job, KServe, its runtimes, the GPU operator. Default []. */
    dependsOn?: pulumi.Resource[];
}

/** The InferenceService spec (pure; validated against the v0.20.0 CRD in the tests). */
export function inferenceServiceSpec(a: Omit<InferenceServiceArgs, "provider" | "namespace" | "dependsOn">): Record<string, any> {
    const gpu = a.model.gpu > 0;
    const gpuLimit: Record<string, string> = gpu ? { "nvidia.com/gpu": String(a.model.gpu) } : {};
    const probe = (path: string) => ({ httpGet: { path, port: PREDICTOR_PORTS.model }, periodSeconds: 10, timeoutSeconds: 5 });
    return {
        predictor: {
            minReplicas: a.scaling.minReplicas,
            maxReplicas: a.scaling.maxReplicas,
            scaleMetric: a.scaling.metric,
            scaleTarget: a.scaling.target,
            serviceAccountName: a.serviceAccountName,
            ...(a.podLabels && Object.keys(a.podLabels).length > 0 ? { labels: a.podLabels } : {}),
            ...(gpu ? { nodeSelector: a.gpuScheduling.nodeSelector, tolerations: [a.gpuScheduling.toleration] } : {}),
            ...(a.loggerUrl ? { logger: { mode: "all", url: a.loggerUrl } } : {}),
            // Restricted pod security: the model server writes only to an emptyDir (/tmp, also its HOME for caches).
            volumes: [{ name: "scratch", emptyDir: {} }],
            model: {
                modelFormat: { name: a.model.format },
                securityContext: MODEL_SECURITY_CONTEXT,
                env: [{ name: "HOME", value: "/tmp" }],
                volumeMounts: [{ name: "scratch", mountPath: "/tmp" }],
                runtime: a.model.runtime,
                storageUri: a.storageUri,
                resources: {
                    requests: { ...a.resources.requests, ...gpuLimit },
                    limits: { ...a.resources.limits, ...gpuLimit },
                },
                // Large models load slowly: the startup probe allows 10 minutes before liveness applies.
                startupProbe: { ...probe("/v2/health/ready"), failureThreshold: 60 },
                readinessProbe: { ...probe("/v2/health/ready"), failureThreshold: 3 },
                livenessProbe: { ...probe("/v2/health/live"), failureThreshold: 3 },
            },
        },
    };
}

export class InferenceService extends pulumi.ComponentResource {
    public readonly isvc: k8s.apiextensions.CustomResource;
    public readonly pdb: k8s.policy.v1.PodDisruptionBudget | undefined;
    public readonly storageUri: pulumi.Output<string>;

    constructor(name: string, args: InferenceServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("hybridml:serving:InferenceService", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        const m = args.model;
        const labels = { "app.kubernetes.io/part-of": "hybridml", "hybridml.io/model": m.name, "hybridml.io/model-version": m.version };
        this.isvc = new k8s.apiextensions.CustomResource(`${name}-isvc`, {
            apiVersion: "serving.kserve.io/v1beta1",
            kind: "InferenceService",
            metadata: {
                name: m.name,
                namespace: args.namespace,
                labels,
                // Scraping on: KServe annotates the predictor pods with its runtime's metrics port and path (observability/kserveMonitors.ts).
                annotations: { "serving.kserve.io/deploymentMode": "Standard", "serving.kserve.io/autoscalerClass": "hpa", [ISVC_SCRAPE_ANNOTATION]: "true" },
            },
            spec: inferenceServiceSpec(args),
        }, { ...child, dependsOn: args.dependsOn ?? [] });
        this.pdb = args.scaling.minReplicas > 1 ? new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, {
            metadata: { name: `${m.name}-predictor`, namespace: args.namespace, labels },
            spec: { maxUnavailable: 1, selector: { matchLabels: predictorSelector(m.name) } },
        }, { ...child, dependsOn: [this.isvc] }) : undefined;
        this.storageUri = pulumi.output(args.storageUri);
        this.registerOutputs({ isvc: this.isvc, pdb: this.pdb, storageUri: this.storageUri });
    }
}
