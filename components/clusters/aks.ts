/**
 * AksCluster: an AKS cluster with Azure CNI overlay (Cilium), Entra ID authentication with Azure
 * RBAC, OIDC issuer + workload identity, KMS-encrypted secrets, a GPU agent pool that scales from
 * zero, and a `BlobModelStore` in a resource group of its own (SPEC 5 "Clusters"). Yields the common
 * `Cluster` shape.
 *
 * The constructor composes one function per part: `aksNetwork` -> `aksIdentityAndKms` ->
 * `aksControlPlane` (cluster, maintenance windows) -> `aksGpuPool`, then the model store.
 */
import * as authorization from "@pulumi/azure-native/authorization";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import * as network from "@pulumi/azure-native/network";
import * as privatedns from "@pulumi/azure-native/privatedns";
import { Provider as AzureProvider } from "@pulumi/azure-native/provider";
import * as resources from "@pulumi/azure-native/resources";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { PreviewAccess } from "./previewAccess";
import { BlobModelStore, roleDefinitionId, storageAccountName } from "../storage/blobModelStore";
import {
    argError, authorizedRanges, carve, dnsLikeName, execKubeconfig, networkCidr, nthAddress, scopedName, shortHash, SYSTEM_NODE_LABEL, taintString,
} from "./common";
import { CloudClusterArgs, Cluster, clusterOutputs, GPU_NODE_LABEL, GPU_TAINT, gpuFacts, GpuFacts, migConfigNodeLabels, MODEL_READER, MODEL_WRITER, ObjectStore } from "./types";

export { roleDefinitionId, SYSTEM_NODE_LABEL };

/**
 * How the runner reaches the AKS API:
 * - `public`: the public endpoint, answering only `authorizedCidrs` (Entra ID auth, no local accounts).
 * - `private`: a private cluster whose private DNS zone (ours) is linked to the runner's VNet
 *   (`runnerVnetId`), which is peered with the cluster's VNet, so a runner there reaches it on the first run.
 */
export type AksApiAccess = "public" | "private";

/** kubelogin login methods that need no browser or device code. */
export type KubeloginMode = "azurecli" | "workloadidentity" | "spn" | "msi";

export interface AksClusterArgs extends CloudClusterArgs {
    /** Entra ID tenant GUID of the cluster's users and of the Key Vault. Required. */
    tenantId: string;
    /** Azure subscription ID the stack deploys to: scopes the globally unique default names. Required. */
    subscriptionId: string;
    /**
     * Entra ID group object IDs that are cluster admins. Default []. The identity running Pulumi must
     * be in one of them (or hold an AKS RBAC role on the cluster), since local accounts are disabled.
     */
    adminGroupObjectIds?: string[];
    /**
     * Object ID of the service principal (or managed identity) that runs `pulumi up`. It gets
     * "Azure Kubernetes Service RBAC Cluster Admin" on the cluster explicitly, as the EKS deployer
     * gets its access entry (local accounts are disabled). Required.
     */
    deployerObjectId: string;
    /**
     * Object ID of the pull-request previews' service principal: "Azure Kubernetes Service Cluster
     * User Role" on the cluster (the preview reads the kubeconfig) and the `PreviewAccess` role
     * (dry-run only; AKS names a service principal by its object ID). Default: none.
     */
    previewObjectId?: string;
    /** API access (see `AksApiAccess`). Default `public`. */
    apiAccess?: AksApiAccess;
    /** Resource ID of the runner's VNet (`/subscriptions/.../virtualNetworks/<name>`). Required when apiAccess is `private`. */
    runnerVnetId?: string;
    /** kubelogin login method written into the kubeconfig. Default `azurecli` (az login, or azure/login with OIDC in CI). */
    kubeloginMode?: KubeloginMode;
    /** Storage account of the model store. Default `defaultStorageAccountName(name, subscriptionId)`. */
    storageAccountName?: string;
    /** Key Vault of the KMS key. Default `defaultKeyVaultName(name, subscriptionId)`. */
    keyVaultName?: string;
    /** Weekly maintenance window (UTC) for AKS upgrades and node OS patches. Default Sunday 02:00, 4 hours. */
    maintenanceWindow?: { dayOfWeek: string; startTime: string; durationHours: number };
}

