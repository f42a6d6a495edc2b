/**
 * Every pinned version of the platform, in one place (SPEC 3).
 *
 * Operator charts match the CRD schemas the tests validate against
 * (../shared/crds/MANIFEST.md). Bump a chart here and in crds.lock.json together.
 */
export const versions = {
    /**
     * Kubernetes minor version for the managed clusters (EKS, AKS; GKE follows its release channel).
     * Must be in standard support on each cloud (`supportCalendar`): 1.35 ends on EKS 2027-03-27 and
     * on AKS 2027-03-31.
     */
    kubernetes: "1.35",
    /** k3s release installed on edge hosts (INSTALL_K3S_VERSION): Kubernetes 1.36, upstream end of life 2027-06-28. */
    k3s: "v1.36.1+k3s1",
    /** cluster-autoscaler Helm chart (kubernetes.github.io/autoscaler) used on EKS: 9.59.0 = app 1.35.0. */
    clusterAutoscalerChart: "9.59.0",
    /**
     * k3s install script, pinned to a commit of k3s-io/k3s (not get.k3s.io, which serves the newest
     * script): the script takes the release from INSTALL_K3S_VERSION and verifies the k3s binary
     * against that release's sha256sum. Its own sha256 is config (`hybridml:cluster.installScriptSha256`,
     * required outside dev); `sha256` here is the value k3s publishes for this commit in its
     * `install.sh.sha256sum`, which the shipped edge stack sets.
     */
    k3sInstallScript: {
        url: "https://raw.githubusercontent.com/k3s-io/k3s/019b0afdd830e36f5e4b7a5b237e6a4339e6a6be/install.sh",
        sha256: "68ae766b4c4fd2c8032f712cdd346c8f9d1ae60eaeb4736a1155effda44ea23d",
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
    /** Kafka the Strimzi 1.2.0 brokers run (its default in kafka-versions.yaml): pinned, so an operator upgrade never upgrades Kafka. */
    kafka: "4.3.1",
    /**
     * GKE: Google's NVIDIA driver installer for COS (the DaemonSet NVIDIA's GKE guide applies to pools
     * created with `gpu-driver-version=disabled`), pinned to a commit of container-engine-accelerators.
     */
    gkeDriverInstaller: "https://raw.githubusercontent.com/GoogleCloudPlatform/container-engine-accelerators/f2cf4197a5c3f0f20133be15d5fad8b7453beed5/nvidia-driver-installer/cos/daemonset-preloaded.yaml",
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
    "1.35": {
        eksAddons: {
            "vpc-cni": "v1.21.1-eksbuild.3",
            "kube-proxy": "v1.35.0-eksbuild.2",
            coredns: "v1.13.2-eksbuild.1",
            "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
            "aws-ebs-csi-driver": "v1.55.0-eksbuild.2",
            "metrics-server": "v0.8.1-eksbuild.1",
        },
        clusterAutoscalerChart: versions.clusterAutoscalerChart,
    },
};

/** The supported Kubernetes minors (those with pins). */
export function supportedMinors(): string[] {
    return Object.keys(clusterPins).sort();
}

/** Platforms whose Kubernetes minor the program chooses (GKE's release channel chooses and upgrades its own). */
export type VersionedPlatform = "eks" | "aks" | "k3s";

/**
 * End of support (YYYY-MM-DD, UTC) of each Kubernetes minor per platform, as each vendor publishes it:
 * - eks: end of standard support (the EKS Kubernetes release calendar); after it a STANDARD cluster
 *   is upgraded by AWS, an EXTENDED one is billed extended support.
 * - aks: end of life (the AKS Kubernetes release calendar; a month means its last day).
 * - k3s: the upstream Kubernetes end of life (kubernetes.io releases), which k3s follows.
 * Add a minor here (and its pins in `clusterPins` for EKS) to support it.
 */
export const supportCalendar: Readonly<Record<VersionedPlatform, Readonly<Record<string, string>>>> = {
    eks: { "1.33": "2026-07-29", "1.34": "2026-12-02", "1.35": "2027-03-27" },
    aks: { "1.33": "2026-07-31", "1.34": "2026-11-30", "1.35": "2027-03-31", "1.36": "2027-06-30", "1.37": "2027-10-31" },
    k3s: { "1.34": "2026-10-27", "1.35": "2027-02-28", "1.36": "2027-06-28", "1.37": "2027-10-28" },
};

/** Days before the end of support from which the plan warns. */
export const SUPPORT_WARNING_DAYS = 60;

/** Where a pinned minor stands on a date: in support, ending within `SUPPORT_WARNING_DAYS`, ended, or not in the calendar. */
export type SupportStatus =
    | { status: "supported" | "ending"; minor: string; endOfSupport: string; daysLeft: number }
    | { status: "ended"; minor: string; endOfSupport: string; daysLeft: number }
    | { status: "unknown"; minor: string; known: string[] };

/** The Kubernetes minor of a version string: `1.35`, `v1.36.1+k3s1` -> `1.36`. */
export function kubernetesMinor(version: string): string {
    const m = /^v?(\d+\.\d+)/.exec(version);
    return m ? m[1] : version;
}

/**
 * Support status of `version` on `platform` on `today` (pure: tests pass the date in, the program
 * passes the current date). Days are whole UTC days until the end date (0 on the day itself).
 */
export function supportStatus(platform: VersionedPlatform, version: string, today: Date): SupportStatus {
    const minor = kubernetesMinor(version);
    const end = supportCalendar[platform][minor];
    if (!end) return { status: "unknown", minor, known: Object.keys(supportCalendar[platform]).sort() };
    const day = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
    const daysLeft = Math.round((Date.parse(`${end}T00:00:00Z`) - day) / 86_400_000);
    const status = daysLeft < 0 ? "ended" : daysLeft <= SUPPORT_WARNING_DAYS ? "ending" : "supported";
    return { status, minor, endOfSupport: end, daysLeft };
}

/** Minors of `platform` still in support on `today`, oldest first. */
export function supportedMinorsOn(platform: VersionedPlatform, today: Date): string[] {
    return Object.keys(supportCalendar[platform])
        .filter((m) => supportStatus(platform, m, today).status !== "ended")
        .sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
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
