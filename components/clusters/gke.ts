/**
 * GkeCluster: a private, VPC-native, regional GKE cluster with a GPU pool that scales from zero,
 * Workload Identity, Dataplane V2, KMS-encrypted secrets and a versioned GCS model bucket
 * (SPEC 5 "Clusters"). Yields the common `Cluster` shape.
 */
import { createHash } from "node:crypto";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    CloudClusterArgs, Cluster, GPU_NODE_LABEL, GPU_TAINT, GpuFacts, gpuFacts, MODEL_READER, ObjectStore,
} from "./types";

/** GKE release channels. */
export type ReleaseChannel = "RAPID" | "REGULAR" | "STABLE";

export interface GkeClusterArgs extends CloudClusterArgs {
    /** GCP project ID that holds every resource (config `hybridml:cluster.project`). Required. */
    project: string;
    /**
     * GCP project number (config `hybridml:cluster.projectNumber`). Required: it names the GKE
     * service agent `service-<projectNumber>@container-engine-robot.iam.gserviceaccount.com`, which
     * must be able to use the secrets-encryption key. Passed in rather than looked up, because the
     * component makes no invokes (offline plans and previews need none).
     */
    projectNumber: string;
    /**
     * Release channel. Default `REGULAR`. The channel chooses (and upgrades) the control-plane and
     * node versions: `version` is not applied as `minMasterVersion`, since a version the channel does
     * not offer fails cluster creation and the channel would upgrade past it anyway.
     */
    releaseChannel?: ReleaseChannel;
    /** /28 range for the control plane's private endpoint (VPC peering). Default `172.16.0.0/28`. */
    masterCidr?: string;
}

/** Defaults of the GKE-only arguments. */
export const GKE_DEFAULTS = { releaseChannel: "REGULAR", masterCidr: "172.16.0.0/28" } as const;

/** Names of the subnetwork's secondary ranges (VPC-native alias IPs). */
export const SECONDARY_RANGES = { pods: "pods", services: "services" } as const;

/** Project roles of the node service account: logs, metrics, metadata and image pulls, nothing else. */
export const NODE_SERVICE_ACCOUNT_ROLES = [
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/monitoring.viewer",
    "roles/stackdriver.resourceMetadata.writer",
    "roles/artifactregistry.reader",
] as const;

/** OAuth scope of the nodes: access is narrowed by IAM roles, not by scopes (Google's recommendation). */
export const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";

/** Rotation period of the secrets-encryption key: 90 days. */
export const KEY_ROTATION_PERIOD = "7776000s";

/** Label put on the system pool's nodes (the GPU pool carries `GPU_NODE_LABEL`). */
export const SYSTEM_NODE_LABEL = { key: GPU_NODE_LABEL.key, value: "system" } as const;

/**
 * Validate what the config schema cannot see on its own. Throws an Error naming the config key
 * and the fix; called before anything is registered.
 */
export function validateGkeArgs(args: GkeClusterArgs): void {
    const cidrs = args.authorizedCidrs ?? [];
    const open = cidrs.filter((c) => c.trim().endsWith("/0"));
    if (open.length > 0) {
        throw new Error(
            `hybridml:cluster.authorizedCidrs must not contain ${open.join(", ")}: that opens the GKE API server to the whole internet. ` +
            "List the networks that need the API (VPN, CI runners), or set publicEndpoint to false.",
        );
    }
    if (args.publicEndpoint && cidrs.length === 0) {
        throw new Error(
            "hybridml:cluster.authorizedCidrs must list at least one CIDR when hybridml:cluster.publicEndpoint is true " +
            "(the public endpoint is reachable only from these networks); or set publicEndpoint to false.",
        );
    }
}

/** A short, stable hash of `s` (for names that must be truncated). */
function shortHash(s: string): string {
    return createHash("sha256").update(s).digest("hex").slice(0, 6);
}

/**
 * Fit `raw` to a GCP name rule: lower-case letters, digits and '-', starting with a letter,
 * ending with a letter or digit, at most `max` characters (truncated names keep a hash suffix).
 */