/** Built-in Azure role definitions (GUIDs are the same in every tenant). */
export const AZURE_ROLES = {
    /** Cryptographic operations with keys (what the AKS KMS plugin needs on an RBAC vault). */
    keyVaultCryptoUser: "12338af0-0e69-4776-bea7-57ae8d297424",
    /** Join and manage network resources (the control plane's load balancers in the node subnet). */
    networkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
    /** Manage records in a private DNS zone (a private cluster with our own zone). */
    privateDnsZoneContributor: "b12aa53e-6015-4669-85d0-8515ebb3ae7f",
    /** Every Kubernetes action on the cluster (Azure RBAC for Kubernetes): the deployer's cluster-admin. */
    aksRbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    /** listClusterUserCredential: fetch the (kubelogin) user kubeconfig, nothing inside the cluster. */
    aksClusterUser: "4abbcc35-e782-43d8-92c5-2d3f1bd2253f",
} as const;

/** Agent pool names (lower-case alphanumerics, at most 12 characters on Linux). */
export const POOL_NAMES = { system: "system", gpu: "gpu" } as const;
/** Name of the etcd-encryption key in the cluster's Key Vault. */
export const KMS_KEY_NAME = "etcd-encryption";
/** Days a deleted Key Vault (and its key) can be recovered; purge protection holds its name that long. */
export const KEY_VAULT_RETENTION_DAYS = 90;
/** Entra ID application of the AKS API server (the kubelogin `--server-id`), the same in every tenant. */
export const AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630";
/** Default maintenance window. */
export const DEFAULT_MAINTENANCE_WINDOW = { dayOfWeek: "Sunday", startTime: "02:00", durationHours: 4 } as const;

/** The GPU taint in AKS node-pool form: `nvidia.com/gpu=true:NoSchedule`. */
export const GPU_POOL_TAINT = taintString(GPU_TAINT);

/**
 * Default storage account name: `st` + the name's letters and digits + an 8-character hash of the
 * subscription and name (3-24 lower-case alphanumerics): unique per subscription, so two
 * organisations with the same stack name do not collide.
 */
export function defaultStorageAccountName(name: string, subscriptionId: string): string {
    return scopedName({ prefix: "st", readable: name, scope: [subscriptionId, name], max: 24, charset: "alnum" });
}

/**
 * Default Key Vault name: `kv-<name>-<hash of subscription and name>` (3-24 letters, digits, single
 * hyphens). Purge protection keeps a destroyed vault's name for 90 days: to redeploy within that
 * time set `keyVaultName` (config `hybridml:cluster.keyVaultName`) or recover the vault.
 */
export function defaultKeyVaultName(name: string, subscriptionId: string): string {
    return scopedName({ prefix: "kv", readable: name, scope: [subscriptionId, name], max: 24, charset: "dns" });
}

/** Validates a Key Vault name; `arg` names the argument in the error. */
export function keyVaultName(vault: string, arg = "AksCluster args.keyVaultName"): string {
    if (!/^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/.test(vault)) {
        throw new Error(`${arg}: ${JSON.stringify(vault)} is not a valid Key Vault name (3-24 letters, digits and single hyphens, starting with a letter)`);
    }
    return vault;
}

/** DNS prefix of the API server FQDN: 1-54 letters, digits and hyphens, starting and ending alphanumeric. */
export function aksDnsPrefix(name: string): string {
    return dnsLikeName(name, 54) || `aks-${shortHash(name)}`;
}

/** The node subnet: the lower half of the VNet (`10.40.0.0/16` -> `10.40.0.0/17`); the upper half stays free. */
export function nodeSubnetCidr(vpcCidr: string): string {
    const arg = "AksCluster args.network.vpcCidr";
    if (networkCidr(vpcCidr, arg).prefix > 27) throw new Error(`${arg}: ${vpcCidr} is too small for an AKS node subnet: use a /27 or larger, e.g. /16`);
    return carve(vpcCidr, 1, 1, 0, arg)[0];
}

/** The cluster DNS service address: the 10th address of the service CIDR, as AKS does by default. */
export function dnsServiceIp(serviceCidr: string): string {
    return nthAddress(serviceCidr, 10, "AksCluster args.network.serviceCidr");
}

