/**
 * The `cluster` config section (SPEC 4, 5 "Clusters"): a union on `cluster.provider`, so a key of
 * another provider (`tenantId` on eks) is an error naming it; the cross-field checks (required
 * values with their fix, runner access, unique names, zones, pinned Kubernetes minors); and the
 * resolved, fully defaulted section. Pure: no Pulumi imports, nothing from components/.
 */
import { z } from "zod";
import { gpuOffering } from "../lib/gpuInstances";
import { clusterPins, supportedMinors, supportedMinorsOn, supportStatus, versions, VersionedPlatform } from "../lib/versions";
import { GPU_MODELS, hasMig, migProfilesOf } from "../lib/gpuModels";
import { CLOUD_REGIONS, exampleZone, isZoneOf } from "../lib/regions";
import { limits } from "./limits";
import { DEFAULT_POD_CIDR, networkIssues } from "./network";

const NS = "hybridml";
const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
const cidr = z.string().refine((s) => IPV4_CIDR.test(s), { message: "must be an IPv4 CIDR block such as 10.0.0.0/16" });
const count = (min: number) => z.number().int().min(min);
const guid = (what: string) => z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, { message: `must be ${what} GUID` });
const roleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, {
    message: "must be an IAM role ARN such as arn:aws:iam::123456789012:role/platform-admin",
});

const sharing = z.discriminatedUnion("mode", [
    z.strictObject({ mode: z.literal("none") }),
    /** Time-slicing: each GPU is advertised `replicas` times. */
    z.strictObject({ mode: z.literal("time-slicing"), replicas: count(2).max(48) }),
    /** MIG: the GPU operator's mig-manager applies `profile` (e.g. `all-1g.10gb`). */
    z.strictObject({ mode: z.literal("mig"), profile: z.string().regex(/^all-(balanced|\d+g\.\d+gb)$/, {
        message: "must be a mig-parted profile such as all-1g.10gb, all-3g.40gb or all-balanced",
    }) }),
]);

const systemPool = z.strictObject({
    /** Machine type; default per provider (see `defaultInstanceTypes`). */
    instanceType: z.string().min(1).optional(),
    /** Minimum node count. Default 2; at most `limits.systemNodes`. */
    minSize: count(1).max(limits.systemNodes).default(2),
    /** Maximum node count. Default 4; at most `limits.systemNodes`. */
    maxSize: count(1).max(limits.systemNodes).default(4),
});

const gpuPool = z.strictObject({
    /** Machine type with GPUs attached; default per provider. */
    instanceType: z.string().min(1).optional(),
    /** Accelerator type (GKE accelerator name; EKS accelerator label; informational elsewhere); default per provider. */
    gpuType: z.string().min(1).optional(),
    /** GPUs per node. Default 1. */
    gpuCount: count(1).max(16).default(1),
    /** Minimum node count; 0 lets the pool scale to zero. Default 0; at most `limits.gpuNodes`. */
    minSize: count(0).max(limits.gpuNodes).default(0),
    /** Maximum node count. Default 2; at most `limits.gpuNodes`. */
    maxSize: count(1).max(limits.gpuNodes).default(2),
    /** Node root disk in GiB (model images are large). Default 200. */
    diskSizeGb: count(50).max(4096).default(200),
    /** GPU sharing. Default `{ mode: none }`. */
    sharing: sharing.default({ mode: "none" }),
});

/** Keys every provider has. */
const common = {
    /** Kubernetes minor version. Default `versions.kubernetes`; must be one of the pinned minors (lib/versions.ts `clusterPins`). */
    version: z.string().regex(/^1\.\d{2}$/, { message: "must be a Kubernetes minor version such as 1.34" }).default(versions.kubernetes),
    systemPool: systemPool.prefault({}),
    gpuPool: gpuPool.prefault({}),
};

