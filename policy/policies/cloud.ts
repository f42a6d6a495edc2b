/**
 * Hardened cloud baseline (the checks of Pulumi's compliance-policies AWS/GCP/Azure sets that apply
 * to what the platform creates): no wildcard IAM on data, no primitive GCP roles, no Owner at
 * subscription scope; keys rotate; Key Vault purge protection; Azure storage TLS 1.2 without shared
 * keys; EKS control-plane audit logs; GKE shielded nodes without the default node service account.
 */
import { MANDATORY_EVERYWHERE, MANDATORY_IN_PROD } from "../lib/levels";
import { get, isUnknown, known, list, policyStatements, ResourcePolicyDef } from "../lib/view";

const CIS_AWS = { name: "cis-aws", version: "3.0.0", reference: "https://www.cisecurity.org/benchmark/amazon_web_services", specification: "CIS Amazon Web Services Foundations Benchmark" };
const CIS_GCP = { name: "cis-gcp", version: "3.0.0", reference: "https://www.cisecurity.org/benchmark/google_cloud_computing_platform", specification: "CIS Google Cloud Platform Foundation Benchmark" };

/** Azure built-in role definition id of Owner. */
export const AZURE_OWNER_ROLE = "8e3af657-a8ff-443c-a75d-0c9b7e5f0a1e";
const PRIMITIVE_GCP_ROLES = ["roles/owner", "roles/editor", "roles/viewer"];
/** Data services whose wildcard actions grant every read and write (`s3:*`, `*`). */
const DATA_WILDCARD = /^(\*|s3:\*|kms:\*|dynamodb:\*|secretsmanager:\*|s3:Get\*|s3:Put\*)$/i;

export const iamLeastPrivilege: ResourcePolicyDef = {
    kind: "resource",
    name: "iam-least-privilege",
    description: "No IAM policy allows wildcard actions on data (`*`, `s3:*`, `kms:*`), no primitive GCP role (owner, editor, viewer), no Azure Owner assignment at subscription scope.",
    remediation: "List the actions the identity needs (s3:GetObject, s3:ListBucket on the models bucket); use predefined GCP roles (roles/storage.objectViewer); assign Azure roles on the resource or resource group, not Owner on the subscription.",
    levels: MANDATORY_EVERYWHERE,
    severity: "high",
    framework: CIS_AWS,
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege",
    check(r) {
        const p = r.props;
        switch (r.type) {
            case "aws:iam/rolePolicy:RolePolicy":
            case "aws:iam/policy:Policy":
            case "aws:s3/bucketPolicy:BucketPolicy": {
                const wild = policyStatements(p.policy).filter((st) => st?.Effect === "Allow")
                    .flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action])).filter((a: unknown) => typeof a === "string" && DATA_WILDCARD.test(a));
                return wild.length > 0 ? [`policy allows wildcard action(s) ${[...new Set(wild)].join(", ")}`] : [];
            }
            case "gcp:projects/iAMMember:IAMMember":
            case "gcp:projects/iAMBinding:IAMBinding":
            case "gcp:storage/bucketIAMMember:BucketIAMMember":
            case "gcp:serviceaccount/iAMMember:IAMMember":
                return PRIMITIVE_GCP_ROLES.includes(p.role) ? [`primitive role ${p.role}: use a predefined role`] : [];
            case "azure-native:authorization:RoleAssignment": {
                const scope = p.scope;
                const role = p.roleDefinitionId;
                const atSubscription = typeof scope === "string" && /^\/subscriptions\/[^/]+\/?$/.test(scope);
                return atSubscription && typeof role === "string" && role.toLowerCase().endsWith(AZURE_OWNER_ROLE) ? ["Owner at subscription scope"] : [];
            }
            default:
                return [];
        }
    },
};

export const keysRotate: ResourcePolicyDef = {
    kind: "resource",
    name: "keys-rotate",
    description: "Customer-managed keys rotate: AWS KMS `enableKeyRotation`, GCP KMS `rotationPeriod` of at most 365 days.",
    remediation: "AWS: enableKeyRotation: true. GCP: rotationPeriod \"7776000s\" (90 days). "
        + "Exception: the AKS KMS key (Azure Key Vault) is not checked: AKS pins the key version it encrypts etcd with, so a rotation is a deliberate key-id update.",
    levels: MANDATORY_IN_PROD,
    severity: "medium",
    framework: CIS_AWS,
    url: "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html",
    check(r) {
        const p = r.props;
        if (r.type === "aws:kms/key:Key" && p.enableKeyRotation !== true && !isUnknown(p.enableKeyRotation)) return ["enableKeyRotation is not true"];
        if (r.type === "gcp:kms/cryptoKey:CryptoKey") {
            if (isUnknown(p.rotationPeriod)) return [];
            const secs = typeof p.rotationPeriod === "string" ? Number(p.rotationPeriod.replace(/s$/, "")) : NaN;
            if (!(secs > 0 && secs <= 365 * 86400)) return [`rotationPeriod is ${JSON.stringify(p.rotationPeriod ?? "unset")}, must be at most 365 days`];
        }
        return [];
    },
};