/** `apiServerAccessProfile` for an access mode; `privateDnsZoneId` is our zone (private mode). */
export function apiServerAccessProfile(name: string, access: AksApiAccess, cidrs: string[], privateDnsZoneId?: pulumi.Input<string>) {
    const ranges = authorizedRanges("AksCluster", name, cidrs, access === "public",
        "when args.apiAccess is public (the public endpoint answers only these networks)");
    if (access === "public") return { enablePrivateCluster: false, authorizedIPRanges: ranges };
    return { enablePrivateCluster: true, enablePrivateClusterPublicFQDN: false, privateDNSZone: privateDnsZoneId };
}

/** The private DNS zone AKS uses for a private cluster in `location`. */
export function privateDnsZoneName(location: string): string {
    return `privatelink.${location.toLowerCase().replace(/\s+/g, "")}.azmk8s.io`;
}

/** Resource group and name of a VNet from its resource ID. */
export function parseVnetId(id: string, name = "?"): { resourceGroupName: string; vnetName: string } {
    const m = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworks\/([^/]+)$/i.exec(id);
    if (!m) throw argError("AksCluster", name, "runnerVnetId", `${JSON.stringify(id)} is not a VNet resource ID (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<name>)`);
    return { resourceGroupName: m[1], vnetName: m[2] };
}

/**
 * The cluster-user kubeconfig (from `listManagedClusterUserCredentials`, base64, `clusterUser` first)
 * rebuilt with kubelogin's non-interactive `mode` instead of the device-code default, for the
 * cluster's tenant (`--tenant-id`: without it kubelogin's workloadidentity and spn modes fail, and
 * azurecli uses whatever tenant the CLI is logged in to). In `workloadidentity` mode kubelogin takes
 * the client ID from AZURE_CLIENT_ID and, in GitHub Actions, asks for a fresh OIDC token on every
 * call (ACTIONS_ID_TOKEN_REQUEST_URL), so no token expires between cluster creation and the first
 * Kubernetes call.
 */
export function aksKubeconfig(kubeconfigs: { name: string; value: string }[], mode: KubeloginMode, tenantId: string): string {
    const entry = kubeconfigs.find((k) => k.name === "clusterUser") ?? kubeconfigs[0];
    if (!entry) throw new Error("AKS returned no user kubeconfig for the cluster");
    const doc = parseYaml(Buffer.from(entry.value, "base64").toString("utf8")) as {
        clusters?: Array<{ name: string; cluster: { server: string; "certificate-authority-data"?: string } }>;
    };
    const cluster = doc.clusters?.[0];
    if (!cluster) throw new Error("the AKS user kubeconfig names no cluster");
    return execKubeconfig(cluster.name, cluster.cluster.server, cluster.cluster["certificate-authority-data"] ?? "", {
        command: "kubelogin",
        args: ["get-token", "--login", mode, "--server-id", AKS_SERVER_APP_ID, "--tenant-id", tenantId],
        installHint: "Install kubelogin: az aks install-cli, or https://azure.github.io/kubelogin/install.html",
    });
}

/**
 * The cluster's OIDC issuer URL, which workload identity federation trusts. Unknown in a preview of
 * a new cluster; after deployment its absence is an error.
 */
export function oidcIssuerUrl(profile: { issuerURL?: string } | undefined, preview: boolean): pulumi.Output<string> {
    if (profile?.issuerURL) return pulumi.output(profile.issuerURL);
    if (preview) return pulumi.output(pulumi.unknown as string);
    throw new Error("the AKS cluster reports no OIDC issuer URL: oidcIssuerProfile.enabled must be true");
}

type ChildFn = (extra?: pulumi.CustomResourceOptions) => pulumi.CustomResourceOptions;
interface AksPlan { vaultName: string; accountName: string; access: AksApiAccess; runner?: { id: string; resourceGroupName: string; vnetName: string } }