/** Keys of the three managed clouds. */
const cloud = {
    ...common,
    /** Cloud region (eks, gke) or Azure location (aks). Required. */
    region: z.string().min(1).optional(),
    /** CIDRs allowed to reach the API where `apiAccess` uses authorised networks. Never /0. Default []. */
    authorizedCidrs: z.array(cidr).max(limits.authorizedCidrs).default([]),
    network: z.strictObject({
        /** VPC / VNet address space. Default 10.40.0.0/16. */
        vpcCidr: cidr.default("10.40.0.0/16"),
        /** Pod CIDR (GKE secondary range, AKS overlay; refused on eks, whose pods take VPC addresses). Default 100.64.0.0/14. */
        podCidr: cidr.optional(),
        /** Service CIDR. Default 172.20.0.0/16. */
        serviceCidr: cidr.default("172.20.0.0/16"),
        /** Zones. Required on eks (>= 2) and aks ([] in a region without zones); gke default []: GKE's default zones. */
        zones: z.array(z.string().min(1)).max(limits.zones).optional(),
        /** One NAT gateway per zone (true) or one shared (false); EKS only. Default: true in prod. */
        natPerZone: z.boolean().optional(),
    }).prefault({}),
};

const eks = z.strictObject({
    provider: z.literal("eks"),
    ...cloud,
    /** `public` (endpoint limited to authorizedCidrs) | `private` (only from networks routed to the VPC). Default public. */
    apiAccess: z.enum(["public", "private"]).default("public"),
    /** IAM role that runs `pulumi up`; it gets cluster-admin through an explicit access entry. Required. */
    deployerRoleArn: roleArn.optional(),
    /**
     * IAM role of the pull-request previews (CI's read-only role). It gets an access entry in the
     * preview group, whose RBAC allows exactly what server-side dry-run needs and whose non-dry-run
     * writes are refused by an admission policy. Default: none (previews of a deployed stack then get 401).
     */
    previewRoleArn: roleArn.optional(),
    /** Further IAM roles granted cluster-admin through EKS access entries. Default []. */
    adminRoleArns: z.array(roleArn).default([]),
    /** S3 model bucket name (global). Default `<stack>-models-<hash of account, region, stack>`. */
    modelBucketName: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "must be an S3 bucket name (3-63 of a-z 0-9 . -)" }).optional(),
});

const gke = z.strictObject({
    provider: z.literal("gke"),
    ...cloud,
    /** `dns` (DNS-based endpoint, IAM-authorised from anywhere) | `authorizedNetworks` (public IP endpoint limited to authorizedCidrs) | `private`. Default dns. */
    apiAccess: z.enum(["dns", "authorizedNetworks", "private"]).default("dns"),
    /** GCP project ID. Required. */
    project: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, { message: "must be a GCP project ID" }).optional(),
    /** GCP project number (its GKE service agent gets the secrets-encryption key). Required. */
    projectNumber: z.preprocess((v) => (typeof v === "number" ? String(v) : v),
        z.string().regex(/^\d{6,20}$/, { message: "must be the GCP project number (digits)" })).optional(),
    /**
     * Google service account of the pull-request previews (e.g. `ci-preview@<project>.iam.gserviceaccount.com`):
     * bound to the preview ClusterRole (server-side dry-run only). Default: none.
     */
    previewServiceAccount: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]@[a-z][-a-z0-9.]+\.iam\.gserviceaccount\.com$/, {
        message: "must be a service-account email such as ci-preview@my-project.iam.gserviceaccount.com",
    }).optional(),
    /** GCS model bucket name (global). Default `<project>-<stack>-models`. */
    modelBucketName: z.string().regex(/^[a-z0-9][a-z0-9_.-]{1,61}[a-z0-9]$/, { message: "must be a GCS bucket name (3-63 of a-z 0-9 - _ .)" }).optional(),
});

