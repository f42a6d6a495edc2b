/**
 * The Strimzi cluster operator (chart pinned to Strimzi 1.2.0, CRDs `kafka.strimzi.io/v1`), in its
 * own namespace and watching exactly the namespaces the platform's Kafka clusters live in (which it
 * creates, so the chart's RoleBindings have somewhere to go).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { chartSource, crdFileUrl, type ChartMirror } from "../../lib/charts";
import { storedCrdSchemas } from "../../lib/crdSchemas";
import { versions } from "../../lib/versions";
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
    /**
     * Protect the CRDs (deleting a CRD deletes every Kafka, topic and user of its kind) and the watched
     * namespaces (they hold the Kafka volumes and topics: deleting one deletes them). Default false.
     */
    protect?: boolean;
}

/** The CRD files of a Strimzi release (install/cluster-operator at its tag). */
export const STRIMZI_CRD_FILES = [
    "040-Crd-kafka.yaml", "041-Crd-kafkaconnect.yaml", "042-Crd-strimzipodset.yaml", "043-Crd-kafkatopic.yaml", "044-Crd-kafkauser.yaml",
    "045-Crd-kafkanodepool.yaml", "046-Crd-kafkabridge.yaml", "047-Crd-kafkaconnector.yaml", "048-Crd-kafkamirrormaker2.yaml", "049-Crd-kafkarebalance.yaml",
] as const;

/** URLs of the CRDs of Strimzi `version`, pinned to its tag. */
export function strimziCrdUrls(version: string = versions.charts.strimzi, mirror: ChartMirror = {}): string[] {
    return STRIMZI_CRD_FILES.map((f) => crdFileUrl("strimzi-kafka-operator", f,
        `https://raw.githubusercontent.com/strimzi/strimzi-kafka-operator/${version}/install/cluster-operator/${f}`, mirror, version));
}

/** Labels of the platform's streaming namespaces. */
export const streamingNamespaceLabels = { "app.kubernetes.io/part-of": "hybridml", "pod-security.kubernetes.io/enforce": "baseline" };

export class StrimziOperator extends pulumi.ComponentResource {
    /** The operator's Helm release: every Strimzi custom resource depends on it. */
    public readonly release: k8s.helm.v3.Release;
    /** The Strimzi CRDs of the pinned version (applied outside Helm, which never upgrades them). */
    public readonly crds: k8s.yaml.v2.ConfigGroup;
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
        // Helm installs a chart's crds/ once and never upgrades them: the CRDs of the pinned version are
        // applied here (updated with the version), and the chart skips its own copy. Their schemas are
        // applied as the API server stores them, or every preview shows a change (lib/crdSchemas.ts).
        const crds = new k8s.yaml.v2.ConfigGroup(`${name}-crds`, { files: strimziCrdUrls(versions.charts.strimzi, args.charts) }, {
            ...child, protect: args.protect ?? false, retainOnDelete: args.protect ?? false, transforms: [storedCrdSchemas],
        });
        this.crds = crds;
        this.release = new k8s.helm.v3.Release(`${name}-release`, {
            name: "strimzi",
            skipCrds: true,
            ...chartSource("strimzi-kafka-operator", args.charts),
            namespace: opNs.metadata.name,
            values: strimziOperatorValues(args.watchNamespaces),
            atomic: true,
        }, { ...child, dependsOn: [...watched, crds] });
        this.watchedNamespaces = watched.map((n) => n.metadata.name);
        this.registerOutputs({ release: this.release, watchedNamespaces: this.watchedNamespaces });
    }
}