/** Validate the arguments and derive names. Throws naming `args.<key>`. */
export function planAks(name: string, args: AksClusterArgs): AksPlan {
    if (!/^[0-9a-f-]{36}$/i.test(args.tenantId)) throw argError("AksCluster", name, "tenantId", `must be the Entra ID tenant GUID (got ${JSON.stringify(args.tenantId)})`);
    if (!/^[0-9a-f-]{36}$/i.test(args.subscriptionId)) throw argError("AksCluster", name, "subscriptionId", `must be the subscription GUID (got ${JSON.stringify(args.subscriptionId)})`);
    if (!/^[0-9a-f-]{36}$/i.test(args.deployerObjectId)) throw argError("AksCluster", name, "deployerObjectId", `must be the deployer's object ID GUID (got ${JSON.stringify(args.deployerObjectId)})`);
    if (args.previewObjectId !== undefined && (!/^[0-9a-f-]{36}$/i.test(args.previewObjectId) || args.previewObjectId === args.deployerObjectId)) {
        throw argError("AksCluster", name, "previewObjectId", `must be an object ID GUID other than the deployer's (got ${JSON.stringify(args.previewObjectId)})`);
    }
    const access = args.apiAccess ?? "public";
    apiServerAccessProfile(name, access, args.authorizedCidrs ?? []);
    nodeSubnetCidr(args.network.vpcCidr);
    dnsServiceIp(args.network.serviceCidr);
    let runner: AksPlan["runner"];
    if (access === "private") {
        if (!args.runnerVnetId) throw argError("AksCluster", name, "runnerVnetId", "is required when args.apiAccess is private: the runner's VNet gets the private DNS zone and a peering");
        runner = { id: args.runnerVnetId, ...parseVnetId(args.runnerVnetId, name) };
    }
    return {
        vaultName: keyVaultName(args.keyVaultName ?? defaultKeyVaultName(name, args.subscriptionId)),
        accountName: storageAccountName(args.storageAccountName ?? defaultStorageAccountName(name, args.subscriptionId), "AksCluster args.storageAccountName"),
        access,
        runner,
    };
}

/** VNet and node subnet; in private mode also the peering with the runner's VNet and our private DNS zone. */
/** Static public IPs of the node subnet's NAT gateway (the cluster's egress). */
export const AKS_OUTBOUND_IPS = 2;

export function aksNetwork(name: string, args: AksClusterArgs, plan: AksPlan, rg: resources.ResourceGroup, child: ChildFn) {
    const tags = args.tags ?? {};
    const vnet = new network.VirtualNetwork(`${name}-vnet`, {
        resourceGroupName: rg.name, location: args.region, addressSpace: { addressPrefixes: [args.network.vpcCidr] }, tags,
    }, child());
    // Static egress: a NAT gateway on the node subnet (outboundType userAssignedNATGateway) with its own
    // Standard static public IPs. All node egress leaves from them, and the training stack's allow-list names them.
    const outboundIps = Array.from({ length: AKS_OUTBOUND_IPS }, (_, i) => new network.PublicIPAddress(`${name}-outbound-${i + 1}`, {
        resourceGroupName: rg.name, location: args.region,
        sku: { name: "Standard", tier: "Regional" }, publicIPAllocationMethod: "Static", publicIPAddressVersion: "IPv4", tags,
    }, child()));
    const natGateway = new network.NatGateway(`${name}-nat`, {
        resourceGroupName: rg.name, location: args.region, sku: { name: "Standard" }, idleTimeoutInMinutes: 4,
        publicIpAddresses: outboundIps.map((ip) => ({ id: ip.id })), tags,
    }, child());
    const egressCidrs = pulumi.all(outboundIps.map((ip) => ip.ipAddress)).apply((ips) => ips.map((ip) => `${ip ?? ""}/32`));
    const nodeSubnet = new network.Subnet(`${name}-nodes`, {
        resourceGroupName: rg.name,
        virtualNetworkName: vnet.name,
        addressPrefix: nodeSubnetCidr(args.network.vpcCidr),
        // Egress goes through the NAT gateway (static addresses), not Azure's implicit default outbound access.
        defaultOutboundAccess: false,
        natGateway: { id: natGateway.id },
    }, child());
    const runnerPath: pulumi.Resource[] = [];
    let dnsZone: privatedns.PrivateZone | undefined;
    if (plan.runner) {
        const runner = plan.runner;
        dnsZone = new privatedns.PrivateZone(`${name}-api-dns`, {
            resourceGroupName: rg.name, privateZoneName: privateDnsZoneName(args.region), location: "Global", tags,
        }, child());
        for (const [id, vnetId] of [["cluster", vnet.id], ["runner", pulumi.output(runner.id)]] as const) {
            runnerPath.push(new privatedns.VirtualNetworkLink(`${name}-api-dns-${id}`, {
                resourceGroupName: rg.name, privateZoneName: dnsZone.name, location: "Global",
                virtualNetwork: { id: vnetId }, registrationEnabled: false, tags,
            }, child()));
        }
        runnerPath.push(
            new network.VirtualNetworkPeering(`${name}-to-runner`, {
                resourceGroupName: rg.name, virtualNetworkName: vnet.name, remoteVirtualNetwork: { id: runner.id }, allowVirtualNetworkAccess: true,
            }, child()),
            new network.VirtualNetworkPeering(`${name}-from-runner`, {
                resourceGroupName: runner.resourceGroupName, virtualNetworkName: runner.vnetName, remoteVirtualNetwork: { id: vnet.id }, allowVirtualNetworkAccess: true,
            }, child()),
        );
    }
    return { vnet, nodeSubnet, dnsZone, runnerPath, natGateway, egressCidrs };
}

