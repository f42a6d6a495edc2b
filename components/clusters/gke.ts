/**
 * GkeCluster: a private, VPC-native, regional GKE cluster with a GPU pool that scales from zero,
 * Workload Identity, Dataplane V2, KMS-encrypted secrets and a `GcsModelStore` (SPEC 5 "Clusters").
 * Yields the common `Cluster` shape.
 *
 * The constructor composes one function per part: `gkeApis` (the project's APIs, enabled first so a
 * fresh project works on the first run) -> `gkeNetwork` -> `gkeControlPlane` -> `gkeNodePools`.
 */
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PreviewAccess } from "./previewAccess";
import { GcsModelStore } from "../storage/gcsModelStore";
import {
    apiTaintEffect, argError, authorizedRanges, dnsLikeName, execKubeconfig, networkCidr, SYSTEM_NODE_LABEL,
} from "./common";
import { CloudClusterArgs, Cluster, clusterOutputs, GPU_NODE_LABEL, GPU_TAINT, gpuFacts, GpuFacts, GpuPoolArgs, migConfigNodeLabels, MODEL_READER, MODEL_WRITER, ObjectStore } from "./types";

export { SYSTEM_NODE_LABEL };

/** GKE release channels. */
export type ReleaseChannel = "RAPID" | "REGULAR" | "STABLE";

/**
 * How the runner reaches the GKE API:
 * - `dns`: the DNS-based control-plane endpoint (`gke-....goog`), reachable from anywhere but only
 *   with an IAM-authorised Google identity (CI through workload identity federation, or `gcloud auth`);
 *   the IP endpoints stay private.
 * - `authorizedNetworks`: the public IP endpoint, reachable only from `authorizedCidrs`.
 * - `private`: the private IP endpoint only (the runner must be in, or routed to, the VPC).
 */
export type GkeApiAccess = "dns" | "authorizedNetworks" | "private";

export interface GkeClusterArgs extends CloudClusterArgs {
    /** GCP project ID that holds every resource. Required. */
    project: string;
    /**
     * GCP project number. Required: it names the GKE service agent
     * `service-<projectNumber>@container-engine-robot.iam.gserviceaccount.com`, which must be able to
     * use the secrets-encryption key (passed in rather than looked up: the component makes no invokes).
     */
    projectNumber: string;
    /** API access (see `GkeApiAccess`). Default `dns`. */
    apiAccess?: GkeApiAccess;
    /** Release channel. Default `REGULAR`. The channel chooses and upgrades versions; `version` is informational on GKE. */
    releaseChannel?: ReleaseChannel;
    /** /28 range for the control plane's private endpoint. Default `172.16.0.0/28`. */
    masterCidr?: string;
    /** Globally unique model bucket name. Default `<project>-<name>-models` (unique through the project ID, at most 63). */
    modelBucketName?: string;
    /** Enable the project's APIs the cluster needs (`GKE_APIS`). Default true. */
    enableApis?: boolean;
    /**
     * Email of the pull-request previews' service account: bound (as a Kubernetes user, which is how
     * GKE names a Google service account) to the `PreviewAccess` role, dry-run only. Default: none.
     */
    previewServiceAccount?: string;
}

/** Defaults of the GKE-only arguments. */
export const GKE_DEFAULTS = { releaseChannel: "REGULAR", masterCidr: "172.16.0.0/28", apiAccess: "dns" } as const;

/**
 * APIs a fresh project needs before the first resource (kept enabled on destroy: other things may
 * use them). Cloud Resource Manager serves the project IAM policy that `projects.IAMMember` edits.
 */
export const GKE_APIS = [
    "cloudresourcemanager.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
    "cloudkms.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "storage.googleapis.com",
] as const;

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

/**
 * Ports the control plane must reach on private nodes for admission webhooks. GKE's own firewall
 * rule lets the control plane reach nodes only on 443 and 10250: 10250 covers the kubelet and
 * cert-manager's webhook (its secure port), 9443 is the controller-runtime default of KServe's
 * webhook, 8443 the port other operators' webhooks listen on (e.g. GPU operator, Strimzi drain cleaner).
 */
export const WEBHOOK_PORTS = ["8443", "9443", "10250"] as const;

/** Project-scoped service account ID `<name>-<suffix>` (6 to 30 characters, RFC 1035). */
export function serviceAccountId(name: string, suffix: string): string {
    return dnsLikeName(`${name}-${suffix}`, 30);
}

/** GKE cluster name (at most 40 characters): the component name, made valid. */
export function gkeClusterName(name: string): string {
    return dnsLikeName(name, 40);
}

