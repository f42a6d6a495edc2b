/**
 * Pure specs of the Rook-Ceph component (SPEC 5 "Storage", issue 8): operator Helm values, the
 * CephCluster, pools, filesystem, object store, buckets, the read-only model-sync user and its
 * bucket policies, the StorageClasses, the toolbox and the RGW's external Service. No Pulumi
 * runtime imports (types only): every function is unit-tested without mocks and validated against
 * the Rook v1.20.6 CRDs.
 */
import type * as k8s from "@pulumi/kubernetes";
import { versions } from "../../lib/versions";
import { GPU_NODE_LABEL, GPU_TAINT } from "../clusters/types";

/** Where the OSDs come from. */
export type OsdSource =
    /**
     * Raw devices whose name matches `deviceFilter` (on-prem, edge), on the listed storage nodes
     * (`useAllNodes: false`), or on every non-GPU node when `nodes` is absent (dev only).
     */
    | { source: "devices"; deviceFilter: string; nodes?: string[] }
    /** PVC-backed OSDs on a block StorageClass (clouds): `count` volumes of `size`. */
    | { source: "pvc"; count: number; size: string; storageClassName: string };

/** Erasure coding of the object store's data pool: k data + m coding chunks. */
export interface ErasureCoding {
    dataChunks: number;
    codingChunks: number;
}

/** Every input of the specs, with the defaults of `RookCephArgs` applied. */
export interface RookSpecInput {
    /** Namespace of the operator, the cluster and every CR. */
    namespace: string;
    /** Ceph image of the daemons and the toolbox. */
    cephImage: string;
    dataDirHostPath: string;
    osds: OsdSource;
    monCount: number;
    mgrCount: number;
    /** Allow several mons/mgrs on one node (dev only). */
    allowMultiplePerNode: boolean;
    /** Replicas of the block pool, the filesystem pools and the object store's metadata pools. */
    poolSize: number;
    failureDomain: "host" | "zone" | "rack" | "osd";
    /** Undefined: the object store's data pool is replicated (`poolSize`). */
    erasureCoding: ErasureCoding | undefined;
    rgwInstances: number;
    /** Turn on the Prometheus integration (needs the monitoring.coreos.com CRDs). */
    monitoring: boolean;
    /** External S3 endpoint (`https://host[:port]`), or undefined for the in-cluster service only. */
    endpoint: string | undefined;
    /** Secret with the RGW certificate (used when `endpoint` is https; created by RookCeph). */
    tlsSecret: string;
    /** Source ranges of the external Service (`loadBalancerSourceRanges`); [] admits any source (dev only). */
    allowedSources: string[];
    /** S3 region the object store answers to. */
    region: string;
    /** Bucket names; the models bucket is `names.modelsBucket`. */
    buckets: string[];
    /** Encrypt the wire (msgr2 secure mode, msgr2 required) and the OSDs (dm-crypt). Prod. */
    encryption: boolean;
    /**
     * The bucket StorageClass keeps buckets when their claims go (`Retain`). Off on dev: a retained
     * bucket keeps the object store's finalizer waiting, so `pulumi destroy` would hang on it.
     */
    retainBuckets: boolean;
}

/** Kubernetes and Ceph names the component uses (fixed: serving stacks and the contract depend on them). */
export const rookNames = {
    /** CephCluster name (Rook's convention: the namespace name; the CSI clusterID is the namespace). */
    cluster: "rook-ceph",
    operatorRelease: "rook-ceph",
    blockPool: "replicapool",
    filesystem: "shared",
    /** Data pool of the filesystem; Ceph names it `<filesystem>-<name>`. */
    filesystemDataPool: "data",
    objectStore: "models",
    modelsBucket: "models",
    datasetsBucket: "datasets",
    /** RGW user (uid) of the serving stacks' model sync; read-only on the models bucket. */
    modelSyncUser: "model-sync",
    modelSyncSecret: "model-sync-s3-keys",
    storageClasses: {
        block: "ceph-block",
        datasets: "ceph-datasets",
        filesystem: "ceph-filesystem",
        bucket: "ceph-bucket",
    },
    toolbox: "rook-ceph-tools",
    versioningJob: "models-bucket-versioning",
    /** Helm release of the ceph-csi-drivers chart (the CSI OperatorConfig, Driver CRs and their RBAC). */
    csiDriversRelease: "ceph-csi-drivers",
    /** ImageSet ConfigMap the rook-ceph chart renders from its `csi.*` image values (Rook v1.20 templates/configmap.yaml). */
    csiImageSet: "rook-csi-operator-image-set-configmap",
} as const;

