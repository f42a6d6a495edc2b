/**
 * The inference feedback sink: a small pinned Redpanda Connect Deployment that accepts the
 * CloudEvents KServe's request/response logger POSTs (binary mode: the payload as body, `ce-*`
 * headers) and writes each to the stack's local feedback topic (Kafka or Pulsar), keeping the
 * CloudEvent headers as record headers/properties. That topic is mirrored back to training.
 */
import * as crypto from "crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { versions } from "../../lib/versions";

/** The local stream the sink writes to (the streaming component's `FeedbackStream`). */
export interface SinkStream {
    engine: "kafka" | "pulsar";
    /** Kafka bootstrap host:port, or the Pulsar service URL (pulsar://host:6650). */
    address: pulumi.Input<string>;
    /** Topic (Pulsar: persistent://tenant/namespace/topic). */
    topic: string;
    /** The stream's readiness: the sink depends on it. */
    ready?: pulumi.Resource;
    /**
     * How the sink reaches a TLS listener: the listener's CA and the client's credential (Kafka mTLS
     * certificate and key, or a Pulsar JWT). PEM/token values should be secret Outputs. Default: plain.
     */
    client?: SinkClient;
}

/** TLS and client credentials of the sink (copied into a Secret of the serving namespace). */
export interface SinkClient {
    /** PEM CA certificate of the listener. */
    caCert: pulumi.Input<string>;
    /** Kafka mTLS client certificate and key (PEM). */
    cert?: pulumi.Input<string>;
    key?: pulumi.Input<string>;
    /** Pulsar JWT of the request-logger role. */
    token?: pulumi.Input<string>;
}

/** What of the client credentials the pipeline uses. */
export interface SinkTls { ca: boolean; clientCert: boolean; token: boolean }
const TLS_DIR = "/etc/connect/tls";

export interface FeedbackSinkArgs {
    /** Provider of the target cluster (required). */
    provider: k8s.Provider;
    /** Namespace (the serving namespace). Required. */
    namespace: pulumi.Input<string>;
    /** Where the feedback goes. Required. */
    stream: SinkStream;
    /** Replicas (2+ adds a PodDisruptionBudget). Default 1. */
    replicas?: number;
    /** Image. Default `versions.servingImages.feedbackSink`. */
    image?: string;
}

/** Name of the sink's Deployment and Service; port the logger posts to. */
export const SINK = { name: "feedback-sink", port: 8080, labels: { "app.kubernetes.io/name": "feedback-sink", "app.kubernetes.io/part-of": "hybridml" } } as const;

/** The URL InferenceService loggers send to (in-cluster Service). */
export function sinkUrl(namespace: string): string {
    return `http://${SINK.name}.${namespace}.svc.cluster.local:${SINK.port}/`;
}

/** Port of a `host:port` or `scheme://host:port` address (the default of the engine when absent). */
export function streamPort(engine: SinkStream["engine"], address: string): number {
    const m = /:(\d{2,5})\/?$/.exec(address);
    return m ? Number(m[1]) : engine === "kafka" ? 9092 : 6650;
}

/** The Redpanda Connect pipeline: http_server (CloudEvents in) -> kafka_franz or pulsar (topic out). */
export function sinkPipeline(stream: { engine: SinkStream["engine"]; address: string; topic: string }, tls: SinkTls = { ca: false, clientCert: false, token: false }): string {
    const tlsBlock = tls.ca ? {
        tls: {
            enabled: true,
            root_cas_file: `${TLS_DIR}/ca.crt`,
            ...(tls.clientCert ? { client_certs: [{ cert_file: `${TLS_DIR}/user.crt`, key_file: `${TLS_DIR}/user.key` }] } : {}),
        },
    } : {};
    const output = stream.engine === "kafka"
        ? { kafka_franz: { seed_brokers: [stream.address], topic: stream.topic, metadata: { include_patterns: ["^ce-", "^Ce-"] }, max_in_flight: 16, ...tlsBlock } }
        : {
            pulsar: {
                url: stream.address, topic: stream.topic, max_in_flight: 16,
                ...(tls.ca ? { tls: { root_cas_file: `${TLS_DIR}/ca.crt` } } : {}),
                // Redpanda Connect interpolates ${PULSAR_TOKEN} from the environment (a Secret).
                ...(tls.token ? { auth: { token: { enabled: true, token: "${PULSAR_TOKEN}" } } } : {}),
            },
        };
    return stringify({
        http: { address: "0.0.0.0:4195", enabled: true },
        input: { http_server: { address: `0.0.0.0:${SINK.port}`, path: "/", allowed_verbs: ["POST"], timeout: "5s" } },
        output,
        logger: { level: "INFO", format: "json" },
    });
}