const aks = z.strictObject({
    provider: z.literal("aks"),
    ...cloud,
    /** `public` (endpoint limited to authorizedCidrs) | `private` (private DNS zone linked to runnerVnetId, peered). Default public. */
    apiAccess: z.enum(["public", "private"]).default("public"),
    /** Resource ID of the runner's VNet. Required with apiAccess private. */
    runnerVnetId: z.string().regex(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+$/i, {
        message: "must be a VNet resource ID (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<name>)",
    }).optional(),
    /** Entra ID tenant. Required. */
    tenantId: guid("an Entra ID tenant").optional(),
    /** Azure subscription ID the stack deploys to (scopes the unique names). Required. */
    subscriptionId: guid("an Azure subscription").optional(),
    /**
     * Object ID of the service principal (or managed identity) that runs `pulumi up`: it gets the
     * "Azure Kubernetes Service RBAC Cluster Admin" role on the cluster explicitly (local accounts are off). Required.
     */
    deployerObjectId: guid("an Entra ID service principal object").optional(),
    /**
     * Object ID of the pull-request previews' service principal: "Azure Kubernetes Service Cluster User Role"
     * (to read the kubeconfig) and the preview ClusterRole (server-side dry-run only). Default: none.
     */
    previewObjectId: guid("an Entra ID service principal object").optional(),
    /** Entra ID groups that are cluster admins (Azure RBAC). Default []. */
    adminGroupObjectIds: z.array(guid("an Entra ID group object")).default([]),
    /**
     * kubelogin login method in the kubeconfig: azurecli | workloadidentity | spn | msi. Default azurecli.
     * CI sets workloadidentity: kubelogin then asks GitHub for a fresh OIDC token on every call
     * (the azure/login CLI session expires about 10 minutes after the job's token was issued).
     */
    kubeloginMode: z.enum(["azurecli", "workloadidentity", "spn", "msi"]).default("azurecli"),
    /** Storage account of the model store (3-24 a-z 0-9). Default `st<stack><hash of subscription, stack>`. */
    storageAccountName: z.string().regex(/^[a-z0-9]{3,24}$/, { message: "must be a storage account name (3-24 lower-case letters and digits)" }).optional(),
    /** Key Vault of the KMS key (3-24, letters, digits, single '-'). Default `kv-<stack>-<hash of subscription, stack>`. */
    keyVaultName: z.string().regex(/^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/, {
        message: "must be a Key Vault name (3-24 letters, digits and single hyphens, starting with a letter)",
    }).optional(),
});

const onprem = z.strictObject({
    provider: z.literal("onprem"),
    ...common,
    /** Kubeconfig context to use (the kubeconfig itself is the secret key `hybridml:kubeconfig`). */
    context: z.string().min(1).optional(),
});

const k3sHost = z.strictObject({
    /** Node name (DNS-1123). */
    name: z.string().regex(/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/, {
        message: "must be lower-case letters, digits and '-', start with a letter, at most 40 characters",
    }),
    /** Address that Pulumi reaches over SSH and the agents reach on 6443. */
    address: z.string().regex(/^[A-Za-z0-9.:-]+$/, { message: "must be an IP address or host name" }),
    /** `server` (control plane) or `agent`. */
    role: z.enum(["server", "agent"]),
    /** The host has NVIDIA GPUs: it is labelled and tainted for GPU work (re-applied when this changes). Default false. */
    gpu: z.boolean().default(false),
});

const k3s = z.strictObject({
    provider: z.literal("k3s"),
    ...common,
    /** The hosts. Required; the first is a `server`. */
    hosts: z.array(k3sHost).max(limits.k3sHosts).optional(),
    /** SSH user with passwordless sudo. Default `ubuntu`. */
    sshUser: z.string().min(1).default("ubuntu"),
    /** SSH port. Default 22. */
    sshPort: count(1).max(65535).default(22),
    /** Bump to issue a new long-lived deployer token (the kubeconfig's credential). Default 1. */
    credentialRotation: count(1).default(1),
    /**
     * sha256 of the k3s install script at `installScriptUrl`; the hosts refuse a script that does not
     * match. Required outside dev (`curl -sfL <url> | sha256sum`).
     */
    installScriptSha256: z.string().regex(/^[0-9a-f]{64}$/, { message: "must be a sha256 in hex (64 characters 0-9 a-f)" }).optional(),
    /** The k3s install script to download. Default `versions.k3sInstallScript.url` (pinned to a k3s commit). */
    installScriptUrl: z.string().regex(/^https:\/\/\S+$/, { message: "must be an https:// URL" }).default(versions.k3sInstallScript.url),
});

/** The `hybridml:cluster` section: one object per provider, chosen by `provider`. */
export const clusterSchema = z.discriminatedUnion("provider", [eks, gke, aks, onprem, k3s]);
export type ClusterConfig = z.output<typeof clusterSchema>;

