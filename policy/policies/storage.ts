/**
 * Storage guardrails: buckets never public and always encrypted; datasets never leave the
 * training stack (residency); Ceph pools durable in prod.
 */
import { MANDATORY_EVERYWHERE, MANDATORY_IN_PROD } from "../lib/levels";
import { get, isNot, isUnknown, known, list, notApplicable, num, policyStatements, ResourcePolicyDef, ResourceView, StackPolicyDef, StackViolation } from "../lib/view";
import { podsOf } from "../lib/workloads";

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
/** The bucket names of datasets: `datasets` (the training object store's default, config/storage.ts) and names built on it. */
const DATASETS = /(^|[^a-z0-9])datasets?([^a-z0-9]|$)/i;
/** The label (Kubernetes) or tag/label (clouds) that marks a bucket as holding datasets, whatever its name. */
export const DATA_CLASS_LABEL = "hybridml.io/data-class";
const DATA_CLASS_KEYS = [DATA_CLASS_LABEL, "data-class", "data_class"];

/** Allow statements of an IAM / S3 bucket policy document (JSON string or object). */
function allowStatements(policy: unknown): any[] {
    return policyStatements(policy).filter((st: any) => st?.Effect === "Allow");
}

/** Bucket names in `arn:aws:s3:::<bucket>[/...]` resources of Allow statements. */
function allowedS3Resources(policy: unknown): string[] {
    return allowStatements(policy)
        .flatMap((st: any) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]))
        .filter((r: unknown): r is string => typeof r === "string" && r.startsWith("arn:aws:s3:::"))
        .map((r: string) => r.slice("arn:aws:s3:::".length).split("/")[0]);
}

/** The bucket a storage resource is (its physical name), if it is one. */
function bucketNameOf(r: ResourceView): unknown {
    const p = r.props;
    switch (r.type) {
        case OBC: return get(p, "spec.bucketName") ?? get(p, "spec.generateBucketName");
        case S3_BUCKET: return p.bucket ?? p.bucketPrefix;
        case GCS_BUCKET: return p.name;
        case AZ_CONTAINER: return p.containerName;
        default: return undefined;
    }
}

/** True when a bucket resource carries the datasets data-class label or tag. */
function labelledDatasets(r: ResourceView): boolean {
    const maps = [get(r.props, "metadata.labels"), r.props.tags, r.props.labels, r.props.metadata];
    return maps.some((m) => m && typeof m === "object" && DATA_CLASS_KEYS.some((k) => m[k] === "datasets"));
}

/** A test for datasets bucket names: buckets of this stack labelled as datasets, and bucket names of the datasets pattern. */
interface Datasets {
    has(bucket: string): boolean;
}

function datasetBuckets(resources: ResourceView[]): Datasets {
    const labelled = new Set<string>();
    for (const r of resources) {
        const name = bucketNameOf(r);
        if (typeof name === "string" && labelledDatasets(r)) labelled.add(name);
    }
    return { has: (b) => labelled.has(b) || DATASETS.test(b) };
}

/** Bucket names a string refers to: `s3://b/..`, `gs://b`, `arn:aws:s3:::b`, an Azure blob URL, or the bare name. */
function bucketRefs(v: string): string[] {
    const out: string[] = [];
    for (const m of v.matchAll(/\b(?:s3|s3a|gs|gcs):\/\/([a-z0-9][a-z0-9.\-_]*)/gi)) out.push(m[1]);
    for (const m of v.matchAll(/arn:aws:s3:::([a-z0-9][a-z0-9.\-_]*)/gi)) out.push(m[1]);
    for (const m of v.matchAll(/\.blob\.core\.windows\.net\/([a-z0-9-]+)/gi)) out.push(m[1]);
    if (/^[a-z0-9][a-z0-9.\-_]{1,62}$/.test(v)) out.push(v);
    return out;
}

/** The datasets buckets a pod reads through its containers' env values, args and command (and a KServe storageUri). */
function workloadAccess(r: ResourceView, datasets: Datasets): string[] {
    const hits = new Set<string>();
    const scan = (v: unknown) => {
        if (typeof v === "string") for (const b of bucketRefs(v)) if (datasets.has(b)) hits.add(b);
    };
    for (const pod of podsOf(r.type, r.props)) {
        for (const c of pod.containers) {
            for (const e of list(c.container.env)) if (e && typeof e === "object") scan(e.value);
            for (const a of [...list(c.container.args), ...list(c.container.command)]) scan(a);
            scan(c.container.storageUri);
        }
    }
    return [...hits];
}

