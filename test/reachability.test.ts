/**
 * Issue 14: serving clusters really reach the training cluster. Through the real program under
 * mocks (the offline plan): the shipped stacks' flows can work, and each way a flow cannot work
 * (internal name, plain http, TLS without a CA, no allow-list in prod, egress not allowed, private
 * address, older contract) fails with the training stack's key named, before anything is registered.
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { cidrWithin, egressNotAllowed, internalHost, reachabilityFlows, reachabilityProblems } from "../stacks/reachability";
import { CONTRACT_VERSION } from "../stacks/contract";
import { resolveConfig } from "../config/resolve";
import { planStack, PlanResult, readStackConfig, StackConfig } from "../tools/plan/plan";
import { formatReachability, reachabilityErrors, reachabilityMarkdown, PlannedFlow } from "../tools/plan/reachability";
import { shippedPlans } from "./helpers/fleet";
import { syncPodSpec } from "../components/serving/modelSync";
import { buildReport } from "../tools/plan/report";
import { runMocked, settle } from "./helpers/run";

/** A stack file's config with some `hybridml:` keys replaced (JSON values) or removed (undefined). */
function withConfig(stack: string, changes: Record<string, unknown>): StackConfig {
    const cfg = readStackConfig(stack);
    const config = { ...cfg.config };
    for (const [k, v] of Object.entries(changes)) {
        if (v === undefined) delete config[`hybridml:${k}`];
        else config[`hybridml:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return { config, secretKeys: cfg.secretKeys };
}

function section(stack: string, key: string): Record<string, any> {
    return JSON.parse(readStackConfig(stack).config[`hybridml:${key}`] ?? "{}");
}

/** Plan `training` with `trainingChanges`, then `serving` against it (with `servingChanges`). */
async function planPair(training: string, trainingChanges: Record<string, unknown>, serving: string, servingChanges: Record<string, unknown> = {},
    tamper: (raw: Record<string, unknown>) => Record<string, unknown> = (r) => r): Promise<{ training: PlanResult; serving: PlanResult }> {
    const t = await planStack(training, { stackConfig: withConfig(training, trainingChanges) });
    assert.equal(t.error, undefined, t.error?.message);
    const s = await planStack(serving, { stackConfig: withConfig(serving, servingChanges), references: () => tamper(t.rawOutputs) });
    return { training: t, serving: s };
}

function refusedBeforeRegistering(r: PlanResult): string {
    assert.ok(r.error, "expected the serving stack to fail");
    // Only the StackReference read (and the root stack) happened: nothing of the stack's own.
    const own = r.plan.resources.filter((x) => x.type !== "pulumi:pulumi:Stack" && x.type !== "pulumi:pulumi:StackReference");
    assert.deepEqual(own.map((x) => x.type), []);
    return r.error.message;
}

describe("reachability: pure checks", () => {
    it("CIDR containment and the egress not admitted", () => {
        assert.equal(cidrWithin("192.0.2.10/32", ["192.0.2.0/24"]), true);
        assert.equal(cidrWithin("192.0.2.0/23", ["192.0.2.0/24"]), false);
        assert.deepEqual(egressNotAllowed(["192.0.2.10/32", "198.51.100.7/32"], ["192.0.2.0/24"]), ["198.51.100.7/32"]);
        assert.deepEqual(egressNotAllowed(["198.51.100.7/32"], []), [], "no allow-list admits everyone");
    });

    it("the sync trusts the training CA only when the contract carries one, keeping the system roots", () => {
        const base = { image: "rclone", models: [], serviceAccountName: "model-sync", source: { endpoint: "https://s3.x", bucket: "models", region: "r" }, destination: [] };
        const without = syncPodSpec(base).spec;
        assert.ok(!without.volumes.some((v: any) => v.name === "training-ca"));
        assert.doesNotMatch(without.containers[0].command[2], /SSL_CERT_FILE/);
        const withCa = syncPodSpec({ ...base, trustSourceCa: true }).spec;
        assert.ok(withCa.volumes.some((v: any) => v.configMap?.name === "model-store-training-ca"));
        assert.ok(withCa.containers[0].volumeMounts.some((m: any) => m.name === "training-ca" && m.readOnly));
        assert.match(withCa.containers[0].command[2], /^cat \/etc\/ssl\/certs\/ca-certificates\.crt \/etc\/hybridml\/training-ca\/ca\.crt > \/tmp\/ca-bundle\.crt/);
    });

    it("internal names and private addresses; public names pass", () => {
        for (const h of ["rook-ceph-rgw-models.rook-ceph.svc", "pulsar-proxy.pulsar.svc.cluster.local", "kafka-bootstrap", "10.1.2.3", "192.168.0.4"]) {
            assert.ok(internalHost(h, false), h);
        }
        assert.equal(internalHost("10.1.2.3", true), undefined, "declared private connectivity accepts a private address");
        assert.equal(internalHost("s3.training.acme.example", false), undefined);
        assert.equal(internalHost("203.0.113.5", false), undefined);
    });
});

describe("reachability: the shipped stacks", () => {
    let plans: Map<string, PlanResult>;
    before(async function () {
        this.timeout(120_000);
        plans = await shippedPlans();
    });
    const outputs = (s: string) => plans.get(s)!.plan.outputs;
    const flows = (s: string) => outputs(s).reachability as PlannedFlow[];

    it("a training stack exports no kubeconfig; the contract is v2 with a CA and exposure per endpoint", () => {
        for (const s of ["dev", "prod-training"]) {
            assert.equal(outputs(s).kubeconfig, undefined, `${s} exports a kubeconfig`);
            assert.equal(outputs(s).contractVersion, CONTRACT_VERSION);
            const store = outputs(s).modelStore as Record<string, any>;
            assert.ok(store.caCert, `${s}: modelStore has no CA`);
            assert.ok(store.endpoint.startsWith("https://"), store.endpoint);
            assert.ok(store.exposure.sans.includes(new URL(store.endpoint).hostname));
            assert.ok(store.exposure.sans.includes("rook-ceph-rgw-models.rook-ceph.svc"), "Rook's own admin calls need the Service name");
            assert.ok((outputs(s).streaming as any).exposure.allowedSources.length > 0);
        }
    });

    it("every stack on another cluster has its flows, each reachable by name with a certificate and an allow-list", () => {
        for (const s of ["edge", "prod-aws", "prod-gcp", "prod-azure"]) {
            const f = flows(s);
            assert.deepEqual(f.map((x) => x.flow), ["model-sync", "feedback"], s);
            for (const x of f) {
                assert.equal(internalHost(x.dnsName, false), undefined, `${s} ${x.flow}: ${x.dnsName}`);
                assert.ok(x.sans.includes(x.dnsName), `${s} ${x.flow}: SANs lack ${x.dnsName}`);
                assert.ok(x.allowedSources.length > 0, `${s} ${x.flow}: open`);
                assert.notEqual(x.egressAllowed, "no");
            }
        }
        // edge's egress (its hosts) is known now and admitted; the clouds' NAT addresses exist after the first up.
        assert.deepEqual(flows("edge").map((x) => x.egressAllowed), ["yes", "yes"]);
        assert.deepEqual(outputs("edge").egress, ["192.0.2.10/32", "192.0.2.11/32", "192.0.2.12/32", "192.0.2.13/32", "192.0.2.21/32", "192.0.2.22/32"]);
        for (const s of ["prod-aws", "prod-gcp", "prod-azure"]) assert.equal(outputs(s).egress, "[unknown]", s);
    });

    it("static egress on every cloud serving stack: EKS NAT Elastic IPs, GKE Cloud NAT on reserved addresses, AKS outbound IPs", () => {
        const res = (s: string) => plans.get(s)!.plan.resources;
        const ofType = (s: string, t: string) => res(s).filter((r) => r.type === t);
        // EKS: one NAT gateway per Elastic IP (allocation), and the EIPs' addresses are the exported egress.
        const eips = ofType("prod-aws", "aws:ec2/eip:Eip");
        const nats = ofType("prod-aws", "aws:ec2/natGateway:NatGateway");
        assert.ok(eips.length >= 1 && nats.length === eips.length);
        // GKE: MANUAL_ONLY NAT on reserved external addresses (AUTO_ONLY addresses change).
        const [routerNat] = ofType("prod-gcp", "gcp:compute/routerNat:RouterNat");
        assert.equal((routerNat.inputs as any).natIpAllocateOption, "MANUAL_ONLY");
        const addresses = ofType("prod-gcp", "gcp:compute/address:Address");
        assert.equal(addresses.length, 2);
        assert.ok(addresses.every((a) => (a.inputs as any).addressType === "EXTERNAL" && routerNat.dependencies.includes(a.urn)));
        // AKS: a NAT gateway on the node subnet with two static Standard public IPs; the cluster's outbound type uses it.
        const ips = ofType("prod-azure", "azure-native:network:PublicIPAddress");
        assert.equal(ips.length, 2);
        assert.ok(ips.every((ip) => (ip.inputs as any).publicIPAllocationMethod === "Static" && (ip.inputs as any).sku.name === "Standard"));
        const [natGw] = ofType("prod-azure", "azure-native:network:NatGateway");
        assert.ok(ips.every((ip) => natGw.dependencies.includes(ip.urn)));
        const subnet = res("prod-azure").find((r) => r.type === "azure-native:network:Subnet" && r.name.endsWith("-nodes"))!;
        assert.ok(subnet.dependencies.includes(natGw.urn), "the node subnet's egress is the NAT gateway");
        const [aks] = ofType("prod-azure", "azure-native:containerservice:ManagedCluster");
        assert.equal((aks.inputs as any).networkProfile.outboundType, "userAssignedNATGateway");
        assert.ok(aks.dependencies.includes(subnet.urn));
    });

    it("the plan summary and the --compare report show each flow; no shipped flow is an error", () => {
        const ps = [...plans.values()].map((r) => r.plan);
        const text = formatReachability(ps)!;
        assert.match(text, /edge model-sync -> https:\/\/s3\.dev-lab\.acme\.example \(acme\/hybridml\/dev\)/);
        assert.match(text, /prod-aws feedback -> kafka\.training\.acme\.example:9094/);
        const md = reachabilityMarkdown(ps).join("\n");
        assert.match(md, /^## Reachability/m);
        assert.equal(md.split("\n").filter((l) => l.startsWith("| edge |")).length, 2);
        assert.deepEqual(reachabilityErrors(ps, () => "prod"), []);
        // The --compare report carries the table (against base plans of the same fleet).
        const report = buildReport({ base: new Map(ps.map((p) => [p.stack, p])), head: ps });
        assert.match(report, /## Reachability[\s\S]*\| prod-gcp \| feedback \| `kafka\.training\.acme\.example:9094` \|/);
    });

    it("the RGW, Kafka external listener and Pulsar proxy Services are named and allow-listed", () => {
        const res = (s: string, name: string) => plans.get(s)!.plan.resources.find((r) => r.name === name)!;
        const rgw = res("prod-training", "prod-training-storage-rgw-external").inputs as any;
        assert.equal(rgw.metadata.annotations["external-dns.alpha.kubernetes.io/hostname"], "s3.training.acme.example");
        assert.deepEqual(rgw.spec.loadBalancerSourceRanges, section("prod-training", "exposure").allowedSources
            && Object.values(section("prod-training", "exposure").allowedSources as Record<string, string[]>).flat().sort());
        const tlsSecret = res("prod-training", "prod-training-storage-rgw-tls").inputs as any;
        assert.deepEqual([tlsSecret.metadata.name, tlsSecret.metadata.namespace, tlsSecret.type], ["models-rgw-tls", "rook-ceph", "kubernetes.io/tls"]);
        const store = res("prod-training", "prod-training-storage-object-store");
        assert.ok(store.dependencies.includes(res("prod-training", "prod-training-storage-rgw-tls").urn), "the object store waits for its TLS Secret");
        const listener = (res("prod-training", "prod-training-kafka-kafka").inputs as any).spec.kafka.listeners.find((l: any) => l.name === "external");
        assert.equal(listener.configuration.bootstrap.annotations["external-dns.alpha.kubernetes.io/hostname"], "kafka.training.acme.example");
        assert.equal(listener.configuration.advertisedHostTemplate, "kafka-{nodeId}.training.acme.example");
        assert.ok(listener.configuration.loadBalancerSourceRanges.length > 0);
        const proxy = (res("dev", "dev-pulsar-release").inputs as any).values.proxy.service;
        assert.deepEqual([proxy.type, proxy.annotations["external-dns.alpha.kubernetes.io/hostname"]], ["LoadBalancer", "pulsar.dev-lab.acme.example"]);
        assert.deepEqual(proxy.loadBalancerSourceRanges, ["192.0.2.10/32", "192.0.2.11/32", "192.0.2.12/32", "192.0.2.13/32", "192.0.2.21/32", "192.0.2.22/32"]);
    });

    it("consumers trust the CA: the sync mounts it; MirrorMaker 2 and the geo-replication use the external name", () => {
        const res = (s: string, name: string) => plans.get(s)!.plan.resources.find((r) => r.name === name)!;
        for (const s of ["edge", "prod-aws"]) {
            const ca = res(s, `${s}-model-sync-source-ca`).inputs as any;
            assert.equal(ca.metadata.name, "model-store-training-ca");
            const pod = (res(s, `${s}-model-sync-job`).inputs as any).spec.template.spec;
            assert.ok(pod.volumes.some((v: any) => v.configMap?.name === "model-store-training-ca"));
            assert.match(pod.containers[0].command[2], /export SSL_CERT_FILE=\/tmp\/ca-bundle\.crt/);
        }
        const mm2 = (res("prod-aws", "prod-aws-mirror-mm2").inputs as any).spec;
        assert.equal(mm2.target.bootstrapServers, "kafka.training.acme.example:9094");
        const georep = (res("edge", "edge-georep-job").inputs as any).spec.template.spec.containers[0].command[2] as string;
        assert.match(georep, /--broker-url-secure pulsar\+ssl:\/\/pulsar\.dev-lab\.acme\.example:6651/);
        assert.match(georep, /--tls-trust-certs-filepath \/pulsar\/certs\/remote\/ca\.crt/);
    });

    it("one-way Pulsar replication: training registers no serving cluster; the edge sink waits for the replication", () => {
        const res = (s: string, name: string) => plans.get(s)!.plan.resources.find((r) => r.name === name)!;
        const streams = (res("dev", "dev-pulsar-streams").inputs as any).spec.template.spec.containers[0].command[2] as string;
        assert.doesNotMatch(streams, /clusters create/);
        assert.doesNotMatch(streams, /set-allowed-clusters/);
        assert.doesNotMatch(streams, /\.invalid/);
        const sink = plans.get("edge")!.plan.resources.filter((r) => r.parent?.endsWith("edge-feedback-sink") && r.type === "kubernetes:apps/v1:Deployment");
        assert.equal(sink.length, 1);
        assert.ok(sink[0].dependencies.includes(res("edge", "edge-georep-job").urn), "the sink starts before geo-replication exists");
    });
});

describe("reachability: flows that cannot work fail, naming the training stack's key", function () {
    this.timeout(120_000);

    it("an edge stack pointed at dev's internal RGW name", async () => {
        const { serving } = await planPair("dev", { "storage": { ...section("dev", "storage"), endpoint: undefined } }, "edge");
        const msg = refusedBeforeRegistering(serving);
        assert.match(msg, /modelStore\.endpoint is "http:\/\/rook-ceph-rgw-models\.rook-ceph\.svc", a cluster-internal name/);
        assert.match(msg, /set hybridml:storage\.endpoint on training stack acme\/hybridml\/dev/);
    });

    it("a cloud stack whose training stack publishes the in-cluster Kafka bootstrap", async () => {
        const { serving } = await planPair("prod-training", {}, "prod-aws", {}, (raw) => ({
            ...raw, streaming: { ...(raw.streaming as object), bootstrap: "training-kafka-external-bootstrap.kafka.svc:9094", exposure: undefined },
        }));
        assert.match(refusedBeforeRegistering(serving), /streaming\.bootstrap is "training-kafka-external-bootstrap\.kafka\.svc:9094".*set hybridml:streaming\.bootstrap on training stack acme\/hybridml\/prod-training/);
    });

    it("plain http outside dev", async () => {
        const { serving } = await planPair("dev", { "storage": { ...section("dev", "storage"), endpoint: "http://s3.dev-lab.acme.example" } }, "edge");
        assert.match(refusedBeforeRegistering(serving), /plain http across networks outside dev.*set hybridml:storage\.endpoint on training stack acme\/hybridml\/dev to https:\/\/s3\.dev-lab\.acme\.example/);
    });

    it("an https endpoint without a CA", async () => {
        const { serving } = await planPair("prod-training", {}, "prod-gcp", {}, (raw) => ({ ...raw, modelStore: { ...(raw.modelStore as object), caCert: null } }));
        assert.match(refusedBeforeRegistering(serving), /modelStore\.endpoint "https:\/\/s3\.training\.acme\.example" is TLS but the contract carries no CA.*hybridml:storage\.endpoint on training stack/);
    });

    it("an exposed endpoint without source ranges in prod: refused on both sides", async () => {
        const t = await planStack("prod-training", { stackConfig: withConfig("prod-training", { exposure: undefined }) });
        assert.match(t.error?.message ?? "", /hybridml:exposure\.allowedSources is required outside dev/);
        const { serving } = await planPair("prod-training", {}, "prod-azure", {}, (raw) => ({
            ...raw, modelStore: { ...(raw.modelStore as any), exposure: { ...(raw.modelStore as any).exposure, allowedSources: [] } },
        }));
        assert.match(refusedBeforeRegistering(serving), /exposed without source ranges .* refused in prod: set hybridml:exposure\.allowedSources\.prod-azure on training stack acme\/hybridml\/prod-training/);
    });

    it("a serving egress missing from training's allow-list", async () => {
        const { serving } = await planPair("dev", { exposure: { allowedSources: { edge: ["192.0.2.10/32", "192.0.2.11/32", "192.0.2.12/32", "192.0.2.13/32", "192.0.2.21/32"] } } }, "edge");
        const msg = refusedBeforeRegistering(serving);
        assert.match(msg, /not this stack's egress 192\.0\.2\.22\/32 \(hybridml:cluster\.hosts\[\]\.address\): add 192\.0\.2\.22\/32 to hybridml:exposure\.allowedSources\.edge on training stack acme\/hybridml\/dev/);
        // The same edge stack behind a declared site NAT that dev admits plans.
        const natted = await planPair("dev", { exposure: { allowedSources: { edge: ["203.0.113.64/28"] } } }, "edge", { exposure: { egressCidrs: ["203.0.113.70/32"] } });
        assert.equal(natted.serving.error, undefined, natted.serving.error?.message);
    });

    it("a private address, unless the serving stack declares private connectivity", async () => {
        const storage = { ...section("dev", "storage"), endpoint: "https://10.20.0.5" };
        const refused = await planPair("dev", { storage }, "edge");
        assert.match(refusedBeforeRegistering(refused.serving), /a private address, not routable from this cluster/);
        const accepted = await planPair("dev", { storage }, "edge", { exposure: { privateConnectivity: true } });
        assert.equal(accepted.serving.error, undefined, accepted.serving.error?.message);
    });

    it("a public address instead of the external name", async () => {
        const { serving } = await planPair("prod-training", {}, "prod-aws", {}, (raw) => ({ ...raw, streaming: { ...(raw.streaming as object), bootstrap: "203.0.113.40:9094" } }));
        assert.match(refusedBeforeRegistering(serving), /streaming\.bootstrap is "203\.0\.113\.40:9094", an address instead of a name.*set hybridml:streaming\.bootstrap on training stack acme\/hybridml\/prod-training/);
    });

    it("an older contract (v1) fails clearly", async () => {
        const { serving } = await planPair("prod-training", {}, "prod-aws", {}, (raw) => ({ ...raw, contractVersion: 1 }));
        assert.match(serving.error?.message ?? "", /contractVersion is 1, this program reads version 2: the training stack runs an older program; run pulumi up on acme\/hybridml\/prod-training/);
    });
});

describe("reachability: cloud egress once the NAT addresses exist", () => {
    const config = resolveConfig({
        project: "hybridml", stack: "prod-aws", secretKeysSet: new Set(),
        values: {
            environment: "prod", roles: ["serving"], trainingStack: "acme/hybridml/prod-training",
            cluster: {
                provider: "eks", region: "eu-west-1", apiAccess: "public", authorizedCidrs: ["203.0.113.0/24"],
                deployerRoleArn: "arn:aws:iam::123456789012:role/d", network: { vpcCidr: "10.41.0.0/16", zones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"] },
                gpuPool: { instanceType: "g5.2xlarge", gpuType: "nvidia-a10g", gpuCount: 1, minSize: 0, maxSize: 2 },
            },
        },
    });
    const contract = {
        modelStore: {
            endpoint: "https://s3.training.acme.example", bucket: "models", region: "default", caCert: "PEM",
            exposure: { dnsName: "s3.training.acme.example", sans: ["s3.training.acme.example"], allowedSources: ["198.51.100.0/28"] },
        },
        streaming: { engine: "kafka" as const, bootstrap: "kafka.training.acme.example:9094", caCert: "PEM", feedbackTopics: [] },
    };

    it("statically: a cloud stack is checked for names, TLS and allow-list, its NAT addresses later", () => {
        assert.deepEqual(reachabilityProblems(config, "acme/hybridml/prod-training", contract, { kind: "cloud-nat" }, false), []);
    });

    it("a NAT address outside the allow-list makes the flow 'no' (a plan error in prod naming the key); inside, 'yes'", async () => {
        const run = await runMocked(() => ({
            bad: reachabilityFlows(config, contract, pulumi.output(["198.51.100.7/32", "198.51.100.200/32"])),
            good: reachabilityFlows(config, contract, pulumi.output(["198.51.100.7/32"])),
        }));
        const bad = run.value.bad[0];
        assert.equal((await settle(pulumi.output(bad.egressAllowed))).value, "no");
        assert.equal((await settle(pulumi.output(run.value.good[0].egressAllowed))).value, "yes");
        const planned = { ...bad, consumerEgress: ["198.51.100.7/32", "198.51.100.200/32"], egressAllowed: "no" } as PlannedFlow;
        const errors = reachabilityErrors([{ stack: "prod-aws", outputs: { reachability: [planned] } }], () => "prod");
        assert.equal(errors.length, 1);
        assert.match(errors[0], /add it to hybridml:exposure\.allowedSources\.prod-aws on acme\/hybridml\/prod-training/);
        assert.deepEqual(reachabilityErrors([{ stack: "prod-aws", outputs: { reachability: [planned] } }], () => "edge"), [], "an error in prod only");
    });
});
