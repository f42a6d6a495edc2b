/**
 * The Strimzi cluster operator (chart pinned to Strimzi 1.2.0, CRDs `kafka.strimzi.io/v1`), in its
 * own namespace and watching exactly the namespaces the platform's Kafka clusters live in (which it
 * creates, so the chart's RoleBindings have somewhere to go).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartSource, type ChartMirror } from "../../lib/charts";
import { strimziOperatorValues } from "./kafkaSpecs";

export interface StrimziOperatorArgs {
    /** Chart mirror replacing the upstream chart repositories (lib/charts.ts). Default: upstream. */
    charts?: ChartMirror;
    /** Provider of the target cluster. Required. */
    provider: k8s.Provider;
    /** Namespace of the operator. Default `strimzi-system`. */
    namespace?: string;
    /** Namespaces the operator watches (created here). Required, non-empty. */
    watchNamespaces: string[];
    /** Protect the watched namespaces (they hold the Kafka volumes and topics: deleting one deletes them). Default false. */
    protect?: boolean;
}

/** Labels of the platform's streaming namespaces. */
export const streamingNamespaceLabels = { "app.kubernetes.io/part-of": "hybridml", "pod-security.kubernetes.io/enforce": "baseline" };

export class StrimziOperator extends pulumi.ComponentResource {
    /** The operator's Helm release: every Strimzi custom resource depends on it. */
    public readonly release: k8s.helm.v3.Release;
    /** The watched namespaces' names. */
    public readonly watchedNamespaces: pulumi.Output<string>[];

    constructor(name: string, args: StrimziOperatorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("hybridml:streaming:StrimziOperator", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        const opNs = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: { name: args.namespace ?? "strimzi-system", labels: streamingNamespaceLabels },
        }, child);
        const watched = args.watchNamespaces.map((ns) => new k8s.core.v1.Namespace(`${name}-watch-${ns}`, {
            metadata: { name: ns, labels: streamingNamespaceLabels },
        }, { ...child, protect: args.protect ?? false }));
        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: "strimzi",
            ...chartSource("strimzi-kafka-operator", args.charts),
            namespace: opNs.metadata.name,
            values: strimziOperatorValues(args.watchNamespaces),
            atomic: true,
        }, { ...child, dependsOn: watched });
        this.watchedNamespaces = watched.map((n) => n.metadata.name);
        this.registerOutputs({ release: this.release, watchedNamespaces: this.watchedNamespaces });
    }
}
