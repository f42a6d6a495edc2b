/**
 * The GPU operator and the monitoring stack in the offline plans of the six shipped stacks (plans
 * written to /tmp/plan-gpu for inspection).
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { listStacks, Plan, PlanResource, PlanResult } from "../../tools/plan/plan";
import { chartRepos, versions } from "../../lib/versions";
import { validateRecordedCustomResource } from "../helpers/crds";
import { unknownValuesKeys } from "../helpers/values";
import { shippedPlans } from "../helpers/fleet";

const OUT = "/tmp/plan-gpu";
const STACKS = ["dev", "edge", "prod-training", "prod-aws", "prod-gcp", "prod-azure"];

describe("GPU operator and monitoring in the fleet plans", function () {
    this.timeout(180_000);
    const results = new Map<string, PlanResult>();
    /** Program errors (not config errors) by stack: planFleet throws them; each stack is planned on its own so one does not hide the others. */

    before(async () => {
        fs.mkdirSync(OUT, { recursive: true });
        for (const [stack, r] of await shippedPlans()) results.set(stack, r);
        for (const [stack, r] of results) fs.writeFileSync(path.join(OUT, `${stack}.json`), JSON.stringify(r.plan, null, 2));
    });

    const plan = (stack: string): Plan => {
        const r = results.get(stack);
        assert.ok(r, `no plan for ${stack}`);
        assert.equal(r.error, undefined, `${stack}: ${r.error?.message}`);
        return r.plan;
    };
    const one = (p: Plan, type: string, nameSuffix: string): PlanResource => {
        const found = p.resources.filter((r) => r.type === type && r.name.endsWith(nameSuffix));
        assert.equal(found.length, 1, `${p.stack}: ${type} *${nameSuffix} found ${found.length}`);
        return found[0];
    };
    const gpuRelease = (stack: string) => one(plan(stack), "kubernetes:helm.sh/v3:Release", `${stack}-gpu-release`);
    const values = (stack: string) => gpuRelease(stack).inputs.values as any;

    it("the six shipped stacks are the ones planned", () => {
        assert.deepEqual([...STACKS].sort(), listStacks());
    });

    for (const stack of STACKS) {
        it(`${stack}: one GPU operator (every shipped cluster has GPU nodes) and one monitoring stack, pinned, on the stack's cluster provider`, () => {
            const p = plan(stack);
            const gpu = one(p, "hybridml:gpu:GpuOperator", `${stack}-gpu`);
            const mon = one(p, "hybridml:observability:Monitoring", `${stack}-monitoring`);
            const gpuRel = gpuRelease(stack);
            const monRel = one(p, "kubernetes:helm.sh/v3:Release", `${stack}-monitoring-release`);
            assert.equal(gpuRel.parent, gpu.urn);
            assert.equal(monRel.parent, mon.urn);
            assert.equal(gpuRel.inputs.chart, "gpu-operator");
            assert.equal(gpuRel.inputs.version, versions.charts.gpuOperator);
            assert.deepEqual(gpuRel.inputs.repositoryOpts, { repo: chartRepos.gpuOperator });
            assert.equal(monRel.inputs.chart, "kube-prometheus-stack");
            assert.equal(monRel.inputs.version, "88.3.0");
            const k8sProviders = new Set(p.resources.filter((r) => r.type === "pulumi:providers:kubernetes").map((r) => r.urn));
            for (const r of [gpuRel, monRel]) assert.ok(k8sProviders.has(r.provider), `${r.name}: ${r.provider}`);
            assert.ok(gpuRel.dependencies.includes(monRel.urn), "the GPU operator (DCGM ServiceMonitor) waits for the monitoring CRDs");
            assert.equal(values(stack).dcgmExporter.serviceMonitor.enabled, true);
            assert.deepEqual(unknownValuesKeys(gpuRel.inputs.values, "gpu-operator/values-gpu-operator.yaml"), []);
            assert.deepEqual(unknownValuesKeys(monRel.inputs.values, "prometheus-operator/values-kube-prometheus-stack.yaml"), []);
        });
    }

    it("driver and toolkit ownership per platform", () => {
        const own = (s: string) => ({ driver: values(s).driver.enabled, toolkit: values(s).toolkit.enabled });
        assert.deepEqual(own("prod-aws"), { driver: false, toolkit: false }); // EKS NVIDIA AMI
        assert.deepEqual(own("prod-gcp"), { driver: false, toolkit: true }); // Google's driver installer, NVIDIA's GKE mode
        assert.deepEqual(own("prod-azure"), { driver: true, toolkit: true }); // AKS pool with gpuProfile.driver None
        for (const s of ["dev", "prod-training", "edge"]) assert.deepEqual(own(s), { driver: true, toolkit: true }, s);
        assert.equal(values("prod-gcp").hostPaths.driverInstallDir, "/home/kubernetes/bin/nvidia");
        assert.deepEqual(Object.fromEntries(values("edge").toolkit.env.map((e: any) => [e.name, e.value])), {
            CONTAINERD_CONFIG: "/var/lib/rancher/k3s/agent/etc/containerd/config-v3.toml.tmpl",
            RUNTIME_CONFIG_SOURCE: "file=/var/lib/rancher/k3s/agent/etc/containerd/config.toml",
            CONTAINERD_SOCKET: "/run/k3s/containerd/containerd.sock",
        });
        assert.deepEqual(values("prod-gcp").toolkit.env, [{ name: "RUNTIME_CONFIG_SOURCE", value: "file" }]);
        const installer = one(plan("prod-gcp"), "kubernetes:yaml/v2:ConfigFile", "prod-gcp-gpu-gke-driver-installer");
        assert.ok(one(plan("prod-gcp"), "kubernetes:helm.sh/v3:Release", "prod-gcp-gpu-release").dependencies.includes(installer.urn));
        one(plan("prod-gcp"), "kubernetes:core/v1:ResourceQuota", "prod-gcp-gpu-critical-pods");
    });

    it("sharing from the stack files: time-slicing x4 on dev, MIG all-3g.40gb on prod-training", () => {
        const cm = one(plan("dev"), "kubernetes:core/v1:ConfigMap", "dev-gpu-device-plugin");
        assert.match(String((cm.inputs.data as Record<string, string>)["time-slicing"]), /replicas: 4/);
        assert.equal(values("dev").devicePlugin.config.name, "device-plugin-config");
        assert.ok(gpuRelease("dev").dependencies.includes(cm.urn));
        assert.deepEqual(values("prod-training").mig, { strategy: "single" });
        assert.deepEqual(values("prod-training").migManager, { enabled: true });
    });

    for (const stack of ["dev", "edge", "prod-aws", "prod-gcp", "prod-azure"]) {
        it(`${stack}: KServe controller ServiceMonitor and predictor PodMonitor, after the monitoring release, schema-valid`, () => {
            const p = plan(stack);
            const monRel = one(p, "kubernetes:helm.sh/v3:Release", `${stack}-monitoring-release`);
            const sm = one(p, "kubernetes:monitoring.coreos.com/v1:ServiceMonitor", `${stack}-kserve-monitors-controller`);
            const pm = one(p, "kubernetes:monitoring.coreos.com/v1:PodMonitor", `${stack}-kserve-monitors-predictors`);
            // In the monitoring namespace, beside the Prometheus token Secret its authorization names; it selects the kserve namespace.
            assert.equal((sm.inputs.metadata as any).namespace, "monitoring");
            assert.deepEqual((sm.inputs.spec as any).namespaceSelector, { matchNames: ["kserve"] });
            assert.equal((pm.inputs.metadata as any).namespace, "models");
            for (const m of [sm, pm]) assert.ok(m.dependencies.includes(monRel.urn), `${m.name} depends on the monitoring release`);
        });
    }

    it("every monitoring.coreos.com resource in every plan validates against the prometheus-operator CRDs", () => {
        for (const stack of STACKS) {
            for (const r of plan(stack).resources.filter((x) => x.type.startsWith("kubernetes:monitoring.coreos.com/"))) {
                assert.deepEqual(validateRecordedCustomResource(r.type, r.inputs), [], `${stack} ${r.name}`);
            }
        }
    });

    it("the Grafana admin password never appears in a plan", () => {
        for (const stack of STACKS) {
            const secret = one(plan(stack), "kubernetes:core/v1:Secret", `${stack}-monitoring-grafana-admin`);
            assert.ok(["[secret]", "[unknown]"].includes(String(secret.inputs.stringData)), `${stack}: ${JSON.stringify(secret.inputs.stringData)}`);
        }
    });
});
