/**
 * RookCeph: the private cloud's storage (SPEC 5 "Storage", issue 8). The rook-ceph operator chart
 * (CRDs, the ceph-csi-operator, monitoring), the ceph-csi-drivers chart (the CSI OperatorConfig and the
 * RBD/CephFS Driver CRs, whose node plugins tolerate the GPU taint), a CephCluster kept off the GPU nodes, an RBD pool and its StorageClasses
 * (the cluster default, and a Retain class for datasets), a CephFS filesystem with a ReadWriteMany
 * class, an S3 object store (erasure-coded data) with the `datasets` and `models` buckets, a
 * read-only model-sync user whose keys are the caller's, the Ceph toolbox, and the Service serving
 * stacks reach the object store through. Specs come from ./rookSpecs (pure, unit-tested).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { versions } from "../../lib/versions";
import { chartSource, type ChartMirror } from "../../lib/charts";
import {
    bucketClaimSpec, blockPoolSpec, endpointFacts, RGW_CA_BUNDLE_SECRET, rgwCertificateNames, cephAlertRulesSpec, cephClusterSpec, csiDriversValues, ErasureCoding, externalServiceSpec, filesystemSpec, inClusterEndpoint,
    modelSyncUserSpec, objectStoreSpec, operatorValues, OsdSource, rookNames, RookSpecInput, S3_SECRET_KEYS, storageClassSpecs,
    toolboxDeploymentSpec, versioningJobSpec,
} from "./rookSpecs";
import type { S3KeyPair } from "./s3Credentials";

export interface RookCephArgs {
    /** Chart mirror replacing the upstream chart repositories (lib/charts.ts). Default: upstream. */
    charts?: ChartMirror;
    /** Provider of the cluster Rook is deployed to. Required. */
    provider: k8s.Provider;
    /** Key pair of the read-only model-sync user (secret; e.g. `S3Credentials.credentials`). Required. */
    modelSyncCredentials: pulumi.Input<S3KeyPair>;
    /** Namespace of the operator, the cluster and its CRs. Default `rook-ceph`. */
    namespace?: string;
    /** OSDs: host devices matching a filter, or PVCs on a block StorageClass. Default devices `^(sd[b-z]|nvme[1-9]n1)$`. */
    osds?: OsdSource;
    /** Ceph monitors. Default 3. */
    monCount?: number;
    /** Ceph managers. Default 2. */
    mgrCount?: number;
    /** Allow several mons/mgrs on one node (single-node dev clusters only). Default false. */
    allowMultiplePerNode?: boolean;
    /** Replicas of the block and filesystem pools and of the object store's metadata. Default 3. */
    poolSize?: number;
    /** CRUSH failure domain of every pool. Default `host`. */
    failureDomain?: "host" | "zone" | "rack" | "osd";
    /** Erasure coding of the object store's data pool; `false` for a replicated pool (dev). Default 2+2 (survives a host loss with min_size k+1). */
    erasureCoding?: ErasureCoding | false;
    /** RGW instances. Default 2. */
    rgwInstances?: number;
    /**
     * S3 endpoint serving stacks use (`http(s)://host[:port]`). When set, a LoadBalancer Service
     * exposes RGW on its port (TLS from `tlsSecret` when https). Default: none (in-cluster service only).
     */
    endpoint?: string;
    /** Name of the Secret (in `namespace`) this component creates with the RGW certificate when `endpoint` is https. Default `models-rgw-tls`. */
    tlsSecret?: string;
    /**
     * The RGW certificate (SANs from `rgwCertificateNames`), its key (secret) and its CA. Required
     * when `endpoint` is https: the Secret is created here, in the namespace this component creates.
     */
    tls?: { certPem: pulumi.Input<string>; privateKeyPem: pulumi.Input<string>; caCertPem: pulumi.Input<string>; dnsNames: string[] };
    /** Source ranges admitted by the external Service (`loadBalancerSourceRanges`). Default [] (any source: dev only). */
    allowedSources?: string[];
    /** Address range the exposed endpoint answers on, published with it (consumers' egress goes only there). Default: unpublished. */
    endpointAddresses?: string[];
    /** S3 region the object store answers to. Default `default`. */
    region?: string;
    /** Buckets to create; must include `models`. Default [datasets, models]. */
    buckets?: string[];
    /** Encrypt the wire (msgr2 secure mode) and the OSDs (dm-crypt). Default true. */
    encryption?: boolean;
    /** The bucket class retains buckets when their claims are deleted; false on dev (destroy must not hang). Default true. */
    retainBuckets?: boolean;
    /** Host path of the Ceph daemons' state. Default `/var/lib/rook`. */
    dataDirHostPath?: string;
    /** Ceph image. Default `versions.storageImages.ceph`. */
    cephImage?: string;
    /**
     * The monitoring stack's release (installs the monitoring.coreos.com CRDs). When given, Rook's
     * ServiceMonitors, Prometheus integration and Ceph alert rules are switched on and depend on it. Default: off.
     */
    monitoring?: pulumi.Resource;
    /** Protect the cluster, pools, filesystem, object store, buckets and their StorageClasses. Default true. */
    protect?: boolean;
}

