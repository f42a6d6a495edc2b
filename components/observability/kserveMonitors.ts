/**
 * KServeMonitors: a ServiceMonitor for the KServe controller and a PodMonitor for the predictor
 * pods of the serving namespace (SPEC 5 "Observability"), picked up by the Prometheus of
 * `Monitoring` (which selects monitors in every namespace).
 *
 * - Controller: KServe's `kserve-controller-manager-metrics-service` exposes the controller's metrics
 *   behind an authenticating proxy on the named port `https` (8443, self-signed certificate): scraped
 *   with Prometheus's service-account token (kube-prometheus-stack grants it `get` on `/metrics`).
 * - Predictors (Standard/raw deployment mode): every pod KServe creates for an InferenceService
 *   carries `serving.kserve.io/inferenceservice`. The serving runtimes declare no container ports
 *   (the KServe Python servers serve `/metrics` on 8080, Triton on 8002), so a PodMonitor that selects
 *   a port by name or number finds no target. KServe's own way is used instead: the InferenceService
 *   carries `serving.kserve.io/enable-prometheus-scraping`, KServe copies the runtime's
 *   `prometheus.kserve.io/port` and `/path` onto the pod as `prometheus.io/*` annotations, and the
 *   PodMonitor scrapes the `kserve-container` at the address and path those annotations give.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { MONITORING_NAMESPACE } from "./monitoring";

/** Namespace KServe's controller runs in (the kserve chart's release namespace). */
export const KSERVE_NAMESPACE = "kserve";
/** Label KServe puts on every pod of an InferenceService. */
export const ISVC_POD_LABEL = "serving.kserve.io/inferenceservice";
/** Metrics ports of the model servers: KServe Python servers (8080) and Triton (8002); NetworkPolicies open them to Prometheus. */
export const PREDICTOR_METRICS_PORTS = [8080, 8002] as const;
/** The model server's container in every predictor pod. */
export const PREDICTOR_CONTAINER = "kserve-container";

/** One monitoring.coreos.com object as Pulumi registers it. */
export interface MonitorResource {
    apiVersion: "monitoring.coreos.com/v1";
    kind: "ServiceMonitor" | "PodMonitor";
    metadata: { name: string; namespace: string; labels: Record<string, string> };
    spec: Record<string, unknown>;
}

const labels = { "app.kubernetes.io/part-of": "hybridml", "app.kubernetes.io/component": "kserve" };

/** Service account of the platform's Prometheus (kube-prometheus-stack names it `<release>-prometheus`). */
export const PROMETHEUS_SERVICE_ACCOUNT = "kube-prometheus-stack-prometheus";
/** Secret (in the monitoring namespace) holding a token of that service account, for the controller's authenticating proxy. */
export const PROMETHEUS_TOKEN_SECRET = "prometheus-scrape-token";

/**
 * ServiceMonitor of the KServe controller's metrics service. It lives in the monitoring namespace and
 * selects the service in `kserveNamespace`, so that its `authorization` can name the Prometheus token
 * Secret there (`bearerTokenFile` is deprecated in prometheus-operator v0.93).
 */
export function kserveControllerServiceMonitor(kserveNamespace: string, monitoringNamespace: string = MONITORING_NAMESPACE): MonitorResource {
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { name: "kserve-controller", namespace: monitoringNamespace, labels },
        spec: {
            selector: { matchLabels: { "control-plane": "kserve-controller-manager", "app.kubernetes.io/name": "kserve" } },
            namespaceSelector: { matchNames: [kserveNamespace] },
            endpoints: [{
                port: "https",
                scheme: "https",
                path: "/metrics",
                interval: "30s",
                authorization: { type: "Bearer", credentials: { name: PROMETHEUS_TOKEN_SECRET, key: "token" } },
                tlsConfig: { insecureSkipVerify: true },
            }],
        },
    };
}