export const keyVaultPurgeProtection: ResourcePolicyDef = {
    kind: "resource",
    name: "key-vault-purge-protection",
    description: "Azure Key Vaults have purge protection (a deleted vault's keys cannot be purged before the retention ends: etcd stays decryptable).",
    remediation: "Set properties.enablePurgeProtection: true (and soft delete) on the vault.",
    levels: MANDATORY_IN_PROD,
    severity: "high",
    url: "https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview",
    check(r) {
        if (r.type !== "azure-native:keyvault:Vault") return [];
        const v = get(r.props, "properties.enablePurgeProtection");
        return v === true || isUnknown(v) ? [] : ["properties.enablePurgeProtection is not true"];
    },
};

export const azureStorageHardened: ResourcePolicyDef = {
    kind: "resource",
    name: "azure-storage-hardened",
    description: "Azure storage accounts require TLS 1.2 and have shared-key access off (Entra ID only).",
    remediation: "Set minimumTlsVersion: \"TLS1_2\" and allowSharedKeyAccess: false.",
    levels: MANDATORY_IN_PROD,
    severity: "high",
    url: "https://learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent",
    check(r) {
        if (r.type !== "azure-native:storage:StorageAccount") return [];
        const out: string[] = [];
        if (r.props.minimumTlsVersion !== "TLS1_2" && !isUnknown(r.props.minimumTlsVersion)) out.push(`minimumTlsVersion is ${JSON.stringify(r.props.minimumTlsVersion ?? "unset (TLS1_0)")}, must be "TLS1_2"`);
        if (r.props.allowSharedKeyAccess !== false && !isUnknown(r.props.allowSharedKeyAccess)) out.push("allowSharedKeyAccess is not false");
        return out;
    },
};

export const eksAuditLogs: ResourcePolicyDef = {
    kind: "resource",
    name: "eks-audit-logs",
    description: "EKS sends control-plane audit and authenticator logs to CloudWatch.",
    remediation: "Set enabledClusterLogTypes to include \"audit\" and \"authenticator\" (the platform sets api, audit, authenticator, controllerManager, scheduler).",
    levels: MANDATORY_IN_PROD,
    severity: "medium",
    framework: CIS_AWS,
    url: "https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html",
    check(r) {
        if (r.type !== "aws:eks/cluster:Cluster" || isUnknown(r.props.enabledClusterLogTypes)) return [];
        const missing = ["audit", "authenticator"].filter((t) => !list(r.props.enabledClusterLogTypes).includes(t));
        return missing.length > 0 ? [`enabledClusterLogTypes lacks ${missing.join(", ")}`] : [];
    },
};

export const gkeShieldedNodes: ResourcePolicyDef = {
    kind: "resource",
    name: "gke-shielded-nodes",
    description: "GKE clusters use shielded nodes (secure boot, integrity monitoring), and node pools run as a dedicated service account, never the Compute Engine default.",
    remediation: "Cluster: enableShieldedNodes: true. Node pools: nodeConfig.shieldedInstanceConfig {enableSecureBoot, enableIntegrityMonitoring} and nodeConfig.serviceAccount set to the platform's node service account.",
    levels: MANDATORY_IN_PROD,
    severity: "high",
    framework: CIS_GCP,
    url: "https://cloud.google.com/kubernetes-engine/docs/how-to/hardening-your-cluster",
    check(r) {
        const p = r.props;
        const out: string[] = [];
        if (r.type === "gcp:container/cluster:Cluster" && p.enableShieldedNodes === false) out.push("enableShieldedNodes is false");
        if (r.type === "gcp:container/nodePool:NodePool") {
            const sa = get(p, "nodeConfig.serviceAccount");
            if (!known(sa) && !isUnknown(sa)) out.push("nodeConfig.serviceAccount is unset (the Compute Engine default service account)");
            else if (typeof sa === "string" && /-compute@developer\.gserviceaccount\.com$|^default$/.test(sa)) out.push(`nodeConfig.serviceAccount is the default service account ${sa}`);
            const sic = get(p, "nodeConfig.shieldedInstanceConfig");
            if (!isUnknown(sic) && get(sic, "enableSecureBoot") !== true) out.push("nodeConfig.shieldedInstanceConfig.enableSecureBoot is not true");
        }
        return out;
    },
};
