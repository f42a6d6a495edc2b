/**
 * Cluster guardrails: the API is not open to the world, secrets are encrypted and workload
 * identity is on, GPU pools are tainted, and a pool that scales to zero has an autoscaler.
 */
import { MANDATORY_EVERYWHERE, MANDATORY_IN_PROD } from "../lib/levels";
import { get, isNot, isUnknown, known, list, num, ResourcePolicyDef, ResourceView, StackPolicyDef, StackViolation } from "../lib/view";

export const EKS_CLUSTER = "aws:eks/cluster:Cluster";
export const EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
export const GKE_CLUSTER = "gcp:container/cluster:Cluster";
export const GKE_NODE_POOL = "gcp:container/nodePool:NodePool";
export const AKS_CLUSTER = "azure-native:containerservice:ManagedCluster";
export const AKS_AGENT_POOL = "azure-native:containerservice:AgentPool";
const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";
const ASG_TAG = "aws:autoscaling/tag:Tag";

const isWorld = (cidr: unknown) => typeof cidr === "string" && /\/0$/.test(cidr.trim());

/** Why a list of authorized CIDRs does not restrict access (undefined: it does, or unknown). */
function openCidrs(cidrs: unknown, field: string): string | undefined {
    if (isUnknown(cidrs)) return undefined;
    const l = list(cidrs);
    if (l.length === 0) return `${field} is empty (open to 0.0.0.0/0)`;
    const world = l.filter(isWorld);
    return world.length > 0 ? `${field} contains ${world.join(", ")}` : undefined;
}

export const clusterApiNotPublic: ResourcePolicyDef = {
    kind: "resource",
    name: "cluster-api-not-public",
    description: "The Kubernetes API endpoint is private, or public only to listed CIDRs (never 0.0.0.0/0).",
    remediation: "Keep hybridml:cluster.publicEndpoint false, or list the operator/CI ranges in hybridml:cluster.authorizedCidrs (no /0).",
    levels: MANDATORY_EVERYWHERE,
    check(r) {
        const p = r.props;
        const out: string[] = [];
        switch (r.type) {
            case EKS_CLUSTER: {
                const vpc = p.vpcConfig ?? {};
                // EKS defaults: public endpoint on, open to 0.0.0.0/0.
                if (vpc.endpointPublicAccess !== false && !isUnknown(vpc.endpointPublicAccess)) {
                    const why = openCidrs(vpc.publicAccessCidrs, "vpcConfig.publicAccessCidrs");
                    if (why) out.push(`EKS public endpoint is open: ${why}`);
                }
                break;
            }
            case GKE_CLUSTER: {
                const privateEndpoint = get(p, "privateClusterConfig.enablePrivateEndpoint");
                const man = p.masterAuthorizedNetworksConfig;
                const cidrs = list(get(man, "cidrBlocks")).map((b) => b?.cidrBlock);
                if (cidrs.some(isWorld)) out.push(`masterAuthorizedNetworksConfig.cidrBlocks contains ${cidrs.filter(isWorld).join(", ")}`);
                if (privateEndpoint !== true && !isUnknown(privateEndpoint) && !isUnknown(man)) {
                    if (!man) out.push("GKE public endpoint without masterAuthorizedNetworksConfig (open to 0.0.0.0/0)");
                    else if (cidrs.length === 0 && !isUnknown(man.cidrBlocks)) out.push("GKE public endpoint with no authorized cidrBlocks");
                    if (get(man, "gcpPublicCidrsAccessEnabled") === true) out.push("masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled lets every Google Cloud IP reach the API");
                }
                break;
            }
            case AKS_CLUSTER: {
                const prof = p.apiServerAccessProfile;
                if (isUnknown(prof)) break;
                const ranges = get(prof, "authorizedIPRanges");
                if (list(ranges).some(isWorld)) out.push(`apiServerAccessProfile.authorizedIPRanges contains ${list(ranges).filter(isWorld).join(", ")}`);
                else if (get(prof, "enablePrivateCluster") !== true && !isUnknown(get(prof, "enablePrivateCluster"))) {
                    const why = openCidrs(ranges, "apiServerAccessProfile.authorizedIPRanges");
                    if (why) out.push(`AKS public API server is open: ${why}`);
                }
                break;
            }
        }
        return out;
    },
};