/** Machine types used when a pool does not name one. */
export const defaultInstanceTypes: Record<"eks" | "gke" | "aks", { system: string; gpu: string; gpuType: string }> = {
    // G5 (A10G) rather than G6 (L4): offered in more regions, eu-west-1 among them (lib/gpuInstances.ts).
    eks: { system: "m7i.xlarge", gpu: "g5.xlarge", gpuType: "nvidia-a10g" },
    gke: { system: "e2-standard-4", gpu: "g2-standard-8", gpuType: "nvidia-l4" },
    aks: { system: "Standard_D4s_v5", gpu: "Standard_NC4as_T4_v3", gpuType: "nvidia-tesla-t4" },
};

/** What the checks need besides the section. */
export interface ClusterContext {
    environment: "dev" | "edge" | "prod";
    /** Secret keys set on the stack. */
    secretsSet: ReadonlySet<string>;
    /** The date the support calendar is read at (the program passes today; tests pass a date). Default: now. */
    today?: Date;
}

const key = (p: string) => `${NS}:cluster.${p}`;
const got = (v: unknown) => JSON.stringify(v);
const cloudName = { eks: "AWS", gke: "Google Cloud", aks: "Azure" } as const;

/**
 * The GPU pool's model and sharing: a known GPU type (lib/gpuModels.ts), and a MIG profile that
 * exists for it (MIG needs a GPU with MIG, and a named gpuType to check the profile against).
 */
function gpuIssues(cl: ClusterConfig): string[] {
    const out: string[] = [];
    const types = cl.provider === "eks" || cl.provider === "gke" || cl.provider === "aks" ? defaultInstanceTypes[cl.provider] : undefined;
    const gpuType = cl.gpuPool.gpuType ?? types?.gpuType;
    const model = gpuType === undefined ? undefined : GPU_MODELS[gpuType];
    if (gpuType !== undefined && !model) {
        out.push(`${key("gpuPool.gpuType")} is not a known GPU model (got ${got(gpuType)}): use one of ${Object.keys(GPU_MODELS).join(", ")} (GKE accelerator names; add a model to lib/gpuModels.ts)`);
    }
    const s = cl.gpuPool.sharing;
    if (s.mode === "mig") {
        if (gpuType === undefined) {
            out.push(`${key("gpuPool.sharing.profile")} needs the GPU model to check the MIG profile against: set cluster.gpuPool.gpuType (e.g. nvidia-a100-80gb)`);
        } else if (model && !hasMig(model)) {
            out.push(`${key("gpuPool.sharing.mode")} mig needs a GPU with MIG, and ${gpuType} has none (got ${got(s.profile)}): use mode time-slicing or none, or a MIG GPU (${Object.keys(GPU_MODELS).filter((m) => hasMig(GPU_MODELS[m])).join(", ")})`);
        } else if (model && !migProfilesOf(model).includes(s.profile)) {
            out.push(`${key("gpuPool.sharing.profile")} is not a MIG profile of ${gpuType} (got ${got(s.profile)}): use one of ${migProfilesOf(model).join(", ")}`);
        }
    }
    return out;
}

/**
 * Cross-field rules of the section, one line per problem naming the key and the fix. Empty when
 * the section is valid.
 */
