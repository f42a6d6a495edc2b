/**
 * S3ModelStore: a serving stack's copy of the approved models on AWS (SPEC 5 "Storage": versioned,
 * encrypted, public access blocked, retained), with a read-only identity for serving pods and a
 * write identity for the model sync, both bound by EKS pod identity.
 *
 * The bucket is retained on delete, and so are its KMS key and alias: objects encrypted with a
 * deleted key are unreadable, so the key must outlive a `pulumi destroy` as long as the data does.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { MODEL_READER, MODEL_WRITER, ObjectStore } from "../clusters/types";

export interface S3ModelStoreArgs {
    /** Globally unique S3 bucket name (3-63 of a-z 0-9 . -). Required; see `s3BucketName`. */
    bucketName: string;
    /** AWS region of the bucket (must be the region of the AWS provider used). Required. */
    region: string;
    /** EKS cluster whose pod identity binds the service accounts. Required. */
    clusterName: pulumi.Input<string>;
    /** Namespace/service account of the read-only identity. Default `MODEL_READER`. */
    reader?: { namespace: string; serviceAccountName: string };
    /** Namespace/service account of the write identity (model sync). Default `MODEL_WRITER`. */
    writer?: { namespace: string; serviceAccountName: string };
    /** Protect bucket and key from deletion. Default true. (Both are always retained on delete.) */
    protect?: boolean;
    /** Days a KMS key waits before deletion once scheduled. Default 30. */
    keyDeletionWindowDays?: number;
}

/** Validates an S3 bucket name; `arg` names the argument in the error. */
export function s3BucketName(bucket: string, arg = "S3ModelStore args.bucketName"): string {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes("..") || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)
        || bucket.startsWith("xn--") || bucket.endsWith("-s3alias")) {
        throw new Error(`${arg}: ${JSON.stringify(bucket)} is not a valid S3 bucket name (3-63 characters: a-z, 0-9, '.', '-', starting and ending with a letter or digit)`);
    }
    return bucket;
}

/** `s3://<bucket>`: the storage URI prefix KServe reads from. */
export function s3UriPrefix(bucket: string): string {
    return `s3://${bucket}`;
}

/** The AWS partition of a region (arn:aws, arn:aws-cn, arn:aws-us-gov). */
export function awsPartition(region: string): string {
    if (region.startsWith("cn-")) return "aws-cn";
    if (region.startsWith("us-gov-")) return "aws-us-gov";
    return "aws";
}

type PolicyDocument = { Version: "2012-10-17"; Statement: Record<string, unknown>[] };

/** Trust policy of a role bound to a Kubernetes service account by EKS pod identity. */
export function podIdentityTrustPolicy(): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
    };
}

/** Read-only access to one bucket, and to its key only through S3 in the bucket's region. */
export function modelReadPolicy(bucketArn: string, keyArn: string, region: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ListModels", Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucketArn },
            { Sid: "ReadModels", Effect: "Allow", Action: ["s3:GetObject"], Resource: `${bucketArn}/*` },
            {
                Sid: "DecryptModels", Effect: "Allow", Action: ["kms:Decrypt"], Resource: keyArn,
                Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
            },
        ],
    };
}

/**
 * The model sync's access: list, read, write and delete objects (the sync purges a copy whose digest
 * does not match the catalogue; in the versioned bucket a delete only adds a delete marker), never
 * delete a version (s3:DeleteObjectVersion) nor change the bucket, so nothing it does is final, as on
 * GCS (soft delete) and Azure (versioning and soft delete). And
 * and the key operations a KMS-encrypted upload needs (GenerateDataKey, Encrypt, Decrypt for
 * multipart uploads), only through S3 in the bucket's region.
 */
export function modelWritePolicy(bucketArn: string, keyArn: string, region: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "ListModels", Effect: "Allow", Action: ["s3:ListBucket"], Resource: bucketArn },
            {
                Sid: "WriteModels", Effect: "Allow",
                Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                Resource: `${bucketArn}/*`,
            },
            {
                Sid: "EncryptModels", Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"], Resource: keyArn,
                Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
            },
        ],
    };
}

/** Bucket policy refusing any request not made over TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [{
            Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*",
            Resource: [bucketArn, `${bucketArn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        }],
    };
}

/** The model bucket, its retained KMS key, and the read and write identities. */
export class S3ModelStore extends pulumi.ComponentResource {
    /** The common object-store shape (bucket, URI prefix, read and write identities). */
    public readonly objectStore: ObjectStore;
    public readonly bucketArn: pulumi.Output<string>;
    /** KMS key encrypting the bucket (retained with it). */
    public readonly keyArn: pulumi.Output<string>;
    public readonly readerRoleArn: pulumi.Output<string>;
    public readonly writerRoleArn: pulumi.Output<string>;