export const clusterEncryptionIdentity: ResourcePolicyDef = {
    kind: "resource",
    name: "cluster-encryption-identity",
    description: "Kubernetes secrets are envelope-encrypted with a customer key and workload identity is on (EKS, GKE, AKS).",
    remediation: "EKS: encryptionConfig {resources: [secrets], provider.keyArn}. GKE: databaseEncryption ENCRYPTED with keyName, workloadIdentityConfig.workloadPool. "
        + "AKS: securityProfile.azureKeyVaultKms.enabled, securityProfile.workloadIdentity.enabled, oidcIssuerProfile.enabled.",
    levels: MANDATORY_IN_PROD,
    check(r) {
        const p = r.props;
        const out: string[] = [];
        switch (r.type) {
            case EKS_CLUSTER: {
                const enc = p.encryptionConfig;
                if (isUnknown(enc)) break;
                if (!list(get(enc, "resources")).includes("secrets") && !isUnknown(get(enc, "resources"))) out.push("EKS encryptionConfig does not encrypt secrets");
                else if (!known(get(enc, "provider.keyArn")) && !isUnknown(get(enc, "provider.keyArn"))) out.push("EKS encryptionConfig has no provider.keyArn");
                break;
            }
            case GKE_CLUSTER: {
                const de = p.databaseEncryption;
                if (!isUnknown(de) && isNot(get(de, "state"), "ENCRYPTED")) out.push(`GKE databaseEncryption.state is ${JSON.stringify(get(de, "state") ?? "unset")}, must be "ENCRYPTED"`);
                const wi = p.workloadIdentityConfig;
                if (!isUnknown(wi) && !known(get(wi, "workloadPool")) && !isUnknown(get(wi, "workloadPool"))) out.push("GKE workloadIdentityConfig.workloadPool is not set (Workload Identity off)");
                break;
            }
            case AKS_CLUSTER: {
                const sp = p.securityProfile;
                if (!isUnknown(sp)) {
                    if (isNot(get(sp, "azureKeyVaultKms.enabled"), true)) out.push("AKS securityProfile.azureKeyVaultKms.enabled is not true (secrets not encrypted with a Key Vault key)");
                    if (isNot(get(sp, "workloadIdentity.enabled"), true)) out.push("AKS securityProfile.workloadIdentity.enabled is not true");
                }
                if (!isUnknown(p.oidcIssuerProfile) && isNot(get(p, "oidcIssuerProfile.enabled"), true)) out.push("AKS oidcIssuerProfile.enabled is not true");
                break;
            }
        }
        return out;
    },
};

// ---------------------------------------------------------------------------------------------
// GPU pools

const GPU_INSTANCE = /^(p\d|g\d)/;
const AKS_GPU_VM = /^Standard_N/i;

/** True when a node pool resource is a GPU pool. */
export function isGpuPool(r: ResourceView): boolean {
    const p = r.props;
    switch (r.type) {
        case EKS_NODE_GROUP:
            return (typeof p.amiType === "string" && /NVIDIA|GPU/i.test(p.amiType)) || list(p.instanceTypes).some((t) => typeof t === "string" && GPU_INSTANCE.test(t));
        case GKE_NODE_POOL:
            return list(get(p, "nodeConfig.guestAccelerators")).length > 0;
        case AKS_AGENT_POOL:
            return (typeof p.vmSize === "string" && AKS_GPU_VM.test(p.vmSize)) || p.gpuProfile !== undefined;
        default:
            return false;
    }
}

const GPU_TAINT = "nvidia.com/gpu";

export const gpuPoolsTainted: ResourcePolicyDef = {
    kind: "resource",
    name: "gpu-pools-tainted",
    description: `GPU node pools carry the taint ${GPU_TAINT}=true:NoSchedule so only GPU workloads land on (and pay for) GPU nodes.`,
    remediation: `Add the taint ${GPU_TAINT}=true:NoSchedule to the GPU pool (EKS taints, GKE nodeConfig.taints, AKS nodeTaints).`,
    levels: MANDATORY_IN_PROD,
    check(r) {
        if (!isGpuPool(r)) return [];
        const p = r.props;
        let taints: unknown;
        let ok: boolean;
        switch (r.type) {
            case EKS_NODE_GROUP:
                taints = p.taints;
                ok = list(taints).some((t) => t?.key === GPU_TAINT && t?.effect === "NO_SCHEDULE");
                break;
            case GKE_NODE_POOL:
                taints = get(p, "nodeConfig.taints");
                ok = list(taints).some((t) => t?.key === GPU_TAINT && t?.effect === "NO_SCHEDULE");
                break;
            default:
                taints = p.nodeTaints;
                ok = list(taints).some((t) => typeof t === "string" && t.startsWith(`${GPU_TAINT}`) && t.endsWith(":NoSchedule"));
        }
        if (ok || isUnknown(taints)) return [];
        return [`GPU pool ${r.name} has no ${GPU_TAINT} NoSchedule taint (taints: ${JSON.stringify(taints ?? [])})`];
    },
};