/** The control plane's identity, the KMS vault and key, and the grants the cluster needs before it exists. */
export function aksIdentityAndKms(name: string, args: AksClusterArgs, plan: AksPlan, rg: resources.ResourceGroup, net: ReturnType<typeof aksNetwork>, child: ChildFn, protect: boolean) {
    const tags = args.tags ?? {};
    const builtInRole = (guid: string) => rg.id.apply((id) => roleDefinitionId(id, guid));
    const identity = new managedidentity.UserAssignedIdentity(`${name}-control-plane`, { resourceGroupName: rg.name, location: args.region, tags }, child());
    const grant = (id: string, role: string, scope: pulumi.Input<string>) => new authorization.RoleAssignment(`${name}-control-plane-${id}`, {
        principalId: identity.principalId, principalType: "ServicePrincipal", roleDefinitionId: builtInRole(role), scope,
    }, child());
    // Public mode: the node subnet is enough (load balancers). Private mode with our own zone: AKS
    // documents Private DNS Zone Contributor on the zone and Network Contributor on the VNet (it links
    // the zone to the VNet), not just the subnet.
    const grants = net.dnsZone
        ? [grant("vnet", AZURE_ROLES.networkContributor, net.vnet.id), grant("dns", AZURE_ROLES.privateDnsZoneContributor, net.dnsZone.id)]
        : [grant("subnet", AZURE_ROLES.networkContributor, net.nodeSubnet.id)];

    // Deleting the key or vault makes the cluster's secrets unrecoverable: purge protection and `protect`.
    const vault = new keyvault.Vault(`${name}-kms`, {
        vaultName: plan.vaultName,
        resourceGroupName: rg.name,
        location: args.region,
        properties: {
            tenantId: args.tenantId,
            sku: { family: "A", name: "standard" },
            enableRbacAuthorization: true,
            enableSoftDelete: true,
            softDeleteRetentionInDays: KEY_VAULT_RETENTION_DAYS,
            enablePurgeProtection: true,
            // keyVaultNetworkAccess "Public": the KMS plugin reaches the vault over its public endpoint; access is by Entra ID RBAC only.
            publicNetworkAccess: "Enabled",
        },
        tags,
    }, child({ protect }));
    // No rotation policy: AKS KMS pins a key version (`keyId`), so rotation is a deliberate update.
    const key = new keyvault.Key(`${name}-kms-key`, {
        resourceGroupName: rg.name, vaultName: vault.name, keyName: KMS_KEY_NAME, properties: { kty: "RSA", keySize: 2048 }, tags,
    }, child({ protect }));
    grants.push(grant("kms", AZURE_ROLES.keyVaultCryptoUser, vault.id));
    return { identity, vault, key, grants };
}