/** The model store as the training contract publishes it. */
export interface RookModelStore {
    endpoint: string;
    bucket: string;
    region: string;
    /** CA of the RGW certificate (https endpoints), null for plain http. */
    caCert: pulumi.Output<string> | null;
    /** External name, certificate SANs and source ranges; absent without an external endpoint. */
    exposure?: { dnsName: string; sans: string[]; allowedSources: string[]; addresses?: string[] };
}

/** Rook-Ceph on a cluster: block, file and object storage, and the model store of the training stack. */
export class RookCeph extends pulumi.ComponentResource {
    /** The rook-ceph operator release (everything else depends on it). */
    public readonly operator: k8s.helm.v3.Release;
    /** The ceph-csi-drivers release: CSI OperatorConfig and the RBD/CephFS Driver CRs (node plugins tolerate the GPU taint). */
    public readonly csiDrivers: k8s.helm.v3.Release;
    /** The CephCluster custom resource. */
    public readonly cluster: k8s.apiextensions.CustomResource;
    /** Where serving stacks reach the models bucket. */
    public readonly modelStore: RookModelStore;
    /** The read-only model-sync keys (secret), the same the user is created with. */
    public readonly modelStoreReadCredentials: pulumi.Output<S3KeyPair>;
    /** StorageClass names: block (default), datasets (Retain), filesystem (RWX), bucket. */
    public readonly storageClasses: { block: string; datasets: string; filesystem: string; bucket: string };

    constructor(name: string, args: RookCephArgs, opts?: pulumi.ComponentResourceOptions) {
        super("hybridml:storage:RookCeph", name, {}, opts);
        const input = rookSpecInput(args);
        const ns = input.namespace;
        const protect = args.protect ?? true;
        if (!input.buckets.includes(rookNames.modelsBucket)) {
            throw new Error(`RookCeph ${name}: args.buckets must include "${rookNames.modelsBucket}" (got ${JSON.stringify(input.buckets)})`);
        }
        const child = (extra: pulumi.CustomResourceOptions = {}) =>
            pulumi.mergeOptions({ parent: this, provider: args.provider }, extra);
        const cr = (res: string, kind: string, metaName: string, spec: Record<string, unknown>, extra: pulumi.CustomResourceOptions,
            apiVersion = "ceph.rook.io/v1") =>
            new k8s.apiextensions.CustomResource(res, { apiVersion, kind, metadata: { name: metaName, namespace: ns }, spec }, child(extra));

        const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, {
            metadata: { name: ns, labels: { "pod-security.kubernetes.io/enforce": "privileged" } },
        }, child({ protect, retainOnDelete: protect }));

        const monitoringDeps = args.monitoring ? [args.monitoring] : [];
        this.operator = new k8s.helm.v3.Release(`${name}-operator`, {
            name: rookNames.operatorRelease,
            ...chartSource("rook-ceph", args.charts),
            namespace: ns,
            createNamespace: false,
            values: operatorValues(input.monitoring),
        }, child({ dependsOn: [namespace, ...monitoringDeps], protect }));
        const op = this.operator;

        // Rook v1.20 no longer deploys CSI drivers: the admin owns the csi.ceph.io OperatorConfig and
        // Driver CRs (CRDs from the operator release's ceph-csi-operator subchart).
        this.csiDrivers = new k8s.helm.v3.Release(`${name}-csi-drivers`, {
            name: rookNames.csiDriversRelease,
            ...chartSource("ceph-csi-drivers", args.charts),
            namespace: ns,
            createNamespace: false,
            values: csiDriversValues(ns),
        }, child({ dependsOn: [op], protect }));