/** Secret keys of the model-sync credentials (the AWS SDK's names). */
export const S3_SECRET_KEYS = { accessKeyId: "AWS_ACCESS_KEY_ID", secretAccessKey: "AWS_SECRET_ACCESS_KEY" } as const;

/** OBC additionalConfig fields the operator must allow (bucketPolicy is disabled by default in Rook 1.20). */
export const OBC_ALLOWED_FIELDS = ["maxObjects", "maxSize", "bucketPolicy"] as const;

/** The parts of an S3 endpoint URL the gateway needs. */
export interface EndpointFacts {
    host: string;
    port: number;
    tls: boolean;
}

/** Host, port and TLS of an `http(s)://host[:port]` endpoint. */
export function endpointFacts(endpoint: string): EndpointFacts {
    const u = new URL(endpoint);
    const tls = u.protocol === "https:";
    return { host: u.hostname, port: u.port ? Number(u.port) : tls ? 443 : 80, tls };
}

/**
 * Ports the RGW pods listen on (Rook v1.20: the Service's `port` 80 targets the container's 8080; the
 * `securePort` is served on the same port number). NetworkPolicies match these, not the Service ports.
 */
export const RGW_POD_PORTS = { http: 8080, https: 443 } as const;
/** Labels of the RGW pods Rook creates for the object store (Service selector, NetworkPolicy peers). */
export function rgwPodLabels(namespace: string): Record<string, string> {
    return { app: "rook-ceph-rgw", rook_cluster: namespace, rook_object_store: rookNames.objectStore };
}

/** The in-cluster S3 endpoint of the object store (Rook's RGW service, plain http on port 80). */
export function inClusterEndpoint(namespace: string): string {
    return `http://rook-ceph-rgw-${rookNames.objectStore}.${namespace}.svc`;
}

/** Secret (beside `tlsSecret`, type Opaque) with the CA bundle Rook trusts when it calls RGW over https (`caBundleRef`; Rook's CephObjectStore CRD docs: "Rook will look in the secret provided at the `cabundle` key name"). */
export const RGW_CA_BUNDLE_SECRET = "models-rgw-ca";

/**
 * The names the RGW certificate must carry: the external host serving clusters use, and the Service
 * names in the cluster (Rook's operator reaches RGW at `https://rook-ceph-rgw-<store>.<ns>.svc` once
 * a securePort is set; in-cluster clients may use the full `.svc.cluster.local` form).
 */
export function rgwCertificateNames(namespace: string, endpoint: string): string[] {
    const svc = `rook-ceph-rgw-${rookNames.objectStore}`;
    return [...new Set([
        endpointFacts(endpoint).host,
        `${svc}.${namespace}.svc`, `${svc}.${namespace}.svc.cluster.local`,
        `${svc}-external.${namespace}.svc`,
    ])];
}

/** Node affinity keeping pods off the GPU nodes (label `hybridml.io/node-pool=gpu`). */
export function avoidGpuNodes(): Record<string, unknown> {
    return {
        requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: GPU_NODE_LABEL.key, operator: "NotIn", values: [GPU_NODE_LABEL.value] }] }],
        },
    };
}

/** Values of the rook-ceph operator chart (keys checked against its values.yaml). */
export function operatorValues(monitoring: boolean): Record<string, unknown> {
    return {
        image: { tag: versions.charts.rookCeph },
        crds: { enabled: true },
        // No CSI ServiceMonitor: the chart's selects the Services of the CSI drivers Rook deployed before
        // v1.20, which the ceph-csi-operator does not create, so it would match nothing.
        csi: { installCsiOperator: true, serviceMonitor: { enabled: false } },
        monitoring: { enabled: monitoring },
        resources: { requests: { cpu: "200m", memory: "128Mi" }, limits: { memory: "512Mi" } },
        enableDiscoveryDaemon: false,
        obcAllowAdditionalConfigFields: OBC_ALLOWED_FIELDS.join(","),
    };
}