/** The managed cluster (system pool inline) and its maintenance windows. */
export function aksControlPlane(name: string, args: AksClusterArgs, plan: AksPlan, rg: resources.ResourceGroup, net: ReturnType<typeof aksNetwork>, kms: ReturnType<typeof aksIdentityAndKms>, child: ChildFn, protect: boolean) {
    const tags = args.tags ?? {};
    const zones = args.network.zones.length > 0 ? args.network.zones : undefined;
    const cluster = new containerservice.ManagedCluster(`${name}-aks`, {
        resourceGroupName: rg.name,
        location: args.region,
        kubernetesVersion: args.version,
        dnsPrefix: aksDnsPrefix(name),
        // Standard tier (uptime SLA) in production; Free elsewhere.
        sku: { name: "Base", tier: args.production ? "Standard" : "Free" },
        identity: { type: "UserAssigned", userAssignedIdentities: [kms.identity.id] },
        enableRBAC: true,
        aadProfile: { managed: true, enableAzureRBAC: true, tenantID: args.tenantId, adminGroupObjectIDs: args.adminGroupObjectIds ?? [] },
        disableLocalAccounts: true,
        oidcIssuerProfile: { enabled: true },
        securityProfile: {
            workloadIdentity: { enabled: true },
            azureKeyVaultKms: { enabled: true, keyId: kms.key.keyUriWithVersion, keyVaultNetworkAccess: "Public" },
        },
        networkProfile: {
            networkPlugin: "azure",
            networkPluginMode: "overlay",
            networkDataplane: "cilium",
            networkPolicy: "cilium",
            podCidr: args.network.podCidr,
            serviceCidr: args.network.serviceCidr,
            dnsServiceIP: dnsServiceIp(args.network.serviceCidr),
            outboundType: "userAssignedNATGateway",
            loadBalancerSku: "standard",
        },
        apiServerAccessProfile: apiServerAccessProfile(name, plan.access, args.authorizedCidrs ?? [], net.dnsZone?.id),
        autoUpgradeProfile: { upgradeChannel: "patch", nodeOSUpgradeChannel: "SecurityPatch" },
        agentPoolProfiles: [{
            name: POOL_NAMES.system,
            mode: "System",
            type: "VirtualMachineScaleSets",
            osType: "Linux",
            vmSize: args.systemPool.instanceType,
            orchestratorVersion: args.version,
            enableAutoScaling: true,
            count: args.systemPool.minSize,
            minCount: args.systemPool.minSize,
            maxCount: args.systemPool.maxSize,
            availabilityZones: zones,
            vnetSubnetID: net.nodeSubnet.id,
            nodeLabels: { [SYSTEM_NODE_LABEL.key]: SYSTEM_NODE_LABEL.value },
            tags,
        }],
        tags,
    }, child({
        protect,
        dependsOn: [...kms.grants, ...net.runnerPath],
        ignoreChanges: ["agentPoolProfiles[0].count"], // the autoscaler owns the node count
    }));
    const window = args.maintenanceWindow ?? DEFAULT_MAINTENANCE_WINDOW;
    const maintenance = ["aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"].map((configName) =>
        new containerservice.MaintenanceConfiguration(`${name}-${configName.replace(/^aksManaged|Schedule$/g, "").toLowerCase()}`, {
            resourceGroupName: rg.name,
            resourceName: cluster.name,
            configName,
            maintenanceWindow: {
                schedule: { weekly: { dayOfWeek: window.dayOfWeek, intervalWeeks: 1 } },
                startTime: window.startTime,
                durationHours: window.durationHours,
                utcOffset: "+00:00",
            },
        }, child()));
    return { cluster, maintenance };
}

/** The GPU agent pool: tainted, labelled, autoscaled (from zero when minSize is 0), driver left to the GPU operator. */
export function aksGpuPool(name: string, args: AksClusterArgs, rg: resources.ResourceGroup, net: ReturnType<typeof aksNetwork>, cluster: containerservice.ManagedCluster, child: ChildFn) {
    return new containerservice.AgentPool(`${name}-gpu`, {
        resourceGroupName: rg.name,
        resourceName: cluster.name,
        agentPoolName: POOL_NAMES.gpu,
        mode: "User",
        type: "VirtualMachineScaleSets",
        osType: "Linux",
        // Ubuntu: the node OS the GPU operator's driver containers support.
        osSKU: "Ubuntu",
        vmSize: args.gpuPool.instanceType,
        orchestratorVersion: args.version,
        osDiskSizeGB: args.gpuPool.diskSizeGb,
        enableAutoScaling: true,
        count: args.gpuPool.minSize,
        minCount: args.gpuPool.minSize,
        maxCount: args.gpuPool.maxSize,
        // No zones: GPU sizes are often not offered in every zone, so take capacity anywhere in the region.
        vnetSubnetID: net.nodeSubnet.id,
        nodeTaints: [GPU_POOL_TAINT],
        nodeLabels: { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value, ...migConfigNodeLabels(args.gpuPool.sharing) },
        // AKS is told not to install the NVIDIA driver: the GPU operator installs driver and toolkit.
        gpuProfile: { driver: "None" },
        tags: args.tags ?? {},
    }, child({ ignoreChanges: ["count"] })); // the autoscaler owns the node count
}

