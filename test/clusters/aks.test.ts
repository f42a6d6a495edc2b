import assert from "node:assert/strict";
import { Provider as AzureProvider } from "@pulumi/azure-native/provider";
import {
    aksKubeconfig, AksCluster, AksClusterArgs, apiServerAccessProfile, defaultKeyVaultName, defaultStorageAccountName, dnsServiceIp,
    GPU_POOL_TAINT, keyVaultName, nodeSubnetCidr, parseVnetId, planAks, privateDnsZoneName,
} from "../../components/clusters/aks";
import { versions } from "../../lib/versions";
import { runProgram } from "../../tools/plan/recorder";
import { Recorded, RecordedResource, runMocked, settle } from "../helpers/run";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const SUB = "3f2b6c1e-8d4a-4b7f-9e21-6a5c0d9e7f13";
const DEPLOYER = "0b6f2d1e-3c4a-4f5b-8e7d-9a1b2c3d4e5f";
const RUNNER_VNET = "/subscriptions/0000/resourceGroups/ci-runners/providers/Microsoft.Network/virtualNetworks/runners";

function aksArgs(overrides: Partial<AksClusterArgs> = {}): AksClusterArgs {
    return {
        region: "westeurope",
        version: versions.kubernetes,
        tenantId: TENANT,
        subscriptionId: SUB,
        deployerObjectId: DEPLOYER,
        authorizedCidrs: ["203.0.113.0/24"],
        network: { vpcCidr: "10.43.0.0/16", podCidr: "192.168.0.0/16", serviceCidr: "10.0.0.0/16", zones: ["1", "2", "3"], natPerZone: false },
        systemPool: { instanceType: "Standard_D4s_v5", minSize: 2, maxSize: 4 },
        gpuPool: { instanceType: "Standard_NC4as_T4_v3", gpuType: "nvidia-tesla-t4", gpuCount: 1, minSize: 0, maxSize: 4, diskSizeGb: 200, sharing: { mode: "none" } },
        ...overrides,
    };
}