/** Provisioner (controller plugin) replicas of each CSI driver. */
export const CSI_PROVISIONER_REPLICAS = 2;

/** The Ceph CSI drivers Rook uses; their `Driver` CR name is the StorageClass provisioner. */
export type CsiDriver = "rbd" | "cephfs";

/** CSI driver (provisioner) name: Rook's convention `<operator namespace>.<driver>.csi.ceph.com`. */
export function csiDriverName(namespace: string, driver: CsiDriver): string {
    return `${namespace}.${driver}.csi.ceph.com`;
}

/** A pod toleration (the fields of core/v1 Toleration the CSI CRDs accept). */
export interface Toleration {
    key: string;
    operator: "Equal" | "Exists";
    value?: string;
    effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/**
 * Tolerations of the Ceph CSI node plugins: exactly the GPU nodes' taint (`nvidia.com/gpu`,
 * NoSchedule), so that GPU training pods can mount RBD/CephFS volumes. `Exists` rather than
 * `Equal "true"`: GKE taints its GPU nodes `nvidia.com/gpu=present:NoSchedule`; the key and
 * effect are still pinned, so no other taint is tolerated. The controller plugins and every Ceph
 * daemon get none (they stay off the GPU nodes).
 */
export function csiNodePluginTolerations(): Toleration[] {
    return [{ key: GPU_TAINT.key, operator: "Exists", effect: GPU_TAINT.effect }];
}

/**
 * Values of the ceph-csi-drivers chart (ceph-csi-operator v1.0.4, the subchart version of the
 * rook-ceph v1.20.6 chart). Since Rook v1.20 the admin owns the CSI `OperatorConfig` and `Driver`
 * CRs (Rook's rook-ceph-operator-config no longer applies CSI settings, `CSI_PLUGIN_TOLERATIONS`
 * and `csi.pluginTolerations` are gone); these are Rook's recommended values
 * (rook deploy/charts/ceph-csi-drivers/values.yaml @ v1.20.6) plus the GPU toleration. The
 * toleration is set on the defaults AND on each driver: the chart always renders
 * `nodePlugin.tolerations` into each Driver CR (`[]` by default), and the operator only fills a
 * driver's field from `driverSpecDefaults` when it is nil, so an empty list would win.
 */
export function csiDriversValues(namespace: string): Record<string, unknown> {
    const tolerations = csiNodePluginTolerations();
    // Two provisioners per driver (leader election): one node down never stops provisioning or
    // expansion. The chart renders `controllerPlugin.replicas: 1` into each Driver, so it is set there too.
    // The per-driver controllerPlugin has no affinity value (v1.0.4): the defaults' affinity applies.
    const driver = (d: CsiDriver) => ({
        enabled: true, name: csiDriverName(namespace, d), nodePlugin: { tolerations }, controllerPlugin: { replicas: CSI_PROVISIONER_REPLICAS },
    });
    return {
        operatorConfig: {
            namespace,
            driverSpecDefaults: {
                imageSet: { name: rookNames.csiImageSet },
                nodePlugin: { priorityClassName: "system-node-critical", tolerations },
                controllerPlugin: {
                    priorityClassName: "system-cluster-critical", replicas: CSI_PROVISIONER_REPLICAS, affinity: { nodeAffinity: avoidGpuNodes() },
                },
            },
        },
        drivers: {
            rbd: driver("rbd"),
            cephfs: driver("cephfs"),
            nfs: { enabled: false },
            nvmeof: { enabled: false },
        },
    };
}

function replicated(size: number): Record<string, unknown> {
    // Rook refuses size 1 unless requireSafeReplicaSize is off (dev only; the config enforces the floor elsewhere).
    return { size, requireSafeReplicaSize: size > 1 };
}

/** The CephCluster spec. No cleanupPolicy: nothing here can ever wipe data. */
export function cephClusterSpec(i: RookSpecInput): Record<string, unknown> {
    const placement = { nodeAffinity: avoidGpuNodes() };
    const encryptedDevice = i.encryption ? { config: { encryptedDevice: "true" } } : {};
    const storage = i.osds.source === "devices"
        ? (i.osds.nodes
            ? { useAllNodes: false, useAllDevices: false, deviceFilter: i.osds.deviceFilter, ...encryptedDevice, nodes: i.osds.nodes.map((name) => ({ name })) }
            : { useAllNodes: true, useAllDevices: false, deviceFilter: i.osds.deviceFilter, ...encryptedDevice })
        : {
            useAllNodes: false,
            useAllDevices: false,
            storageClassDeviceSets: [{
                name: "osd",
                count: i.osds.count,
                portable: true,
                encrypted: i.encryption,
                placement: {
                    ...placement,
                    topologySpreadConstraints: [{
                        maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway",
                        labelSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["rook-ceph-osd", "rook-ceph-osd-prepare"] }] },
                    }],
                },
                volumeClaimTemplates: [{
                    metadata: { name: "data" },
                    spec: {
                        resources: { requests: { storage: i.osds.size } },
                        storageClassName: i.osds.storageClassName,
                        volumeMode: "Block",
                        accessModes: ["ReadWriteOnce"],
                    },
                }],
            }],
        };
    return {
        cephVersion: { image: i.cephImage, allowUnsupported: false },
        dataDirHostPath: i.dataDirHostPath,
        skipUpgradeChecks: false,
        continueUpgradeAfterChecksEvenIfNotHealthy: false,
        mon: {
            count: i.monCount,
            allowMultiplePerNode: i.allowMultiplePerNode,
            ...(i.osds.source === "pvc" ? {
                volumeClaimTemplate: { spec: { storageClassName: i.osds.storageClassName, resources: { requests: { storage: "10Gi" } } } },
            } : {}),
        },
        mgr: {
            count: i.mgrCount,
            allowMultiplePerNode: i.allowMultiplePerNode,
            // No `rook` orchestrator module: Rook does not need it and recommends leaving it off.
            modules: [
                { name: "pg_autoscaler", enabled: true },
                { name: "prometheus", enabled: true },
            ],
        },
        // msgr2 secure mode on every connection (daemons and clients; kernel clients need Linux 5.11+).
        ...(i.encryption ? { network: { connections: { encryption: { enabled: true }, requireMsgr2: true } } } : {}),
        dashboard: { enabled: true, ssl: true },
        monitoring: { enabled: i.monitoring },
        crashCollector: { disable: false },
        placement: { all: placement },
        priorityClassNames: { mon: "system-node-critical", osd: "system-node-critical", mgr: "system-cluster-critical" },
        disruptionManagement: { managePodBudgets: true, osdMaintenanceTimeout: 30 },
        storage,
    };
}

