/**
 * Hardened workload baseline (Kubernetes Pod Security Standards "restricted", and the checks of
 * Pulumi's compliance-policies Kubernetes set): no privileged pods, host namespaces or hostPath;
 * non-root, no privilege escalation, capabilities dropped, read-only root filesystem; recommended
 * labels; in prod, long-running services with 2+ replicas and a PodDisruptionBudget, and images
 * pinned by digest. Exceptions are named below with their reason.
 */
import { MANDATORY_IN_PROD } from "../lib/levels";
import { get, isUnknown, list, num, ResourcePolicyDef, ResourceView, StackPolicyDef, StackViolation } from "../lib/view";
import { podsOf } from "../lib/workloads";

const PSS = { name: "pod-security-standards", version: "1.34", reference: "https://kubernetes.io/docs/concepts/security/pod-security-standards/", specification: "Kubernetes Pod Security Standards (restricted)" };

/**
 * Workloads allowed to break the restricted profile, and why. They run in their own namespaces,
 * which carry `pod-security.kubernetes.io/enforce: privileged` for that reason.
 */
export const POD_SECURITY_EXCEPTIONS: ReadonlyArray<{ namespace: string; reason: string }> = [
    { namespace: "rook-ceph", reason: "Rook: OSDs and mons need raw block devices, hostPath state (dataDirHostPath) and host networking options" },
    { namespace: "ceph-csi", reason: "CSI drivers: the node plugins mount volumes into pods (privileged, hostPath /var/lib/kubelet, mount propagation)" },
    { namespace: "gpu-operator", reason: "GPU operator: the driver and toolkit DaemonSets load kernel modules and configure the container runtime on the host" },
];

const exceptionOf = (r: ResourceView) => POD_SECURITY_EXCEPTIONS.find((e) => e.namespace === get(r.props, "metadata.namespace"));

export const podSecurityRestricted: ResourcePolicyDef = {
    kind: "resource",
    name: "pod-security-restricted",
    description: "Workloads the program defines run restricted: not privileged, no hostNetwork/hostPID/hostIPC, no hostPath volumes, runAsNonRoot, "
        + "allowPrivilegeEscalation false, capabilities drop ALL, readOnlyRootFilesystem. Exceptions: Rook, the CSI drivers and the GPU operator namespaces (named in the pack with their reasons).",
    remediation: "Set the pod securityContext {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}} and each container's securityContext "
        + "{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}; mount an emptyDir where the process writes.",
    levels: MANDATORY_IN_PROD,
    severity: "high",
    framework: PSS,
    url: "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
    check(r) {
        if (exceptionOf(r)) return [];
        const out: string[] = [];
        for (const pod of podsOf(r.type, r.props)) {
            const spec = pod.spec;
            for (const f of ["hostNetwork", "hostPID", "hostIPC"]) if (spec[f] === true) out.push(`${pod.where}.${f} is true`);
            for (const v of list(spec.volumes)) if (v?.hostPath) out.push(`${pod.where}: volume ${v.name} is a hostPath (${get(v, "hostPath.path")})`);
            const podSc = spec.securityContext ?? {};
            for (const c of pod.containers) {
                const sc = c.container.securityContext ?? {};
                if (isUnknown(sc)) continue;
                if (sc.privileged === true) out.push(`${c.where}: privileged`);
                if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true && !(num(sc.runAsUser ?? podSc.runAsUser) ?? 0)) out.push(`${c.where}: runAsNonRoot is not true`);
                if (sc.allowPrivilegeEscalation !== false) out.push(`${c.where}: allowPrivilegeEscalation is not false`);
                if (!list(get(sc, "capabilities.drop")).includes("ALL")) out.push(`${c.where}: capabilities.drop does not include ALL`);
                if (sc.readOnlyRootFilesystem !== true) out.push(`${c.where}: readOnlyRootFilesystem is not true`);
            }
        }
        return out;
    },
};

const WORKLOADS = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:DaemonSet", "kubernetes:batch/v1:Job", "kubernetes:batch/v1:CronJob"];

