/**
 * Storage guardrails: buckets never public and always encrypted; datasets never leave the
 * training stack (residency); Ceph pools durable in prod.
 */
import { MANDATORY_EVERYWHERE, MANDATORY_IN_PROD } from "../lib/levels";
import { get, isNot, isUnknown, known, list, num, ResourcePolicyDef, ResourceView, StackPolicyDef, StackViolation } from "../lib/view";

const S3_BUCKET = "aws:s3/bucket:Bucket";
const S3_PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const S3_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration";
const S3_ACL = "aws:s3/bucketAclV2:BucketAclV2";
const S3_ACL_V7 = "aws:s3/bucketAcl:BucketAcl";
const GCS_BUCKET = "gcp:storage/bucket:Bucket";
const GCS_MEMBERS = ["gcp:storage/bucketIAMMember:BucketIAMMember", "gcp:storage/bucketIAMBinding:BucketIAMBinding"];
const AZ_ACCOUNT = "azure-native:storage:StorageAccount";
const AZ_CONTAINER = "azure-native:storage:BlobContainer";
const PUBLIC_ACLS = ["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_MEMBERS = /^(allUsers|allAuthenticatedUsers)$/;

/** The S3 resource configuring `bucket` (same bucket name, or a dependency on it). */
function forBucket(resources: ResourceView[], type: string, bucket: ResourceView): ResourceView | undefined {
    const name = bucket.props.bucket;
    return resources.find((r) => r.type === type
        && ((known(name) && r.props.bucket === name) || r.dependencies.includes(bucket.urn)));
}

export const bucketsPrivateEncrypted: StackPolicyDef = {
    kind: "stack",
    name: "buckets-private-encrypted",
    description: "Object storage is never public and always encrypted (S3, GCS, Azure Blob).",
    remediation: "S3: add a BucketPublicAccessBlock with all four flags true and a BucketServerSideEncryptionConfiguration (aws:kms). "
        + "GCS: uniformBucketLevelAccess true, publicAccessPrevention \"enforced\", no allUsers members. "
        + "Azure: allowBlobPublicAccess false, blob encryption on, containers with publicAccess \"None\".",
    levels: MANDATORY_EVERYWHERE,
    check({ resources }) {
        const out: StackViolation[] = [];
        const v = (r: ResourceView, message: string) => out.push({ urn: r.urn, message: `${r.name}: ${message}` });
        for (const r of resources) {
            const p = r.props;
            switch (r.type) {
                case S3_BUCKET: {
                    if (PUBLIC_ACLS.includes(p.acl)) v(r, `S3 bucket ACL is "${p.acl}" (public)`);
                    const pab = forBucket(resources, S3_PAB, r);
                    if (!pab) v(r, "S3 bucket has no BucketPublicAccessBlock");
                    const inlineSse = known(get(p, "serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault.sseAlgorithm"));
                    if (!inlineSse && !forBucket(resources, S3_SSE, r)) v(r, "S3 bucket has no BucketServerSideEncryptionConfiguration (default encryption)");
                    break;
                }
                case S3_PAB: {
                    const off = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].filter((k) => isNot(p[k], true));
                    if (off.length > 0) v(r, `public access block leaves ${off.join(", ")} off`);
                    break;
                }
                case S3_SSE: {
                    const algs = list(p.rules).map((x) => get(x, "applyServerSideEncryptionByDefault.sseAlgorithm"));
                    const bad = algs.filter((a) => !known(a) ? a !== "[unknown]" : !["aws:kms", "aws:kms:dsse", "AES256"].includes(a));
                    if (!isUnknown(p.rules) && (algs.length === 0 || bad.length > 0)) {
                        v(r, "server-side encryption configuration sets no sseAlgorithm (aws:kms or AES256)");
                    }
                    break;
                }
                case S3_ACL:
                case S3_ACL_V7:
                    if (PUBLIC_ACLS.includes(p.acl)) v(r, `S3 bucket ACL is "${p.acl}" (public)`);
                    break;
                case GCS_BUCKET:
                    if (isNot(p.uniformBucketLevelAccess, true)) v(r, "GCS bucket without uniformBucketLevelAccess: true");
                    if (isNot(p.publicAccessPrevention, "enforced")) v(r, `GCS bucket publicAccessPrevention is ${JSON.stringify(p.publicAccessPrevention ?? "inherited")}, must be "enforced"`);
                    break;
                case AZ_ACCOUNT:
                    if (isNot(p.allowBlobPublicAccess, false)) v(r, "storage account must set allowBlobPublicAccess: false");
                    if (p.enableHttpsTrafficOnly === false) v(r, "storage account allows plain HTTP (enableHttpsTrafficOnly: false)");
                    if (get(p, "encryption.services.blob.enabled") === false) v(r, "storage account blob encryption is disabled");
                    break;
                case AZ_CONTAINER:
                    if (known(p.publicAccess) && p.publicAccess !== "None") v(r, `blob container publicAccess is "${p.publicAccess}", must be "None"`);
                    break;
                default:
                    if (GCS_MEMBERS.includes(r.type)) {
                        const members = [p.member, ...list(p.members)].filter((m) => typeof m === "string");
                        const pub = members.filter((m) => PUBLIC_MEMBERS.test(m));
                        if (pub.length > 0) v(r, `GCS bucket granted to ${pub.join(", ")} (public)`);
                    }
            }
        }
        return out;
    },
};

// ---------------------------------------------------------------------------------------------

const OBC = "kubernetes:objectbucket.io/v1alpha1:ObjectBucketClaim";
const OBJECT_USER = "kubernetes:ceph.rook.io/v1:CephObjectStoreUser";
const DATASETS = /(^|[^a-z0-9])datasets?([^a-z0-9]|$)/i;