/** The replicated RBD pool behind the default StorageClass. */
export function blockPoolSpec(i: RookSpecInput): Record<string, unknown> {
    return { failureDomain: i.failureDomain, replicated: replicated(i.poolSize), enableRBDStats: i.monitoring };
}

/** The CephFS filesystem (ReadWriteMany volumes), kept with its pools when the CR is deleted. */
export function filesystemSpec(i: RookSpecInput): Record<string, unknown> {
    return {
        metadataPool: { failureDomain: i.failureDomain, replicated: replicated(i.poolSize) },
        dataPools: [{ name: rookNames.filesystemDataPool, failureDomain: i.failureDomain, replicated: replicated(i.poolSize) }],
        preserveFilesystemOnDelete: true,
        preservePoolsOnDelete: true,
        metadataServer: {
            activeCount: 1,
            // A standby MDS wants its own node: none on single-node (dev) clusters.
            activeStandby: !i.allowMultiplePerNode,
            priorityClassName: "system-cluster-critical",
            placement: { nodeAffinity: avoidGpuNodes() },
        },
    };
}

/** The S3 object store: replicated metadata, erasure-coded data (replicated on dev), RGW with TLS when the endpoint is https. */
export function objectStoreSpec(i: RookSpecInput): Record<string, unknown> {
    const ext = i.endpoint ? endpointFacts(i.endpoint) : undefined;
    const tls = ext?.tls === true;
    return {
        metadataPool: { failureDomain: i.failureDomain, replicated: replicated(i.poolSize) },
        dataPool: i.erasureCoding
            // `bulk`: the data pool holds most of the data; the autoscaler gives it its full PG count from the start.
            ? { failureDomain: i.failureDomain, erasureCoded: { dataChunks: i.erasureCoding.dataChunks, codingChunks: i.erasureCoding.codingChunks }, parameters: { bulk: "true" } }
            : { failureDomain: i.failureDomain, replicated: replicated(i.poolSize) },
        preservePoolsOnDelete: true,
        gateway: {
            instances: i.rgwInstances,
            // Plain http stays for in-cluster clients (service rook-ceph-rgw-models:80); TLS on 443 for the external endpoint.
            port: 80,
            ...(tls ? { securePort: 443, sslCertificateRef: i.tlsSecret, caBundleRef: RGW_CA_BUNDLE_SECRET } : {}),
            priorityClassName: "system-cluster-critical",
            placement: {
                nodeAffinity: avoidGpuNodes(),
                podAntiAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [{
                        weight: 100,
                        podAffinityTerm: {
                            topologyKey: "kubernetes.io/hostname",
                            labelSelector: { matchLabels: { app: "rook-ceph-rgw", rook_object_store: rookNames.objectStore } },
                        },
                    }],
                },
            },
        },
        ...(ext ? { hosting: { dnsNames: [ext.host] } } : {}),
    };
}