describe("clusters/aks: pure functions", () => {
    it("unique names: storage account and vault differ per subscription, fit the limits for long stack names", () => {
        const long = "a-very-long-stack-name-for-the-production-serving-cluster";
        for (const name of ["prod-azure", long]) {
            const a = defaultStorageAccountName(name, SUB);
            const b = defaultStorageAccountName(name, "11111111-2222-3333-4444-555555555555");
            assert.match(a, /^st[a-z0-9]{1,22}$/);
            assert.notEqual(a, b);
            const kv = defaultKeyVaultName(name, SUB);
            assert.equal(keyVaultName(kv), kv);
            assert.notEqual(kv, defaultKeyVaultName(name, "11111111-2222-3333-4444-555555555555"));
        }
        assert.throws(() => keyVaultName("kv--x"), /not a valid Key Vault name/);
        assert.equal(planAks("p", aksArgs({ storageAccountName: "acmemodels", keyVaultName: "acme-kms" })).accountName, "acmemodels");
        assert.throws(() => planAks("p", aksArgs({ storageAccountName: "Acme-Models" })), /AksCluster args\.storageAccountName: "Acme-Models" is not a valid storage account name/);
    });

    it("API access: public needs ranges; private uses our DNS zone and needs the runner's VNet", () => {
        assert.deepEqual(apiServerAccessProfile("a", "public", ["203.0.113.0/24"]), { enablePrivateCluster: false, authorizedIPRanges: ["203.0.113.0/24"] });
        assert.deepEqual(apiServerAccessProfile("a", "private", [], "zone-id"), { enablePrivateCluster: true, enablePrivateClusterPublicFQDN: false, privateDNSZone: "zone-id" });
        assert.throws(() => apiServerAccessProfile("a", "public", []), /AksCluster a: args\.authorizedCidrs must list at least one CIDR when args\.apiAccess is public/);
        assert.throws(() => planAks("a", aksArgs({ apiAccess: "private" })), /AksCluster a: args\.runnerVnetId is required when args\.apiAccess is private/);
        assert.deepEqual(parseVnetId(RUNNER_VNET), { resourceGroupName: "ci-runners", vnetName: "runners" });
        assert.equal(privateDnsZoneName("West Europe"), "privatelink.westeurope.azmk8s.io");
        assert.throws(() => planAks("a", aksArgs({ subscriptionId: "" })), /AksCluster a: args\.subscriptionId must be the subscription GUID/);
    });

    it("network helpers and taint form", () => {
        assert.equal(nodeSubnetCidr("10.43.0.0/16"), "10.43.0.0/17");
        assert.equal(dnsServiceIp("10.0.0.0/16"), "10.0.0.10");
        assert.throws(() => nodeSubnetCidr("10.43.0.0/28"), /AksCluster args\.network\.vpcCidr: 10\.43\.0\.0\/28 is too small/);
        assert.equal(GPU_POOL_TAINT, "nvidia.com/gpu=true:NoSchedule");
    });

    it("the kubeconfig uses kubelogin's non-interactive login for the cluster's tenant, not device code", () => {
        const raw = ["apiVersion: v1", "clusters:", "- cluster: {server: \"https://x.hcp.westeurope.azmk8s.io:443\", certificate-authority-data: Q0E=}", "  name: x",
            "users:", "- name: u", "  user: {exec: {command: kubelogin, args: [get-token, --login, devicecode]}}"].join("\n");
        const doc = JSON.parse(aksKubeconfig([{ name: "clusterUser", value: Buffer.from(raw).toString("base64") }], "azurecli", TENANT));
        assert.deepEqual(doc.clusters[0].cluster, { server: "https://x.hcp.westeurope.azmk8s.io:443", "certificate-authority-data": "Q0E=" });
        assert.deepEqual(doc.users[0].user.exec.args, ["get-token", "--login", "azurecli", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630", "--tenant-id", TENANT]);
        const wi = JSON.parse(aksKubeconfig([{ name: "clusterUser", value: Buffer.from(raw).toString("base64") }], "workloadidentity", TENANT));
        assert.deepEqual(wi.users[0].user.exec.args.slice(0, 3), ["get-token", "--login", "workloadidentity"]);
        assert.ok(!JSON.stringify(wi).includes("client-id"), "the client ID comes from the job's AZURE_CLIENT_ID, so preview and deploy identities share one kubeconfig");
        assert.equal(doc.users[0].user.exec.interactiveMode, "Never");
    });
});

describe("clusters/aks: AksCluster", () => {
    let run: Recorded<AksCluster>;
    let component: RecordedResource;
    before(async () => {
        run = await runMocked(() => new AksCluster("prod", aksArgs({ production: true })));
        component = run.one("hybridml:clusters:AksCluster");
    });
    const inputs = (type: string, nameSuffix?: string) => run.inputs(run.one(type, nameSuffix));

    it("the model store has its own resource group, protected and retained with the account and container", () => {
        const store = run.one("hybridml:storage:BlobModelStore");
        assert.equal(store.parent, component.urn);
        const groups = run.ofType("azure-native:resources:ResourceGroup");
        assert.deepEqual(groups.map((g) => g.name).sort(), ["prod-models-rg", "prod-rg"]);
        const modelsRg = run.one("azure-native:resources:ResourceGroup", "prod-models-rg");
        assert.deepEqual([modelsRg.protect, modelsRg.retainOnDelete], [true, true]);
        assert.equal(run.inputs(modelsRg).resourceGroupName, "prod-models");
        for (const type of ["azure-native:storage:StorageAccount", "azure-native:storage:BlobContainer"]) {
            const r = run.one(type);
            assert.deepEqual([r.protect, r.retainOnDelete], [true, true], type);
            assert.equal(run.inputs(r).resourceGroupName, "prod-models", `${type} lives in the store's group`);
        }
        assert.equal(inputs("azure-native:storage:StorageAccount").accountName, defaultStorageAccountName("prod", SUB));
        assert.equal(inputs("azure-native:keyvault:Vault").vaultName, defaultKeyVaultName("prod", SUB));
    });

    it("production: Standard tier and weekly maintenance windows for upgrades and node OS patches", () => {
        assert.deepEqual(inputs("azure-native:containerservice:ManagedCluster").sku, { name: "Base", tier: "Standard" });
        const windows = run.ofType("azure-native:containerservice:MaintenanceConfiguration").map((r) => run.inputs(r));
        assert.deepEqual(windows.map((w) => w.configName).sort(), ["aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"]);
        for (const w of windows) assert.deepEqual(w.maintenanceWindow, { schedule: { weekly: { dayOfWeek: "Sunday", intervalWeeks: 1 } }, startTime: "02:00", durationHours: 4, utcOffset: "+00:00" });
    });

    it("public API limited to the runner ranges; zones from args; pools' counts owned by the autoscaler", () => {
        const c = inputs("azure-native:containerservice:ManagedCluster");
        assert.deepEqual(c.apiServerAccessProfile, { enablePrivateCluster: false, authorizedIPRanges: ["203.0.113.0/24"] });
        assert.deepEqual(c.agentPoolProfiles[0].availabilityZones, ["1", "2", "3"]);
        assert.deepEqual(run.one("azure-native:containerservice:ManagedCluster").ignoreChanges, ["agentPoolProfiles[0].count"]);
        assert.deepEqual(run.one("azure-native:containerservice:AgentPool").ignoreChanges, ["count"]);
    });

    it("the Kubernetes provider depends on the cluster and the GPU pool", () => {
        const deps = run.one("pulumi:providers:kubernetes").dependencies;
        assert.ok(deps.includes(run.one("azure-native:containerservice:AgentPool").urn));
        assert.ok(deps.includes(run.one("azure-native:containerservice:ManagedCluster").urn));
    });

    it("read and write identities: pod labels (not namespace labels) and client-id annotations", async () => {
        const os = run.value.objectStore;
        assert.deepEqual(os.readIdentity.podLabels, { "azure.workload.identity/use": "true" });
        assert.deepEqual(os.writeIdentity.podLabels, { "azure.workload.identity/use": "true" });
        assert.equal(os.writeIdentity.serviceAccountName, "model-sync");
        assert.ok((await settle(os.readIdentity.serviceAccountAnnotations)).value?.["azure.workload.identity/client-id"]);
        const roles = run.ofType("azure-native:authorization:RoleAssignment").filter((r) => r.name.startsWith("prod-models-")).map((r) => String(run.inputs(r).roleDefinitionId).split("/").pop()).sort();
        assert.deepEqual(roles, ["2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", "ba92f5b4-2d11-453d-a403-e96b0029c9fe"]);
        const subjects = run.ofType("azure-native:managedidentity:FederatedIdentityCredential").map((r) => run.inputs(r).subject).sort();
        assert.deepEqual(subjects, ["system:serviceaccount:models:model-reader", "system:serviceaccount:models:model-sync"]);
    });

    it("every Azure child uses the component's Azure provider (scoped to the subscription)", () => {
        const p = run.one("pulumi:providers:azure-native");
        assert.equal(run.inputs(p).subscriptionId, SUB);
        for (const r of run.resources.filter((x) => x.type.startsWith("azure-native:"))) assert.ok(r.provider.startsWith(`${p.urn}::`), `${r.type} ${r.name}`);
    });
});

describe("clusters/aks: private access for a runner VNet", () => {
    it("creates our private DNS zone linked to both VNets, peerings both ways, and grants the zone before the cluster", async () => {
        const rec = await runMocked(() => new AksCluster("prod", aksArgs({ apiAccess: "private", authorizedCidrs: [], runnerVnetId: RUNNER_VNET })));
        const zone = rec.one("azure-native:privatedns:PrivateZone");
        assert.equal(rec.inputs(zone).privateZoneName, "privatelink.westeurope.azmk8s.io");
        const links = rec.ofType("azure-native:privatedns:VirtualNetworkLink").map((r) => r.name).sort();
        assert.deepEqual(links, ["prod-api-dns-cluster", "prod-api-dns-runner"]);
        const fromRunner = rec.inputs(rec.one("azure-native:network:VirtualNetworkPeering", "prod-from-runner"));
        assert.deepEqual([fromRunner.resourceGroupName, fromRunner.virtualNetworkName], ["ci-runners", "runners"]);
        const cluster = rec.one("azure-native:containerservice:ManagedCluster");
        assert.equal(rec.inputs(cluster).apiServerAccessProfile.enablePrivateCluster, true);
        for (const r of [...rec.ofType("azure-native:privatedns:VirtualNetworkLink"), ...rec.ofType("azure-native:network:VirtualNetworkPeering"), rec.one("azure-native:authorization:RoleAssignment", "prod-control-plane-dns")]) {
            assert.ok(cluster.dependencies.includes(r.urn), `cluster waits for ${r.name}`);
        }
    });

    it("private mode grants Network Contributor on the VNet (AKS links the zone to it), public mode on the node subnet", async () => {
        const priv = await runMocked(() => new AksCluster("prod", aksArgs({ apiAccess: "private", authorizedCidrs: [], runnerVnetId: RUNNER_VNET })));
        const vnet = priv.one("azure-native:network:VirtualNetwork");
        const grant = priv.one("azure-native:authorization:RoleAssignment", "prod-control-plane-vnet");
        assert.match(String(priv.inputs(grant).roleDefinitionId), /4d97b98b-1d4f-4787-a291-c67834d212e7$/);
        assert.ok(grant.dependencies.includes(vnet.urn), "scoped to the VNet");
        assert.deepEqual(priv.ofType("azure-native:authorization:RoleAssignment").filter((r) => r.name === "prod-control-plane-subnet"), []);
        const pub = await runMocked(() => new AksCluster("prod", aksArgs()));
        assert.ok(pub.one("azure-native:authorization:RoleAssignment", "prod-control-plane-subnet").dependencies.includes(pub.one("azure-native:network:Subnet").urn));
    });

    it("the deployer gets AKS RBAC Cluster Admin on the cluster before the Kubernetes provider is used; a preview identity only its dry-run rights", async () => {
        const rec = await runMocked(() => new AksCluster("prod", aksArgs({ previewObjectId: "7d2e4f6a-8b1c-4d3e-9f5a-1b2c3d4e5f60" })));
        const admin = rec.one("azure-native:authorization:RoleAssignment", "prod-deployer-admin");
        assert.equal(rec.inputs(admin).roleDefinitionId, `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b`);
        assert.equal(rec.inputs(admin).principalId, DEPLOYER);
        assert.ok(admin.dependencies.includes(rec.one("azure-native:containerservice:ManagedCluster").urn), "scoped to the cluster");
        assert.ok(rec.one("pulumi:providers:kubernetes").dependencies.includes(admin.urn));
        assert.equal(rec.ofType("hybridml:clusters:PreviewAccess").length, 1);
        assert.throws(() => planAks("a", aksArgs({ previewObjectId: DEPLOYER })), /args\.previewObjectId must be an object ID GUID other than the deployer's/);
        const none = await runMocked(() => new AksCluster("prod", aksArgs()));
        assert.equal(none.ofType("hybridml:clusters:PreviewAccess").length, 0);
    });

    it("uses a caller's Azure provider (opts.providers) instead of creating one", async () => {
        const rec = await runMocked(() => new AksCluster("prod", aksArgs(), { providers: { "azure-native": new AzureProvider("caller", { location: "westeurope" }) } }));
        const providers = rec.ofType("pulumi:providers:azure-native");
        assert.deepEqual(providers.map((p) => p.name), ["caller"]);
        for (const r of rec.resources.filter((x) => x.type.startsWith("azure-native:"))) assert.ok(r.provider.startsWith(`${providers[0].urn}::`), `${r.type} ${r.name}`);
    });

    it("bad arguments throw before anything is registered", async () => {
        const result = await runProgram(() => new AksCluster("prod", aksArgs({ authorizedCidrs: [] })), { project: "hybridml", stack: "test", preview: true });
        assert.match(String(result.error?.message), /AksCluster prod: args\.authorizedCidrs must list at least one CIDR/);
        assert.deepEqual(result.resources.map((r) => r.type), ["pulumi:pulumi:Stack"]);
    });
});
