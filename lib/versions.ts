/**
 * Every pinned version of the platform, in one place (SPEC 3).
 *
 * Operator charts match the CRD schemas the tests validate against
 * (../shared/crds/MANIFEST.md). Bump a chart here and in crds.lock.json together.
 */
export const versions = {
    /** Kubernetes minor version for the managed clusters (EKS, AKS; GKE follows its release channel). */
    kubernetes: "1.34",
    /** k3s release installed on edge hosts (INSTALL_K3S_VERSION). */
    k3s: "v1.34.1+k3s1",
    /** cluster-autoscaler Helm chart (kubernetes.github.io/autoscaler) used on EKS; app 1.34.x. */
    clusterAutoscalerChart: "9.52.1",
    /** Operator Helm charts, matching the CRD schemas in shared/crds. */
    charts: {
        rookCeph: "v1.20.6",
        strimzi: "1.2.0",
        kserve: "v0.20.0",
        gpuOperator: "v26.7.0",
        certManager: "v1.21.1",
        pulsar: "4.7.0",
    },
} as const;

/** Helm chart repositories for the charts above. */
export const chartRepos = {
    clusterAutoscaler: "https://kubernetes.github.io/autoscaler",
    rookCeph: "https://charts.rook.io/release",
    strimzi: "oci://quay.io/strimzi-helm",
    gpuOperator: "https://helm.ngc.nvidia.com/nvidia",
    certManager: "https://charts.jetstack.io",
    pulsar: "https://pulsar.apache.org/charts",
} as const;
