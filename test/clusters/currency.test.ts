/**
 * Versions and GPU machine types that exist today (SPEC 11b): the support calendar in
 * lib/versions.ts against the pins, dates passed in; the GPU table (lib/gpuInstances.ts) against
 * the shipped stacks; and the config errors and warnings both produce.
 */
import * as assert from "node:assert/strict";
import { ConfigError, resolveConfig } from "../../config";
import { gpuInstanceTypes, gpuOffering, gpuRegions } from "../../lib/gpuInstances";
import { clusterPins, kubernetesMinor, supportCalendar, supportedMinorsOn, supportStatus, versions } from "../../lib/versions";
import { listStacks, readStackConfig } from "../../tools/plan/plan";

const day = (iso: string) => new Date(`${iso}T12:00:00Z`);
/** The date of this change; the shipped pins must be in support then and for at least 60 more days. */
const TODAY = day("2026-12-04");

const EKS = {
    provider: "eks", region: "eu-west-1", authorizedCidrs: ["203.0.113.0/24"], deployerRoleArn: "arn:aws:iam::123456789012:role/deployer",
    network: { zones: ["eu-west-1a", "eu-west-1b"] }, gpuPool: { instanceType: "g5.xlarge", gpuType: "nvidia-a10g", gpuCount: 1 },
};

/** Resolve a serving config with `cluster` on `today`: its notes, or the ConfigError's issues. */
function check(cluster: Record<string, unknown>, today: Date, environment = "prod"): { issues: string[]; notes: string[] } {
    // k3s has no ReadWriteMany class of its own: the serving model copy names the site's.
    const serving = cluster.provider === "k3s" ? { localStore: { storageClass: "longhorn" } } : undefined;
    try {
        const c = resolveConfig({
            project: "hybridml", stack: "s", secretKeysSet: new Set(["sshPrivateKey"]), today,
            values: { environment, roles: ["serving"], trainingStack: "acme/hybridml/t", cluster, ...(serving ? { serving } : {}) },
        });
        return { issues: [], notes: c.notes };
    } catch (e) {
        if (e instanceof ConfigError) return { issues: e.issues, notes: [] };
        throw e;
    }
}

describe("version currency (lib/versions.ts supportCalendar)", () => {
    it("supportStatus: supported, warned within 60 days, ended after the date, unknown minors", () => {
        assert.deepEqual(supportStatus("eks", "1.35", day("2027-01-25")), { status: "supported", minor: "1.35", endOfSupport: "2027-03-27", daysLeft: 61 });
        assert.equal(supportStatus("eks", "1.35", day("2027-01-26")).status, "ending");
        assert.equal(supportStatus("eks", "1.35", day("2027-03-27")).status, "ending");
        assert.deepEqual(supportStatus("eks", "1.35", day("2027-03-28")), { status: "ended", minor: "1.35", endOfSupport: "2027-03-27", daysLeft: -1 });
        assert.deepEqual(supportStatus("eks", "1.29", TODAY), { status: "unknown", minor: "1.29", known: ["1.33", "1.34", "1.35"] });
        assert.equal(supportStatus("k3s", "v1.36.1+k3s1", TODAY).status, "supported");
        assert.equal(kubernetesMinor("v1.36.1+k3s1"), "1.36");
    });

    it("the issue's facts: on 2026-12-04 EKS 1.34 has left standard support, AKS 1.34 and k3s 1.34 are end of life", () => {
        for (const p of ["eks", "aks", "k3s"] as const) assert.equal(supportStatus(p, "1.34", TODAY).status, "ended", p);
        assert.deepEqual(supportedMinorsOn("eks", TODAY), ["1.35"]);
    });

    it("every pin is in support today with at least 60 days left, and EKS pins exist for the pinned minor", () => {
        for (const [platform, version] of [["eks", versions.kubernetes], ["aks", versions.kubernetes], ["k3s", versions.k3s]] as const) {
            const s = supportStatus(platform, version, TODAY);
            assert.equal(s.status, "supported", `${platform} ${version}: ${JSON.stringify(s)}`);
        }
        assert.ok(clusterPins[versions.kubernetes], "EKS add-on and autoscaler pins of the default minor");
        for (const minor of Object.keys(clusterPins)) assert.ok(supportCalendar.eks[minor], `pinned EKS minor ${minor} has an end-of-support date`);
    });

    it("config: an ended minor is an error naming the key and the supported ones; an ending one a warning; the CLI passes today", () => {
        const ended = check({ ...EKS, version: "1.35" }, day("2027-04-01"));
        assert.equal(ended.issues.length, 1, ended.issues.join("\n"));
        assert.match(ended.issues[0], /^hybridml:cluster\.version: Kubernetes 1\.35 reached its end of support on eks on 2027-03-27 \(5 days ago\): move to a supported minor/);
        const ending = check({ ...EKS, version: "1.35" }, day("2027-02-15"));
        assert.deepEqual(ending.issues, []);
        assert.equal(ending.notes.length, 1);
        assert.match(ending.notes[0], /^warning: hybridml:cluster\.version: Kubernetes 1\.35 reaches its end of support on eks on 2027-03-27 \(in 40 days\)/);
        assert.deepEqual(check({ ...EKS, version: "1.35" }, TODAY), { issues: [], notes: [] });
        // k3s: the pin in lib/versions.ts is what runs, so that is what the message names.
        const k3s = { provider: "k3s", hosts: [{ name: "e1", address: "192.0.2.1", role: "server" }], installScriptSha256: "a".repeat(64) };
        assert.match(check(k3s, day("2027-07-01")).issues.join("\n"), /lib\/versions\.ts versions\.k3s: Kubernetes 1\.36 reached its end of support on k3s on 2027-06-28/);
    });
});