/** Bucket names an IAM policy document allows access to (`arn:aws:s3:::<bucket>[/...]` in Allow statements). */
function allowedS3Resources(policy: unknown): string[] {
    let doc: any = policy;
    if (typeof policy === "string") {
        try {
            doc = JSON.parse(policy);
        } catch {
            return [];
        }
    }
    const statements = Array.isArray(doc?.Statement) ? doc.Statement : doc?.Statement ? [doc.Statement] : [];
    return statements
        .filter((st: any) => st?.Effect === "Allow")
        .flatMap((st: any) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]))
        .filter((r: unknown): r is string => typeof r === "string" && r.startsWith("arn:aws:s3:::"))
        .map((r: string) => r.slice("arn:aws:s3:::".length).split("/")[0]);
}

/** The name of the bucket or user a resource is about, when it is a datasets one. */
function datasetsName(r: ResourceView): string | undefined {
    const p = r.props;
    const candidates: unknown[] = [];
    switch (r.type) {
        case OBC: candidates.push(get(p, "spec.bucketName"), get(p, "spec.generateBucketName"), get(p, "metadata.name")); break;
        case OBJECT_USER: candidates.push(get(p, "metadata.name"), get(p, "spec.displayName")); break;
        case S3_BUCKET: candidates.push(p.bucket, p.bucketPrefix); break;
        case GCS_BUCKET: candidates.push(p.name); break;
        case AZ_CONTAINER: candidates.push(p.containerName); break;
        case "gcp:storage/bucketIAMMember:BucketIAMMember":
        case "gcp:storage/bucketIAMBinding:BucketIAMBinding": candidates.push(p.bucket); break;
        case "azure-native:authorization:RoleAssignment": candidates.push(...(typeof p.scope === "string" ? p.scope.split("/") : [])); break;
        case "aws:iam/rolePolicy:RolePolicy":
        case "aws:iam/policy:Policy": candidates.push(...allowedS3Resources(p.policy)); break;
        default: return undefined;
    }
    return candidates.find((c): c is string => typeof c === "string" && DATASETS.test(c));
}

export const datasetsStayInTraining: StackPolicyDef = {
    kind: "stack",
    name: "datasets-stay-in-training",
    description: "Data residency: a `datasets` bucket, or an identity allowed to read one (Ceph user, IAM policy, bucket IAM member, role assignment), exists only in a stack with the training role.",
    remediation: "Keep datasets in the private training cloud: remove the datasets bucket/user from this stack; serving stacks get approved model artefacts only.",
    levels: MANDATORY_EVERYWHERE,
    check(s) {
        if (s.roles.includes("training")) return [];
        return s.resources.flatMap((r) => {
            const name = datasetsName(r);
            return name ? [{ urn: r.urn, message: `${r.name}: ${r.type.split(":").pop()} "${name}" is a datasets bucket or grants access to one, but stack ${s.stack} has no training role (roles: ${s.roles.join(", ") || "none"})` }] : [];
        });
    },
};

// ---------------------------------------------------------------------------------------------

const POOL_PATHS: Record<string, string[]> = {
    "kubernetes:ceph.rook.io/v1:CephBlockPool": ["spec"],
    "kubernetes:ceph.rook.io/v1:CephFilesystem": ["spec.metadataPool", "spec.dataPools[]"],
    "kubernetes:ceph.rook.io/v1:CephObjectStore": ["spec.metadataPool", "spec.dataPool"],
};

/** Minimum replicas of a Ceph pool in prod. */
export const MIN_CEPH_POOL_SIZE = 3;

export const cephPoolReplication: ResourcePolicyDef = {
    kind: "resource",
    name: "ceph-pool-replication",
    description: `Ceph pools keep data on ${MIN_CEPH_POOL_SIZE} replicas (or erasure coding with at least one coding chunk) in prod.`,
    remediation: `Set replicated.size >= ${MIN_CEPH_POOL_SIZE} (hybridml:storage.rook.poolSize) or erasureCoded.codingChunks >= 1; dev may run size 1 (advisory).`,
    levels: MANDATORY_IN_PROD,
    check(r) {
        const paths = POOL_PATHS[r.type];
        if (!paths) return [];
        const out: string[] = [];
        for (const path of paths) {
            const pools: Array<[string, any]> = path.endsWith("[]")
                ? list(get(r.props, path.slice(0, -2))).map((p, i) => [`${path.slice(0, -2)}[${i}]`, p])
                : [[path, get(r.props, path)]];
            for (const [at, pool] of pools) {
                if (!pool || typeof pool !== "object") continue;
                const size = num(get(pool, "replicated.size"));
                const coding = num(get(pool, "erasureCoded.codingChunks"));
                const data = num(get(pool, "erasureCoded.dataChunks"));
                if (pool.erasureCoded && known(get(pool, "erasureCoded.codingChunks"))) {
                    if ((coding ?? 0) < 1) out.push(`${at}.erasureCoded.codingChunks is ${coding ?? 0}: an erasure-coded pool needs at least 1 coding chunk`);
                    if (data !== undefined && data < 2) out.push(`${at}.erasureCoded.dataChunks is ${data}: use at least 2 data chunks`);
                } else if (known(get(pool, "replicated.size"))) {
                    if (size === undefined || size < MIN_CEPH_POOL_SIZE) out.push(`${at}.replicated.size is ${get(pool, "replicated.size")}, must be >= ${MIN_CEPH_POOL_SIZE}`);
                } else if (!pool.replicated && !pool.erasureCoded) {
                    out.push(`${at} sets neither replicated.size nor erasureCoded`);
                }
            }
        }
        return out;
    },
};
