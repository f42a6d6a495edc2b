import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import {
    AksCluster, AksClusterArgs, aksDnsPrefix, apiServerAccessProfile, AZURE_ROLES, BLOB_RETENTION_DAYS, blobUriPrefix,
    decodeKubeconfig, dnsServiceIp, GPU_POOL_TAINT, KMS_KEY_NAME, keyVaultName, MODELS_CONTAINER, nodeSubnetCidr,
    oidcIssuerUrl, roleDefinitionId, userCredentialsRequest, serviceAccountSubject, storageAccountName, subscriptionIdOf,
    validateAksArgs, WORKLOAD_IDENTITY_AUDIENCE,
} from "../../components/clusters/aks";
import { GPU_NODE_LABEL, GPU_TAINT, MODEL_READER } from "../../components/clusters/types";
import { runProgram } from "../../tools/plan/recorder";
import { Recorded, RecordedResource, runMocked, SecretValue, settle } from "../helpers/run";

const TENANT = "11111111-1111-1111-1111-111111111111";
const ADMIN_GROUP = "22222222-2222-2222-2222-222222222222";

const args: AksClusterArgs = {
    region: "westeurope",
    version: "1.34",
    tenantId: TENANT,
    adminGroupObjectIds: [ADMIN_GROUP],
    network: { vpcCidr: "10.40.0.0/16", podCidr: "100.64.0.0/14", serviceCidr: "172.20.0.0/16", zones: ["1", "2", "3"], natPerZone: true },
    systemPool: { instanceType: "Standard_D4s_v5", minSize: 2, maxSize: 4 },
    gpuPool: {
        instanceType: "Standard_NC4as_T4_v3", gpuType: "nvidia-tesla-t4", gpuCount: 1, minSize: 0, maxSize: 3,
        diskSizeGb: 256, sharing: { mode: "none" },
    },
    tags: { environment: "prod", "managed-by": "pulumi" },
};

const AKS = "azure-native:containerservice:ManagedCluster";
const AGENT_POOL = "azure-native:containerservice:AgentPool";
const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";
const IDENTITY = "azure-native:managedidentity:UserAssignedIdentity";
/** Pulumi's mock runtime gives every resource the ID `<name>-id`. */
const mockId = (name: string) => `${name}-id`;

function build(overrides: Partial<AksClusterArgs> = {}): Promise<Recorded<AksCluster>> {
    return runMocked(() => new AksCluster("prod", { ...args, ...overrides }));
}

