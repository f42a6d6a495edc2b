/**
 * OnPremCluster: an existing cluster reached through a secret kubeconfig (SPEC 5 "Clusters").
 * Nothing is created in the cluster; the component only wraps it in the common `Cluster` shape.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Cluster, clusterOutputs, gpuFacts, GpuFacts, GpuPoolArgs, ObjectStore } from "./types";

/** GPU pool facts of a cluster whose nodes already exist (on-prem, k3s). */
export type ExistingGpuPoolArgs = Pick<GpuPoolArgs, "gpuType" | "gpuCount" | "minSize" | "maxSize" | "sharing">;

export interface OnPremClusterArgs {
    /**
     * Kubeconfig of the existing cluster (contents, not a path). Treated as a secret whether or not
     * it is one already. Required (config secret `hybridml:kubeconfig`).
     */
    kubeconfig: pulumi.Input<string>;
    /** Kubeconfig context to use. Default: the kubeconfig's `current-context`. */
    context?: string;
    /**
     * Facts about the GPU nodes that already exist. The site's admins label every GPU node with
     * `GPU_NODE_LABEL` (`hybridml.io/node-pool=gpu`) and taint it with `GPU_TAINT`
     * (`nvidia.com/gpu=true:NoSchedule`); this component does not (and cannot) do it. The GPU operator
     * installs driver and toolkit on them. Required; `minSize`/`maxSize` describe how many such nodes exist.
     */
    gpu: ExistingGpuPoolArgs;
}

/** An existing (on-prem) cluster, yielding the common `Cluster` shape. */
export class OnPremCluster extends pulumi.ComponentResource implements Cluster {
    public readonly provider: k8s.Provider;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly platform = "onprem" as const;
    public readonly gpu: GpuFacts;
    public readonly objectStore: ObjectStore | undefined = undefined;

    constructor(name: string, args: OnPremClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("hybridml:clusters:OnPremCluster", name, {}, opts);

        this.kubeconfig = pulumi.secret(args.kubeconfig);
        this.gpu = gpuFacts(args.gpu, "operator");
        this.provider = new k8s.Provider(`${name}-k8s`, {
            kubeconfig: this.kubeconfig,
            ...(args.context !== undefined ? { context: args.context } : {}),
        }, { parent: this });

        this.registerOutputs(clusterOutputs(this));
    }
}
