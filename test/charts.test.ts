/**
 * Charts from a mirror (lib/charts.ts, config `hybridml:charts`): every Helm Release of a stack
 * takes its chart from the configured mirror, none from an upstream repository; without a mirror
 * each takes its own upstream; bad mirror URLs are config errors that never echo a credential.
 */
import * as assert from "node:assert/strict";
import { chartSource, helmCharts, chartNames } from "../lib/charts";
import { chartRepos } from "../lib/versions";
import { planStack, readStackConfig, PlanResult } from "../tools/plan/plan";
import { reveal } from "./helpers/run";
import { shippedPlans } from "./helpers/fleet";

const RELEASE = "kubernetes:helm.sh/v3:Release";
const upstreams = new Set<string>(Object.values(chartRepos));

function releases(r: PlanResult) {
    assert.equal(r.error, undefined, r.error?.message);
    return r.recorded.filter((x) => x.type === RELEASE).map((x) => reveal(x.inputs) as {
        chart: string; version: string; repositoryOpts?: { repo?: string };
    });
}

describe("chart sources (lib/charts.ts)", () => {
    it("takes a Helm repository's chart by name and an OCI registry's by full reference", () => {
        assert.deepEqual(chartSource("rook-ceph"), { chart: "rook-ceph", version: helmCharts["rook-ceph"].version, repositoryOpts: { repo: chartRepos.rookCeph } });
        assert.deepEqual(chartSource("kserve-crd"), { chart: `${chartRepos.kserve}/kserve-crd`, version: helmCharts["kserve-crd"].version });
    });
    it("uses the mirror for every chart, a per-chart repository over the mirror, and keeps the pinned versions", () => {
        const mirror = { repository: "https://charts.site.example/hybridml/", repositories: { "pulsar": "oci://registry.site.example/charts" } };
        for (const name of chartNames) {
            const s = chartSource(name, mirror);
            assert.equal(s.version, helmCharts[name].version);
            if (name === "pulsar") assert.deepEqual(s, { chart: "oci://registry.site.example/charts/pulsar", version: helmCharts.pulsar.version });
            else assert.deepEqual(s, { chart: name, version: s.version, repositoryOpts: { repo: "https://charts.site.example/hybridml" } });
        }
    });
});

describe("chart mirror through the program", function () {
    this.timeout(120_000);

    it("without a mirror, every shipped Release pulls its pinned chart from its own upstream", async () => {
        let seen = 0;
        for (const r of (await shippedPlans()).values()) {
            for (const rel of releases(r)) {
                seen++;
                const name = rel.chart.split("/").pop() as keyof typeof helmCharts;
                assert.ok(name in helmCharts, `unknown chart ${rel.chart}`);
                const upstream = helmCharts[name].repo;
                if (upstream.startsWith("oci://")) assert.equal(rel.chart, `${upstream}/${name}`);
                else assert.equal(rel.repositoryOpts?.repo, upstream);
            }
        }
        assert.ok(seen >= 20, `expected the fleet's Releases, saw ${seen}`);
    });

    it("with charts.mirror set, every Release of the stack uses the mirror and none an upstream", async () => {
        const cfg = readStackConfig("dev");
        const mirror = "https://charts.lab.example/hybridml";
        const r = await planStack("dev", { stackConfig: { ...cfg, config: { ...cfg.config, "hybridml:charts": JSON.stringify({ mirror }) } } });
        const rels = releases(r);
        assert.ok(rels.length >= 5, `dev installs several charts, saw ${rels.length}`);
        for (const rel of rels) {
            assert.equal(rel.repositoryOpts?.repo, mirror, `${rel.chart} does not come from the mirror`);
            assert.ok(!rel.chart.includes("://"), `${rel.chart} still names a registry`);
            assert.ok(![...upstreams].some((u) => JSON.stringify(rel).includes(u)), `${rel.chart} still names an upstream`);
        }
    });

    it("the Strimzi CRDs the program applies itself come from the mirror's crds/ folder too, and from upstream without one", async () => {
        const files = (r: PlanResult) => r.recorded.filter((x) => x.type === "kubernetes:yaml/v2:ConfigGroup" && /strimzi-crds$/.test(x.name))
            .flatMap((x) => (reveal(x.inputs) as { files: string[] }).files);
        const upstream = files((await shippedPlans()).get("prod-training")!);
        assert.equal(upstream.length, 10);
        for (const f of upstream) assert.match(f, /^https:\/\/raw\.githubusercontent\.com\/strimzi\/strimzi-kafka-operator\/1\.2\.0\/install\/cluster-operator\/0\d\d-Crd-/);
        const cfg = readStackConfig("prod-training");
        const mirrored = files(await planStack("prod-training", { stackConfig: { ...cfg, config: { ...cfg.config, "hybridml:charts": JSON.stringify({ mirror: "https://charts.site.example/hybridml" }) } } }));
        assert.deepEqual(mirrored, upstream.map((u) => `https://charts.site.example/hybridml/crds/strimzi-kafka-operator/1.2.0/${u.split("/").pop()}`));
    });

    for (const [what, charts, expect] of [
        ["plain http outside dev", { mirror: "http://charts.site.example" }, /hybridml:charts\.mirror uses plain http outside dev/],
        ["credentials in the URL", { repositories: { "rook-ceph": "https://admin:hunter2@charts.site.example" } }, /hybridml:charts\.repositories\.rook-ceph holds a user or password/],
        ["an unknown chart name", { repositories: { "rook": "https://charts.site.example" } }, /hybridml:charts\.repositories.*rook/],
        ["a URL that is not a repository", { mirror: "charts.site.example" }, /hybridml:charts\.mirror must be a Helm repository URL/],
    ] as const) {
        it(`refuses ${what}, naming the key, registering nothing, echoing no credential`, async () => {
            const cfg = readStackConfig("prod-training");
            const r = await planStack("prod-training", { stackConfig: { ...cfg, config: { ...cfg.config, "hybridml:charts": JSON.stringify(charts) } } });
            assert.ok(r.error, "expected a config error");
            assert.match(r.error.message, expect);
            assert.ok(!r.error.message.includes("hunter2"), "the password was echoed");
            assert.equal(r.recorded.filter((x) => x.type !== "pulumi:pulumi:Stack").length, 0);
        });
    }
});
