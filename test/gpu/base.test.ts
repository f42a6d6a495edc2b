import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../../config";
import { observabilitySchema } from "../../config/observability";
import { Cluster, gpuFacts } from "../../components/clusters/types";
import { deployBase, hasGpuNodes } from "../../stacks/base";
import { runMocked } from "../helpers/run";

const facts = (maxSize: number) => gpuFacts({ gpuType: "nvidia-l4", gpuCount: 1, minSize: 0, maxSize, sharing: { mode: "none" } }, "operator");

function config(observability: Record<string, unknown>, hosts: Array<{ gpu: boolean }> = [], provider: Cluster["platform"] = "k3s"): PlatformConfig {
    // No serving role and a Kafka stream: nothing else (cert-manager) joins the base services here.
    return {
        observability: observabilitySchema.parse(observability), cluster: { provider, hosts },
        roles: { training: false, serving: false }, streaming: { engine: "kafka" }, environment: "dev",
    } as unknown as PlatformConfig;
}

function cluster(platform: Cluster["platform"], maxSize = 2): Cluster {
    return {
        provider: new k8s.Provider("c", { kubeconfig: "apiVersion: v1\nkind: Config" }),
        kubeconfig: pulumi.secret("kc"),
        platform,
        gpu: facts(maxSize),
        objectStore: undefined,
    };
}

describe("base services (stacks/base.ts)", () => {
    it("hasGpuNodes: k3s from the hosts flagged gpu, other platforms from the GPU pool maximum", () => {
        const c = { platform: "k3s" as const, gpu: facts(2) };
        assert.equal(hasGpuNodes(config({}, [{ gpu: false }, { gpu: true }]), c), true);
        assert.equal(hasGpuNodes(config({}, [{ gpu: false }]), c), false);
        assert.equal(hasGpuNodes(config({}, [], "eks"), { platform: "eks", gpu: facts(2) }), true);
        assert.equal(hasGpuNodes(config({}, [], "onprem"), { platform: "onprem", gpu: facts(0) }), false);
    });

    it("returns the monitoring and GPU operator releases, the operator after monitoring", async () => {
        const rec = await runMocked(() => deployBase("stk", config({ retention: "30d", storageSize: "100Gi" }, [], "aks"), cluster("aks")));
        const mon = rec.one("kubernetes:helm.sh/v3:Release", "stk-monitoring-release");
        const gpu = rec.one("kubernetes:helm.sh/v3:Release", "stk-gpu-release");
        assert.ok(rec.value.monitoring instanceof k8s.helm.v3.Release);
        assert.ok(rec.value.gpuOperator instanceof k8s.helm.v3.Release);
        assert.ok(gpu.dependencies.includes(mon.urn));
        const spec = rec.inputs(mon).values.prometheus.prometheusSpec;
        assert.equal(spec.retention, "30d");
        assert.equal(spec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage, "100Gi");
    });

    it("observability.enabled false: no monitoring, GPU operator without the DCGM ServiceMonitor", async () => {
        const rec = await runMocked(() => deployBase("stk", config({ enabled: false }, [], "eks"), cluster("eks")));
        assert.equal(rec.value.monitoring, undefined);
        assert.equal(rec.ofType("hybridml:observability:Monitoring").length, 0);
        const gpu = rec.one("kubernetes:helm.sh/v3:Release", "stk-gpu-release");
        assert.equal(rec.inputs(gpu).values.dcgmExporter.serviceMonitor.enabled, false);
    });

    it("no GPU nodes: no GPU operator", async () => {
        const rec = await runMocked(() => deployBase("stk", config({}, [{ gpu: false }]), cluster("k3s")));
        assert.equal(rec.value.gpuOperator, undefined);
        assert.equal(rec.ofType("hybridml:gpu:GpuOperator").length, 0);
    });
});