        this.cluster = cr(`${name}-cluster`, "CephCluster", rookNames.cluster, cephClusterSpec(input),
            { dependsOn: [op, ...monitoringDeps], protect });
        const onCluster = { dependsOn: [op, this.cluster], protect };
        const blockPool = cr(`${name}-block-pool`, "CephBlockPool", rookNames.blockPool, blockPoolSpec(input), onCluster);
        const filesystem = cr(`${name}-filesystem`, "CephFilesystem", rookNames.filesystem, filesystemSpec(input), onCluster);
        const https = input.endpoint !== undefined && endpointFacts(input.endpoint).tls;
        if (https && !args.tls) {
            throw new Error(`RookCeph ${name}: endpoint ${input.endpoint} is https: pass args.tls (the RGW certificate, e.g. RgwTls)`);
        }
        if (https && args.tls) {
            const missing = rgwCertificateNames(ns, input.endpoint as string).filter((n) => !args.tls?.dnsNames.includes(n));
            if (missing.length > 0) throw new Error(`RookCeph ${name}: the RGW certificate lacks SAN(s) ${missing.join(", ")}`);
        }
        const tlsSecrets = https && args.tls ? [
            new k8s.core.v1.Secret(`${name}-rgw-tls`, {
                metadata: { name: input.tlsSecret, namespace: ns },
                type: "kubernetes.io/tls",
                stringData: {
                    // Leaf then CA: clients that trust the CA verify the chain; the key stays secret.
                    "tls.crt": pulumi.all([args.tls.certPem, args.tls.caCertPem]).apply(([c, a]) => `${c.trim()}\n${a.trim()}\n`),
                    "tls.key": pulumi.secret(args.tls.privateKeyPem),
                },
            }, child({ dependsOn: [namespace] })),
            new k8s.core.v1.Secret(`${name}-rgw-ca`, {
                metadata: { name: RGW_CA_BUNDLE_SECRET, namespace: ns },
                type: "Opaque",
                stringData: { cabundle: args.tls.caCertPem },
            }, child({ dependsOn: [namespace] })),
        ] : [];
        const objectStore = cr(`${name}-object-store`, "CephObjectStore", rookNames.objectStore, objectStoreSpec(input),
            { ...onCluster, dependsOn: [op, this.cluster, ...tlsSecrets] });

        const sc = storageClassSpecs(input);
        const scOn: Record<keyof typeof sc, pulumi.Resource> = { block: blockPool, datasets: blockPool, filesystem, bucket: objectStore };
        const classes = {} as Record<keyof typeof sc, k8s.storage.v1.StorageClass>;
        for (const k of Object.keys(sc) as (keyof typeof sc)[]) {
            const driver = k === "bucket" ? [] : [this.csiDrivers];
            classes[k] = new k8s.storage.v1.StorageClass(`${name}-sc-${k}`, sc[k], child({ dependsOn: [scOn[k], ...driver], protect }));
        }
        this.storageClasses = {
            block: sc.block.metadata.name, datasets: sc.datasets.metadata.name,
            filesystem: sc.filesystem.metadata.name, bucket: sc.bucket.metadata.name,
        };

        // The model-sync user: keys from the caller (secret end to end), read-only on models.
        this.modelStoreReadCredentials = pulumi.secret(pulumi.output(args.modelSyncCredentials));
        const keys = new k8s.core.v1.Secret(`${name}-model-sync-keys`, {
            metadata: { name: rookNames.modelSyncSecret, namespace: ns },
            type: "Opaque",
            stringData: pulumi.secret(this.modelStoreReadCredentials.apply((c) => ({
                [S3_SECRET_KEYS.accessKeyId]: c.accessKeyId,
                [S3_SECRET_KEYS.secretAccessKey]: c.secretAccessKey,
            }))),
        }, child({ dependsOn: [namespace] }));
        const user = cr(`${name}-model-sync-user`, "CephObjectStoreUser", rookNames.modelSyncUser, modelSyncUserSpec(ns),
            { dependsOn: [op, objectStore, keys] });

