/**
 * The deploy critical path of a plan (SPEC 10): the longest chain of resources that must be
 * created one after another, from documented per-resource-type duration estimates.
 *
 * A resource waits for its dependencies and for its provider (a Kubernetes provider waits for the
 * cluster whose kubeconfig it takes); component resources and the stack take no time of their own.
 * Estimates are typical create times (seconds) as observed in `pulumi up` runs and the providers'
 * docs: managed control planes take minutes, managed node pools a few minutes, Helm releases wait
 * for their workloads to be ready (Pulumi's default), custom resources return once applied (the
 * operator reconciles afterwards), IAM and network objects take seconds. They are estimates for
 * comparing plans and finding the longest chain, not promises. A Helm release is estimated by its
 * chart: a chart of CRDs or configuration only has nothing to wait for, an operator waits for one
 * Deployment, a data system for its quorum of StatefulSets.
 *
 * The critical path of a change counts only what the change creates or replaces: everything else
 * already exists and takes no time.
 */
import type { PlanResource } from "./types";

/** Estimated create time in seconds, by exact type token. */
export const DURATION_ESTIMATES: Readonly<Record<string, number>> = {
    // Managed control planes.
    "aws:eks/cluster:Cluster": 600, // EKS: ~9-12 min
    "gcp:container/cluster:Cluster": 420, // GKE regional: ~6-8 min
    "azure-native:containerservice:ManagedCluster": 420, // AKS: ~5-8 min
    // Node pools.
    "aws:eks/nodeGroup:NodeGroup": 240,
    "gcp:container/nodePool:NodePool": 240,
    "azure-native:containerservice:AgentPool": 300,
    "aws:eks/addon:Addon": 90,
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": 10,
    "aws:eks/accessEntry:AccessEntry": 5,
    // Network.
    "aws:ec2/natGateway:NatGateway": 120,
    "aws:ec2/vpc:Vpc": 5, "aws:ec2/subnet:Subnet": 5, "aws:ec2/eip:Eip": 3, "aws:ec2/internetGateway:InternetGateway": 5,
    "aws:ec2/routeTable:RouteTable": 3, "aws:ec2/route:Route": 3, "aws:ec2/routeTableAssociation:RouteTableAssociation": 2,
    "gcp:compute/network:Network": 30, "gcp:compute/subnetwork:Subnetwork": 30, "gcp:compute/router:Router": 20, "gcp:compute/routerNat:RouterNat": 30,
    "azure-native:network:VirtualNetwork": 15, "azure-native:network:Subnet": 10, "azure-native:resources:ResourceGroup": 5,
    // Keys, identities, storage.
    "aws:kms/key:Key": 10, "gcp:kms/keyRing:KeyRing": 5, "gcp:kms/cryptoKey:CryptoKey": 5, "azure-native:keyvault:Vault": 30, "azure-native:keyvault:Key": 5,
    "aws:iam/role:Role": 3, "gcp:serviceaccount/account:Account": 5, "azure-native:managedidentity:UserAssignedIdentity": 10,
    "azure-native:authorization:RoleAssignment": 20, // RBAC propagation
    "aws:s3/bucket:Bucket": 5, "gcp:storage/bucket:Bucket": 5, "azure-native:storage:StorageAccount": 30, "azure-native:storage:BlobContainer": 5,
    // Edge: k3s install over SSH.
    "command:remote:Command": 90,
    // Kubernetes.
    // Helm releases: by chart (CHART_ESTIMATES).
    "kubernetes:core/v1:Namespace": 2,
    "kubernetes:apps/v1:Deployment": 60, "kubernetes:apps/v1:StatefulSet": 120, "kubernetes:apps/v1:DaemonSet": 60,
    "kubernetes:batch/v1:Job": 60, "kubernetes:core/v1:PersistentVolumeClaim": 30, "kubernetes:core/v1:Service": 5,
};

const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";

/** Helm releases by chart name (the last path segment of `chart`): Pulumi waits for the chart's workloads to be ready. */
export const CHART_ESTIMATES: Readonly<Record<string, number>> = {
    "kserve-crd": 15, // CRDs only
    "kserve-runtime-configs": 15, // ClusterServingRuntimes only
    "kserve-resources": 120, // controller + webhook
    "cert-manager": 90, // controller, cainjector, webhook
    "strimzi-kafka-operator": 90,
    "rook-ceph": 120, // operator
    "ceph-csi-drivers": 90, // node plugin DaemonSets on every node
    "gpu-operator": 240, // operator, NFD, toolkit and device-plugin DaemonSets
    "kube-prometheus-stack": 240, // Prometheus, Alertmanager, Grafana, operator
    pulsar: 600, // ZooKeeper, then BookKeeper, then brokers, one StatefulSet after another
    "cluster-autoscaler": 60,
};