export function clusterIssues(cl: ClusterConfig, ctx: ClusterContext): string[] {
    const out: string[] = [];
    if (cl.systemPool.minSize > cl.systemPool.maxSize) out.push(`${key("systemPool.maxSize")} must be >= minSize (got ${cl.systemPool.maxSize} < ${cl.systemPool.minSize})`);
    if (cl.gpuPool.minSize > cl.gpuPool.maxSize) out.push(`${key("gpuPool.maxSize")} must be >= minSize (got ${cl.gpuPool.maxSize} < ${cl.gpuPool.minSize})`);
    out.push(...gpuIssues(cl));

    if (cl.provider === "eks" || cl.provider === "gke" || cl.provider === "aks") {
        const example = { eks: "eu-west-1", gke: "europe-west4", aks: "westeurope" }[cl.provider];
        if (!cl.region) out.push(`${key("region")} is required for provider ${cl.provider}: set it, e.g. pulumi config set --path hybridml:cluster.region ${example}`);
        else if (!CLOUD_REGIONS[cl.provider].includes(cl.region)) {
            const other = (Object.keys(CLOUD_REGIONS) as ("eks" | "gke" | "aks")[]).find((p) => CLOUD_REGIONS[p].includes(cl.region!));
            out.push(`${key("region")} is not a region of ${cloudName[cl.provider]} (got ${got(cl.region)})`
                + (other ? `: that is a ${cloudName[other]} region; ` : ": ") + `use one such as ${example} (a region opened since is added in lib/regions.ts)`);
        } else {
            const zones = cl.network.zones ?? [];
            zones.forEach((z, i) => {
                if (!isZoneOf(cl.provider, cl.region!, z)) out.push(`${key(`network.zones[${i}]`)} is not a zone of ${cl.region} (got ${got(z)}): ${cloudName[cl.provider]} zones there look like ${exampleZone(cl.provider, cl.region!)}`);
                else if (zones.indexOf(z) !== i) out.push(`${key(`network.zones[${i}]`)} repeats ${got(z)}: list each zone once (a zone twice gives two subnets or pools of one name, which the engine refuses)`);
            });
        }
        out.push(...networkIssues(cl));
        if (!clusterPins[cl.version]) {
            out.push(`${key("version")} has no pinned add-on and autoscaler versions (got ${got(cl.version)}): use one of ${supportedMinors().join(", ")}, or add its pins to lib/versions.ts clusterPins`);
        }
        const needsRanges = (cl.provider === "gke" && cl.apiAccess === "authorizedNetworks") || (cl.provider !== "gke" && cl.apiAccess === "public");
        if (needsRanges && cl.authorizedCidrs.length === 0) {
            out.push(`${key("authorizedCidrs")} must list at least one CIDR with apiAccess ${cl.apiAccess} (the endpoint would be open to everyone): list the runner's egress ranges (CI runner NAT, office VPN)`
                + (cl.provider === "aks" ? ", or set apiAccess: private with runnerVnetId" : cl.provider === "gke" ? ", or use apiAccess: dns" : ""));
        }
        if (cl.provider === "eks" && cl.network.podCidr !== undefined) {
            out.push(`${key("network.podCidr")} has no use on eks (the VPC CNI gives pods addresses of the VPC's subnets, network.vpcCidr): remove it`);
        }
        const usesRanges = (cl.provider === "gke" && cl.apiAccess === "authorizedNetworks") || (cl.provider !== "gke" && cl.apiAccess === "public");
        if (!usesRanges && cl.authorizedCidrs.length > 0) {
            out.push(`${key("authorizedCidrs")} is not used with apiAccess ${cl.apiAccess} (${cl.apiAccess === "dns" ? "the DNS endpoint is authorised by IAM" : "the endpoint is private"}): remove it`
                + `, or set apiAccess: ${cl.provider === "gke" ? "authorizedNetworks" : "public"}`);
        }
        if (cl.provider !== "eks" && cl.network.natPerZone !== undefined) {
            out.push(`${key("network.natPerZone")} only applies to eks (${cl.provider}'s NAT is zone-redundant): remove it`);
        }
    }
    switch (cl.provider) {
        case "eks": {
            const zones = cl.network.zones;
            if (zones === undefined) {
                out.push(`${key("network.zones")} is required for provider eks: list 2-3 availability zones that EKS supports in ${cl.region ?? "the region"} (aws ec2 describe-availability-zones; EKS refuses a few, e.g. use1-az3)`);
            } else if (new Set(zones).size < 2) {
                out.push(`${key("network.zones")} must list at least 2 different availability zones for eks (got ${got(zones)})`);
            }
            const b = cl.modelBucketName;
            if (b !== undefined && (b.includes("..") || /^\d+\.\d+\.\d+\.\d+$/.test(b) || b.startsWith("xn--") || b.endsWith("-s3alias") || b.endsWith("--ol-s3"))) {
                out.push(`${key("modelBucketName")} is a name S3 refuses (got ${got(b)}): no "..", no IP-address form, no xn-- prefix, no -s3alias or --ol-s3 suffix`);
            }
            if (!cl.deployerRoleArn) {
                out.push(`${key("deployerRoleArn")} is required for provider eks: the IAM role that runs pulumi up (it gets cluster-admin through an explicit access entry), e.g. arn:aws:iam::<account>:role/<ci-deployer>`);
            }
            if (cl.previewRoleArn && (cl.previewRoleArn === cl.deployerRoleArn || cl.adminRoleArns.includes(cl.previewRoleArn))) {
                out.push(`${key("previewRoleArn")} must be a role of its own (got ${got(cl.previewRoleArn)}, which is also the deployer or an admin): previews must not run with deploy rights`);
            }
            cl.adminRoleArns.forEach((arn, i) => {
                if (arn === cl.deployerRoleArn) out.push(`${key(`adminRoleArns[${i}]`)} is the deployer (cluster.deployerRoleArn), which already gets an access entry: remove it (got ${got(arn)})`);
                else if (cl.adminRoleArns.indexOf(arn) !== i) out.push(`${key(`adminRoleArns[${i}]`)} repeats ${got(arn)}: EKS refuses a second access entry for one principal`);
            });
            break;
        }
        case "gke":
            if (cl.modelBucketName !== undefined && (cl.modelBucketName.startsWith("goog") || cl.modelBucketName.includes("google"))) {
                out.push(`${key("modelBucketName")} is a name GCS refuses (got ${got(cl.modelBucketName)}): no "goog" prefix and no "google" in it`);
            }
            if (!cl.project) out.push(`${key("project")} is required for provider gke: set the GCP project ID`);
            if (!cl.projectNumber) out.push(`${key("projectNumber")} is required for provider gke: gcloud projects describe <project> --format='value(projectNumber)'`);
            break;
        case "aks":
            if (!cl.tenantId) out.push(`${key("tenantId")} is required for provider aks: set the Entra ID tenant GUID (az account show --query tenantId)`);
            if (!cl.subscriptionId) out.push(`${key("subscriptionId")} is required for provider aks: set the subscription GUID (az account show --query id)`);
            if (cl.network.zones === undefined) out.push(`${key("network.zones")} is required for provider aks: list the zones, e.g. ["1", "2", "3"], or [] in a region without availability zones`);
            if (cl.apiAccess === "private" && !cl.runnerVnetId) out.push(`${key("runnerVnetId")} is required with apiAccess private: the resource ID of the runner's VNet (it gets the API's private DNS zone and a peering)`);
            if (cl.apiAccess !== "private" && cl.runnerVnetId) out.push(`${key("runnerVnetId")} is only used with apiAccess private: remove it or set apiAccess: private`);
            if (!cl.deployerObjectId) out.push(`${key("deployerObjectId")} is required for provider aks: the object ID of the service principal that runs pulumi up (az ad sp show --id <client id> --query id); it gets cluster-admin on the cluster explicitly`);
            if (cl.previewObjectId && cl.previewObjectId === cl.deployerObjectId) out.push(`${key("previewObjectId")} must differ from deployerObjectId: previews must not run with deploy rights`);
            break;
        case "onprem":
            if (!ctx.secretsSet.has("kubeconfig")) out.push(`${NS}:kubeconfig is required for provider onprem: pulumi config set --secret ${NS}:kubeconfig < kubeconfig.yaml`);
            break;
        case "k3s": {
            const hosts = cl.hosts ?? [];
            if (hosts.length === 0) out.push(`${key("hosts")} is required for provider k3s: list the hosts ({ name, address, role: server|agent, gpu })`);
            else if (hosts[0].role !== "server") out.push(`${key("hosts[0].role")} must be server: the first host initialises the cluster (got ${got(hosts[0].role)})`);
            const names = hosts.map((h) => h.name);
            const addresses = hosts.map((h) => h.address);
            if (new Set(names).size !== names.length) out.push(`${key("hosts")} has duplicate names (got ${got(names)})`);
            if (new Set(addresses).size !== addresses.length) out.push(`${key("hosts")} has duplicate addresses (got ${got(addresses)})`);
            if (!ctx.secretsSet.has("sshPrivateKey")) out.push(`${NS}:sshPrivateKey is required for provider k3s: pulumi config set --secret ${NS}:sshPrivateKey < ~/.ssh/id_ed25519`);
            if (!cl.installScriptSha256 && ctx.environment !== "dev") {
                out.push(`${key("installScriptSha256")} is required outside dev (environment ${ctx.environment}): the hosts verify the k3s install script before running it; set it to the output of curl -sfL ${cl.installScriptUrl} | sha256sum`);
            }
            break;
        }
    }
    out.push(...supportAndGpuChecks(cl, ctx).issues);
    return out;
}