/** Prometheus's pod discovery labels of a pod annotation. */
const podAnnotation = (a: string) => `__meta_kubernetes_pod_annotation_${a.replace(/[^a-zA-Z0-9]/g, "_")}`;

/**
 * PodMonitor of the predictor pods of every InferenceService in `namespace`: the `kserve-container` of
 * each pod KServe annotated for scraping, at the port and path of its annotations. Without declared
 * ports Prometheus discovers one port-less target per container; with declared ports, one per port,
 * which the relabelling makes identical (Prometheus keeps one).
 */
export function predictorPodMonitor(namespace: string): MonitorResource {
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: "kserve-predictors", namespace, labels },
        spec: {
            selector: { matchExpressions: [{ key: ISVC_POD_LABEL, operator: "Exists" }] },
            namespaceSelector: { matchNames: [namespace] },
            podTargetLabels: [ISVC_POD_LABEL],
            podMetricsEndpoints: [{
                interval: "30s",
                relabelings: [
                    { action: "keep", sourceLabels: [podAnnotation("prometheus.io/scrape")], regex: "true" },
                    { action: "keep", sourceLabels: ["__meta_kubernetes_pod_container_name"], regex: PREDICTOR_CONTAINER },
                    {
                        action: "replace", sourceLabels: ["__meta_kubernetes_pod_ip", podAnnotation("prometheus.io/port")],
                        separator: ";", regex: "(.+);(\\d+)", replacement: "$1:$2", targetLabel: "__address__",
                    },
                    { action: "replace", sourceLabels: [podAnnotation("prometheus.io/path")], regex: "(.+)", targetLabel: "__metrics_path__" },
                ],
            }],
        },
    };
}

export interface KServeMonitorsArgs {
    /** Provider of the target cluster (required). */
    provider: k8s.Provider;
    /** The monitoring release (installs the CRDs). Required: the monitors depend on it. */
    monitoring: pulumi.Resource;
    /** Namespace of the InferenceServices (config `serving.namespace`). Required. */
    servingNamespace: string;
    /** Namespace of the KServe controller. Default `kserve`. */
    kserveNamespace?: string;
    /** More resources the monitors wait for (the KServe release, the serving namespace). Default []. */
    dependsOn?: pulumi.Resource[];
}

/** ServiceMonitor + PodMonitor for KServe. */
export class KServeMonitors extends pulumi.ComponentResource {
    public readonly serviceMonitor: k8s.apiextensions.CustomResource;
    public readonly podMonitor: k8s.apiextensions.CustomResource;

    constructor(name: string, args: KServeMonitorsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("hybridml:observability:KServeMonitors", name, {}, opts);
        const childOpts: pulumi.CustomResourceOptions = {
            parent: this, provider: args.provider, dependsOn: [args.monitoring, ...(args.dependsOn ?? [])],
        };
        const controller = kserveControllerServiceMonitor(args.kserveNamespace ?? KSERVE_NAMESPACE);
        // A long-lived token of Prometheus's service account (Kubernetes fills the Secret), for the scrape's authorization.
        const token = new k8s.core.v1.Secret(`${name}-prometheus-token`, {
            metadata: {
                name: PROMETHEUS_TOKEN_SECRET, namespace: controller.metadata.namespace, labels,
                annotations: { "kubernetes.io/service-account.name": PROMETHEUS_SERVICE_ACCOUNT },
            },
            type: "kubernetes.io/service-account-token",
        }, childOpts);
        this.serviceMonitor = new k8s.apiextensions.CustomResource(`${name}-controller`, controller, {
            ...childOpts, dependsOn: [args.monitoring, token, ...(args.dependsOn ?? [])],
        });
        this.podMonitor = new k8s.apiextensions.CustomResource(`${name}-predictors`,
            predictorPodMonitor(args.servingNamespace), childOpts);
        this.registerOutputs({ serviceMonitor: this.serviceMonitor, podMonitor: this.podMonitor });
    }
}