function gcpName(raw: string, max: number): string {
    let s = raw.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^-+|-+$/g, "");
    if (!/^[a-z]/.test(s)) s = `x-${s}`;
    if (s.length > max) s = `${s.slice(0, max - 7).replace(/-+$/, "")}-${shortHash(raw)}`;
    return s.replace(/-+$/, "");
}

/** GKE cluster name (at most 40 characters): the component name, made valid. */
export function gkeClusterName(name: string): string {
    return gcpName(name, 40);
}

/** Service account ID `<name>-<suffix>` (6 to 30 characters, RFC 1035). */
export function serviceAccountId(name: string, suffix: string): string {
    return gcpName(`${name}-${suffix}`, 30);
}

/**
 * Model bucket name `<project>-<name>-models`: globally unique through the project ID, known at
 * preview, at most 63 characters.
 */
export function modelBucketName(name: string, project: string): string {
    return gcpName(`${project}-${name}-models`, 63);
}

/**
 * Tags as GCP labels: keys and values lower-cased, characters other than letters, digits, '_' and
 * '-' replaced by '_', at most 63 characters; keys start with a letter. Throws when two tags map
 * to the same label key.
 */
export function gcpLabels(tags: Record<string, string> = {}): Record<string, string> {
    const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9_-]/g, "_").slice(0, 63);
    const labels: Record<string, string> = {};
    const from: Record<string, string> = {};
    for (const [tag, value] of Object.entries(tags)) {
        let key = clean(tag);
        if (!/^[a-z]/.test(key)) key = `t_${key}`.slice(0, 63);
        if (key in labels) {
            throw new Error(`hybridml:tags "${from[key]}" and "${tag}" both become the GCP label "${key}": rename one of them`);
        }
        labels[key] = clean(value);
        from[key] = tag;
    }
    return labels;
}

/** The IAM member of a Kubernetes service account in the cluster's Workload Identity pool. */
export function workloadIdentityMember(project: string, namespace: string, serviceAccountName: string): string {
    return `serviceAccount:${project}.svc.id.goog[${namespace}/${serviceAccountName}]`;
}

/** The GKE service agent, which encrypts and decrypts Kubernetes secrets with the KMS key. */
export function gkeServiceAgent(projectNumber: string): string {
    return `serviceAccount:service-${projectNumber}@container-engine-robot.iam.gserviceaccount.com`;
}

/** Kubernetes taint effect (`NoSchedule`) as the GKE API spells it (`NO_SCHEDULE`). */
export function gkeTaintEffect(effect: string): string {
    return effect.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** The GPU taint in GKE node-pool form. */
export function gkeGpuTaint(): { key: string; value: string; effect: string } {
    return { key: GPU_TAINT.key, value: GPU_TAINT.value, effect: gkeTaintEffect(GPU_TAINT.effect) };
}

/**
 * Kubeconfig document for a GKE cluster, authenticating through `gke-gcloud-auth-plugin` (no static
 * credentials: the plugin gets a short-lived token from the caller's gcloud credentials).
 */
export function kubeconfigDocument(clusterName: string, endpoint: string, caData: string): Record<string, unknown> {
    return {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: clusterName, cluster: { server: `https://${endpoint}`, "certificate-authority-data": caData } }],
        contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
        "current-context": clusterName,
        users: [{
            name: clusterName,
            user: {
                exec: {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: "gke-gcloud-auth-plugin",
                    provideClusterInfo: true,
                    installHint: "Install gke-gcloud-auth-plugin for kubectl: gcloud components install gke-gcloud-auth-plugin " +
                        "(or apt-get install google-cloud-cli-gke-gcloud-auth-plugin); see " +
                        "https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl",
                },
            },
        }],
    };
}

/** The kubeconfig (JSON, which kubectl and the Kubernetes provider read as YAML) as a secret. */
export function gkeKubeconfig(
    clusterName: pulumi.Input<string>,
    endpoint: pulumi.Input<string>,
    caData: pulumi.Input<string>,
): pulumi.Output<string> {
    return pulumi.secret(
        pulumi.all([clusterName, endpoint, caData]).apply(([n, e, ca]) => JSON.stringify(kubeconfigDocument(n, e, ca), null, 2)),
    );
}

