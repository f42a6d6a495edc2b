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
    /**
     * k3s install script, fetched from the release's own tag (not get.k3s.io, which serves the newest
     * script), and its sha256. An empty sha256 skips the check: fill it per release with
     * `curl -sfL <url> | sha256sum` (the script itself verifies the k3s binary against the release's sha256sum).
     */
    k3sInstallScript: {
        url: "https://raw.githubusercontent.com/k3s-io/k3s/v1.34.1%2Bk3s1/install.sh",
        sha256: "",
    },
    /** Operator Helm charts, matching the CRD schemas in shared/crds. */
    charts: {
        rookCeph: "v1.20.6",
        strimzi: "1.2.0",
        kserve: "v0.20.0",
        gpuOperator: "v26.7.0",
        /** kube-prometheus-stack (prometheus-community), app = prometheus-operator v0.93.0, matching the monitoring CRDs. */
        kubePrometheusStack: "88.3.0",
        certManager: "v1.21.1",
        pulsar: "4.7.0",
        /**
         * ceph-csi-drivers (ceph/ceph-csi-operator): the CSI OperatorConfig/Driver CRs Rook v1.20 leaves
         * to the admin. = the ceph-csi-operator subchart version of rook-ceph v1.20.6 (its Chart.yaml).
         * Not in MANIFEST.md yet (no values file / csi.ceph.io CRDs in shared/crds).
         */
        cephCsiDrivers: "1.0.4",
    },
    /** Container images the storage components run outside the rook-ceph chart (pinned, never latest). */
    storageImages: {
        /** Ceph release Rook v1.20.6 deploys by default (MANIFEST.md): the CephCluster and the toolbox. */
        ceph: "quay.io/ceph/ceph:v20.2.4",
        /** AWS CLI for the Job that turns on versioning of the models bucket through RGW's S3 API. */
        awsCli: "docker.io/amazon/aws-cli:2.22.0",
    },
    /** Container images the streaming components run outside the charts (pinned, never latest). */
    streamingImages: {
        /** pulsar-admin for the idempotent tenant/namespace/geo-replication Jobs: the Pulsar chart's appVersion. */
        pulsarAdmin: "apachepulsar/pulsar:4.0.12",
    },
    /**
     * NVIDIA data-centre driver installed by the GPU operator where it owns the driver (on-prem, edge,
     * AKS pools with gpuProfile.driver None): the version GPU operator v26.7.0 ships and validates.
     */
    nvidiaDriver: "595.91.07",
    /** Container images the serving components run outside the charts (version and digest: never latest). */
    servingImages: {
        /** Model sync (rclone: S3/Ceph source; S3, GCS, Azure Blob or a volume as destination; sha256 hashsum). */
        modelSync: "docker.io/rclone/rclone:1.75.1@sha256:45401ad7410db1d67ffdb58e19059ad20b0d8e0285a60e38bbec55cc1019c7a5",
        /** Feedback sink (Redpanda Connect: http_server input -> kafka_franz or pulsar output). */
        feedbackSink: "docker.redpanda.com/redpandadata/connect:4.108.0@sha256:7c6f0e53a2702fb7e3a7e8aff0f62e956025d51d131ac3631288b6eb143f22c2",
        /** Triton image of the kserve-tritonserver runtime (the runtime-configs chart's default tag is 23.05-py3). */
        tritonTag: "25.08-py3",
    },
} as const;

/** Pins that depend on the cluster's Kubernetes minor (EKS add-ons and the autoscaler chart). */
export interface MinorPins {
    /** EKS managed add-on versions (`aws eks describe-addon-versions --kubernetes-version <minor>`). */
    eksAddons: {
        "vpc-cni": string;
        "kube-proxy": string;
        coredns: string;
        "eks-pod-identity-agent": string;
        "aws-ebs-csi-driver": string;
        /** Community add-on: the resource metrics API the HPAs need (EKS ships no metrics-server). */
        "metrics-server": string;
    };
    /** cluster-autoscaler chart whose app version matches the minor (the autoscaler must match the control plane). */
    clusterAutoscalerChart: string;
}

/**
 * Pins per supported Kubernetes minor. A minor missing here is refused by config
 * (`hybridml:cluster.version`) and by the EKS component: add its pins to support it.
 */
export const clusterPins: Readonly<Record<string, MinorPins>> = {
    "1.34": {
        eksAddons: {
            "vpc-cni": "v1.20.4-eksbuild.1",
            "kube-proxy": "v1.34.0-eksbuild.4",
            coredns: "v1.12.4-eksbuild.1",
            "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
            "aws-ebs-csi-driver": "v1.50.1-eksbuild.1",
            "metrics-server": "v0.8.0-eksbuild.2",
        },
        clusterAutoscalerChart: versions.clusterAutoscalerChart,
    },
};

/** The supported Kubernetes minors (those with pins). */
export function supportedMinors(): string[] {
    return Object.keys(clusterPins).sort();
}

/** Helm chart repositories for the charts above. */
export const chartRepos = {
    clusterAutoscaler: "https://kubernetes.github.io/autoscaler",
    rookCeph: "https://charts.rook.io/release",
    strimzi: "oci://quay.io/strimzi-helm",
    gpuOperator: "https://helm.ngc.nvidia.com/nvidia",
    kubePrometheusStack: "https://prometheus-community.github.io/helm-charts",
    certManager: "https://charts.jetstack.io",
    /** KServe publishes its charts (kserve-crd, kserve-resources, kserve-runtime-configs) only as OCI artifacts. */
    kserve: "oci://ghcr.io/kserve/charts",
    pulsar: "https://pulsar.apache.org/charts",
    /** ceph-csi-operator's chart repo (gh-pages of ceph/ceph-csi-operator; rook-ceph v1.20.6's subchart comes from it). */
    cephCsiOperator: "https://ceph.github.io/ceph-csi-operator",
} as const;