// ---------------------------------------------------------------------------------------------
// Scale to zero

const AUTOSCALER_CHARTS = /^(cluster-autoscaler|karpenter)$/;

export const scaleToZeroHasAutoscaler: StackPolicyDef = {
    kind: "stack",
    name: "scale-to-zero-autoscaler",
    description: "A node pool that can scale to zero has an autoscaler that can scale it up from zero.",
    remediation: "EKS: deploy the cluster-autoscaler (or Karpenter) release and tag the ASG (k8s.io/cluster-autoscaler/enabled, node-template taint/resources tags). "
        + "GKE: set autoscaling with a max > 0. AKS: enableAutoScaling with maxCount > 0.",
    levels: MANDATORY_IN_PROD,
    check({ resources }) {
        const out: StackViolation[] = [];
        const releases = resources.filter((r) => r.type === HELM_RELEASE && typeof r.props.chart === "string" && AUTOSCALER_CHARTS.test(r.props.chart.split("/").pop()!));
        const tagKeys = resources.filter((r) => r.type === ASG_TAG).map((r) => get(r.props, "tag.key")).filter((k): k is string => typeof k === "string");
        for (const r of resources) {
            const p = r.props;
            if (r.type === EKS_NODE_GROUP) {
                if (num(get(p, "scalingConfig.minSize")) !== 0) continue;
                const missing: string[] = [];
                if (releases.length === 0) missing.push("no cluster-autoscaler or karpenter Helm release in the stack");
                const karpenter = releases.some((x) => /karpenter/.test(x.props.chart));
                if (!karpenter) {
                    if (!tagKeys.includes("k8s.io/cluster-autoscaler/enabled")) missing.push("no ASG tag k8s.io/cluster-autoscaler/enabled");
                    if (list(p.taints).length > 0 && !tagKeys.some((k) => k.startsWith("k8s.io/cluster-autoscaler/node-template/taint/"))) {
                        missing.push("no node-template/taint ASG tag (the autoscaler cannot know the tainted pool fits a pod)");
                    }
                    if (isGpuPool(r) && !tagKeys.some((k) => k === "k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu")) {
                        missing.push("no node-template/resources/nvidia.com/gpu ASG tag (the autoscaler cannot know the pool has GPUs)");
                    }
                }
                if (missing.length > 0) out.push({ urn: r.urn, message: `${r.name}: node group scales to 0 but ${missing.join("; ")}` });
            } else if (r.type === GKE_NODE_POOL) {
                const auto = p.autoscaling;
                if (isUnknown(auto)) continue;
                const min = num(get(auto, "totalMinNodeCount") ?? get(auto, "minNodeCount"));
                const max = num(get(auto, "totalMaxNodeCount") ?? get(auto, "maxNodeCount"));
                const zeroWithoutAutoscaling = !auto && (num(p.nodeCount) === 0 || (num(p.initialNodeCount) === 0 && p.nodeCount === undefined));
                if (zeroWithoutAutoscaling) out.push({ urn: r.urn, message: `${r.name}: node pool has 0 nodes and no autoscaling` });
                else if (auto && min === 0 && !(max !== undefined && max > 0)) out.push({ urn: r.urn, message: `${r.name}: autoscaling from 0 with no max node count > 0` });
            } else if (r.type === AKS_AGENT_POOL || r.type === AKS_CLUSTER) {
                const pools = r.type === AKS_AGENT_POOL ? [p] : list(p.agentPoolProfiles);
                for (const pool of pools) {
                    const zero = num(pool?.minCount) === 0 || num(pool?.count) === 0;
                    if (!zero) continue;
                    const poolName = pool.agentPoolName ?? pool.name ?? r.name;
                    if (pool.enableAutoScaling !== true && !isUnknown(pool.enableAutoScaling)) out.push({ urn: r.urn, message: `${r.name}: agent pool ${poolName} can be at 0 nodes without enableAutoScaling` });
                    else if (!(num(pool.maxCount) !== undefined && num(pool.maxCount)! > 0) && !isUnknown(pool.maxCount)) out.push({ urn: r.urn, message: `${r.name}: agent pool autoscales from 0 with no maxCount > 0` });
                }
            }
        }
        return out;
    },
};
