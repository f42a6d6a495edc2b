/**
 * PreviewAccess: the Kubernetes rights of the pull-request preview identity (SPEC 11b), the same on
 * EKS, GKE and AKS. `pulumi preview` reads live objects and asks the API server for a server-side
 * dry-run of every create and update; Kubernetes authorises a dry-run exactly like the real request,
 * so the identity needs write verbs. Two objects make that safe:
 * - a ClusterRole: read everything, create/update/patch in the API groups the platform manages
 *   (never delete, never the admission-registration group that holds the fence below);
 * - a ValidatingAdmissionPolicy (GA since Kubernetes 1.30) that denies every write of the preview
 *   subjects that is not a dry-run.
 * A pull request that changes these objects themselves cannot be previewed (their dry-run needs the
 * admission-registration rights the preview identity must not have); every other preview can.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** Who previews: a Kubernetes user name or group, as the cluster's authenticator reports it. */
export interface PreviewSubject {
    kind: "User" | "Group";
    name: string;
}

export interface PreviewAccessArgs {
    /** The preview identities (EKS: the access entry's group; GKE: the service-account email; AKS: the object ID). Required, non-empty. */
    subjects: PreviewSubject[];
    /** The cluster's Kubernetes provider (the deployer's credentials). Required. */
    provider: k8s.Provider;
}

/** Names of the cluster-scoped objects (one set per cluster). */
export const PREVIEW_ACCESS_NAMES = { role: "hybridml-preview", policy: "hybridml-preview-dry-run-only" } as const;

/** Kubernetes group the EKS preview access entry maps the preview role to (EKS refuses `system:` groups). */
export const PREVIEW_GROUP = "hybridml:preview";

/**
 * API groups whose objects the platform creates or updates (built-in and operator CRDs; "" is the
 * core group). A test checks that every Kubernetes type in the fleet plans is covered. Never
 * `admissionregistration.k8s.io`: a non-dry-run write there could lift the policy.
 */
export const PREVIEW_WRITE_GROUPS = [
    "", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "storage.k8s.io", "scheduling.k8s.io",
    "rbac.authorization.k8s.io", "apiextensions.k8s.io", "coordination.k8s.io", "node.k8s.io",
    "cert-manager.io", "kafka.strimzi.io", "core.strimzi.io", "ceph.rook.io", "objectbucket.io", "csi.ceph.io",
    "serving.kserve.io", "monitoring.coreos.com", "nvidia.com",
] as const;

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/** The preview ClusterRole's rules. */
export function previewRules(): Rule[] {
    return [
        { apiGroups: ["*"], resources: ["*"], verbs: ["get", "list", "watch"] },
        { apiGroups: [...PREVIEW_WRITE_GROUPS], resources: ["*"], verbs: ["create", "update", "patch"] },
        // A dry-run of a RoleBinding granting rights the previewer lacks needs bind/escalate; the policy
        // keeps them dry-run only like every other write.
        { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "clusterroles"], verbs: ["bind", "escalate"] },
    ];
}

const celList = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(", ")}]`;

/** CEL that is true for a request of one of `subjects` (the policy's match condition). */
export function previewSubjectMatch(subjects: PreviewSubject[]): string {
    const users = subjects.filter((s) => s.kind === "User").map((s) => s.name);
    const groups = subjects.filter((s) => s.kind === "Group").map((s) => s.name);
    const parts: string[] = [];
    if (users.length > 0) parts.push(`request.userInfo.username in ${celList(users)}`);
    if (groups.length > 0) parts.push(`(has(request.userInfo.groups) && request.userInfo.groups.exists(g, g in ${celList(groups)}))`);
    return parts.join(" || ");
}

/** The ValidatingAdmissionPolicy: preview subjects may only dry-run writes. */
export function previewPolicySpec(subjects: PreviewSubject[]) {
    return {
        failurePolicy: "Fail",
        matchConstraints: {
            resourceRules: [{ apiGroups: ["*"], apiVersions: ["*"], operations: ["CREATE", "UPDATE", "DELETE", "CONNECT"], resources: ["*", "*/*"] }],
        },
        matchConditions: [{ name: "preview-identity", expression: previewSubjectMatch(subjects) }],
        validations: [{
            expression: "has(request.dryRun) && request.dryRun == true",
            message: "the pull-request preview identity may only send dry-run requests (pulumi preview); deploys use the deploy identity",
            reason: "Forbidden",
        }],
    };
}

/** The preview identity's ClusterRole, its binding, and the dry-run-only admission policy. */
export class PreviewAccess extends pulumi.ComponentResource {
    /** The ClusterRole's name. */
    public readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: PreviewAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        if (args.subjects.length === 0) throw new Error(`PreviewAccess ${name}: args.subjects is empty: name the preview identity`);
        super("hybridml:clusters:PreviewAccess", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        // The fence first: the role is bound only once the policy denies its non-dry-run writes.
        const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(`${name}-policy`, {
            metadata: { name: PREVIEW_ACCESS_NAMES.policy },
            spec: previewPolicySpec(args.subjects),
        }, child);
        const binding = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(`${name}-policy`, {
            metadata: { name: PREVIEW_ACCESS_NAMES.policy },
            spec: { policyName: policy.metadata.name, validationActions: ["Deny"] },
        }, child);
        const role = new k8s.rbac.v1.ClusterRole(`${name}-role`, {
            metadata: { name: PREVIEW_ACCESS_NAMES.role },
            rules: previewRules(),
        }, child);
        new k8s.rbac.v1.ClusterRoleBinding(`${name}-role`, {
            metadata: { name: PREVIEW_ACCESS_NAMES.role },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
            subjects: args.subjects.map((s) => ({ apiGroup: "rbac.authorization.k8s.io", kind: s.kind, name: s.name })),
        }, pulumi.mergeOptions(child, { dependsOn: [binding] }));
        this.roleName = role.metadata.name;
        this.registerOutputs({ roleName: this.roleName });
    }
}
