/**
 * Where each Helm chart comes from: its name in its repository, the upstream repository and the
 * pinned version (lib/versions.ts), or a chart mirror that an air-gapped site configures
 * (`hybridml:charts`, README "Charts from a mirror"). Every Release takes its chart, version and
 * repository from `chartSource`, so a mirror replaces every upstream at once.
 */
import { chartRepos, versions } from "./versions";

/** Every chart the platform installs, by its name in the repository. */
export const helmCharts = {
    "rook-ceph": { repo: chartRepos.rookCeph, version: versions.charts.rookCeph },
    "ceph-csi-drivers": { repo: chartRepos.cephCsiOperator, version: versions.charts.cephCsiDrivers },
    "strimzi-kafka-operator": { repo: chartRepos.strimzi, version: versions.charts.strimzi },
    "pulsar": { repo: chartRepos.pulsar, version: versions.charts.pulsar },
    "gpu-operator": { repo: chartRepos.gpuOperator, version: versions.charts.gpuOperator },
    "kube-prometheus-stack": { repo: chartRepos.kubePrometheusStack, version: versions.charts.kubePrometheusStack },
    "cert-manager": { repo: chartRepos.certManager, version: versions.charts.certManager },
    "kserve-crd": { repo: chartRepos.kserve, version: versions.charts.kserve },
    "kserve-resources": { repo: chartRepos.kserve, version: versions.charts.kserve },
    "kserve-runtime-configs": { repo: chartRepos.kserve, version: versions.charts.kserve },
    /** Its version is pinned per Kubernetes minor (clusterPins); the one here is the default minor's. */
    "cluster-autoscaler": { repo: chartRepos.clusterAutoscaler, version: versions.clusterAutoscalerChart },
} as const;
export type ChartName = keyof typeof helmCharts;
export const chartNames = Object.keys(helmCharts) as ChartName[];

/**
 * A chart mirror: one repository that serves every chart (`repository`), and/or one per chart
 * (`repositories`, which wins). Each is an `https://` (or, on dev, `http://`) Helm repository or an
 * `oci://` registry path. Default: none, every chart from its upstream repository.
 */
export interface ChartMirror {
    repository?: string;
    repositories?: Partial<Record<ChartName, string>>;
}

/** The chart, version and repository options of a `helm.v3.Release`. */
export interface ChartSource {
    chart: string;
    version: string;
    repositoryOpts?: { repo: string };
}

/**
 * The Release fields for chart `name` at its pinned `version` (default: helmCharts). An OCI
 * registry takes the full reference as the chart (Helm's `--repo` does not do OCI); a Helm
 * repository takes the chart's name and the repository URL.
 */
export function chartSource(name: ChartName, mirror: ChartMirror = {}, version: string = helmCharts[name].version): ChartSource {
    const repo = (mirror.repositories?.[name] ?? mirror.repository ?? helmCharts[name].repo).replace(/\/+$/, "");
    return repo.startsWith("oci://") ? { chart: `${repo}/${name}`, version } : { chart: name, version, repositoryOpts: { repo } };
}

/**
 * The URL of a CRD file that the program applies itself for chart `name` (Helm installs a chart's
 * `crds/` once and never upgrades them): `upstream` without a mirror; on a site whose mirror for that
 * chart is a Helm repository (http/https), `<repository>/crds/<chart>/<version>/<file>`, which the
 * mirror serves beside the chart (README "Charts from a mirror"). An OCI registry cannot serve plain
 * files: the upstream URL stays.
 */
export function crdFileUrl(name: ChartName, file: string, upstream: string, mirror: ChartMirror = {}, version: string = helmCharts[name].version): string {
    const repo = (mirror.repositories?.[name] ?? mirror.repository)?.replace(/\/+$/, "");
    return repo && /^https?:\/\//.test(repo) ? `${repo}/crds/${name}/${version}/${file}` : upstream;
}
