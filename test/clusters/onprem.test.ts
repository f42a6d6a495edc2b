import * as assert from "node:assert/strict";
import { OnPremCluster } from "../../components/clusters/onprem";
import { GPU_NODE_LABEL, GPU_TAINT } from "../../components/clusters/types";
import { runMocked, SecretValue, settle } from "../helpers/run";

const KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n# onprem-test-kubeconfig";
const gpu = { gpuType: "nvidia-a100", gpuCount: 4, minSize: 2, maxSize: 2, sharing: { mode: "none" as const } };

describe("OnPremCluster", () => {
    it("registers one k8s Provider with the kubeconfig as a secret and the context", async () => {
        const rec = await runMocked(() => new OnPremCluster("site", { kubeconfig: KUBECONFIG, context: "admin@site", gpu }));
        assert.deepEqual(rec.types(), ["hybridml:clusters:OnPremCluster", "pulumi:providers:kubernetes", "pulumi:pulumi:Stack"]);
        assert.equal(rec.ofType("pulumi:providers:kubernetes").length, 1);
        const provider = rec.one("pulumi:providers:kubernetes");
        assert.equal(provider.name, "site-k8s");
        assert.equal(provider.parent, rec.one("hybridml:clusters:OnPremCluster").urn);
        assert.ok(provider.inputs.kubeconfig instanceof SecretValue, "kubeconfig input must be recorded as a secret");
        assert.equal((provider.inputs.kubeconfig as SecretValue).value, KUBECONFIG);
        assert.equal(provider.inputs.context, "admin@site");
    });

    it("passes no context when none is given", async () => {
        const rec = await runMocked(() => new OnPremCluster("site", { kubeconfig: KUBECONFIG, gpu }));
        assert.equal(rec.inputs(rec.one("pulumi:providers:kubernetes")).context, undefined);
    });

    it("yields the Cluster shape with a secret kubeconfig and operator-managed GPU facts", async () => {
        const rec = await runMocked(() => new OnPremCluster("site", { kubeconfig: KUBECONFIG, gpu }));
        const cluster = rec.value;
        assert.equal(cluster.platform, "onprem");
        assert.equal(cluster.objectStore, undefined);
        const kc = await settle(cluster.kubeconfig);
        assert.equal(kc.value, KUBECONFIG);
        assert.equal(kc.secret, true);
        assert.deepEqual(cluster.gpu, {
            nodeSelector: { [GPU_NODE_LABEL.key]: GPU_NODE_LABEL.value }, taint: GPU_TAINT, driver: "operator", toolkit: "operator",
            gpuType: "nvidia-a100", gpusPerNode: 4, minNodes: 2, maxNodes: 2, sharing: { mode: "none" },
        });
    });
});