describe("AksCluster", () => {
    let rec: Recorded<AksCluster>;
    let cluster: RecordedResource;
    let clusterInputs: Record<string, any>;
    before(async () => {
        rec = await build();
        cluster = rec.one(AKS);
        clusterInputs = rec.inputs(cluster);
    });

    describe("resources", () => {
        it("registers exactly the expected resources, all children of the component", () => {
            const registered = rec.resources.map((r) => `${r.type} ${r.name}`).sort();
            assert.deepEqual(registered, [
                `${AGENT_POOL} prod-gpu`,
                `${AKS} prod-aks`,
                `${ROLE_ASSIGNMENT} prod-control-plane-kms`,
                `${ROLE_ASSIGNMENT} prod-control-plane-subnet`,
                `${ROLE_ASSIGNMENT} prod-model-reader-blob`,
                "azure-native:keyvault:Key prod-kms-key",
                "azure-native:keyvault:Vault prod-kms",
                "azure-native:managedidentity:FederatedIdentityCredential prod-model-reader-federation",
                `${IDENTITY} prod-control-plane`,
                `${IDENTITY} prod-model-reader`,
                "azure-native:network:Subnet prod-nodes",
                "azure-native:network:VirtualNetwork prod-vnet",
                "azure-native:resources:ResourceGroup prod-rg",
                "azure-native:storage:BlobContainer prod-models-container",
                "azure-native:storage:BlobServiceProperties prod-models-blob",
                "azure-native:storage:StorageAccount prod-models",
                "hybridml:clusters:AksCluster prod",
                "pulumi:providers:azure-native prod-azure",
                "pulumi:providers:kubernetes prod-k8s",
                "pulumi:pulumi:Stack hybridml-test",
            ].sort());
            const component = rec.one("hybridml:clusters:AksCluster");
            for (const r of rec.resources.filter((x) => x !== component && x.type !== "pulumi:pulumi:Stack")) {
                assert.equal(r.parent, component.urn, `${r.name} is not a child of the component`);
            }
        });

        it("targets every azure-native resource at the component's own Azure provider in the region", () => {
            const provider = rec.one("pulumi:providers:azure-native");
            assert.equal(provider.inputs.location, "westeurope");
            const azure = rec.resources.filter((r) => r.type.startsWith("azure-native:"));
            assert.ok(azure.length > 0);
            for (const r of azure) {
                assert.notEqual(r.provider, "", `${r.name} uses a default provider`);
                assert.ok(r.provider.startsWith(`${provider.urn}::`), `${r.name} uses ${r.provider}`);
            }
        });

        it("puts the tags on the resource group, cluster, pools, vault and storage account", () => {
            for (const r of [rec.one("azure-native:resources:ResourceGroup"), cluster, rec.one(AGENT_POOL),
                rec.one("azure-native:keyvault:Vault"), rec.one("azure-native:storage:StorageAccount")]) {
                assert.deepEqual(rec.inputs(r).tags, args.tags, `${r.name} tags`);
            }
            assert.deepEqual(clusterInputs.agentPoolProfiles[0].tags, args.tags);
        });
    });

    describe("networking", () => {
        it("uses Azure CNI overlay with Cilium and the configured CIDRs", () => {
            assert.deepEqual(clusterInputs.networkProfile, {
                networkPlugin: "azure",
                networkPluginMode: "overlay",
                networkDataplane: "cilium",
                networkPolicy: "cilium",
                podCidr: "100.64.0.0/14",
                serviceCidr: "172.20.0.0/16",
                dnsServiceIP: "172.20.0.10",
                outboundType: "loadBalancer",
                loadBalancerSku: "standard",
            });
        });

        it("puts the nodes in the lower half of the VNet, and grants the control plane Network Contributor on it", () => {
            assert.deepEqual(rec.inputs(rec.one("azure-native:network:VirtualNetwork")).addressSpace, { addressPrefixes: ["10.40.0.0/16"] });
            const subnet = rec.one("azure-native:network:Subnet");
            assert.equal(rec.inputs(subnet).addressPrefix, "10.40.0.0/17");
            assert.equal(clusterInputs.agentPoolProfiles[0].vnetSubnetID, mockId("prod-nodes"));
            assert.equal(rec.inputs(rec.one(AGENT_POOL)).vnetSubnetID, mockId("prod-nodes"));
            const grant = rec.inputs(rec.one(ROLE_ASSIGNMENT, "-control-plane-subnet"));
            assert.equal(grant.scope, mockId("prod-nodes"));
            assert.equal(grant.roleDefinitionId, roleDefinitionId(mockId("prod-rg"), AZURE_ROLES.networkContributor));
        });
    });

    describe("identity and access", () => {
        it("authenticates with Entra ID, authorizes with Azure RBAC and has no local accounts", () => {
            assert.deepEqual(clusterInputs.aadProfile, {
                managed: true, enableAzureRBAC: true, tenantID: TENANT, adminGroupObjectIDs: [ADMIN_GROUP],
            });
            assert.equal(clusterInputs.disableLocalAccounts, true);
            assert.equal(clusterInputs.enableRBAC, true);
        });

        it("defaults the admin groups to none", async () => {
            const { adminGroupObjectIds: _omit, ...noGroups } = args;
            const r = await runMocked(() => new AksCluster("prod", noGroups));
            assert.deepEqual(r.inputs(r.one(AKS)).aadProfile.adminGroupObjectIDs, []);
        });

        it("enables the OIDC issuer and workload identity", () => {
            assert.deepEqual(clusterInputs.oidcIssuerProfile, { enabled: true });
            assert.deepEqual(clusterInputs.securityProfile.workloadIdentity, { enabled: true });
        });

        it("runs the control plane as its user-assigned identity", () => {
            assert.deepEqual(clusterInputs.identity, { type: "UserAssigned", userAssignedIdentities: [mockId("prod-control-plane")] });
        });
    });

    describe("secrets encryption (KMS)", () => {
        it("encrypts etcd with the created Key Vault key, over the vault's public endpoint", () => {
            const key = rec.one("azure-native:keyvault:Key");
            assert.deepEqual(clusterInputs.securityProfile.azureKeyVaultKms, {
                enabled: true,
                // The fake keyUriWithVersion of the Key resource (tools/plan/fakes.ts), named after its keyName.
                keyId: `https://vault.vault.azure.net/keys/${KMS_KEY_NAME}/0123456789abcdef0123456789abcdef`,
                keyVaultNetworkAccess: "Public",
            });
            assert.ok(cluster.dependencies.includes(key.urn), "the cluster must depend on the key");
            assert.deepEqual(rec.inputs(key).properties, { kty: "RSA", keySize: 2048 });
            assert.equal(rec.inputs(key).keyName, KMS_KEY_NAME);
        });

        it("keeps the key in an RBAC vault with soft delete and purge protection", () => {
            const vault = rec.inputs(rec.one("azure-native:keyvault:Vault"));
            assert.equal(vault.vaultName, keyVaultName("prod"));
            assert.equal(vault.properties.tenantId, TENANT);
            assert.equal(vault.properties.enableRbacAuthorization, true);
            assert.equal(vault.properties.enablePurgeProtection, true);
            assert.equal(vault.properties.enableSoftDelete, true);
            assert.equal(vault.properties.accessPolicies, undefined);
        });

        it("grants the control-plane identity Key Vault Crypto User on the vault before the cluster is created", () => {
            const grant = rec.one(ROLE_ASSIGNMENT, "-control-plane-kms");
            const inputs = rec.inputs(grant);
            assert.equal(inputs.roleDefinitionId, roleDefinitionId(mockId("prod-rg"), AZURE_ROLES.keyVaultCryptoUser));
            assert.match(inputs.roleDefinitionId, /\/roleDefinitions\/12338af0-0e69-4776-bea7-57ae8d297424$/);
            assert.equal(inputs.scope, mockId("prod-kms"));
            assert.equal(inputs.principalType, "ServicePrincipal");
            assert.ok(grant.dependencies.includes(rec.one(IDENTITY, "-control-plane").urn));
            assert.ok(cluster.dependencies.includes(grant.urn), "the cluster must wait for the role assignment");
        });
    });

    describe("API server access", () => {
        it("is a private cluster by default, with no public ranges", () => {
            assert.deepEqual(clusterInputs.apiServerAccessProfile, { enablePrivateCluster: true, privateDNSZone: "system" });
        });

        it("is public only to the authorized ranges when publicEndpoint is set", async () => {
            const r = await build({ publicEndpoint: true, authorizedCidrs: ["203.0.113.0/24", "198.51.100.7/32"] });
            assert.deepEqual(r.inputs(r.one(AKS)).apiServerAccessProfile, {
                enablePrivateCluster: false, authorizedIPRanges: ["203.0.113.0/24", "198.51.100.7/32"],
            });
        });

        it("throws on 0.0.0.0/0 and registers nothing", async () => {
            const result = await runProgram(
                () => new AksCluster("prod", { ...args, publicEndpoint: true, authorizedCidrs: ["10.0.0.0/8", "0.0.0.0/0"] }),
                { project: "hybridml", stack: "test", preview: false },
            );
            assert.ok(result.error, "expected an error");
            assert.match(result.error.message, /hybridml:cluster\.authorizedCidrs must not contain 0\.0\.0\.0\/0/);
            assert.deepEqual(result.resources.map((r) => r.type), ["pulumi:pulumi:Stack"]);
        });

        it("throws on a public endpoint without authorized ranges", async () => {
            await assert.rejects(build({ publicEndpoint: true, authorizedCidrs: [] }), /at least one CIDR/);
        });
    });

    describe("upgrades and pools", () => {
        it("pins the Kubernetes version and auto-applies patches and node OS security patches", () => {
            assert.equal(clusterInputs.kubernetesVersion, "1.34");
            assert.equal(clusterInputs.dnsPrefix, "prod");
            assert.deepEqual(clusterInputs.autoUpgradeProfile, { upgradeChannel: "patch", nodeOSUpgradeChannel: "SecurityPatch" });
        });

        it("has one autoscaled, untainted System pool across the zones (platform workloads run there)", () => {
            assert.equal(clusterInputs.agentPoolProfiles.length, 1);
            const system = clusterInputs.agentPoolProfiles[0];
            assert.equal(system.mode, "System");
            assert.equal(system.vmSize, "Standard_D4s_v5");
            assert.equal(system.nodeTaints, undefined);
            assert.equal(system.enableAutoScaling, true);
            assert.equal(system.minCount, 2);
            assert.equal(system.maxCount, 4);
            assert.deepEqual(system.availabilityZones, ["1", "2", "3"]);
        });

        it("has a tainted, labelled GPU pool that autoscales from zero, without AKS's GPU driver", async () => {
            const gpu = rec.inputs(rec.one(AGENT_POOL));
            assert.equal(gpu.mode, "User");
            assert.equal(gpu.agentPoolName, "gpu");
            assert.equal(gpu.vmSize, "Standard_NC4as_T4_v3");
            assert.equal(gpu.enableAutoScaling, true);
            assert.equal(gpu.minCount, 0);
            assert.equal(gpu.count, 0);
            assert.equal(gpu.maxCount, 3);
            assert.equal(gpu.osDiskSizeGB, 256);
            assert.deepEqual(gpu.nodeTaints, ["nvidia.com/gpu=true:NoSchedule"]);
            assert.equal(GPU_POOL_TAINT, `${GPU_TAINT.key}=${GPU_TAINT.value}:${GPU_TAINT.effect}`);
            assert.deepEqual(gpu.nodeLabels, { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value });
            assert.deepEqual(gpu.gpuProfile, { driver: "None" });
            // The driver is left to the GPU operator, and the facts say so.
            assert.equal(rec.value.gpu.driver, "operator");
            assert.equal(rec.value.gpu.toolkit, "operator");
            assert.equal(rec.value.gpu.minNodes, 0);
            assert.equal(rec.value.gpu.maxNodes, 3);
        });
    });

    describe("protection", () => {
        it("protects the cluster, the KMS vault and key, and the model storage; retains the storage on delete", () => {
            const protectedNames = rec.resources.filter((r) => r.protect).map((r) => r.name).sort();
            assert.deepEqual(protectedNames, ["prod-aks", "prod-kms", "prod-kms-key", "prod-models", "prod-models-container"]);
            const retained = rec.resources.filter((r) => r.retainOnDelete).map((r) => r.name).sort();
            assert.deepEqual(retained, ["prod-models", "prod-models-container"]);
        });

        it("protects nothing when protect is false, but still retains the storage", async () => {
            const r = await build({ protect: false });
            assert.deepEqual(r.resources.filter((x) => x.protect).map((x) => x.name), []);
            assert.deepEqual(r.resources.filter((x) => x.retainOnDelete).map((x) => x.name).sort(), ["prod-models", "prod-models-container"]);
        });
    });

    describe("model storage", () => {
        it("creates a private, HTTPS-only, key-less ZRS StorageV2 account named from the component", () => {
            const account = rec.inputs(rec.one("azure-native:storage:StorageAccount"));
            assert.equal(account.accountName, storageAccountName("prod"));
            assert.equal(account.kind, "StorageV2");
            assert.deepEqual(account.sku, { name: "Standard_ZRS" });
            assert.equal(account.allowBlobPublicAccess, false);
            assert.equal(account.allowSharedKeyAccess, false);
            assert.equal(account.minimumTlsVersion, "TLS1_2");
            assert.equal(account.enableHttpsTrafficOnly, true);
            assert.equal(account.encryption.services.blob.enabled, true);
        });

        it("versions blobs and keeps deleted blobs and containers restorable", () => {
            const blob = rec.inputs(rec.one("azure-native:storage:BlobServiceProperties"));
            assert.equal(blob.isVersioningEnabled, true);
            assert.deepEqual(blob.deleteRetentionPolicy, { enabled: true, days: BLOB_RETENTION_DAYS });
            assert.deepEqual(blob.containerDeleteRetentionPolicy, { enabled: true, days: BLOB_RETENTION_DAYS });
            assert.equal(blob.blobServicesName, "default");
        });

        it("creates the models container with no public access", () => {
            const container = rec.inputs(rec.one("azure-native:storage:BlobContainer"));
            assert.equal(container.containerName, MODELS_CONTAINER);
            assert.equal(container.publicAccess, "None");
        });

        it("federates the model-reader identity with the reader service account through the cluster's OIDC issuer", () => {
            const fic = rec.one("azure-native:managedidentity:FederatedIdentityCredential");
            const inputs = rec.inputs(fic);
            assert.equal(inputs.subject, `system:serviceaccount:${MODEL_READER.namespace}:${MODEL_READER.serviceAccountName}`);
            // The fake issuer of the ManagedCluster named prod-aks (tools/plan/fakes.ts).
            assert.equal(inputs.issuer, "https://westeurope.oic.prod-aks.azure.com/tenant/prod-aks/");
            assert.deepEqual(inputs.audiences, [WORKLOAD_IDENTITY_AUDIENCE]);
        });

        it("binds the configured reader service account", async () => {
            const r = await build({ modelReader: { namespace: "serving", serviceAccountName: "kserve-reader" } });
            const inputs = r.inputs(r.one("azure-native:managedidentity:FederatedIdentityCredential"));
            assert.equal(inputs.subject, "system:serviceaccount:serving:kserve-reader");
            assert.equal(r.value.objectStore.readIdentity.namespace, "serving");
            assert.equal(r.value.objectStore.readIdentity.serviceAccountName, "kserve-reader");
        });

        it("grants the model reader Storage Blob Data Reader on the container only", () => {
            const grant = rec.one(ROLE_ASSIGNMENT, "-model-reader-blob");
            const inputs = rec.inputs(grant);
            assert.equal(inputs.roleDefinitionId,
                "/subscriptions/prod-rg-id/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1");
            assert.equal(inputs.scope, mockId("prod-models-container"));
            assert.equal(inputs.principalType, "ServicePrincipal");
            assert.equal(inputs.principalId, "00000000-0000-0000-0000-0000000000a1");
            assert.ok(grant.dependencies.includes(rec.one(IDENTITY, "-model-reader").urn));
        });

        it("describes the store as the Cluster shape expects", async () => {
            const store = rec.value.objectStore;
            assert.equal(store.kind, "azureblob");
            assert.equal(store.region, "westeurope");
            assert.equal((await settle(store.bucket)).value, "models");
            assert.equal((await settle(store.uriPrefix)).value, `https://${storageAccountName("prod")}.blob.core.windows.net/models`);
            assert.deepEqual((await settle(store.readIdentity.serviceAccountAnnotations)).value, {
                "azure.workload.identity/client-id": "00000000-0000-0000-0000-00000000c11e",
            });
            assert.deepEqual(store.readIdentity.podLabels, { "azure.workload.identity/use": "true" });
        });
    });

    describe("kubeconfig and Kubernetes provider", () => {
        it("yields a secret kubeconfig with kubelogin exec auth and no static credentials", async () => {
            const kc = await settle(rec.value.kubeconfig);
            assert.equal(kc.secret, true);
            assert.match(kc.value ?? "", /exec:/);
            assert.match(kc.value ?? "", /command: kubelogin/);
            assert.doesNotMatch(kc.value ?? "", /token:|client-key-data|password:/);
            assert.equal(rec.value.platform, "aks");
        });

        it("registers one Kubernetes provider with the secret kubeconfig, after the GPU pool", () => {
            const provider = rec.one("pulumi:providers:kubernetes");
            assert.equal(provider.name, "prod-k8s");
            assert.ok(provider.inputs.kubeconfig instanceof SecretValue, "kubeconfig input must be recorded as a secret");
            assert.match(String((provider.inputs.kubeconfig as SecretValue).value), /kubelogin/);
            assert.ok(provider.dependencies.includes(rec.one(AGENT_POOL).urn));
        });

        it("every kubernetes:* resource uses the cluster's provider", async () => {
            const r = await runMocked(() => {
                const c = new AksCluster("prod", args);
                new k8s.core.v1.Namespace("models", { metadata: { name: "models" } }, { provider: c.provider });
                return c;
            });
            const provider = r.one("pulumi:providers:kubernetes");
            const k8sResources = r.resources.filter((x) => x.type.startsWith("kubernetes:"));
            assert.equal(k8sResources.length, 1);
            for (const x of k8sResources) {
                assert.ok(x.provider.startsWith(`${provider.urn}::`), `${x.name} uses ${x.provider}`);
            }
        });
    });
});