/** IAM-style ARN of an RGW user, as bucket policies name principals. */
export function rgwUserArn(user: string): string {
    return `arn:aws:iam:::user/${user}`;
}

/** S3 actions the model sync may perform on the models bucket: list and read, nothing else. */
export const MODEL_SYNC_READ_ACTIONS = [
    "s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:ListBucketVersions",
] as const;

export interface PolicyStatement {
    Sid: string;
    Effect: "Allow" | "Deny";
    Principal: { AWS: string[] };
    Action: string[];
    Resource: string[];
}
export interface BucketPolicy {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

/**
 * The bucket policy for `bucket`: on the models bucket the model-sync user may list and read; on
 * every other bucket (datasets) it is explicitly denied everything. The bucket owner (the OBC's
 * own user) keeps its access as owner.
 */
export function bucketPolicy(bucket: string, user: string = rookNames.modelSyncUser): BucketPolicy {
    const resources = [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`];
    const principal = { AWS: [rgwUserArn(user)] };
    return {
        Version: "2012-10-17",
        Statement: [bucket === rookNames.modelsBucket
            ? { Sid: "ModelSyncReadOnly", Effect: "Allow", Principal: principal, Action: [...MODEL_SYNC_READ_ACTIONS], Resource: resources }
            : { Sid: "ModelSyncNoAccess", Effect: "Deny", Principal: principal, Action: ["s3:*"], Resource: resources }],
    };
}

/** The ObjectBucketClaim of one bucket (fixed bucket name, Retain class, policy as above). */
export function bucketClaimSpec(bucket: string): Record<string, unknown> {
    return {
        bucketName: bucket,
        storageClassName: rookNames.storageClasses.bucket,
        additionalConfig: { bucketPolicy: JSON.stringify(bucketPolicy(bucket)) },
    };
}

/**
 * The model-sync user: its keys come from `secretName` (generated by S3Credentials), its op mask
 * allows only reads, it has no admin capabilities and may not create buckets.
 */
export function modelSyncUserSpec(namespace: string, secretName: string = rookNames.modelSyncSecret): Record<string, unknown> {
    return {
        store: rookNames.objectStore,
        clusterNamespace: namespace,
        displayName: "Model sync of the serving stacks (read-only on the models bucket)",
        opMask: ["read"],
        quotas: { maxBuckets: -1 },
        keys: [{
            accessKeyRef: { name: secretName, key: S3_SECRET_KEYS.accessKeyId },
            secretKeyRef: { name: secretName, key: S3_SECRET_KEYS.secretAccessKey },
        }],
    };
}

/** What a user may do on a bucket given its op mask and the bucket's policy (a small S3 evaluator for tests and reviews). */
export function effectiveAccess(
    user: { uid: string; opMask: ReadonlyArray<string> },
    policy: BucketPolicy,
    action: string,
): boolean {
    const write = !/^s3:(Get|List|Head)/.test(action);
    if (!user.opMask.includes(write ? "write" : "read")) return false;
    const matches = (s: PolicyStatement) => s.Principal.AWS.includes(rgwUserArn(user.uid))
        && s.Action.some((a) => a === action || a === "s3:*" || (a.endsWith("*") && action.startsWith(a.slice(0, -1))));
    if (policy.Statement.some((s) => s.Effect === "Deny" && matches(s))) return false;
    return policy.Statement.some((s) => s.Effect === "Allow" && matches(s));
}

/** CSI secret parameters of a Rook StorageClass (driver `rbd` or `cephfs`). */
function csiSecrets(driver: "rbd" | "cephfs", namespace: string): Record<string, string> {
    const p = `csi.storage.k8s.io`;
    return {
        [`${p}/provisioner-secret-name`]: `rook-csi-${driver}-provisioner`,
        [`${p}/provisioner-secret-namespace`]: namespace,
        [`${p}/controller-expand-secret-name`]: `rook-csi-${driver}-provisioner`,
        [`${p}/controller-expand-secret-namespace`]: namespace,
        [`${p}/node-stage-secret-name`]: `rook-csi-${driver}-node`,
        [`${p}/node-stage-secret-namespace`]: namespace,
    };
}

/** A StorageClass, as the args of `k8s.storage.v1.StorageClass`. */
export interface StorageClassSpec {
    metadata: { name: string; annotations?: Record<string, string> };
    provisioner: string;
    parameters: Record<string, string>;
    reclaimPolicy: "Delete" | "Retain";
    allowVolumeExpansion?: boolean;
    volumeBindingMode: "Immediate" | "WaitForFirstConsumer";
}

/** The four StorageClasses: RBD (the cluster default), RBD Retain for datasets, CephFS (RWX), buckets. */
export function storageClassSpecs(i: RookSpecInput): Record<keyof typeof rookNames.storageClasses, StorageClassSpec> {
    const ns = i.namespace;
    const rbd = {
        clusterID: ns, pool: rookNames.blockPool, imageFormat: "2", imageFeatures: "layering",
        "csi.storage.k8s.io/fstype": "ext4", ...csiSecrets("rbd", ns),
    };
    return {
        block: {
            metadata: { name: rookNames.storageClasses.block, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
            provisioner: csiDriverName(ns, "rbd"), parameters: rbd, reclaimPolicy: "Delete", allowVolumeExpansion: true, volumeBindingMode: "Immediate",
        },
        datasets: {
            metadata: { name: rookNames.storageClasses.datasets },
            provisioner: csiDriverName(ns, "rbd"), parameters: rbd, reclaimPolicy: "Retain", allowVolumeExpansion: true, volumeBindingMode: "Immediate",
        },
        filesystem: {
            metadata: { name: rookNames.storageClasses.filesystem },
            provisioner: csiDriverName(ns, "cephfs"),
            parameters: {
                clusterID: ns, fsName: rookNames.filesystem, pool: `${rookNames.filesystem}-${rookNames.filesystemDataPool}`,
                ...csiSecrets("cephfs", ns),
            },
            reclaimPolicy: "Delete", allowVolumeExpansion: true, volumeBindingMode: "Immediate",
        },
        bucket: {
            metadata: { name: rookNames.storageClasses.bucket },
            provisioner: `${ns}.ceph.rook.io/bucket`,
            // No `region`: the bucket provisioner ignores it (the object store's zone group decides).
            parameters: { objectStoreName: rookNames.objectStore, objectStoreNamespace: ns },
            // Outside dev deleting a claim never deletes the bucket and its objects; on dev it does, so that
            // destroy is not held up by the object store's finalizer waiting for retained buckets.
            reclaimPolicy: i.retainBuckets ? "Retain" : "Delete", volumeBindingMode: "Immediate",
        },
    };
}

/** Where the toolbox reads the admin keyring (the Secret `rook-ceph-admin-keyring` mounted as a file). */
export const TOOLBOX_KEYRING = "/etc/ceph/keyring-store/keyring";

/** Resource requests and limits of the helper containers (toolbox, versioning Job). */
const SMALL = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "512Mi" } };

/**
 * The toolbox Deployment (`kubectl -n rook-ceph exec deploy/rook-ceph-tools -- ceph status`): the
 * pinned Ceph image, configured from the mon endpoints and the admin keyring Rook keeps in the namespace (mounted as a file).
 */
export function toolboxDeploymentSpec(i: RookSpecInput): k8s.types.input.apps.v1.DeploymentSpec {
    const labels = { app: rookNames.toolbox };
    // Rewrite ceph.conf whenever the mon endpoints change (mon failover), then idle.
    const script = [
        "set -eu",
        "write_conf() {",
        "  mons=$(sed -e 's/[a-z0-9_-]*=//g' /etc/rook/mon-endpoints)",
        `  printf '[global]\\nmon_host = %s\\nkeyring = ${TOOLBOX_KEYRING}\\n' "$mons" > /etc/ceph/ceph.conf`,
        "}",
        "write_conf",
        "last=$(cat /etc/rook/mon-endpoints)",
        "while sleep 10; do now=$(cat /etc/rook/mon-endpoints); if [ \"$now\" != \"$last\" ]; then write_conf; last=$now; fi; done",
    ].join("\n");
    return {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
            metadata: { labels },
            spec: {
                affinity: { nodeAffinity: avoidGpuNodes() },
                containers: [{
                    name: rookNames.toolbox,
                    image: i.cephImage,
                    command: ["/bin/bash", "-c", script],
                    resources: SMALL,
                    securityContext: { runAsNonRoot: true, runAsUser: 2016, runAsGroup: 2016, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                    volumeMounts: [
                        { name: "ceph-config", mountPath: "/etc/ceph" },
                        { name: "mon-endpoints", mountPath: "/etc/rook" },
                        { name: "admin-keyring", mountPath: "/etc/ceph/keyring-store", readOnly: true },
                    ],
                }],
                volumes: [
                    { name: "ceph-config", emptyDir: {} },
                    { name: "mon-endpoints", configMap: { name: "rook-ceph-mon-endpoints", items: [{ key: "data", path: "mon-endpoints" }] } },
                    // The admin keyring as a file (Rook's toolbox): never in the environment, where `env` or a crash dump shows it.
                    { name: "admin-keyring", secret: { secretName: "rook-ceph-admin-keyring", items: [{ key: "keyring", path: "keyring" }], defaultMode: 0o400 } },
                ],
                tolerations: [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 5 }],
            },
        },
    };
}

/**
 * The Service that serving stacks reach RGW through from outside the private network: a
 * LoadBalancer on the endpoint's port, named for external-dns after the endpoint's host, admitting
 * only `allowedSources` (the serving clusters' egress addresses).
 */
export function externalServiceSpec(i: RookSpecInput): { metadata: k8s.types.input.meta.v1.ObjectMeta; spec: k8s.types.input.core.v1.ServiceSpec } | undefined {
    if (!i.endpoint) return undefined;
    const ext = endpointFacts(i.endpoint);
    return {
        metadata: {
            name: `rook-ceph-rgw-${rookNames.objectStore}-external`,
            namespace: i.namespace,
            labels: { "app.kubernetes.io/name": "rgw-external", "app.kubernetes.io/part-of": "hybridml" },
            annotations: { "external-dns.alpha.kubernetes.io/hostname": ext.host },
        },
        spec: {
            type: "LoadBalancer",
            externalTrafficPolicy: "Local",
            selector: rgwPodLabels(i.namespace),
            // RGW listens on 8080 for http, on its securePort (443) for https.
            ports: [{ name: ext.tls ? "https" : "http", protocol: "TCP", port: ext.port, targetPort: ext.tls ? RGW_POD_PORTS.https : RGW_POD_PORTS.http }],
            ...(i.allowedSources.length > 0 ? { loadBalancerSourceRanges: [...i.allowedSources] } : {}),
        },
    };
}

/** Days a noncurrent (replaced or deleted) model object version is kept. */
export const NONCURRENT_VERSION_DAYS = 30;

/** Lifecycle of the models bucket: noncurrent versions expire, incomplete uploads are aborted. */
export function modelsLifecycle(): { Rules: Record<string, unknown>[] } {
    return {
        Rules: [{
            ID: "expire-noncurrent-model-versions", Status: "Enabled", Filter: { Prefix: "" },
            NoncurrentVersionExpiration: { NoncurrentDays: NONCURRENT_VERSION_DAYS },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        }],
    };
}

/**
 * The Job that turns on versioning of the models bucket through RGW's S3 API, with the bucket
 * owner's keys (the Secret the OBC produces). Idempotent; retried until the bucket exists.
 */
export function versioningJobSpec(i: RookSpecInput): k8s.types.input.batch.v1.JobSpec {
    const bucket = rookNames.modelsBucket;
    const fromOwner = (name: string) => ({ name, valueFrom: { secretKeyRef: { name: bucket, key: name } } });
    return {
        backoffLimit: 20,
        template: {
            spec: {
                restartPolicy: "OnFailure",
                affinity: { nodeAffinity: avoidGpuNodes() },
                containers: [{
                    name: "versioning",
                    image: versions.storageImages.awsCli,
                    command: ["/bin/sh", "-c", [
                        "set -eu",
                        `aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled --endpoint-url "$S3_ENDPOINT"`,
                        // Replaced or deleted model files stay as noncurrent versions: expire them (the live versions are never touched).
                        `aws s3api put-bucket-lifecycle-configuration --bucket ${bucket} --endpoint-url "$S3_ENDPOINT" --lifecycle-configuration '${JSON.stringify(modelsLifecycle())}'`,
                    ].join("\n")],
                    env: [
                        fromOwner(S3_SECRET_KEYS.accessKeyId), fromOwner(S3_SECRET_KEYS.secretAccessKey),
                        { name: "AWS_DEFAULT_REGION", value: i.region },
                        { name: "S3_ENDPOINT", value: inClusterEndpoint(i.namespace) },
                        { name: "HOME", value: "/tmp" },
                    ],
                    resources: SMALL,
                    securityContext: { runAsNonRoot: true, runAsUser: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                }],
            },
        },
    };
}

/** One Prometheus alerting rule. */
export interface AlertRule {
    alert: string;
    expr: string;
    for: string;
    labels: { severity: "warning" | "critical" };
    annotations: { summary: string; description: string };
}

/**
 * Ceph alerts for the Prometheus stack (a PrometheusRule spec), on the metrics of the mgr
 * prometheus module. The mon-quorum alert needs at least 3 mons (it would always fire with one).
 */
export function cephAlertRulesSpec(i: RookSpecInput): { groups: { name: string; rules: AlertRule[] }[] } {
    const rule = (alert: string, expr: string, forDuration: string, severity: "warning" | "critical", summary: string, description: string): AlertRule =>
        ({ alert, expr, for: forDuration, labels: { severity }, annotations: { summary, description } });
    const check = "kubectl -n " + i.namespace + " exec deploy/" + rookNames.toolbox + " -- ceph health detail";
    const rules = [
        // No sample at all: the mgr's prometheus module or its scrape is down, and every rule below is silent.
        rule("CephMetricsAbsent", "absent(ceph_health_status)", "10m", "critical", "Ceph health is not being reported",
            `No ceph_health_status sample for 10 minutes: the mgr prometheus module, the mgr or its scrape is down, so no other Ceph alert can fire. Check: kubectl -n ${i.namespace} get pods -l app=rook-ceph-mgr; ${check}`),
        rule("CephHealthError", "ceph_health_status == 2", "5m", "critical", "Ceph cluster is in HEALTH_ERR", `Data may be unavailable. Check: ${check}`),
        rule("CephHealthWarning", "ceph_health_status == 1", "15m", "warning", "Ceph cluster is in HEALTH_WARN", `Check: ${check}`),
        rule("CephOSDDown", "count(ceph_osd_up == 0) > 0", "5m", "warning", "Ceph OSDs are down", `Redundancy is reduced. Check: ${check}`),
        rule("CephClusterNearFull", "ceph_cluster_total_used_raw_bytes / ceph_cluster_total_bytes > 0.75", "10m", "warning",
            "Ceph raw capacity above 75%", "Add OSDs before the cluster reaches its full ratio and blocks writes."),
        ...(i.monCount >= 3 ? [rule("CephMonQuorumAtRisk", "count(ceph_mon_quorum_status == 1) <= (floor(count(ceph_mon_metadata) / 2) + 1)", "15m", "critical",
            "Ceph mon quorum at risk", `Losing one more mon stops the cluster. Check: ${check}`)] : []),
    ];
    return { groups: [{ name: "ceph.rules", rules }] };
}

