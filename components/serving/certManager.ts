/**
 * cert-manager (pinned chart, its CRDs installed and kept by the chart): issues the KServe webhook
 * serving certificate. Its own webhook listens on 10250, a port a private GKE control plane may reach.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartSource, type ChartMirror } from "../../lib/charts";

export interface CertManagerArgs {
    /** Chart mirror replacing the upstream chart repositories (lib/charts.ts). Default: upstream. */
    charts?: ChartMirror;
    /** Provider of the target cluster (required: nothing lands on an ambient cluster). */
    provider: k8s.Provider;
    /** Namespace of cert-manager. Default `cert-manager`. */
    namespace?: string;
    /** Replicas of the controller, webhook and cainjector (2+ adds PodDisruptionBudgets). Default 1. */
    replicas?: number;
}

/** Requests and limits of one cert-manager container. */
const small = { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } };

/** Helm values of the cert-manager chart (keys exist in shared/crds/cert-manager/values-cert-manager.yaml). */
export function certManagerValues(replicas = 1): Record<string, unknown> {
    const pdb = { enabled: replicas > 1 };
    return {
        // The chart installs the CRDs and keeps them on uninstall (certificates survive a chart removal).
        crds: { enabled: true, keep: true },
        replicaCount: replicas,
        podDisruptionBudget: pdb,
        resources: small,
        webhook: { replicaCount: replicas, podDisruptionBudget: pdb, resources: small },
        cainjector: { replicaCount: replicas, podDisruptionBudget: pdb, resources: small },
    };
}

export class CertManager extends pulumi.ComponentResource {
    /** The Helm release: KServe and anything issuing certificates depends on it. */
    public readonly release: k8s.helm.v3.Release;
    public readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("hybridml:serving:CertManager", name, {}, opts);
        const namespace = args.namespace ?? "cert-manager";
        // The program's namespace, not Helm's `createNamespace`: Helm never deletes what it created that way.
        const ns = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: { name: namespace, labels: { "app.kubernetes.io/part-of": "hybridml", "app.kubernetes.io/component": "cert-manager" } },
        }, { parent: this, provider: args.provider });
        this.release = new k8s.helm.v3.Release(`${name}-chart`, {
            name: "cert-manager",
            ...chartSource("cert-manager", args.charts),
            namespace: ns.metadata.name,
            atomic: true,
            values: certManagerValues(args.replicas ?? 1),
        }, { parent: this, provider: args.provider });
        this.namespace = pulumi.output(namespace);
        this.registerOutputs({ release: this.release, namespace: this.namespace });
    }
}