describe("AksCluster dependency graph (preview)", () => {
    // In a preview, outputs not known yet (names, IDs) still carry their resource dependencies;
    // under the mocks' fake update, azure-native `name` outputs are undefined and would drop them.
    let rec: Recorded<AksCluster>;
    const deps = (name: string): string[] => {
        const r = rec.resources.find((x) => x.name === name);
        assert.ok(r, `no resource ${name}`);
        return r.dependencies.map((urn) => rec.byUrn(urn)?.name ?? urn).sort();
    };
    before(async () => {
        rec = await runMocked(() => new AksCluster("prod", args), { preview: true });
    });

    it("creates the cluster after its identity's grants, its subnet and its KMS key", () => {
        assert.deepEqual(deps("prod-aks"), [
            "prod-control-plane", "prod-control-plane-kms", "prod-control-plane-subnet", "prod-kms-key", "prod-nodes", "prod-rg",
        ]);
        assert.deepEqual(deps("prod-kms-key"), ["prod-kms", "prod-rg"]);
        assert.deepEqual(deps("prod-control-plane-kms"), ["prod-control-plane", "prod-kms", "prod-rg"]);
    });

    it("puts the GPU pool in the cluster and the node subnet; the Kubernetes provider waits for it", () => {
        assert.deepEqual(deps("prod-gpu"), ["prod-aks", "prod-nodes", "prod-rg"]);
        assert.deepEqual(deps("prod-k8s"), ["prod-aks", "prod-gpu"]);
    });

    it("federates the model reader through the cluster, and grants it on the container", () => {
        assert.deepEqual(deps("prod-model-reader-federation"), ["prod-aks", "prod-model-reader", "prod-rg"]);
        assert.deepEqual(deps("prod-model-reader-blob"), ["prod-model-reader", "prod-models-container", "prod-rg"]);
        assert.deepEqual(deps("prod-models-container"), ["prod-models", "prod-rg"]);
        assert.deepEqual(deps("prod-models-blob"), ["prod-models", "prod-rg"]);
    });

    it("keeps the kubeconfig and issuer unknown rather than failing", async () => {
        assert.equal((await settle(rec.value.kubeconfig)).known, false);
        const fic = rec.inputs(rec.one("azure-native:managedidentity:FederatedIdentityCredential"));
        assert.equal(fic.issuer, "[unknown]");
    });
});