/** Warnings and notes of the section (a version near its end of support, a region without a GPU table). */
export function clusterNotes(cl: ClusterConfig, ctx: ClusterContext): string[] {
    return supportAndGpuChecks(cl, ctx).notes;
}

/** The minor a platform runs and the key that sets it. */
function pinnedVersion(cl: ClusterConfig): { platform: VersionedPlatform; version: string; key: string } | undefined {
    if (cl.provider === "eks" || cl.provider === "aks") return { platform: cl.provider, version: cl.version, key: key("version") };
    if (cl.provider === "k3s") return { platform: "k3s", version: versions.k3s, key: "lib/versions.ts versions.k3s" };
    return undefined;
}

/**
 * Version currency (an ended minor is an error, one ending within 60 days a warning) and the GPU
 * machine type against the region's offering (lib/gpuInstances.ts).
 */
export function supportAndGpuChecks(cl: ClusterConfig, ctx: ClusterContext): { issues: string[]; notes: string[] } {
    const issues: string[] = [];
    const notes: string[] = [];
    const today = ctx.today ?? new Date();
    const pinned = pinnedVersion(cl);
    if (pinned) {
        const s = supportStatus(pinned.platform, pinned.version, today);
        const others = () => supportedMinorsOn(pinned.platform, today).join(", ") || "none in lib/versions.ts supportCalendar";
        if (s.status === "ended") {
            issues.push(`${pinned.key}: Kubernetes ${s.minor} reached its end of support on ${pinned.platform} on ${s.endOfSupport} (${-s.daysLeft} days ago): move to a supported minor (${others()}) with its add-on pins`);
        } else if (s.status === "ending") {
            notes.push(`warning: ${pinned.key}: Kubernetes ${s.minor} reaches its end of support on ${pinned.platform} on ${s.endOfSupport} (in ${s.daysLeft} days): plan the upgrade (supported: ${others()})`);
        } else if (s.status === "unknown") {
            issues.push(`${pinned.key}: Kubernetes ${s.minor} is not in the ${pinned.platform} support calendar (lib/versions.ts supportCalendar, known: ${s.known.join(", ")}): use a listed minor or add it with its end-of-support date`);
        }
    }
    if (cl.provider === "k3s" && !cl.installScriptSha256 && ctx.environment === "dev") {
        notes.push(`warning: ${key("installScriptSha256")} is not set: the hosts run the k3s install script unverified (allowed on dev only)`);
    }
    if ((cl.provider === "eks" || cl.provider === "gke" || cl.provider === "aks") && cl.region) {
        const defaults = defaultInstanceTypes[cl.provider];
        const instanceType = cl.gpuPool.instanceType ?? defaults.gpu;
        const gpuType = cl.gpuPool.gpuType ?? defaults.gpuType;
        const typeKey = key("gpuPool.instanceType") + (cl.gpuPool.instanceType ? "" : " (default)");
        const offering = gpuOffering(cl.provider, cl.region, instanceType);
        if (offering.kind === "unknown-region") {
            notes.push(`note: ${key("gpuPool.instanceType")}: no GPU offering table for ${cl.provider} region ${cl.region} (lib/gpuInstances.ts): ${instanceType} was not checked`);
        } else if (offering.kind === "not-offered") {
            issues.push(`${typeKey}: ${instanceType} is not ${offering.type ? "offered" : "a GPU machine type offered"} in ${cl.region} (got ${got(instanceType)}): use one of ${offering.offered.join(", ")}, or add it to lib/gpuInstances.ts after checking the region's offerings`);
        }
        const type = offering.type;
        if (type && type.model !== gpuType && gpuType in GPU_MODELS) { // an unknown model is reported once, by gpuIssues
            issues.push(`${key("gpuPool.gpuType")} does not match ${instanceType}, which carries ${type.model} (got ${got(gpuType)}): set gpuType: ${type.model}`);
        }
        if (type && type.gpus !== cl.gpuPool.gpuCount) {
            issues.push(`${key("gpuPool.gpuCount")} does not match ${instanceType}, which has ${type.gpus} GPU${type.gpus === 1 ? "" : "s"} (got ${cl.gpuPool.gpuCount}): set gpuCount: ${type.gpus}`);
        }
    }
    return { issues, notes };
}