describe("GPU machine types per region (lib/gpuInstances.ts)", () => {
    it("the table: counts and models of well-known types; eu-west-1 has no G6", () => {
        assert.deepEqual(gpuInstanceTypes.eks["g5.12xlarge"], { gpus: 4, model: "nvidia-a10g" });
        assert.deepEqual(gpuInstanceTypes.gke["g2-standard-24"], { gpus: 2, model: "nvidia-l4" });
        assert.deepEqual(gpuInstanceTypes.aks.Standard_NC4as_T4_v3, { gpus: 1, model: "nvidia-tesla-t4" });
        assert.equal(gpuOffering("eks", "eu-west-1", "g6.2xlarge").kind, "not-offered");
        assert.equal(gpuOffering("eks", "us-east-1", "g6.2xlarge").kind, "unknown-region");
        assert.equal(gpuOffering("aks", "WestEurope", "Standard_NC4as_T4_v3").kind, "offered", "Azure regions are case-insensitive");
        for (const [cloud, regions] of Object.entries(gpuRegions)) {
            for (const [region, types] of Object.entries(regions)) {
                for (const t of types) assert.ok(gpuInstanceTypes[cloud as "eks"][t], `${cloud} ${region} ${t} is in the type table`);
            }
        }
    });

    it("every shipped cloud stack's GPU pool is offered in its region with the matching model and count", () => {
        let checked = 0;
        for (const stack of listStacks()) {
            const cl = JSON.parse(readStackConfig(stack).config["hybridml:cluster"]) as { provider: string; region?: string; gpuPool?: { instanceType: string; gpuType: string; gpuCount?: number } };
            if (!["eks", "gke", "aks"].includes(cl.provider)) continue;
            const o = gpuOffering(cl.provider as "eks", cl.region!, cl.gpuPool!.instanceType);
            assert.equal(o.kind, "offered", `${stack}: ${cl.gpuPool!.instanceType} in ${cl.region}`);
            if (o.kind === "offered") {
                assert.equal(o.type.model, cl.gpuPool!.gpuType, stack);
                assert.equal(o.type.gpus, cl.gpuPool!.gpuCount ?? 1, stack);
            }
            checked++;
        }
        assert.equal(checked, 3);
    });

    it("config: a type the region does not offer, a wrong model or count is an error naming the key; an unknown region a note", () => {
        const g6 = check({ ...EKS, gpuPool: { instanceType: "g6.2xlarge", gpuType: "nvidia-l4" } }, TODAY);
        assert.equal(g6.issues.length, 1, g6.issues.join("\n"));
        assert.match(g6.issues[0], /^hybridml:cluster\.gpuPool\.instanceType: g6\.2xlarge is not offered in eu-west-1 \(got "g6\.2xlarge"\): use one of g4dn\.xlarge/);
        const model = check({ ...EKS, gpuPool: { instanceType: "g5.xlarge", gpuType: "nvidia-l4" } }, TODAY);
        assert.deepEqual(model.issues, ['hybridml:cluster.gpuPool.gpuType does not match g5.xlarge, which carries nvidia-a10g (got "nvidia-l4"): set gpuType: nvidia-a10g']);
        const count = check({ ...EKS, gpuPool: { instanceType: "g5.12xlarge", gpuType: "nvidia-a10g" } }, TODAY);
        assert.deepEqual(count.issues, ["hybridml:cluster.gpuPool.gpuCount does not match g5.12xlarge, which has 4 GPUs (got 1): set gpuCount: 4"]);
        const unknownType = check({ ...EKS, gpuPool: { instanceType: "m7i.xlarge" } }, TODAY);
        assert.match(unknownType.issues.join("\n"), /hybridml:cluster\.gpuPool\.instanceType: m7i\.xlarge is not a GPU machine type offered in eu-west-1/);
        const elsewhere = check({ ...EKS, region: "us-east-1", network: { zones: ["us-east-1a", "us-east-1b"] }, gpuPool: { instanceType: "g6.2xlarge", gpuType: "nvidia-l4" } }, TODAY);
        assert.deepEqual(elsewhere.issues, []);
        assert.deepEqual(elsewhere.notes, ["note: hybridml:cluster.gpuPool.instanceType: no GPU offering table for eks region us-east-1 (lib/gpuInstances.ts): g6.2xlarge was not checked"]);
    });

    it("config: the k3s install script's sha256 is required outside dev, and a dev stack without it is warned", () => {
        // Three hosts without GPUs: what the streaming floors need outside dev (one broker/controller per host).
        const k3s = { provider: "k3s", hosts: [1, 2, 3].map((i) => ({ name: `e${i}`, address: `192.0.2.${i}`, role: "server" })) };
        assert.match(check(k3s, TODAY, "edge").issues.join("\n"), /hybridml:cluster\.installScriptSha256 is required outside dev \(environment edge\)/);
        assert.deepEqual(check({ ...k3s, installScriptSha256: "a".repeat(64) }, TODAY, "edge"), { issues: [], notes: [] });
        assert.match(check(k3s, TODAY, "dev").notes.join("\n"), /installScriptSha256 is not set: the hosts run the k3s install script unverified/);
        assert.match(check({ ...k3s, installScriptSha256: "xyz" }, TODAY, "edge").issues.join("\n"), /hybridml:cluster\.installScriptSha256 must be a sha256 in hex/);
    });
});
