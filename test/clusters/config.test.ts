/**
 * The `cluster` config section (config/cluster.ts): provider-specific keys, required values with
 * their fix, runner access, zones, pinned minors, unique-name overrides. Each error names the key.
 */
import * as assert from "node:assert/strict";
import { clusterIssues, clusterSchema, ClusterConfig, resolveCluster } from "../../config/cluster";
import { ConfigError, resolveConfig } from "../../config/resolve";
import { supportedMinors } from "../../lib/versions";

const secrets = new Set<string>();
const parse = (raw: Record<string, unknown>): ClusterConfig => clusterSchema.parse(raw);
const issues = (raw: Record<string, unknown>, env: "dev" | "prod" = "prod") => clusterIssues(parse(raw), { environment: env, secretsSet: secrets });

const EKS = {
    provider: "eks", region: "eu-west-1", authorizedCidrs: ["203.0.113.0/24"],
    deployerRoleArn: "arn:aws:iam::123456789012:role/deployer",
    network: { zones: ["eu-west-1a", "eu-west-1b"] },
};
const GKE = { provider: "gke", region: "europe-west4", project: "acme-ml-prod", projectNumber: "123456789012" };
const AKS = {
    provider: "aks", region: "westeurope", authorizedCidrs: ["203.0.113.0/24"], network: { zones: [] },
    tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47", subscriptionId: "3f2b6c1e-8d4a-4b7f-9e21-6a5c0d9e7f13",
    deployerObjectId: "0b6f2d1e-3c4a-4f5b-8e7d-9a1b2c3d4e5f",
};

/** Errors of a whole config whose cluster section is `cluster` (through resolveConfig, as the program). */
function configErrors(cluster: Record<string, unknown>): string {
    try {
        resolveConfig({
            project: "hybridml", stack: "s", secretKeysSet: new Set(),
            values: { environment: "prod", roles: ["serving"], trainingStack: "acme/hybridml/t", cluster },
        });
    } catch (e) {
        if (e instanceof ConfigError) return e.message;
        throw e;
    }
    return "";
}

