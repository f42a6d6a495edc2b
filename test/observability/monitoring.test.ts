import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import {
    KServeMonitors, kserveControllerServiceMonitor, PREDICTOR_METRICS_PORTS, predictorPodMonitor,
} from "../../components/observability/kserveMonitors";
import { GRAFANA_ADMIN_SECRET, Monitoring, monitoringValues, MonitoringSettings } from "../../components/observability/monitoring";
import { observabilityIssues, observabilitySchema } from "../../config/observability";
import { chartRepos, versions } from "../../lib/versions";
import { validateCustomResource, validateRecordedCustomResource } from "../helpers/crds";
import { runMocked, SecretValue } from "../helpers/run";
import { unknownValuesKeys } from "../helpers/values";

const VALUES_FILE = "prometheus-operator/values-kube-prometheus-stack.yaml";
const settings: MonitoringSettings = { retention: "15d", storageSize: "50Gi", grafana: true, replicas: 1 };
const kubeconfig = "apiVersion: v1\nkind: Config";

describe("kube-prometheus-stack values (pure)", () => {
    it("installs the CRDs and selects monitors/rules/probes/scrape configs in every namespace, whatever their labels", () => {
        const v = monitoringValues(settings) as any;
        assert.deepEqual(v.crds, { enabled: true });
        const spec = v.prometheus.prometheusSpec;
        for (const k of ["serviceMonitor", "podMonitor", "rule", "probe", "scrapeConfig"]) {
            assert.equal(spec[`${k}SelectorNilUsesHelmValues`], false, k);
        }
    });

    it("retention and a persistent volume from config; no storageClassName unless one is configured (cluster default)", () => {
        const spec = (monitoringValues(settings) as any).prometheus.prometheusSpec;
        assert.equal(spec.retention, "15d");
        assert.equal(spec.retentionSize, undefined);
        assert.deepEqual(spec.storageSpec.volumeClaimTemplate.spec, { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "50Gi" } } });
        const withClass = (monitoringValues({ ...settings, storageClassName: "gp3", retentionSize: "40GB" }) as any).prometheus.prometheusSpec;
        assert.equal(withClass.storageSpec.volumeClaimTemplate.spec.storageClassName, "gp3");
        assert.equal(withClass.retentionSize, "40GB");
    });

    it("Grafana reads its admin credentials from a Secret (no password in Helm values), or is off", () => {
        const on = (monitoringValues(settings) as any).grafana;
        assert.deepEqual(on, { enabled: true, admin: { existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" } });
        assert.equal(JSON.stringify(on).includes("adminPassword"), false);
        assert.deepEqual((monitoringValues({ ...settings, grafana: false }) as any).grafana, { enabled: false });
    });

    it("every values key exists in the chart's values.yaml", () => {
        for (const s of [settings, { ...settings, grafana: false, storageClassName: "standard-rwo", retentionSize: "10GB", replicas: 2 }]) {
            assert.deepEqual(unknownValuesKeys(monitoringValues(s), VALUES_FILE), []);
        }
        // The check can fail: the chart has no grafana.adminPassword key (only a comment).
        assert.deepEqual(unknownValuesKeys({ grafana: { adminPassword: "x" } }, VALUES_FILE), ["grafana.adminPassword"]);
    });
});

describe("Monitoring component", () => {
    it("pinned chart, namespace, generated Grafana secret; every child has provider and parent", async () => {
        const rec = await runMocked(() => {
            const provider = new k8s.Provider("cluster", { kubeconfig });
            return new Monitoring("stk-monitoring", { provider });
        });
        const component = rec.one("hybridml:observability:Monitoring");
        const k8sProvider = rec.one("pulumi:providers:kubernetes", "cluster").urn;
        const randomProvider = rec.one("pulumi:providers:random").urn;
        const children = rec.resources.filter((r) => r.parent === component.urn);
        assert.deepEqual(children.map((c) => `${c.type} ${c.name}`).sort(), [
            "kubernetes:core/v1:Namespace stk-monitoring-ns",
            "kubernetes:core/v1:Secret stk-monitoring-grafana-admin",
            "kubernetes:helm.sh/v3:Release stk-monitoring-release",
            "pulumi:providers:random stk-monitoring-random",
            "random:index/randomPassword:RandomPassword stk-monitoring-grafana-admin",
        ]);
        for (const c of children.filter((r) => r.type.startsWith("kubernetes:"))) assert.ok(c.provider.startsWith(`${k8sProvider}::`), c.name);
        assert.ok(rec.one("random:index/randomPassword:RandomPassword").provider.startsWith(`${randomProvider}::`));

        const release = rec.one("kubernetes:helm.sh/v3:Release");
        const inputs = rec.inputs(release);
        assert.equal(inputs.chart, "kube-prometheus-stack");
        assert.equal(inputs.version, "88.3.0");
        assert.equal(inputs.version, versions.charts.kubePrometheusStack);
        assert.deepEqual(inputs.repositoryOpts, { repo: "https://prometheus-community.github.io/helm-charts" });
        assert.equal(chartRepos.kubePrometheusStack, "https://prometheus-community.github.io/helm-charts");
        assert.equal(inputs.namespace, "monitoring");
        const secret = rec.one("kubernetes:core/v1:Secret");
        assert.ok(release.dependencies.includes(secret.urn), "Grafana's Secret exists before the chart");
        const recorded = secret.inputs.stringData as SecretValue | Record<string, unknown>;
        const passwordRecorded = recorded instanceof SecretValue ? recorded : recorded[GRAFANA_ADMIN_SECRET.passwordKey];
        assert.ok(passwordRecorded instanceof SecretValue, "the password is recorded as a secret");
        const stringData = rec.inputs(secret).stringData;
        assert.equal(stringData[GRAFANA_ADMIN_SECRET.userKey], "admin");
        assert.equal(typeof stringData[GRAFANA_ADMIN_SECRET.passwordKey], "string");
        assert.equal(rec.inputs(secret).metadata.name, GRAFANA_ADMIN_SECRET.name);
    });

    it("without Grafana: no password, no Secret, no random provider", async () => {
        const rec = await runMocked(() => new Monitoring("m", { provider: new k8s.Provider("c", { kubeconfig }), grafana: false }));
        assert.equal(rec.ofType("kubernetes:core/v1:Secret").length, 0);
        assert.equal(rec.ofType("random:index/randomPassword:RandomPassword").length, 0);
        assert.equal(rec.value.grafanaAdminPassword, undefined);
    });
});

/** Prometheus's relabelling of one discovered target (keep, drop, replace): undefined when dropped. */
function prometheusRelabel(rules: { action?: string; sourceLabels?: string[]; separator?: string; regex?: string; replacement?: string; targetLabel?: string }[], labels: Record<string, string>): Record<string, string> | undefined {
    const out = { ...labels };
    for (const r of rules) {
        const value = (r.sourceLabels ?? []).map((l) => out[l] ?? "").join(r.separator ?? ";");
        const re = new RegExp(`^(?:${r.regex ?? "(.*)"})$`);
        const m = re.exec(value);
        const action = (r.action ?? "replace").toLowerCase();
        if (action === "keep" && !m) return undefined;
        if (action === "drop" && m) return undefined;
        if (action === "replace" && m && r.targetLabel) out[r.targetLabel] = (r.replacement ?? "$1").replace(/\$(\d)/g, (_, i) => m[Number(i)] ?? "");
    }
    return out;
}

describe("KServe monitors", () => {
    it("the controller ServiceMonitor and the predictor PodMonitor validate against the prometheus-operator v0.93.0 CRDs", () => {
        assert.deepEqual(validateCustomResource(kserveControllerServiceMonitor("kserve") as any), []);
        assert.deepEqual(validateCustomResource(predictorPodMonitor("models") as any), []);
        // The validator can fail: an endpoint without a port in the wrong shape.
        const bad = predictorPodMonitor("models") as any;
        bad.spec.podMetricsEndpoints[0].relabelings[0].action = "Keepp";
        assert.notDeepEqual(validateCustomResource(bad), []);
    });

    it("scrape the controller's named metrics port over HTTPS and every InferenceService pod on the model servers' ports", () => {
        const sm = kserveControllerServiceMonitor("kserve");
        assert.deepEqual((sm.spec.selector as any).matchLabels, { "control-plane": "kserve-controller-manager", "app.kubernetes.io/name": "kserve" });
        assert.equal((sm.spec.endpoints as any)[0].port, "https");
        // Not the deprecated bearerTokenFile: a Secret with Prometheus's service-account token, beside the ServiceMonitor.
        assert.equal((sm.spec.endpoints as any)[0].bearerTokenFile, undefined);
        assert.deepEqual((sm.spec.endpoints as any)[0].authorization, { type: "Bearer", credentials: { name: "prometheus-scrape-token", key: "token" } });
        assert.equal(sm.metadata.namespace, "monitoring");
        assert.deepEqual((sm.spec as any).namespaceSelector, { matchNames: ["kserve"] });
        const pm = predictorPodMonitor("models");
        assert.equal(pm.metadata.namespace, "models");
        assert.deepEqual((pm.spec.selector as any).matchExpressions, [{ key: "serving.kserve.io/inferenceservice", operator: "Exists" }]);
        // The runtimes declare no container ports: no endpoint selects one (it would have no target); the
        // address and path come from the annotations KServe's pod mutator copies from the runtime.
        const [ep, ...more] = pm.spec.podMetricsEndpoints as any[];
        assert.deepEqual(more, []);
        assert.equal(ep.port ?? ep.portNumber ?? ep.targetPort, undefined);
        const relabel = (pod: Record<string, string>): Record<string, string> | undefined => prometheusRelabel(ep.relabelings, pod);
        const pod = (container: string, port?: number) => ({
            __address__: port ? `10.0.0.7:${port}` : "10.0.0.7", __meta_kubernetes_pod_ip: "10.0.0.7", __meta_kubernetes_pod_container_name: container,
            __meta_kubernetes_pod_annotation_prometheus_io_scrape: "true", __meta_kubernetes_pod_annotation_prometheus_io_port: "8002",
            __meta_kubernetes_pod_annotation_prometheus_io_path: "/metrics", __metrics_path__: "/metrics",
        });
        assert.equal(relabel(pod("kserve-container"))?.__address__, "10.0.0.7:8002"); // Triton: metrics beside the 8080 API
        assert.equal(relabel(pod("kserve-container", 8080))?.__address__, "10.0.0.7:8002");
        assert.equal(relabel(pod("storage-initializer")), undefined);
        assert.equal(relabel({ ...pod("kserve-container"), __meta_kubernetes_pod_annotation_prometheus_io_scrape: "" }), undefined);
        assert.ok(PREDICTOR_METRICS_PORTS.includes(8002));
    });

    it("the monitors depend on the monitoring release, have the provider and parent, and validate as recorded", async () => {
        const rec = await runMocked(() => {
            const provider = new k8s.Provider("c", { kubeconfig });
            const mon = new k8s.helm.v3.Release("mon", { chart: "kube-prometheus-stack", version: "88.3.0" }, { provider });
            return new KServeMonitors("stk-kserve-monitors", { provider, monitoring: mon, servingNamespace: "models" });
        });
        const component = rec.one("hybridml:observability:KServeMonitors");
        const mon = rec.one("kubernetes:helm.sh/v3:Release", "mon");
        const providerUrn = rec.one("pulumi:providers:kubernetes").urn;
        const monitors = [
            rec.one("kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "stk-kserve-monitors-controller"),
            rec.one("kubernetes:monitoring.coreos.com/v1:PodMonitor", "stk-kserve-monitors-predictors"),
        ];
        const token = rec.one("kubernetes:core/v1:Secret", "stk-kserve-monitors-prometheus-token");
        assert.deepEqual([rec.inputs(token).type, rec.inputs(token).metadata.namespace, rec.inputs(token).metadata.annotations["kubernetes.io/service-account.name"]],
            ["kubernetes.io/service-account-token", "monitoring", "kube-prometheus-stack-prometheus"]);
        assert.ok(monitors[0].dependencies.includes(token.urn));
        for (const m of monitors) {
            assert.equal(m.parent, component.urn);
            assert.ok(m.provider.startsWith(`${providerUrn}::`));
            assert.ok(m.dependencies.includes(mon.urn), `${m.name} depends on the monitoring release`);
            assert.deepEqual(validateRecordedCustomResource(m.type, m.inputs), [], m.name);
        }
    });
});

describe("observability config", () => {
    it("defaults: enabled, 15d retention, 50Gi volume on the default StorageClass, Grafana on, 1 replica", () => {
        assert.deepEqual(observabilitySchema.parse({}), { enabled: true, retention: "15d", storageSize: "50Gi", grafana: true, replicas: 1 });
    });

    it("rejects malformed values", () => {
        for (const bad of [{ retention: "15 days" }, { storageSize: "50GB" }, { retentionSize: "40Gi" }, { storageClass: "Fast_SSD" }, { replicas: 0 }, { retain: "1d" }]) {
            assert.equal(observabilitySchema.safeParse(bad).success, false, JSON.stringify(bad));
        }
    });

    it("a TSDB cap that would fill the volume is refused, naming the key, the values and the fix", () => {
        const issues = observabilityIssues(observabilitySchema.parse({ retentionSize: "60GB", storageSize: "50Gi" }));
        assert.equal(issues.length, 1);
        assert.match(issues[0], /^hybridml:observability\.retentionSize must stay below 90% of observability\.storageSize/);
        assert.match(issues[0], /"60GB"/);
        assert.match(issues[0], /"50Gi"/);
        assert.deepEqual(observabilityIssues(observabilitySchema.parse({ retentionSize: "40GB", storageSize: "50Gi" })), []);
    });
});

describe("observability config through the program", function () {
    this.timeout(60_000);
    it("bad observability keys stop the plan before anything is registered, naming each full key", async () => {
        const { planStack, readStackConfig } = await import("../../tools/plan/plan");
        const cfg = readStackConfig("prod-training");
        const bad = { ...cfg, config: { ...cfg.config, "hybridml:observability": JSON.stringify({ retention: "two weeks", storageSize: "20Gi", retentionSize: "30GB" }) } };
        const r = await planStack("prod-training", { stackConfig: bad });
        assert.ok(r.error, "the plan must fail");
        assert.match(r.error.message, /hybridml:observability\.retention must be a Prometheus duration/);
        assert.equal(r.plan.resources.filter((x) => x.type !== "pulumi:pulumi:Stack").length, 0);
        const r2 = await planStack("prod-training", { stackConfig: { ...cfg, config: { ...cfg.config, "hybridml:observability": JSON.stringify({ storageSize: "20Gi", retentionSize: "30GB" }) } } });
        assert.match(String(r2.error?.message), /hybridml:observability\.retentionSize must stay below 90% of observability\.storageSize/);
        assert.equal(r2.plan.resources.filter((x) => x.type !== "pulumi:pulumi:Stack").length, 0);
    });
});