    /**
     * AWS resources take the AWS provider from `opts.providers` / `opts.provider` (or the parent's),
     * so a caller can pass credentials or an assumed role.
     */
    constructor(name: string, args: S3ModelStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        const bucketName = s3BucketName(args.bucketName);
        super("hybridml:storage:S3ModelStore", name, {}, opts);
        const protect = args.protect ?? true;
        const reader = args.reader ?? MODEL_READER;
        const writer = args.writer ?? MODEL_WRITER;
        const child: pulumi.CustomResourceOptions = { parent: this };
        // Data and what it needs to be read: protected, and kept by `pulumi destroy`.
        const kept: pulumi.CustomResourceOptions = { parent: this, protect, retainOnDelete: true };

        const key = new aws.kms.Key(`${name}-key`, {
            description: `Encryption of the model bucket ${bucketName} (retained with the bucket)`,
            enableKeyRotation: true,
            deletionWindowInDays: args.keyDeletionWindowDays ?? 30,
        }, kept);
        new aws.kms.Alias(`${name}-key`, { name: `alias/${bucketName}`, targetKeyId: key.keyId }, kept);
        const bucket = new aws.s3.Bucket(`${name}-bucket`, { bucket: bucketName, forceDestroy: false }, kept);
        const onBucket = { bucket: bucket.bucket };
        new aws.s3.BucketOwnershipControls(`${name}-ownership`, { ...onBucket, rule: { objectOwnership: "BucketOwnerEnforced" } }, child);
        const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, {
            ...onBucket, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true,
        }, child);
        new aws.s3.BucketVersioning(`${name}-versioning`, { ...onBucket, versioningConfiguration: { status: "Enabled" } }, child);
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
            ...onBucket,
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }],
        }, child);
        new aws.s3.BucketPolicy(`${name}-tls-only`, {
            ...onBucket,
            policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))),
        }, { parent: this, dependsOn: [publicAccessBlock] });

        const identity = (id: "reader" | "writer", sa: { namespace: string; serviceAccountName: string },
            policy: (b: string, k: string, r: string) => PolicyDocument, description: string) => {
            const role = new aws.iam.Role(`${name}-${id}`, {
                description, assumeRolePolicy: JSON.stringify(podIdentityTrustPolicy()),
            }, child);
            const rolePolicy = new aws.iam.RolePolicy(`${name}-${id}`, {
                role: role.name,
                policy: pulumi.all([bucket.arn, key.arn]).apply(([b, k]) => JSON.stringify(policy(b, k, args.region))),
            }, child);
            const association = new aws.eks.PodIdentityAssociation(`${name}-${id}`, {
                clusterName: args.clusterName, namespace: sa.namespace, serviceAccount: sa.serviceAccountName, roleArn: role.arn,
            }, { parent: this, dependsOn: [rolePolicy] });
            // What gives the pods their access: the role's policy (bucket and KMS key) and the association.
            return { role, association, grants: [rolePolicy, association] as pulumi.Resource[] };
        };
        const read = identity("reader", reader, modelReadPolicy, `Reads the model bucket ${bucketName}`);
        const write = identity("writer", writer, modelWritePolicy, `Model sync: writes the model bucket ${bucketName}`);

        // Pod identity is bound cloud-side: no service-account annotation, no pod label. The bucket
        // name is our input, so the URI is known in a preview (a promotion shows in every storage URI);
        // users wait for the bucket through the identity grants, whose policies name it.
        this.objectStore = {
            kind: "s3",
            bucket: pulumi.output(bucketName),
            uriPrefix: pulumi.output(s3UriPrefix(bucketName)),
            region: args.region,
            readIdentity: {
                ...reader, serviceAccountAnnotations: read.association.id.apply((): Record<string, string> => ({})), podLabels: {}, grants: read.grants,
            },
            writeIdentity: {
                ...writer, serviceAccountAnnotations: write.association.id.apply((): Record<string, string> => ({})), podLabels: {}, grants: write.grants,
            },
        };
        this.bucketArn = bucket.arn;
        this.keyArn = key.arn;
        this.readerRoleArn = read.role.arn;
        this.writerRoleArn = write.role.arn;
        this.registerOutputs({
            objectStore: this.objectStore, bucketArn: this.bucketArn, keyArn: this.keyArn,
            readerRoleArn: this.readerRoleArn, writerRoleArn: this.writerRoleArn,
        });
    }
}