        const claims: Record<string, k8s.apiextensions.CustomResource> = {};
        // After the user, so that RGW knows the principal the bucket policies name.
        for (const bucket of input.buckets) {
            claims[bucket] = cr(`${name}-bucket-${bucket}`, "ObjectBucketClaim", bucket, bucketClaimSpec(bucket),
                { dependsOn: [op, objectStore, classes.bucket, user], protect, retainOnDelete: protect }, "objectbucket.io/v1alpha1");
        }

        new k8s.batch.v1.Job(`${name}-models-versioning`, {
            metadata: { name: rookNames.versioningJob, namespace: ns, labels: { "app.kubernetes.io/name": rookNames.versioningJob, "app.kubernetes.io/part-of": "hybridml" } },
            spec: versioningJobSpec(input),
        }, child({ dependsOn: [claims[rookNames.modelsBucket]], customTimeouts: { create: "30m" } }));

        new k8s.apps.v1.Deployment(`${name}-toolbox`, {
            metadata: { name: rookNames.toolbox, namespace: ns, labels: { app: rookNames.toolbox, "app.kubernetes.io/name": rookNames.toolbox, "app.kubernetes.io/part-of": "hybridml" } },
            spec: toolboxDeploymentSpec(input),
        }, child({ dependsOn: [this.cluster], customTimeouts: { create: "30m" } }));

        if (args.monitoring) {
            // Ceph alerts for the Prometheus stack (its CRDs come with the monitoring release).
            new k8s.apiextensions.CustomResource(`${name}-alerts`, {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PrometheusRule",
                metadata: { name: "rook-ceph-alerts", namespace: ns },
                spec: cephAlertRulesSpec(input),
            }, child({ dependsOn: [args.monitoring, namespace] }));
        }

        const external = externalServiceSpec(input);
        if (external) {
            new k8s.core.v1.Service(`${name}-rgw-external`, external, child({ dependsOn: [objectStore] }));
        }

        this.modelStore = {
            endpoint: args.endpoint ?? inClusterEndpoint(ns),
            bucket: rookNames.modelsBucket,
            region: input.region,
            caCert: https && args.tls ? pulumi.output(args.tls.caCertPem) : null,
            ...(input.endpoint ? {
                exposure: {
                    dnsName: endpointFacts(input.endpoint).host,
                    sans: https && args.tls ? [...args.tls.dnsNames] : [],
                    allowedSources: [...input.allowedSources],
                    ...(args.endpointAddresses ? { addresses: [...args.endpointAddresses] } : {}),
                },
            } : {}),
        };
        this.registerOutputs({
            operator: this.operator,
            csiDrivers: this.csiDrivers,
            cluster: this.cluster,
            modelStore: this.modelStore,
            modelStoreReadCredentials: this.modelStoreReadCredentials,
            storageClasses: this.storageClasses,
        });
    }
}

/** The spec input with every default of `RookCephArgs` applied (exported for tests). */
export function rookSpecInput(args: Omit<RookCephArgs, "provider" | "modelSyncCredentials" | "tls">): RookSpecInput {
    return {
        namespace: args.namespace ?? "rook-ceph",
        cephImage: args.cephImage ?? versions.storageImages.ceph,
        dataDirHostPath: args.dataDirHostPath ?? "/var/lib/rook",
        osds: args.osds ?? { source: "devices", deviceFilter: "^(sd[b-z]|nvme[1-9]n1)$" },
        monCount: args.monCount ?? 3,
        mgrCount: args.mgrCount ?? 2,
        allowMultiplePerNode: args.allowMultiplePerNode ?? false,
        poolSize: args.poolSize ?? 3,
        failureDomain: args.failureDomain ?? "host",
        erasureCoding: args.erasureCoding === false ? undefined : (args.erasureCoding ?? { dataChunks: 2, codingChunks: 2 }),
        rgwInstances: args.rgwInstances ?? 2,
        monitoring: args.monitoring !== undefined,
        endpoint: args.endpoint,
        tlsSecret: args.tlsSecret ?? "models-rgw-tls",
        allowedSources: [...(args.allowedSources ?? [])].sort(),
        region: args.region ?? "default",
        buckets: args.buckets ?? [rookNames.datasetsBucket, rookNames.modelsBucket],
        encryption: args.encryption ?? true,
        retainBuckets: args.retainBuckets ?? true,
    };
}