/** Default model bucket name `<project>-<name>-models`: globally unique through the project ID, at most 63. */
export function defaultModelBucketName(name: string, project: string): string {
    return dnsLikeName(`${project}-${name}-models`, 63);
}

/**
 * Tags as GCP labels: lower-cased, characters other than letters, digits, '_' and '-' replaced by
 * '_', at most 63 characters; keys start with a letter. Throws when two tags give the same key.
 */
export function gcpLabels(tags: Record<string, string> = {}, name = "?"): Record<string, string> {
    const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9_-]/g, "_").slice(0, 63);
    const labels: Record<string, string> = {};
    const from: Record<string, string> = {};
    for (const [tag, value] of Object.entries(tags)) {
        let key = clean(tag);
        if (!/^[a-z]/.test(key)) key = `t_${key}`.slice(0, 63);
        if (key in labels) throw argError("GkeCluster", name, "tags", `"${from[key]}" and "${tag}" both become the GCP label "${key}": rename one of them`);
        labels[key] = clean(value);
        from[key] = tag;
    }
    return labels;
}

/** The GKE service agent, which encrypts and decrypts Kubernetes secrets with the KMS key. */
export function gkeServiceAgent(projectNumber: string): string {
    return `serviceAccount:service-${projectNumber}@container-engine-robot.iam.gserviceaccount.com`;
}

/**
 * Node label that stops GKE from deploying its own NVIDIA device plugin on a node, so the GPU
 * operator's device plugin (time-slicing, MIG, GFD, DCGM) is the only one advertising `nvidia.com/gpu`
 * (GKE's documented way to run the NVIDIA GPU operator).
 */
export const GKE_NO_DEFAULT_DEVICE_PLUGIN_LABEL = "gke-no-default-nvidia-gpu-device-plugin";

/**
 * Kubernetes labels of the GKE GPU nodes: the platform's GPU label, GKE's opt-out of its own device
 * plugin (the GPU operator runs it), and the MIG profile label in MIG mode.
 */