/** An AKS cluster with everything the platform needs from it (see the module comment). */
export class AksCluster extends pulumi.ComponentResource implements Cluster {
    public readonly provider: k8s.Provider;
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly platform = "aks" as const;
    public readonly gpu: GpuFacts;
    public readonly objectStore: ObjectStore;
    /** The load balancer's static outbound addresses as /32 CIDRs (what the training stack allows). */
    public readonly egress: pulumi.Output<string[]>;
    /** The AKS cluster's name. */
    public readonly clusterName: pulumi.Output<string>;
    /** The resource group holding the cluster, its network and key vault (the model store has its own). */
    public readonly resourceGroupName: pulumi.Output<string>;
    /** The model store's own (protected, retained) resource group. */
    public readonly modelResourceGroupName: pulumi.Output<string>;

    constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        const plan = planAks(name, args);
        super("hybridml:clusters:AksCluster", name, {}, opts);
        const protect = args.protect ?? true;

        const azureProvider = this.getProvider("azure-native:index:Provider")
            ?? new AzureProvider(`${name}-azure`, { location: args.region, subscriptionId: args.subscriptionId }, { parent: this });
        const child: ChildFn = (extra = {}) => pulumi.mergeOptions({ parent: this, provider: azureProvider }, extra);

        const rg = new resources.ResourceGroup(`${name}-rg`, { location: args.region, tags: args.tags ?? {} }, child());
        const net = aksNetwork(name, args, plan, rg, child);
        const kms = aksIdentityAndKms(name, args, plan, rg, net, child, protect);
        const cp = aksControlPlane(name, args, plan, rg, net, kms, child, protect);
        const gpuPool = aksGpuPool(name, args, rg, net, cp.cluster, child);

        // Explicit Kubernetes rights on the cluster (Azure RBAC): the deployer is cluster-admin, the
        // preview identity may read the user kubeconfig (its Kubernetes rights come from PreviewAccess).
        const clusterRole = (id: string, guid: string, principalId: string) => new authorization.RoleAssignment(`${name}-${id}`, {
            principalId, principalType: "ServicePrincipal", roleDefinitionId: roleDefinitionId(`/subscriptions/${args.subscriptionId}`, guid), scope: cp.cluster.id,
        }, child());
        const deployerAdmin = clusterRole("deployer-admin", AZURE_ROLES.aksRbacClusterAdmin, args.deployerObjectId);
        const previewUser = args.previewObjectId === undefined ? undefined : clusterRole("preview-user", AZURE_ROLES.aksClusterUser, args.previewObjectId);

        const credentials = containerservice.listManagedClusterUserCredentialsOutput(
            { resourceGroupName: rg.name, resourceName: cp.cluster.name, format: "exec" },
            { parent: this, provider: azureProvider },
        );
        const mode = args.kubeloginMode ?? "azurecli";
        this.kubeconfig = pulumi.secret(credentials.kubeconfigs.apply((k) => aksKubeconfig(k, mode, args.tenantId)));
        // Workloads wait for both pools and the deployer's rights, and are deleted before them.
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, clusterIdentifier: cp.cluster.id },
            { parent: this, dependsOn: [cp.cluster, gpuPool, deployerAdmin] });
        if (args.previewObjectId !== undefined) {
            new PreviewAccess(`${name}-preview`, { subjects: [{ kind: "User", name: args.previewObjectId }], provider: this.provider },
                { parent: this, dependsOn: previewUser ? [previewUser] : [] });
        }

        const store = new BlobModelStore(`${name}-models`, {
            location: args.region,
            resourceGroupName: `${dnsLikeName(name, 70)}-models`,
            accountName: plan.accountName,
            oidcIssuerUrl: cp.cluster.oidcIssuerProfile.apply((p) => oidcIssuerUrl(p, pulumi.runtime.isDryRun())),
            reader: args.modelReader ?? MODEL_READER,
            writer: args.modelWriter ?? MODEL_WRITER,
            protect,
            tags: args.tags,
        }, { parent: this, providers: { "azure-native": azureProvider } });

        this.gpu = gpuFacts(args.gpuPool, "operator");
        this.objectStore = store.objectStore;
        this.egress = net.egressCidrs;
        this.clusterName = cp.cluster.name;
        this.resourceGroupName = rg.name;
        this.modelResourceGroupName = store.resourceGroupName;
        this.registerOutputs({
            ...clusterOutputs(this),
            clusterName: this.clusterName,
            resourceGroupName: this.resourceGroupName,
            modelResourceGroupName: this.modelResourceGroupName,
        });
    }
}
