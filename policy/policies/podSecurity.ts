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
    description: "Workloads and Services carry the recommended labels app.kubernetes.io/name and app.kubernetes.io/part-of "
        + "(the Kubernetes compliance set's configure-recommended-labels, for Deployments, StatefulSets, DaemonSets, Jobs, CronJobs and Services).",
    remediation: "Add metadata.labels and spec.template.metadata.labels {\"app.kubernetes.io/name\": <component>, \"app.kubernetes.io/part-of\": \"hybridml\"}.",
    levels: { dev: "advisory", edge: "advisory", prod: "advisory" },
    severity: "low",
    url: "https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/",
    check(r) {
        if (!WORKLOADS.includes(r.type) && r.type !== "kubernetes:core/v1:Service") return [];
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

/**
 * Charts whose pods must break the restricted profile, and why (the values the program sets for them
 * are not judged). Every other chart's values must not turn the chart's pods privileged.
 */
export const HELM_POD_SECURITY_EXCEPTIONS: ReadonlyArray<{ chart: string; reason: string }> = [
    { chart: "rook-ceph", reason: POD_SECURITY_EXCEPTIONS[0].reason },
    { chart: "rook-ceph-cluster", reason: POD_SECURITY_EXCEPTIONS[0].reason },
    { chart: "ceph-csi-drivers", reason: POD_SECURITY_EXCEPTIONS[1].reason },
    { chart: "gpu-operator", reason: POD_SECURITY_EXCEPTIONS[2].reason },
];

/** Values settings that make a chart's pods break the restricted profile, by key name. */
const UNSAFE_VALUES: ReadonlyArray<{ key: string; unsafe: (v: unknown) => boolean; what: string }> = [
    { key: "privileged", unsafe: (v) => v === true, what: "is true" },
    { key: "hostNetwork", unsafe: (v) => v === true, what: "is true" },
    { key: "hostPID", unsafe: (v) => v === true, what: "is true" },
    { key: "hostIPC", unsafe: (v) => v === true, what: "is true" },
    { key: "allowPrivilegeEscalation", unsafe: (v) => v === true, what: "is true" },
    { key: "runAsNonRoot", unsafe: (v) => v === false, what: "is false" },
    { key: "runAsUser", unsafe: (v) => v === 0, what: "is 0 (root)" },
    { key: "readOnlyRootFilesystem", unsafe: (v) => v === false, what: "is false" },
    { key: "hostPath", unsafe: (v) => v !== null && typeof v === "object", what: "mounts a host path" },
    { key: "add", unsafe: (v) => Array.isArray(v) && v.length > 0, what: "adds capabilities" },
];

/** Every unsafe setting in a values tree, as `path what` (the `add` rule only under `capabilities`). Pure. */
export function unsafeValues(values: unknown, at = "values"): string[] {
    if (isUnknown(values) || values === null || typeof values !== "object") return [];
    if (Array.isArray(values)) return values.flatMap((v, i) => unsafeValues(v, `${at}[${i}]`));
    return Object.entries(values as Record<string, unknown>).flatMap(([k, v]) => {
        const rule = UNSAFE_VALUES.find((u) => u.key === k && (k !== "add" || at.endsWith(".capabilities")));
        return rule && rule.unsafe(v) ? [`${at}.${k} ${rule.what}`] : unsafeValues(v, `${at}.${k}`);
    });
}

export const helmValuesPodSecurity: ResourcePolicyDef = {
    kind: "resource",
    name: "helm-values-pod-security",
    description: "The Helm values the program sets do not make a chart's pods privileged: no privileged, hostNetwork/hostPID/hostIPC, hostPath, "
        + "added capabilities, privilege escalation, root or writable root filesystem. Exceptions: the Rook, CSI driver and GPU operator charts (named in the pack with their reasons).",
    remediation: "Remove the setting from the release's values (the chart's own defaults are judged by Pod Security admission on its namespace), "
        + "or add the chart to HELM_POD_SECURITY_EXCEPTIONS with the reason it needs the host.",
    levels: MANDATORY_IN_PROD,
    severity: "high",
    framework: PSS,
    url: "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
    check(r) {
        if (r.type !== "kubernetes:helm.sh/v3:Release") return [];
        const chart = get(r.props, "chart");
        if (typeof chart !== "string" || HELM_POD_SECURITY_EXCEPTIONS.some((e) => e.chart === chart.split("/").pop())) return [];
        return unsafeValues(get(r.props, "values")).map((m) => `chart ${chart.split("/").pop()}: ${m}`);
    },
};

/** Built-in API groups (custom resources version their own APIs: a CRD's v1beta1 is its maintainers' choice). */
const BUILTIN_GROUPS = /^kubernetes:(core|apps|batch|networking\.k8s\.io|policy|rbac\.authorization\.k8s\.io|storage\.k8s\.io|scheduling\.k8s\.io|autoscaling|admissionregistration\.k8s\.io|apiextensions\.k8s\.io|apiregistration\.k8s\.io|certificates\.k8s\.io|coordination\.k8s\.io|discovery\.k8s\.io|events\.k8s\.io|flowcontrol\.apiserver\.k8s\.io|node\.k8s\.io|resource\.k8s\.io)\/(v\d+(alpha|beta)\d*):/;

export const noPrereleaseApis: ResourcePolicyDef = {
    kind: "resource",
    name: "no-prerelease-kubernetes-apis",
    description: "Built-in Kubernetes objects use GA API versions, never alpha or beta ones (the Kubernetes compliance set's disallow-alpha/beta-resource): "
        + "pre-release APIs are off by default or removed within a few releases.",
    remediation: "Use the GA version of the kind (e.g. policy/v1 PodDisruptionBudget, autoscaling/v2 HorizontalPodAutoscaler).",
    levels: { dev: "advisory", edge: "mandatory", prod: "mandatory" },
    severity: "medium",
    url: "https://kubernetes.io/docs/reference/using-api/#api-versioning",
    check(r) {
        const m = BUILTIN_GROUPS.exec(r.type);
        return m ? [`${r.type} uses the pre-release API version ${m[2]}`] : [];
    },
};