/** Users a bucket policy allows on a datasets bucket (`arn:aws:iam:::user/<uid>` principals). */
function allowedUsers(policy: unknown, datasets: Datasets): string[] {
    return allowStatements(policy)
        .filter((st: any) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]).some((x: unknown) =>
            typeof x === "string" && x.startsWith("arn:aws:s3:::") && datasets.has(x.slice("arn:aws:s3:::".length).split("/")[0])))
        .flatMap((st: any) => list(get(st, "Principal.AWS")).concat(typeof get(st, "Principal.AWS") === "string" ? [get(st, "Principal.AWS")] : []))
        .map((a: unknown) => (typeof a === "string" ? /user\/(.+)$/.exec(a)?.[1] : undefined))
        .filter((u: string | undefined): u is string => u !== undefined);
}

/** What a resource does with datasets: why it breaks residency outside a training stack (undefined: nothing). */
function datasetsAccess(r: ResourceView, datasets: Datasets, usersWithAccess: Set<string>): string | undefined {
    const p = r.props;
    const bucket = bucketNameOf(r);
    if (typeof bucket === "string" && datasets.has(bucket)) return `is the datasets bucket "${bucket}"`;
    const granted = (names: unknown[]) => names.find((n): n is string => typeof n === "string" && datasets.has(n));
    switch (r.type) {
        case "gcp:storage/bucketIAMMember:BucketIAMMember":
        case "gcp:storage/bucketIAMBinding:BucketIAMBinding": {
            const b = granted([p.bucket]);
            return b ? `grants ${p.role ?? "a role"} on the datasets bucket "${b}"` : undefined;
        }
        case "azure-native:authorization:RoleAssignment": {
            const b = granted(typeof p.scope === "string" ? p.scope.split("/") : []);
            return b ? `assigns a role on the datasets container "${b}"` : undefined;
        }
        case "aws:iam/rolePolicy:RolePolicy":
        case "aws:iam/policy:Policy": {
            const b = granted(allowedS3Resources(p.policy));
            return b ? `allows access to the datasets bucket "${b}"` : undefined;
        }
        case OBJECT_USER: {
            const uid = get(p, "metadata.name");
            return typeof uid === "string" && usersWithAccess.has(uid) ? `is user "${uid}", whom a bucket policy allows on a datasets bucket` : undefined;
        }
        default: {
            const hits = workloadAccess(r, datasets);
            return hits.length > 0 ? `reads the datasets bucket ${hits.map((h) => `"${h}"`).join(", ")} (env, args or storageUri)` : undefined;
        }
    }
}

export const datasetsStayInTraining: StackPolicyDef = {
    kind: "stack",
    name: "datasets-stay-in-training",
    description: "Data residency: a datasets bucket, anything granted access to one (IAM policy, bucket IAM member, role assignment, a Ceph user a bucket policy allows), "
        + "and any workload reading one (env, args, storageUri) exist only in a stack with the training role. Classified by what a resource accesses, not by its name.",
    remediation: "Keep datasets in the private training cloud: remove the datasets bucket, grant or reader from this stack; serving stacks get approved model artefacts only (the contract's modelStore).",
    levels: MANDATORY_EVERYWHERE,
    needsRoles: true,
    severity: "critical",
    check(s) {
        const roles = s.roles ?? notApplicable("the stack's roles are unknown (no known `roles` output, no `roles` entry for the stack in the policy config)");
        if (roles.includes("training")) return [];
        const datasets = datasetBuckets(s.resources);
        const users = new Set(s.resources.filter((r) => r.type === OBC).flatMap((r) => allowedUsers(get(r.props, "spec.additionalConfig.bucketPolicy"), datasets)));
        return s.resources.flatMap((r) => {
            const why = datasetsAccess(r, datasets, users);
            return why ? [{ urn: r.urn, message: `${r.name}: ${r.type.split(":").pop()} ${why}, but stack ${s.stack} has no training role (roles: ${roles.join(", ") || "none"})` }] : [];
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