describe("config: cluster section", () => {
    it("valid sections give no issue", () => {
        for (const raw of [EKS, GKE, AKS]) assert.deepEqual(issues(raw), [], JSON.stringify(raw));
    });

    it("a key of another provider is an error naming it, with the valid keys of this provider", () => {
        const msg = configErrors({ ...EKS, tenantId: AKS.tenantId });
        assert.match(msg, /hybridml:cluster\.tenantId is not a known key: valid keys are provider, version, systemPool, gpuPool, region, authorizedCidrs, network, apiAccess, deployerRoleArn, previewRoleArn, adminRoleArns, modelBucketName/);
        assert.match(configErrors({ ...GKE, publicEndpoint: true }), /hybridml:cluster\.publicEndpoint is not a known key/);
        assert.match(configErrors({ ...GKE, hosts: [] }), /hybridml:cluster\.hosts is not a known key/);
        assert.match(configErrors({ provider: "eksctl" }), /hybridml:cluster\.provider must be one of eks \| gke \| aks \| onprem \| k3s \(got "eksctl"\)/);
    });

    it("missing required values say 'is required' with the fix", () => {
        const { deployerRoleArn: _d, ...noDeployer } = EKS;
        assert.match(issues(noDeployer).join("\n"), /hybridml:cluster\.deployerRoleArn is required for provider eks: the IAM role that runs pulumi up/);
        const { subscriptionId: _s, ...noSub } = AKS;
        assert.match(issues(noSub).join("\n"), /hybridml:cluster\.subscriptionId is required for provider aks: set the subscription GUID \(az account show --query id\)/);
        const { network: _n, ...noZones } = EKS;
        assert.match(issues(noZones).join("\n"), /hybridml:cluster\.network\.zones is required for provider eks: list 2-3 availability zones/);
        const { network: _a, ...aksNoZones } = AKS;
        assert.match(issues(aksNoZones).join("\n"), /hybridml:cluster\.network\.zones is required for provider aks: .*or \[\] in a region without availability zones/);
        const { projectNumber: _p, ...noNumber } = GKE;
        assert.match(issues(noNumber).join("\n"), /hybridml:cluster\.projectNumber is required for provider gke/);
    });

    it("runner access: public endpoints need ranges, none may be /0; GKE's DNS endpoint needs none", () => {
        assert.match(issues({ ...EKS, authorizedCidrs: [] }).join("\n"), /hybridml:cluster\.authorizedCidrs must list at least one CIDR with apiAccess public/);
        assert.match(issues({ ...AKS, authorizedCidrs: [] }).join("\n"), /or set apiAccess: private with runnerVnetId/);
        assert.match(issues({ ...GKE, apiAccess: "authorizedNetworks" }).join("\n"), /hybridml:cluster\.authorizedCidrs must list at least one CIDR with apiAccess authorizedNetworks/);
        assert.deepEqual(issues({ ...GKE, apiAccess: "dns" }), []);
        assert.match(issues({ ...EKS, authorizedCidrs: ["0.0.0.0/0"] }).join("\n"), /hybridml:cluster\.authorizedCidrs\[0\] opens the API to the whole internet/);
        assert.match(issues({ ...AKS, apiAccess: "private" }).join("\n"), /hybridml:cluster\.runnerVnetId is required with apiAccess private/);
        assert.deepEqual(issues({ ...AKS, apiAccess: "private", authorizedCidrs: [], runnerVnetId: "/subscriptions/s/resourceGroups/ci/providers/Microsoft.Network/virtualNetworks/runners" }), []);
    });

    it("EKS: the deployer is not listed again, admins not twice, zones belong to the region", () => {
        const deployer = EKS.deployerRoleArn;
        const admin = "arn:aws:iam::123456789012:role/admin";
        const out = issues({ ...EKS, adminRoleArns: [deployer, admin, admin], network: { zones: ["eu-west-1a", "us-east-1b"] } }).join("\n");
        assert.match(out, /hybridml:cluster\.adminRoleArns\[0\] is the deployer/);
        assert.match(out, /hybridml:cluster\.adminRoleArns\[2\] repeats/);
        assert.match(out, /hybridml:cluster\.network\.zones\[1\] is not a zone of eu-west-1 \(got "us-east-1b"\)/);
    });

    it("refuses a Kubernetes minor without pins", () => {
        assert.match(issues({ ...EKS, version: "1.29" }).join("\n"),
            new RegExp(`hybridml:cluster\\.version has no pinned add-on and autoscaler versions \\(got "1\\.29"\\): use one of ${supportedMinors().join(", ")}`));
    });

    it("name overrides are checked for the cloud's limits", () => {
        assert.match(configErrors({ ...AKS, storageAccountName: "Has-Dashes" }), /hybridml:cluster\.storageAccountName must be a storage account name \(3-24 lower-case letters and digits\)/);
        assert.match(configErrors({ ...AKS, keyVaultName: "kv--double" }), /hybridml:cluster\.keyVaultName must be a Key Vault name/);
        assert.match(configErrors({ ...EKS, modelBucketName: "Upper_Case" }), /hybridml:cluster\.modelBucketName must be an S3 bucket name/);
    });

    it("resolves defaults: instance types, zones, NAT per zone in prod, GKE's default zones", () => {
        const eks = resolveCluster(parse(EKS), "prod");
        assert.ok(eks.provider === "eks");
        assert.deepEqual(eks.network, { vpcCidr: "10.40.0.0/16", podCidr: "100.64.0.0/14", serviceCidr: "172.20.0.0/16", zones: ["eu-west-1a", "eu-west-1b"], natPerZone: true });
        assert.equal(eks.apiAccess, "public");
        assert.equal(eks.gpuPool.instanceType, "g5.xlarge");
        const gke = resolveCluster(parse(GKE), "dev");
        assert.ok(gke.provider === "gke");
        assert.deepEqual(gke.network.zones, []);
        assert.equal(gke.apiAccess, "dns");
        const aks = resolveCluster(parse(AKS), "prod");
        assert.ok(aks.provider === "aks");
        assert.equal(aks.kubeloginMode, "azurecli");
    });
});
