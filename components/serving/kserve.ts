/**
 * KServe in Standard mode (RawDeployment before 0.16: plain Deployments, Services and HPAs; no
 * Knative, no Istio): its CRDs, its controller (kserve-resources) and the ClusterServingRuntimes
 * (kserve-runtime-configs), three pinned charts from KServe's OCI registry.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KSERVE_RUNTIMES } from "../../lib/kserveRuntimes";
import { versions } from "../../lib/versions";
import { chartSource, type ChartMirror } from "../../lib/charts";

/** values key of each ClusterServingRuntime in the kserve-runtime-configs chart. */
export const RUNTIME_VALUES_KEYS: Readonly<Record<string, string>> = KSERVE_RUNTIMES;
/** Runtimes of the chart that are always switched off. */
const ALWAYS_OFF = ["vllmserver"];

export interface KServeArgs {
    /** Chart mirror replacing the upstream chart repositories (lib/charts.ts). Default: upstream. */
    charts?: ChartMirror;
    /** Provider of the target cluster (required). */
    provider: k8s.Provider;
    /** cert-manager's release: the KServe webhook certificate needs its CRDs and controller (required). */
    certManager: pulumi.Resource;
    /** ClusterServingRuntimes to enable (names as in RUNTIME_VALUES_KEYS); every other one is disabled. Required. */
    runtimes: string[];
    /** Namespace of the controller. Default `kserve`. */
    namespace?: string;
}

/** Helm values of kserve-resources (keys in shared/crds/kserve/values-kserve-resources.yaml). */
export function kserveResourcesValues(): Record<string, unknown> {
    return {
        kserve: {
            controller: {
                // The chart's default is Knative: Standard is KServe's raw Deployment mode.
                deploymentMode: "Standard",
                // No Istio, no Gateway: predictors are cluster-internal Services.
                gateway: { disableIstioVirtualHost: true, disableIngressCreation: true },
            },
            // No `storage.s3.*`: the chart uses it only for the S3 credentials it would create; with pod
            // identity (EKS) the storage initializer takes its credentials from the service account.
        },
    };
}

/** Helm values of kserve-runtime-configs: only `runtimes` enabled, Triton pinned to `versions.servingImages.tritonTag`. */
export function kserveRuntimeValues(runtimes: string[]): Record<string, unknown> {
    const unknown = runtimes.filter((r) => !(r in RUNTIME_VALUES_KEYS));
    if (unknown.length > 0) throw new Error(`unknown KServe serving runtime(s) ${unknown.join(", ")}: known are ${Object.keys(RUNTIME_VALUES_KEYS).join(", ")}`);
    const servingruntime: Record<string, unknown> = { enabled: true };
    for (const [runtime, key] of Object.entries(RUNTIME_VALUES_KEYS)) {
        servingruntime[key] = { disabled: !runtimes.includes(runtime) };
    }
    for (const key of ALWAYS_OFF) servingruntime[key] = { disabled: true };
    if (runtimes.includes("kserve-tritonserver")) servingruntime.tritonserver = { disabled: false, tag: versions.servingImages.tritonTag };
    return { kserve: { servingruntime } };
}

export class KServe extends pulumi.ComponentResource {
    public readonly crds: k8s.helm.v3.Release;
    /** The controller and its webhooks: InferenceServices depend on it. */
    public readonly controller: k8s.helm.v3.Release;
    /** The ClusterServingRuntimes: InferenceServices depend on it. */
    public readonly runtimes: k8s.helm.v3.Release;
    public readonly namespace: pulumi.Output<string>;

    constructor(name: string, args: KServeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("hybridml:serving:KServe", name, {}, opts);
        const namespace = args.namespace ?? "kserve";
        const child = { parent: this, provider: args.provider };
        // The namespace is the program's, not Helm's (`createNamespace`): Helm never deletes a namespace
        // it created, so a destroy would leave it behind (found by the e2e).
        const ns = new k8s.core.v1.Namespace(`${name}-ns`, {
            metadata: { name: namespace, labels: { "app.kubernetes.io/part-of": "hybridml", "app.kubernetes.io/component": "kserve" } },
        }, child);
        const chart = (c: "kserve-crd" | "kserve-resources" | "kserve-runtime-configs") => ({ ...chartSource(c, args.charts), namespace: ns.metadata.name, atomic: true });
        this.crds = new k8s.helm.v3.Release(`${name}-crd`, {
            name: "kserve-crd", ...chart("kserve-crd"),
        }, child);
        this.controller = new k8s.helm.v3.Release(`${name}-resources`, {
            name: "kserve", ...chart("kserve-resources"), values: kserveResourcesValues(),
        }, { ...child, dependsOn: [this.crds, args.certManager] });
        this.runtimes = new k8s.helm.v3.Release(`${name}-runtimes`, {
            name: "kserve-runtime-configs", ...chart("kserve-runtime-configs"), values: kserveRuntimeValues(args.runtimes),
        }, { ...child, dependsOn: [this.crds, this.controller] });
        this.namespace = pulumi.output(namespace);
        this.registerOutputs({ crds: this.crds, controller: this.controller, runtimes: this.runtimes, namespace: this.namespace });
    }
}
