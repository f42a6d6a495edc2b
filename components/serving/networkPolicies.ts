/**
 * Default-deny network policies of the serving namespace with exactly the allowances serving needs
 * (SPEC 11): DNS for every pod; ingress to the predictors' logger port from the known callers' namespaces; predictors
 * to the feedback sink; the sink to the feedback stream; the model sync to the training store; and,
 * Prometheus to the predictors' metrics ports; on clouds, predictors (storage initializer) and sync
 * to the model bucket and the platform's workload-identity endpoint.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

type Peer = Record<string, unknown>;
type Port = { protocol: "TCP" | "UDP"; port: pulumi.Input<number> };
export interface PolicySpec { name: string; spec: Record<string, unknown> }

/** A destination as `cidr:port` that serving pods must reach (identity endpoints, object stores). */
export interface Endpoint { cidr: string; port: number }

/**
 * The training object store as the sync reaches it. NetworkPolicies match the destination pod's
 * port after the Service's translation, so an in-cluster store is its pods (labels, namespace) on
 * their container port, never the Service port; a store outside the cluster is its address range on
 * the port the URL names.
 */
export type StorePeer =
    | { kind: "pods"; namespace: string; podLabels: Record<string, string>; port: number }
    | { kind: "external"; cidrs: string[]; port: number };

export interface ServingNetworkArgs {
    /** Pod selector of the predictors. Required. */
    predictors: Record<string, string>;
    /** Port of the predictors' Service target (KServe's agent when the logger is on). Required. */
    predictorPort: number;
    /** Namespaces whose pods may call the predictors (the known callers; the serving namespace among them). Required, non-empty. */
    callers: string[];
    /** Pod selector of the model sync. Required. */
    sync: Record<string, string>;
    /** The training object store the sync reads (its pods in this cluster, or an address range outside). Required. */
    trainingStore: StorePeer;
    /** Feedback sink pods and port, and the stream port it writes to; none without a sink. */
    sink?: { selector: Record<string, string>; port: number; streamPort: pulumi.Input<number> };
    /** Prometheus: its namespace and the predictors' metrics ports it scrapes; none without monitoring. */
    scrapers?: { namespace: string; ports: number[] };
    /** Cloud model bucket and workload-identity endpoints (none where the copy is a volume). Default []. */
    modelStore?: Endpoint[];
}

const anywhere = (cidr = "0.0.0.0/0"): Peer => ({ ipBlock: { cidr } });
const inCluster: Peer = { namespaceSelector: {} };
const tcp = (port: pulumi.Input<number>): Port => ({ protocol: "TCP", port });

/** Workload-identity endpoints a pod must reach on each platform (link-local agents/metadata servers). */
export function identityEndpoints(platform: string): Endpoint[] {
    switch (platform) {
        case "eks": return [{ cidr: "169.254.170.23/32", port: 80 }]; // EKS Pod Identity agent
        case "gke": return [{ cidr: "169.254.169.254/32", port: 80 }, { cidr: "169.254.169.252/32", port: 988 }]; // GKE metadata server
        default: return []; // AKS: projected token + Entra ID over 443; onprem/k3s: no cloud identity
    }
}

/** The egress rule to the training store (pods on their container port, or an address range). */
export function storeEgress(store: StorePeer): { to: Peer[]; ports: Port[] } {
    return store.kind === "pods"
        ? {
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": store.namespace } }, podSelector: { matchLabels: store.podLabels } }],
            ports: [tcp(store.port)],
        }
        : { to: store.cidrs.map((c) => anywhere(c)), ports: [tcp(store.port)] };
}

/** The policies (pure). */
export function servingNetworkPolicies(a: ServingNetworkArgs): PolicySpec[] {
    const out: PolicySpec[] = [
        { name: "default-deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
        {
            name: "allow-dns",
            spec: {
                podSelector: {},
                policyTypes: ["Egress"],
                egress: [{
                    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                    ports: [{ protocol: "UDP", port: 53 }, tcp(53)],
                }],
            },
        },
        {
            name: "allow-predictor-ingress",
            spec: {
                podSelector: { matchLabels: a.predictors },
                policyTypes: ["Ingress"],
                ingress: [{ from: [...new Set(a.callers)].map((ns) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } })), ports: [tcp(a.predictorPort)] }],
            },
        },
        {
            name: "allow-sync-training-store",
            spec: { podSelector: { matchLabels: a.sync }, policyTypes: ["Egress"], egress: [storeEgress(a.trainingStore)] },
        },
    ];
    if (a.scrapers) {
        out.push({
            name: "allow-predictor-metrics",
            spec: {
                podSelector: { matchLabels: a.predictors },
                policyTypes: ["Ingress"],
                ingress: [{
                    from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": a.scrapers.namespace } } }],
                    ports: a.scrapers.ports.map(tcp),
                }],
            },
        });
    }
    if (a.sink) {
        out.push({
            name: "allow-predictor-to-sink",
            spec: { podSelector: { matchLabels: a.predictors }, policyTypes: ["Egress"], egress: [{ to: [{ podSelector: { matchLabels: a.sink.selector } }], ports: [tcp(a.sink.port)] }] },
        }, {
            name: "allow-sink",
            spec: {
                podSelector: { matchLabels: a.sink.selector },
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ from: [{ podSelector: { matchLabels: a.predictors } }], ports: [tcp(a.sink.port)] }],
                egress: [{ to: [inCluster], ports: [tcp(a.sink.streamPort)] }],
            },
        });
    }
    if (a.modelStore && a.modelStore.length > 0) {
        const egress = a.modelStore.map((e) => ({ to: [anywhere(e.cidr)], ports: [tcp(e.port)] }));
        for (const [who, selector] of [["predictors", a.predictors], ["sync", a.sync]] as const) {
            out.push({ name: `allow-${who}-model-store`, spec: { podSelector: { matchLabels: selector }, policyTypes: ["Egress"], egress } });
        }
    }
    return out;
}

export interface NetworkPoliciesArgs {
    /** Provider of the target cluster (required). */
    provider: k8s.Provider;
    /** The serving namespace. Required. */
    namespace: pulumi.Input<string>;
    /** What to allow. Required. */
    rules: ServingNetworkArgs;
}

export class ServingNetworkPolicies extends pulumi.ComponentResource {
    public readonly names: string[];

    constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("hybridml:serving:NetworkPolicies", name, {}, opts);
        const policies = servingNetworkPolicies(args.rules);
        for (const p of policies) {
            new k8s.networking.v1.NetworkPolicy(`${name}-${p.name}`, {
                metadata: { name: p.name, namespace: args.namespace, labels: { "app.kubernetes.io/part-of": "hybridml" } },
                spec: p.spec as unknown as k8s.types.input.networking.v1.NetworkPolicySpec,
            }, { parent: this, provider: args.provider });
        }
        this.names = policies.map((p) => p.name);
        this.registerOutputs({ names: this.names });
    }
}