describe("AksCluster pure functions", () => {
    it("validateAksArgs requires the tenant", () => {
        assert.throws(() => validateAksArgs({ ...args, tenantId: "" }), /hybridml:cluster\.tenantId is required/);
        assert.doesNotThrow(() => validateAksArgs(args));
    });

    it("apiServerAccessProfile: private by default, ranges only when public, never open to all", () => {
        assert.deepEqual(apiServerAccessProfile(false, []), { enablePrivateCluster: true, privateDNSZone: "system" });
        assert.deepEqual(apiServerAccessProfile(true, ["203.0.113.0/24"]), { enablePrivateCluster: false, authorizedIPRanges: ["203.0.113.0/24"] });
        assert.throws(() => apiServerAccessProfile(true, ["0.0.0.0/0"]), /authorizedCidrs must not contain 0\.0\.0\.0\/0/);
        assert.throws(() => apiServerAccessProfile(false, ["0.0.0.0/0"]), /whole internet/);
        assert.throws(() => apiServerAccessProfile(true, []), /at least one CIDR/);
    });

    it("storageAccountName: 3-24 lower-case alphanumerics, stable, distinct per name", () => {
        const names = ["prod", "Prod-West_Europe.1", "a", "-", "", "a".repeat(100), "serving-westeurope-production-2"];
        for (const n of names) assert.match(storageAccountName(n), /^[a-z0-9]{3,24}$/, `for "${n}"`);
        assert.equal(storageAccountName("prod"), storageAccountName("prod"));
        assert.match(storageAccountName("prod"), /^stprod[0-9a-f]{6}$/);
        assert.notEqual(storageAccountName("a-b"), storageAccountName("ab"));
        assert.notEqual(storageAccountName("x".repeat(30) + "1"), storageAccountName("x".repeat(30) + "2"));
    });

    it("keyVaultName: 3-24 characters, letter first, alphanumeric last, no double hyphens", () => {
        for (const n of ["prod", "Prod--West__Europe", "-", "", "9lives", "a".repeat(100), "serving-westeurope-production"]) {
            const v = keyVaultName(n);
            assert.match(v, /^[a-z][a-z0-9-]{1,22}[a-z0-9]$/, `for "${n}": ${v}`);
            assert.doesNotMatch(v, /--/, `for "${n}": ${v}`);
        }
        assert.match(keyVaultName("prod"), /^kv-prod-[0-9a-f]{6}$/);
    });

    it("aksDnsPrefix: 1-54 alphanumerics and hyphens, alphanumeric at both ends", () => {
        assert.equal(aksDnsPrefix("prod"), "prod");
        assert.equal(aksDnsPrefix("Prod_West.1"), "prod-west-1");
        for (const n of ["", "--", "a".repeat(80), `${"b".repeat(46)}-${"c".repeat(20)}`]) {
            assert.match(aksDnsPrefix(n), /^[a-z0-9]([a-z0-9-]{0,52}[a-z0-9])?$/, `for "${n}"`);
        }
    });

    it("nodeSubnetCidr takes the lower half of the VNet", () => {
        assert.equal(nodeSubnetCidr("10.40.0.0/16"), "10.40.0.0/17");
        assert.equal(nodeSubnetCidr("10.1.2.0/24"), "10.1.2.0/25");
        assert.equal(nodeSubnetCidr("10.40.7.9/16"), "10.40.0.0/17");
        assert.throws(() => nodeSubnetCidr("10.0.0.0/29"), /vpcCidr is too small/);
        assert.throws(() => nodeSubnetCidr("10.0.0/16"), /hybridml:cluster\.network\.vpcCidr must be an IPv4 CIDR/);
    });

    it("dnsServiceIp is the 10th address of the service CIDR", () => {
        assert.equal(dnsServiceIp("172.20.0.0/16"), "172.20.0.10");
        assert.equal(dnsServiceIp("10.0.255.0/24"), "10.0.255.10");
        assert.throws(() => dnsServiceIp("10.0.0.0/30"), /serviceCidr is too small/);
        assert.throws(() => dnsServiceIp("300.0.0.0/16"), /serviceCidr must be an IPv4 CIDR/);
    });

    it("roleDefinitionId builds the subscription-scoped built-in role ID from any resource ID", () => {
        const rg = "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/resourceGroups/prod-rg";
        assert.equal(subscriptionIdOf(rg), "0b1f6471-1bf0-4dda-aec3-111122223333");
        assert.equal(subscriptionIdOf(`${rg}/providers/Microsoft.Storage/storageAccounts/x`), "0b1f6471-1bf0-4dda-aec3-111122223333");
        assert.equal(roleDefinitionId(rg, AZURE_ROLES.storageBlobDataReader),
            "/subscriptions/0b1f6471-1bf0-4dda-aec3-111122223333/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1");
    });

    it("userCredentialsRequest asks for the exec (kubelogin) kubeconfig of the cluster", () => {
        assert.deepEqual(userCredentialsRequest("prod-rg", "prod-aks"), { resourceGroupName: "prod-rg", resourceName: "prod-aks", format: "exec" });
    });

    it("decodeKubeconfig prefers clusterUser and decodes base64", () => {
        const b64 = (s: string) => Buffer.from(s).toString("base64");
        assert.equal(decodeKubeconfig([{ name: "other", value: b64("x") }, { name: "clusterUser", value: b64("apiVersion: v1") }]), "apiVersion: v1");
        assert.equal(decodeKubeconfig([{ name: "other", value: b64("only") }]), "only");
        assert.throws(() => decodeKubeconfig([]), /no user kubeconfig/);
    });

    it("oidcIssuerUrl: the issuer; unknown in a preview without one; an error after deployment without one", async () => {
        assert.deepEqual(await settle(oidcIssuerUrl({ issuerURL: "https://issuer/" }, false)), { value: "https://issuer/", known: true, secret: false });
        assert.equal((await settle(oidcIssuerUrl({}, true))).known, false);
        assert.equal((await settle(oidcIssuerUrl(undefined, true))).known, false);
        assert.throws(() => oidcIssuerUrl(undefined, false), /no OIDC issuer URL/);
        assert.throws(() => oidcIssuerUrl({ issuerURL: "" }, false), /no OIDC issuer URL/);
    });

    it("serviceAccountSubject and blobUriPrefix", () => {
        assert.equal(serviceAccountSubject("models", "model-reader"), "system:serviceaccount:models:model-reader");
        assert.equal(blobUriPrefix("stprod", "models"), "https://stprod.blob.core.windows.net/models");
    });
});