/**
 * A regional GKE cluster with everything the platform needs from it.
 *
 * - Networking: a custom-mode VPC, one subnetwork with secondary ranges for pods and services
 *   (VPC-native, Private Google Access), Cloud Router and Cloud NAT for egress from private nodes.
 *   Cloud NAT is a regional, zone-redundant service: `network.natPerZone` has no meaning on GKE.
 * - Control plane: private nodes, private endpoint unless `publicEndpoint` (then reachable only
 *   from `authorizedCidrs`), Workload Identity, Dataplane V2, shielded nodes, secrets encrypted with
 *   a KMS key. Versions follow the release channel (see `GkeClusterArgs.releaseChannel`).
 *   With a private endpoint, Pulumi must run from a network that reaches the VPC (VPN, bastion, CI runner).
 * - Node pools: a system pool and a GPU pool with GKE-managed NVIDIA drivers, tainted and labelled
 *   like every platform's GPU nodes. `minSize`/`maxSize` are totals for the pool across its zones
 *   (`totalMinNodeCount`/`totalMaxNodeCount`), as on EKS and AKS; a GPU minimum of 0 scales from zero.
 *   Pools run in `network.zones`, or in GKE's default zones of the region when that list is empty.
 * - Model bucket: versioned, uniform access, public access prevented, retained on delete, readable
 *   (only) by a `model-reader` Google service account bound to a Kubernetes service account through
 *   Workload Identity.
 */
export class GkeCluster extends pulumi.ComponentResource implements Cluster {
    public readonly provider: k8s.Provider;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly platform = "gke" as const;
    public readonly gpu: GpuFacts;
    public readonly objectStore: ObjectStore;
    /** The GKE cluster's name. */
    public readonly clusterName: pulumi.Output<string>;

    constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        // Everything that can throw on bad arguments runs before anything is registered.
        validateGkeArgs(args);
        const labels = gcpLabels(args.tags);
        super("hybridml:clusters:GkeCluster", name, {}, opts);

        const protect = args.protect ?? true;
        const reader = args.modelReader ?? MODEL_READER;
        const zones = args.network.zones;