type Pools = {
    version: string;
    systemPool: ClusterConfig["systemPool"] & { instanceType: string };
    gpuPool: ClusterConfig["gpuPool"] & { instanceType: string; gpuType: string };
};
/** The resolved network of a managed cloud. */
export interface ResolvedNetwork { vpcCidr: string; podCidr: string; serviceCidr: string; zones: string[]; natPerZone: boolean }
type Cloud<T> = Omit<T, "network" | "region" | "systemPool" | "gpuPool" | "version"> & Pools & { region: string; network: ResolvedNetwork };
type Eks = Extract<ClusterConfig, { provider: "eks" }>;
type Gke = Extract<ClusterConfig, { provider: "gke" }>;
type Aks = Extract<ClusterConfig, { provider: "aks" }>;
type OnPrem = Extract<ClusterConfig, { provider: "onprem" }>;
type K3s = Extract<ClusterConfig, { provider: "k3s" }>;

/** The section with every default applied (only after `clusterIssues` returned nothing). */
export type ResolvedCluster =
    | (Cloud<Omit<Eks, "deployerRoleArn">> & { deployerRoleArn: string })
    | (Cloud<Omit<Gke, "project" | "projectNumber">> & { project: string; projectNumber: string })
    | (Cloud<Omit<Aks, "tenantId" | "subscriptionId" | "deployerObjectId">> & { tenantId: string; subscriptionId: string; deployerObjectId: string })
    | (Omit<OnPrem, "systemPool" | "gpuPool" | "version"> & Pools)
    | (Omit<K3s, "hosts" | "systemPool" | "gpuPool" | "version"> & Pools & { hosts: NonNullable<K3s["hosts"]> });