/** A Helm release of a chart not in CHART_ESTIMATES. */
export const DEFAULT_CHART_ESTIMATE = 120;

/** The chart name of a release's `chart` input (`oci://.../kserve-crd`, `repo/name`, `name`). */
export const chartName = (chart: unknown): string => (typeof chart === "string" ? chart.split("/").pop() ?? chart : "");

/** Estimated create time of one resource (Helm releases by chart), in seconds. */
export function estimateOf(r: Pick<PlanResource, "type" | "inputs">): number {
    if (r.type === HELM_RELEASE) return CHART_ESTIMATES[chartName(r.inputs?.chart)] ?? DEFAULT_CHART_ESTIMATE;
    return estimate(r.type);
}

/** Estimates by pattern, for types without an exact entry (first match wins). */
const PATTERNS: Array<[RegExp, number]> = [
    [/^(hybridml:|pulumi:pulumi:Stack$|pulumi:pulumi:StackReference$)/, 0], // components, stack, reads
    [/^pulumi:providers:/, 1],
    [/^kubernetes:[^:]*\/v\d[a-z0-9]*:/, 2], // other Kubernetes objects and custom resources: applied, not awaited
    [/^(aws|gcp|azure-native):.*(iam|IAM|Policy|policy|Attachment|Member|Binding|Tag|Alias|Versioning|Encryption|PublicAccessBlock|Ownership)/, 3],
    [/^random:/, 0],
];

/** Default for anything else (a cloud API call). */
export const DEFAULT_ESTIMATE = 10;

/** Estimated create time of one resource type, in seconds (Helm releases: `estimateOf`, by chart). */
export function estimate(type: string): number {
    if (type === HELM_RELEASE) return DEFAULT_CHART_ESTIMATE;
    const exact = DURATION_ESTIMATES[type];
    if (exact !== undefined) return exact;
    for (const [re, s] of PATTERNS) if (re.test(type)) return s;
    return DEFAULT_ESTIMATE;
}

export interface CriticalPath {
    /** Total estimated seconds along the chain. */
    seconds: number;
    /** The chain, first created first. */
    chain: Array<{ urn: string; type: string; name: string; seconds: number; kind: string }>;
}

/**
 * The longest chain of a plan's resources (reads excluded). With `only`, the chain of a change:
 * resources outside `only` exist already and take no time (they still order the others).
 */
export function criticalPath(resources: PlanResource[], only?: ReadonlySet<string>): CriticalPath {
    const cost = (r: PlanResource) => (only && !only.has(r.urn) ? 0 : estimateOf(r));
    const byUrn = new Map(resources.filter((r) => !r.read).map((r) => [r.urn, r]));
    const memo = new Map<string, { total: number; prev?: string }>();
    const visiting = new Set<string>();
    const finish = (urn: string): number => {
        const hit = memo.get(urn);
        if (hit) return hit.total;
        const r = byUrn.get(urn);
        if (!r || visiting.has(urn)) return 0;
        visiting.add(urn);
        let best = 0;
        let prev: string | undefined;
        const waits = new Set([...(r.dependencies ?? []), ...(r.provider ? [r.provider] : [])]);
        for (const d of waits) {
            if (!byUrn.has(d)) continue;
            const t = finish(d);
            if (t > best || prev === undefined) {
                best = t;
                prev = d;
            }
        }
        visiting.delete(urn);
        const total = best + cost(r);
        memo.set(urn, { total, prev });
        return total;
    };
    let end: string | undefined;
    let max = -1;
    for (const urn of byUrn.keys()) {
        const t = finish(urn);
        if (t > max) {
            max = t;
            end = urn;
        }
    }
    const chain: CriticalPath["chain"] = [];
    for (let u = end; u !== undefined; u = memo.get(u)?.prev) {
        const r = byUrn.get(u)!;
        chain.unshift({ urn: u, type: r.type, name: r.name, seconds: cost(r), kind: r.type === HELM_RELEASE ? `chart ${chartName(r.inputs?.chart)}` : r.type.split(":").pop()! });
    }
    return { seconds: Math.max(0, max), chain: chain.filter((c, i) => c.seconds > 0 || i === chain.length - 1) };
}

/** "12 min 30 s". */
export function formatDuration(seconds: number): string {
    const m = Math.floor(seconds / 60);
    const s = Math.round(seconds % 60);
    return m > 0 ? `${m} min${s ? ` ${s} s` : ""}` : `${s} s`;
}