export function gkeGpuNodeLabels(pool: Pick<GpuPoolArgs, "sharing">): Record<string, string> {
    return {
        [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value,
        [GKE_NO_DEFAULT_DEVICE_PLUGIN_LABEL]: "true",
        ...migConfigNodeLabels(pool.sharing),
    };
}

/** `gpuDriverInstallationConfig.gpuDriverVersion` of the GPU pool: GKE installs no driver (Google's installer DaemonSet does). */
export const GKE_GPU_DRIVER_VERSION = "INSTALLATION_DISABLED";

/**
 * GPU facts of a GKE pool: Google's driver installer (applied by the GpuOperator) installs the driver, the GPU operator
 * installs the container toolkit next to it (`/home/kubernetes/bin/nvidia`, CDI) and the device plugin.
 */
export function gkeGpuFacts(pool: GpuPoolArgs): GpuFacts {
    return gpuFacts(pool, "platform", "operator");
}

/** The GPU taint in GKE node-pool form. */
export function gkeGpuTaint(): { key: string; value: string; effect: string } {
    return { key: GPU_TAINT.key, value: GPU_TAINT.value, effect: apiTaintEffect(GPU_TAINT.effect) };
}

/** The cluster's endpoint settings for an access mode (validated: no /0, ranges where the endpoint is public). */
export function gkeEndpointConfig(name: string, access: GkeApiAccess, cidrs: string[], masterCidr: string) {
    const ranges = authorizedRanges("GkeCluster", name, cidrs, access === "authorizedNetworks",
        "when args.apiAccess is authorizedNetworks (the public endpoint answers only these networks)");
    networkCidr(masterCidr, `GkeCluster ${name}: args.masterCidr`);
    if (!masterCidr.endsWith("/28")) throw argError("GkeCluster", name, "masterCidr", `must be a /28 (got ${masterCidr})`);
    return {
        privateClusterConfig: {
            enablePrivateNodes: true,
            enablePrivateEndpoint: access !== "authorizedNetworks",
            masterIpv4CidrBlock: masterCidr,
        },
        controlPlaneEndpointsConfig: {
            // The DNS endpoint: IAM decides who reaches the API, wherever the runner is.
            dnsEndpointConfig: { allowExternalTraffic: access === "dns" },
            ipEndpointsConfig: { enabled: true },
        },
        masterAuthorizedNetworksConfig: {
            cidrBlocks: ranges.map((cidrBlock) => ({ cidrBlock, displayName: `authorized ${cidrBlock}` })),
            gcpPublicCidrsAccessEnabled: false,
        },
    };
}

/**
 * Kubeconfig for a GKE cluster through `gke-gcloud-auth-plugin` (short-lived tokens from the caller's
 * Google credentials). On the DNS endpoint the server certificate is publicly trusted: no CA data.
 */
export function gkeKubeconfig(clusterName: string, server: string, caData: string | undefined): string {
    const doc = JSON.parse(execKubeconfig(clusterName, server, caData ?? "", {
        command: "gke-gcloud-auth-plugin",
        provideClusterInfo: true,
        installHint: "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin; see "
            + "https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl",
    })) as { clusters: Array<{ cluster: Record<string, string> }> };
    if (!caData) delete doc.clusters[0].cluster["certificate-authority-data"];
    return JSON.stringify(doc, null, 2);
}

type ChildFn = (extra?: pulumi.CustomResourceOptions) => pulumi.CustomResourceOptions;

/** The project's APIs, enabled (and left enabled on destroy). */
export function gkeApis(name: string, args: GkeClusterArgs, child: ChildFn): gcp.projects.Service[] {
    if (args.enableApis === false) return [];
    return GKE_APIS.map((service) => new gcp.projects.Service(`${name}-api-${service.split(".")[0]}`, {
        project: args.project, service, disableOnDestroy: false, disableDependentServices: false,
    }, child()));
}

/** VPC, subnetwork with pod/service ranges, Cloud NAT for private nodes. */
export function gkeNetwork(name: string, args: GkeClusterArgs, child: ChildFn) {
    const network = new gcp.compute.Network(`${name}-net`, { project: args.project, autoCreateSubnetworks: false, routingMode: "REGIONAL" }, child());
    const subnet = new gcp.compute.Subnetwork(`${name}-subnet`, {
        project: args.project,
        network: network.id,
        region: args.region,
        ipCidrRange: args.network.vpcCidr,
        secondaryIpRanges: [
            { rangeName: SECONDARY_RANGES.pods, ipCidrRange: args.network.podCidr },
            { rangeName: SECONDARY_RANGES.services, ipCidrRange: args.network.serviceCidr },
        ],
        privateIpGoogleAccess: true,
    }, child());
    const router = new gcp.compute.Router(`${name}-router`, { project: args.project, network: network.id, region: args.region }, child());
    // Reserved (static) NAT addresses: the nodes' traffic leaves from exactly these, which the training
    // stack's allow-list names (AUTO_ONLY addresses change as Cloud NAT scales).
    const natAddresses = Array.from({ length: GKE_NAT_ADDRESSES }, (_, i) => new gcp.compute.Address(`${name}-nat-ip-${i + 1}`, {
        project: args.project, region: args.region, addressType: "EXTERNAL", networkTier: "PREMIUM",
        description: `Cloud NAT egress of ${name}`,
    }, child()));
    new gcp.compute.RouterNat(`${name}-nat`, {
        project: args.project,
        router: router.name,
        region: args.region,
        natIpAllocateOption: "MANUAL_ONLY",
        natIps: natAddresses.map((a) => a.selfLink),
        sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
        subnetworks: [{ name: subnet.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
        logConfig: { enable: true, filter: "ERRORS_ONLY" },
    }, child());
    const egressCidrs = pulumi.all(natAddresses.map((a) => a.address)).apply((ips) => ips.map((ip) => `${ip}/32`));
    return { network, subnet, egressCidrs };
}

/** Reserved Cloud NAT addresses (each serves 64k ports per VM range; two survive one being drained). */
export const GKE_NAT_ADDRESSES = 2;

/** Secrets key, node identity, the cluster, and the webhook firewall rule. */
export function gkeControlPlane(name: string, args: GkeClusterArgs, net: ReturnType<typeof gkeNetwork>, child: ChildFn, protect: boolean, labels: Record<string, string>) {
    const masterCidr = args.masterCidr ?? GKE_DEFAULTS.masterCidr;
    const endpoint = gkeEndpointConfig(name, args.apiAccess ?? GKE_DEFAULTS.apiAccess, args.authorizedCidrs ?? [], masterCidr);
    // Key rings cannot be deleted in GCP; the key is protected.
    const keyRing = new gcp.kms.KeyRing(`${name}-keyring`, { project: args.project, location: args.region }, child({ protect }));
    const key = new gcp.kms.CryptoKey(`${name}-secrets-key`, {
        keyRing: keyRing.id, purpose: "ENCRYPT_DECRYPT", rotationPeriod: KEY_ROTATION_PERIOD, labels,
    }, child({ protect }));
    // The GKE service agent exists only once the Kubernetes Engine API has provisioned it, which a
    // fresh project has not done when the API was just enabled: create it explicitly before the grant.
    const serviceAgent = new gcp.projects.ServiceIdentity(`${name}-gke-agent`, {
        project: args.project, service: "container.googleapis.com",
    }, child());
    const keyGrant = new gcp.kms.CryptoKeyIAMMember(`${name}-secrets-key-gke`, {
        cryptoKeyId: key.id, role: "roles/cloudkms.cryptoKeyEncrypterDecrypter", member: gkeServiceAgent(args.projectNumber),
    }, child({ dependsOn: [serviceAgent] }));

    const nodeSa = new gcp.serviceaccount.Account(`${name}-nodes`, {
        project: args.project, accountId: serviceAccountId(name, "nodes"), displayName: `GKE nodes of ${name}`.slice(0, 100),
    }, child());
    const nodeMember = pulumi.interpolate`serviceAccount:${nodeSa.email}`;
    const nodeRoles = NODE_SERVICE_ACCOUNT_ROLES.map((role) => new gcp.projects.IAMMember(
        `${name}-nodes-${role.replace(/^roles\//, "").replace(/\./g, "-").toLowerCase()}`,
        { project: args.project, role, member: nodeMember }, child()));
    const zones = args.network.zones;

    const cluster = new gcp.container.Cluster(`${name}-cluster`, {
        project: args.project,
        name: gkeClusterName(name),
        location: args.region,
        nodeLocations: zones.length > 0 ? zones : undefined,
        network: net.network.id,
        subnetwork: net.subnet.id,
        // Node pools are managed separately; the default pool only exists while the cluster is created.
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        nodeConfig: { serviceAccount: nodeSa.email, oauthScopes: [CLOUD_PLATFORM_SCOPE] },
        releaseChannel: { channel: args.releaseChannel ?? GKE_DEFAULTS.releaseChannel },
        networkingMode: "VPC_NATIVE",
        ipAllocationPolicy: { clusterSecondaryRangeName: SECONDARY_RANGES.pods, servicesSecondaryRangeName: SECONDARY_RANGES.services },
        ...endpoint,
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
        ignoreChanges: ["initialNodeCount"],
    }));

    // Admission webhooks on private nodes: let the control plane reach them (see WEBHOOK_PORTS).
    const webhooks = new gcp.compute.Firewall(`${name}-webhooks`, {
        project: args.project,
        network: net.network.id,
        direction: "INGRESS",
        sourceRanges: [masterCidr],
        targetServiceAccounts: [nodeSa.email],
        allows: [{ protocol: "tcp", ports: [...WEBHOOK_PORTS] }],
        description: "GKE control plane to admission webhooks on private nodes",
    }, child());
    return { cluster, nodeSa, nodeRoles, webhooks };
}

/** System and GPU node pools; `initialNodeCount` is a create-time value (changing it would replace the pool). */
export function gkeNodePools(name: string, args: GkeClusterArgs, cp: ReturnType<typeof gkeControlPlane>, child: ChildFn, labels: Record<string, string>) {
    const zones = args.network.zones;
    const base = {
        serviceAccount: cp.nodeSa.email,
        oauthScopes: [CLOUD_PLATFORM_SCOPE],
        imageType: "COS_CONTAINERD",
        diskType: "pd-balanced",
        shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
        workloadMetadataConfig: { mode: "GKE_METADATA" },
        resourceLabels: labels,
    };
    // The autoscaler owns the node count after creation: pool bounds change in place.
    const options = child({ dependsOn: cp.nodeRoles, ignoreChanges: ["initialNodeCount", "nodeCount"] });
    const pool = (id: string, extra: Partial<gcp.container.NodePoolArgs>) => new gcp.container.NodePool(`${name}-${id}`, {
        project: args.project,
        cluster: cp.cluster.id,
        location: args.region,
        nodeLocations: zones.length > 0 ? zones : undefined,
        management: { autoRepair: true, autoUpgrade: true },
        ...extra,
    }, options);
    const system = pool("system", {
        initialNodeCount: 1, // per zone
        autoscaling: { totalMinNodeCount: args.systemPool.minSize, totalMaxNodeCount: args.systemPool.maxSize, locationPolicy: "BALANCED" },
        nodeConfig: { ...base, machineType: args.systemPool.instanceType, diskSizeGb: 100, labels: { [SYSTEM_NODE_LABEL.key]: SYSTEM_NODE_LABEL.value } },
    });
    const gpu = pool("gpu", {
        initialNodeCount: args.gpuPool.minSize > 0 ? 1 : 0,
        // GPUs are scarce: take capacity in whichever zone has it.
        autoscaling: { totalMinNodeCount: args.gpuPool.minSize, totalMaxNodeCount: args.gpuPool.maxSize, locationPolicy: "ANY" },
        nodeConfig: {
            ...base,
            machineType: args.gpuPool.instanceType,
            diskSizeGb: args.gpuPool.diskSizeGb,
            // NVIDIA's documented GKE mode: GKE does not install the driver (gpu-driver-version=disabled),
            // Google's driver installer DaemonSet does (the GpuOperator component applies it), and the GPU
            // operator brings the toolkit and the device plugin (GKE's own device plugin is switched off by
            // the node label). A GKE-managed driver together with that label is not a documented mode.
            guestAccelerators: [{
                type: args.gpuPool.gpuType, count: args.gpuPool.gpuCount, gpuDriverInstallationConfig: { gpuDriverVersion: GKE_GPU_DRIVER_VERSION },
            }],
            taints: [gkeGpuTaint()],
            labels: gkeGpuNodeLabels(args.gpuPool),
        },
    });
    return { system, gpu };
}

/** A regional GKE cluster with everything the platform needs from it (see the module comment). */
export class GkeCluster extends pulumi.ComponentResource implements Cluster {
    public readonly provider: k8s.Provider;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly platform = "gke" as const;
    public readonly gpu: GpuFacts;
    public readonly objectStore: ObjectStore;
    /** The reserved Cloud NAT addresses as /32 CIDRs (what the training stack allows). */
    public readonly egress: pulumi.Output<string[]>;
    /** The GKE cluster's name. */
    public readonly clusterName: pulumi.Output<string>;
    /** The API server address the kubeconfig uses (DNS endpoint, or the IP endpoint). */
    public readonly endpoint: pulumi.Output<string>;

    constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        // Everything that can throw on bad arguments runs before anything is registered.
        const labels = gcpLabels(args.tags, name);
        const access = args.apiAccess ?? GKE_DEFAULTS.apiAccess;
        gkeEndpointConfig(name, access, args.authorizedCidrs ?? [], args.masterCidr ?? GKE_DEFAULTS.masterCidr);
        const bucketName = args.modelBucketName ?? defaultModelBucketName(name, args.project);
        super("hybridml:clusters:GkeCluster", name, {}, opts);
        const protect = args.protect ?? true;

        const gcpProvider = this.getProvider("gcp:index:Provider")
            ?? new gcp.Provider(`${name}-gcp`, { project: args.project, region: args.region }, { parent: this });
        const apis = gkeApis(name, args, (extra = {}) => pulumi.mergeOptions({ parent: this, provider: gcpProvider }, extra));
        /** Options of a GCP child: our provider, and after the project's APIs. */
        const child: ChildFn = (extra = {}) => pulumi.mergeOptions({ parent: this, provider: gcpProvider, dependsOn: apis }, extra);

        const net = gkeNetwork(name, args, child);
        const cp = gkeControlPlane(name, args, net, child, protect, labels);
        const pools = gkeNodePools(name, args, cp, child, labels);

        this.clusterName = cp.cluster.name;
        this.endpoint = access === "dns"
            ? cp.cluster.controlPlaneEndpointsConfig.apply((c) => c?.dnsEndpointConfig?.endpoint ?? "")
            : cp.cluster.endpoint;
        this.kubeconfig = pulumi.secret(pulumi.all([cp.cluster.name, this.endpoint, cp.cluster.masterAuth.clusterCaCertificate])
            .apply(([n, e, ca]) => gkeKubeconfig(n, `https://${e}`, access === "dns" ? undefined : ca ?? undefined)));
        // Depending on the pools makes workloads wait for nodes and be deleted before the pools.
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, clusterIdentifier: cp.cluster.id },
            { parent: this, dependsOn: [pools.system, pools.gpu, cp.webhooks] });
        if (args.previewServiceAccount) {
            new PreviewAccess(`${name}-preview`, { subjects: [{ kind: "User", name: args.previewServiceAccount }], provider: this.provider }, { parent: this });
        }

        const store = new GcsModelStore(`${name}-models`, {
            project: args.project,
            location: args.region,
            bucketName,
            accountPrefix: dnsLikeName(name, 27),
            reader: args.modelReader ?? MODEL_READER,
            writer: args.modelWriter ?? MODEL_WRITER,
            identityPoolReady: [cp.cluster],
            dependsOn: apis,
            protect,
            labels,
        }, { parent: this, providers: { gcp: gcpProvider } });

        this.gpu = gkeGpuFacts(args.gpuPool);
        this.objectStore = store.objectStore;
        this.egress = net.egressCidrs;
        this.registerOutputs({
            ...clusterOutputs(this),
            clusterName: this.clusterName,
            endpoint: this.endpoint,
        });
    }
}