/** Apply the defaults. `environment` decides natPerZone (prod: one NAT per zone). */
export function resolveCluster(cl: ClusterConfig, environment: ClusterContext["environment"]): ResolvedCluster {
    const types = cl.provider === "eks" || cl.provider === "gke" || cl.provider === "aks" ? defaultInstanceTypes[cl.provider] : undefined;
    const pools: Pools = {
        version: cl.version,
        systemPool: { ...cl.systemPool, instanceType: cl.systemPool.instanceType ?? types?.system ?? "" },
        gpuPool: { ...cl.gpuPool, instanceType: cl.gpuPool.instanceType ?? types?.gpu ?? "", gpuType: cl.gpuPool.gpuType ?? types?.gpuType ?? "nvidia" },
    };
    const net = (n: Eks["network"]): ResolvedNetwork => ({
        ...n, podCidr: n.podCidr ?? DEFAULT_POD_CIDR, zones: n.zones ?? [], natPerZone: n.natPerZone ?? environment === "prod",
    });
    switch (cl.provider) {
        case "eks": return { ...cl, ...pools, region: cl.region!, network: net(cl.network), deployerRoleArn: cl.deployerRoleArn! };
        case "gke": return { ...cl, ...pools, region: cl.region!, network: net(cl.network), project: cl.project!, projectNumber: cl.projectNumber! };
        case "aks": return { ...cl, ...pools, region: cl.region!, network: net(cl.network), tenantId: cl.tenantId!, subscriptionId: cl.subscriptionId!, deployerObjectId: cl.deployerObjectId! };
        case "onprem": return { ...cl, ...pools };
        case "k3s": return { ...cl, ...pools, hosts: cl.hosts ?? [] };
    }
}