export class FeedbackSink extends pulumi.ComponentResource {
    public readonly deployment: k8s.apps.v1.Deployment;
    public readonly service: k8s.core.v1.Service;
    /** The logger URL InferenceServices send to. */
    public readonly url: pulumi.Output<string>;

    constructor(name: string, args: FeedbackSinkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("hybridml:serving:FeedbackSink", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        const labels = { ...SINK.labels };
        const replicas = args.replicas ?? 1;
        const client = args.stream.client;
        const tls: SinkTls = { ca: Boolean(client), clientCert: Boolean(client?.cert && client?.key), token: Boolean(client?.token) };
        const clientSecret = client ? new k8s.core.v1.Secret(`${name}-client`, {
            metadata: { name: `${SINK.name}-client`, namespace: args.namespace, labels },
            type: "Opaque",
            stringData: {
                "ca.crt": client.caCert,
                ...(tls.clientCert ? { "user.crt": pulumi.secret(client.cert!), "user.key": pulumi.secret(client.key!) } : {}),
                ...(tls.token ? { token: pulumi.secret(client.token!) } : {}),
            },
        }, child) : undefined;
        const config = new k8s.core.v1.ConfigMap(`${name}-config`, {
            metadata: { name: SINK.name, namespace: args.namespace, labels },
            data: { "connect.yaml": pulumi.output(args.stream.address).apply((address) => sinkPipeline({ engine: args.stream.engine, topic: args.stream.topic, address }, tls)) },
        }, child);
        this.deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, {
            metadata: { name: SINK.name, namespace: args.namespace, labels },
            spec: {
                replicas,
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels, annotations: { "hybridml.io/config-hash": config.data.apply((d) => crypto.createHash("sha256").update(d["connect.yaml"] ?? "").digest("hex").slice(0, 16)) } },
                    spec: {
                        automountServiceAccountToken: false,
                        securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } },
                        containers: [{
                            name: "connect",
                            image: args.image ?? versions.servingImages.feedbackSink,
                            args: ["run", "/etc/connect/config/connect.yaml"],
                            ports: [{ name: "http", containerPort: SINK.port }, { name: "admin", containerPort: 4195 }],
                            readinessProbe: { httpGet: { path: "/ready", port: 4195 }, periodSeconds: 10 },
                            livenessProbe: { httpGet: { path: "/ping", port: 4195 }, periodSeconds: 20 },
                            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
                            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                            ...(tls.token ? { env: [{ name: "PULSAR_TOKEN", valueFrom: { secretKeyRef: { name: `${SINK.name}-client`, key: "token" } } }] } : {}),
                            volumeMounts: [
                                { name: "config", mountPath: "/etc/connect/config", readOnly: true },
                                ...(clientSecret ? [{ name: "tls", mountPath: TLS_DIR, readOnly: true }] : []),
                            ],
                        }],
                        volumes: [
                            { name: "config", configMap: { name: SINK.name } },
                            ...(clientSecret ? [{ name: "tls", secret: { secretName: `${SINK.name}-client`, items: [{ key: "ca.crt", path: "ca.crt" },
                                ...(tls.clientCert ? [{ key: "user.crt", path: "user.crt" }, { key: "user.key", path: "user.key" }] : [])] } }] : []),
                        ],
                    },
                },
            },
        }, { ...child, dependsOn: [config, ...(clientSecret ? [clientSecret] : []), ...(args.stream.ready ? [args.stream.ready] : [])] });
        this.service = new k8s.core.v1.Service(`${name}-service`, {
            metadata: { name: SINK.name, namespace: args.namespace, labels },
            spec: { selector: labels, ports: [{ name: "http", port: SINK.port, targetPort: SINK.port }] },
        }, child);
        if (replicas > 1) {
            new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, {
                metadata: { name: SINK.name, namespace: args.namespace, labels },
                spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
            }, child);
        }
        this.url = pulumi.output(args.namespace).apply(sinkUrl);
        this.registerOutputs({ deployment: this.deployment, service: this.service, url: this.url });
    }
}
