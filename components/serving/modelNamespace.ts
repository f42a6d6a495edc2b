/**
 * The serving namespace and the service account that reads models, annotated for the platform's
 * workload identity (GKE, AKS) or bound cloud-side (EKS pod identity). The InferenceServices and
 * the model sync run as this service account.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface ModelNamespaceArgs {
    /** Provider of the target cluster (required: nothing lands on an ambient cluster). */
    provider: k8s.Provider;
    /** Namespace name. */
    namespace: string;
    /** Service account name. */
    serviceAccountName: string;
    /** Annotations binding the service account to a cloud identity. Default {}. */
    serviceAccountAnnotations?: pulumi.Input<Record<string, string>>;
    /** Labels for the namespace. Default {}. */
    labels?: Record<string, string>;
}

/** Labels every serving namespace gets: restricted pod security, owned by the platform. */
export function namespaceLabels(extra: Record<string, string> = {}): Record<string, string> {
    return {
        "app.kubernetes.io/part-of": "hybridml",
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
        ...extra,
    };
}

export class ModelNamespace extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly serviceAccountName: pulumi.Output<string>;

    constructor(name: string, args: ModelNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("hybridml:serving:ModelNamespace", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        const ns = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: { name: args.namespace, labels: namespaceLabels(args.labels) },
        }, child);
        const sa = new k8s.core.v1.ServiceAccount(`${name}-reader`, {
            metadata: {
                name: args.serviceAccountName,
                namespace: ns.metadata.name,
                annotations: args.serviceAccountAnnotations ?? {},
            },
        }, child);
        this.namespace = ns.metadata.name;
        this.serviceAccountName = sa.metadata.name;
        this.registerOutputs({ namespace: this.namespace, serviceAccountName: this.serviceAccountName });
    }
}