        const gcpProvider = new gcp.Provider(`${name}-gcp`, { project: args.project, region: args.region }, { parent: this });
        /** Options of a GCP child, with `extra` merged in. */
        const child = (extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions =>
            pulumi.mergeOptions({ parent: this, provider: gcpProvider }, extra);

        // Networking.
        const network = new gcp.compute.Network(`${name}-net`, {
            autoCreateSubnetworks: false,
            routingMode: "REGIONAL",
        }, child());
        const subnet = new gcp.compute.Subnetwork(`${name}-subnet`, {
            network: network.id,
            region: args.region,
            ipCidrRange: args.network.vpcCidr,
            secondaryIpRanges: [
                { rangeName: SECONDARY_RANGES.pods, ipCidrRange: args.network.podCidr },
                { rangeName: SECONDARY_RANGES.services, ipCidrRange: args.network.serviceCidr },
            ],
            privateIpGoogleAccess: true,
        }, child());
        const router = new gcp.compute.Router(`${name}-router`, { network: network.id, region: args.region }, child());
        new gcp.compute.RouterNat(`${name}-nat`, {
            router: router.name,
            region: args.region,
            natIpAllocateOption: "AUTO_ONLY",
            sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
            subnetworks: [{ name: subnet.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
            logConfig: { enable: true, filter: "ERRORS_ONLY" },
        }, child());

        // Application-layer secrets encryption. Key rings cannot be deleted in GCP; the key is protected.
        const keyRing = new gcp.kms.KeyRing(`${name}-keyring`, { location: args.region }, child({ protect }));
        const key = new gcp.kms.CryptoKey(`${name}-secrets-key`, {
            keyRing: keyRing.id,
            purpose: "ENCRYPT_DECRYPT",
            rotationPeriod: KEY_ROTATION_PERIOD,
            labels,
        }, child({ protect }));
        const keyGrant = new gcp.kms.CryptoKeyIAMMember(`${name}-secrets-key-gke`, {
            cryptoKeyId: key.id,
            role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
            member: gkeServiceAgent(args.projectNumber),
        }, child());

        // Least-privilege identity of the nodes.
        const nodeSa = new gcp.serviceaccount.Account(`${name}-nodes`, {
            accountId: serviceAccountId(name, "nodes"),
            displayName: `GKE nodes of ${name}`.slice(0, 100),
        }, child());
        const nodeMember = pulumi.interpolate`serviceAccount:${nodeSa.email}`;
        const nodeRoles = NODE_SERVICE_ACCOUNT_ROLES.map((role) => new gcp.projects.IAMMember(
            `${name}-nodes-${role.replace(/^roles\//, "").replace(/\./g, "-").toLowerCase()}`,
            { project: args.project, role, member: nodeMember },
            child(),
        ));

        const cluster = new gcp.container.Cluster(`${name}-cluster`, {
            name: gkeClusterName(name),
            location: args.region,
            nodeLocations: zones.length > 0 ? zones : undefined,
            network: network.id,
            subnetwork: subnet.id,
            // Node pools are managed separately; the default pool only exists while the cluster is created.
            removeDefaultNodePool: true,
            initialNodeCount: 1,
            nodeConfig: { serviceAccount: nodeSa.email, oauthScopes: [CLOUD_PLATFORM_SCOPE] },
            releaseChannel: { channel: args.releaseChannel ?? GKE_DEFAULTS.releaseChannel },
            networkingMode: "VPC_NATIVE",
            ipAllocationPolicy: {
                clusterSecondaryRangeName: SECONDARY_RANGES.pods,
                servicesSecondaryRangeName: SECONDARY_RANGES.services,
            },
            privateClusterConfig: {
                enablePrivateNodes: true,
                enablePrivateEndpoint: !args.publicEndpoint,
                masterIpv4CidrBlock: args.masterCidr ?? GKE_DEFAULTS.masterCidr,
            },
            masterAuthorizedNetworksConfig: {
                cidrBlocks: (args.authorizedCidrs ?? []).map((cidrBlock) => ({ cidrBlock, displayName: `authorized ${cidrBlock}` })),
                gcpPublicCidrsAccessEnabled: false,
            },
            workloadIdentityConfig: { workloadPool: `${args.project}.svc.id.goog` },
            datapathProvider: "ADVANCED_DATAPATH",
            enableShieldedNodes: true,
            databaseEncryption: { state: "ENCRYPTED", keyName: key.id },
            resourceLabels: labels,
            deletionProtection: protect,
        }, child({
            protect,
            dependsOn: [keyGrant],
            // The name is explicit (known at preview, used in the kubeconfig), so a replacement must delete first.
            deleteBeforeReplace: true,
        }));

        const nodeConfigBase = {
            serviceAccount: nodeSa.email,
            oauthScopes: [CLOUD_PLATFORM_SCOPE],
            imageType: "COS_CONTAINERD",
            diskType: "pd-balanced",
            shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
            workloadMetadataConfig: { mode: "GKE_METADATA" },
            resourceLabels: labels,
        };
        const poolOpts = child({ dependsOn: nodeRoles });

        const systemPool = new gcp.container.NodePool(`${name}-system`, {
            cluster: cluster.id,
            location: args.region,
            nodeLocations: zones.length > 0 ? zones : undefined,
            // Per zone; the autoscaler then keeps the pool within the totals below.
            initialNodeCount: 1,
            autoscaling: {
                totalMinNodeCount: args.systemPool.minSize,
                totalMaxNodeCount: args.systemPool.maxSize,
                locationPolicy: "BALANCED",
            },
            management: { autoRepair: true, autoUpgrade: true },
            nodeConfig: {
                ...nodeConfigBase,
                machineType: args.systemPool.instanceType,
                diskSizeGb: 100,
                labels: { [SYSTEM_NODE_LABEL.key]: SYSTEM_NODE_LABEL.value },
            },
        }, poolOpts);

        const gpuPool = new gcp.container.NodePool(`${name}-gpu`, {
            cluster: cluster.id,
            location: args.region,
            nodeLocations: zones.length > 0 ? zones : undefined,
            // Per zone: no GPU node is started until the autoscaler needs one, unless a minimum is set.
            initialNodeCount: args.gpuPool.minSize > 0 ? 1 : 0,
            autoscaling: {
                totalMinNodeCount: args.gpuPool.minSize,
                totalMaxNodeCount: args.gpuPool.maxSize,
                // GPUs are scarce: take capacity in whichever zone has it.
                locationPolicy: "ANY",
            },
            management: { autoRepair: true, autoUpgrade: true },
            nodeConfig: {
                ...nodeConfigBase,
                machineType: args.gpuPool.instanceType,
                diskSizeGb: args.gpuPool.diskSizeGb,
                guestAccelerators: [{
                    type: args.gpuPool.gpuType,
                    count: args.gpuPool.gpuCount,
                    // GKE installs and upgrades the NVIDIA driver (and the container toolkit comes with the node image).
                    gpuDriverInstallationConfig: { gpuDriverVersion: "LATEST" },
                }],
                // Pods that request nvidia.com/gpu also get a toleration from GKE's ExtendedResourceToleration.
                taints: [gkeGpuTaint()],
                labels: { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value },
            },
        }, poolOpts);

        this.clusterName = cluster.name;
        this.kubeconfig = gkeKubeconfig(cluster.name, cluster.endpoint, cluster.masterAuth.clusterCaCertificate);
        // Depending on the pools makes workloads wait for nodes and be deleted before the pools.
        this.provider = new k8s.Provider(`${name}-k8s`, {
            kubeconfig: this.kubeconfig,
            clusterIdentifier: cluster.id,
        }, { parent: this, dependsOn: [systemPool, gpuPool] });

        // Model bucket. Encrypted at rest with Google-managed keys (GCS default): a customer-managed key
        // would need the project's GCS service agent, which GCP creates lazily (only an invoke ensures it exists).
        const bucket = new gcp.storage.Bucket(`${name}-models`, {
            name: modelBucketName(name, args.project),
            location: args.region,
            uniformBucketLevelAccess: true,
            publicAccessPrevention: "enforced",
            versioning: { enabled: true },
            forceDestroy: false,
            labels,
        }, child({ protect, retainOnDelete: true }));

        // Read-only identity for serving pods: Google service account <- Kubernetes service account.
        const readerSa = new gcp.serviceaccount.Account(`${name}-model-reader`, {
            accountId: serviceAccountId(name, "model-reader"),
            displayName: `Model reader of ${name} (read-only on the model bucket)`.slice(0, 100),
        }, child());
        new gcp.storage.BucketIAMMember(`${name}-model-reader-bucket`, {
            bucket: bucket.name,
            role: "roles/storage.objectViewer",
            member: pulumi.interpolate`serviceAccount:${readerSa.email}`,
        }, child());
        new gcp.serviceaccount.IAMMember(`${name}-model-reader-wi`, {
            serviceAccountId: pulumi.interpolate`projects/${args.project}/serviceAccounts/${readerSa.email}`,
            role: "roles/iam.workloadIdentityUser",
            member: workloadIdentityMember(args.project, reader.namespace, reader.serviceAccountName),
        }, child({ dependsOn: [cluster] })); // the Workload Identity pool exists once the cluster does

        this.gpu = gpuFacts(args.gpuPool, "platform");
        this.objectStore = {
            kind: "gcs",
            bucket: bucket.name,
            uriPrefix: pulumi.interpolate`gs://${bucket.name}`,
            region: args.region,
            readIdentity: {
                namespace: reader.namespace,
                serviceAccountName: reader.serviceAccountName,
                serviceAccountAnnotations: readerSa.email.apply((email): Record<string, string> => ({ "iam.gke.io/gcp-service-account": email })),
                podLabels: {},
            },
        };

        this.registerOutputs({
            clusterName: this.clusterName,
            kubeconfig: this.kubeconfig,
            platform: this.platform,
            gpu: this.gpu,
            modelBucket: this.objectStore.bucket,
            modelUriPrefix: this.objectStore.uriPrefix,
            modelReaderEmail: readerSa.email,
        });
    }
}
