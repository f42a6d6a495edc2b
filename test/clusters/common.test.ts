import * as assert from "node:assert/strict";
import {
    apiTaintEffect, argError, authorizedRanges, carve, cidrsOverlap, dnsLikeName, execKubeconfig, networkCidr, nthAddress,
    parseCidr, scopedName, shortHash, SYSTEM_NODE_LABEL, taintString,
} from "../../components/clusters/common";
import { GPU_NODE_LABEL, GPU_TAINT } from "../../components/clusters/types";

describe("clusters/common", () => {
    it("CIDR math: carve, nth address, overlap, host bits and bad input name the argument", () => {
        assert.deepEqual(carve("10.0.0.0/16", 2, 3, 0, "a"), ["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18"]);
        assert.deepEqual(carve("10.0.192.0/18", 4, 2, 0, "a"), ["10.0.192.0/22", "10.0.196.0/22"]);
        assert.equal(nthAddress("172.20.0.0/16", 10, "a"), "172.20.0.10");
        assert.equal(cidrsOverlap("10.0.0.0/16", "10.0.128.0/17"), true);
        assert.equal(cidrsOverlap("10.0.0.0/16", "10.1.0.0/16"), false);
        assert.deepEqual(parseCidr("10.1.2.3/8", "a"), { address: 10 * 2 ** 24 + 1 * 2 ** 16 + 2 * 256 + 3, prefix: 8 });
        assert.throws(() => networkCidr("10.0.1.0/16", "EksCluster x: args.network.vpcCidr"), /^Error: EksCluster x: args\.network\.vpcCidr: 10\.0\.1\.0\/16 has host bits set; use its network address \(e\.g\. 10\.0\.0\.0\/16\)$/);
        assert.throws(() => parseCidr("10.0.0.300/8", "args.x"), /args\.x: "10\.0\.0\.300\/8" is not an IPv4 CIDR/);
        assert.throws(() => carve("10.0.0.0/30", 4, 1, 0, "args.x"), /args\.x: 10\.0\.0\.0\/30 is too small/);
        assert.throws(() => nthAddress("10.0.0.0/29", 10, "args.s"), /args\.s: 10\.0\.0\.0\/29 is too small/);
    });

    it("the one exposure rule: no /0 anywhere, ranges required only where the endpoint is public; errors name args.authorizedCidrs", () => {
        assert.deepEqual(authorizedRanges("GkeCluster", "g", ["203.0.113.0/24"], true, "because"), ["203.0.113.0/24"]);
        assert.deepEqual(authorizedRanges("GkeCluster", "g", [], false, "because"), []);
        assert.throws(() => authorizedRanges("AksCluster", "a", ["0.0.0.0/0"], false, "because"),
            /^Error: AksCluster a: args\.authorizedCidrs must not contain 0\.0\.0\.0\/0/);
        assert.throws(() => authorizedRanges("EksCluster", "e", [], true, "when args.apiAccess is public"),
            /^Error: EksCluster e: args\.authorizedCidrs must list at least one CIDR when args\.apiAccess is public$/);
        assert.equal(argError("K3sCluster", "k", "hosts", "is empty").message, "K3sCluster k: args.hosts is empty");
    });

    it("taints are spelled per API from one definition", () => {
        assert.equal(apiTaintEffect("NoSchedule"), "NO_SCHEDULE");
        assert.equal(apiTaintEffect("PreferNoSchedule"), "PREFER_NO_SCHEDULE");
        assert.equal(apiTaintEffect("NoExecute"), "NO_EXECUTE");
        assert.equal(taintString(GPU_TAINT), "nvidia.com/gpu=true:NoSchedule");
        assert.deepEqual(SYSTEM_NODE_LABEL, { key: GPU_NODE_LABEL.key, value: "system" });
    });

    it("exec kubeconfigs carry no static credential and never prompt", () => {
        const doc = JSON.parse(execKubeconfig("c", "https://api", "Q0E=", { command: "aws", args: ["eks", "get-token"] }));
        assert.deepEqual(doc.clusters, [{ name: "c", cluster: { server: "https://api", "certificate-authority-data": "Q0E=" } }]);
        assert.deepEqual(doc.users[0].user, {
            exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args: ["eks", "get-token"], interactiveMode: "Never" },
        });
        assert.equal(doc["current-context"], "c");
    });

    it("names: short hashes differ by scope, fit the length, keep the charset", () => {
        assert.equal(shortHash("a").length, 6);
        assert.notEqual(shortHash(["111111111111", "prod"]), shortHash(["222222222222", "prod"]));
        const long = "a-very-long-stack-name-for-the-production-serving-cluster-in-europe";
        const a = scopedName({ prefix: "st", readable: long, scope: ["sub-a", long], max: 24, charset: "alnum" });
        const b = scopedName({ prefix: "st", readable: long, scope: ["sub-b", long], max: 24, charset: "alnum" });
        for (const n of [a, b]) assert.match(n, /^st[a-z0-9]{1,22}$/);
        assert.equal(a.length, 24);
        assert.notEqual(a, b, "two subscriptions, same stack name: different names");
        const kv = scopedName({ prefix: "kv", readable: long, scope: ["s", long], max: 24, charset: "dns" });
        assert.match(kv, /^kv-[a-z0-9-]+-[0-9a-f]{8}$/);
        assert.ok(kv.length <= 24 && !kv.includes("--"), kv);
        assert.equal(dnsLikeName("Prod_Cluster", 40), "prod-cluster");
        assert.equal(dnsLikeName("9lives", 40), "x-9lives");
        const cut = dnsLikeName(long, 30);
        assert.ok(cut.length <= 30 && /-[0-9a-f]{6}$/.test(cut), cut);
    });
});