export const recommendedLabels: ResourcePolicyDef = {
    kind: "resource",
    name: "recommended-labels",
    description: "Workloads carry the recommended labels app.kubernetes.io/name and app.kubernetes.io/part-of (on the object and its pods).",
    remediation: "Add metadata.labels and spec.template.metadata.labels {\"app.kubernetes.io/name\": <component>, \"app.kubernetes.io/part-of\": \"hybridml\"}.",
    levels: { dev: "advisory", edge: "advisory", prod: "advisory" },
    severity: "low",
    url: "https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/",
    check(r) {
        if (!WORKLOADS.includes(r.type)) return [];
        const labels = get(r.props, "metadata.labels");
        if (isUnknown(labels)) return [];
        const missing = ["app.kubernetes.io/name", "app.kubernetes.io/part-of"].filter((k) => !(labels && typeof labels === "object" && k in labels));
        return missing.length > 0 ? [`metadata.labels lacks ${missing.join(", ")}`] : [];
    },
};

export const imageDigestsInProd: ResourcePolicyDef = {
    kind: "resource",
    name: "image-digests-in-prod",
    description: "In prod, container images of the workloads the program defines are pinned by digest (`repo@sha256:...`): a tag can be moved.",
    remediation: "Reference images as `repo:tag@sha256:<digest>` (resolve the digest when bumping lib/versions.ts).",
    levels: { dev: "disabled", edge: "advisory", prod: "advisory" },
    severity: "medium",
    url: "https://kubernetes.io/docs/concepts/containers/images/#image-names",
    check(r, ctx) {
        if (ctx.environment === "dev") return [];
        return podsOf(r.type, r.props).flatMap((pod) => pod.containers)
            .filter((c) => typeof c.container.image === "string" && !isUnknown(c.container.image) && !c.container.image.includes("@sha256:"))
            .map((c) => `${c.where}: image ${c.container.image} is not pinned by digest`);
    },
};

const LONG_RUNNING = ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"];
const PDB = "kubernetes:policy/v1:PodDisruptionBudget";

/** True when `selector` (matchLabels) selects pods labelled `labels`. */
function selects(selector: unknown, labels: unknown): boolean {
    const m = get(selector, "matchLabels");
    if (!m || typeof m !== "object" || !labels || typeof labels !== "object") return false;
    return Object.entries(m).every(([k, v]) => (labels as Record<string, unknown>)[k] === v);
}

export const prodReplicasAndPdb: StackPolicyDef = {
    kind: "stack",
    name: "prod-replicas-pdb",
    description: "In prod, long-running services (Deployments, StatefulSets) run at least 2 replicas and a PodDisruptionBudget covers them, so a node drain never takes a service down.",
    remediation: "Set spec.replicas >= 2 (with pod anti-affinity) and add a policy/v1 PodDisruptionBudget {maxUnavailable: 1} selecting the pods. Exceptions as for pod security (operators' own namespaces).",
    levels: MANDATORY_IN_PROD,
    severity: "medium",
    url: "https://kubernetes.io/docs/tasks/run-application/configure-pdb/",
    check(s) {
        if (s.environment !== "prod") return [];
        const pdbs = s.resources.filter((r) => r.type === PDB);
        const out: StackViolation[] = [];
        for (const r of s.resources.filter((x) => LONG_RUNNING.includes(x.type) && !exceptionOf(x))) {
            const replicas = get(r.props, "spec.replicas");
            if (isUnknown(replicas)) continue;
            if ((num(replicas) ?? 1) < 2) out.push({ urn: r.urn, message: `${r.name}: spec.replicas is ${replicas ?? "unset (1)"}, must be >= 2 in prod` });
            const ns = get(r.props, "metadata.namespace");
            const podLabels = get(r.props, "spec.template.metadata.labels");
            if (!pdbs.some((p) => get(p.props, "metadata.namespace") === ns && selects(get(p.props, "spec.selector"), podLabels))) {
                out.push({ urn: r.urn, message: `${r.name}: no PodDisruptionBudget selects its pods` });
            }
        }
        return out;
    },
};
