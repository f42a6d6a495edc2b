import * as assert from "node:assert/strict";
import * as command from "@pulumi/command";
import * as random from "@pulumi/random";
import {
    deployerKubeconfigCommand, drainCommand, installCommand, installId, INSTALL_MARKER_PATH, K3S_INSTALL_SCRIPT, K3sCluster, K3sClusterArgs, K3sHost, k3sArgs,
    nodeConfigCommand, rewriteKubeconfigServer, serverUrl, shellQuote, uninstallCommand, validateK3sHosts,
} from "../../components/clusters/k3s";
import { GPU_NODE_LABEL, GPU_TAINT } from "../../components/clusters/types";
import { versions } from "../../lib/versions";
import { runProgram } from "../../tools/plan/recorder";
import { Recorded, RecordedResource, runMocked, SecretValue, settle } from "../helpers/run";

const COMMAND = "command:remote:Command";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const PROVIDER = "pulumi:providers:kubernetes";
const TOKEN = "join-token-SECRET-4f9a1c";
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nfake-key-material\n-----END OPENSSH PRIVATE KEY-----";
const GPU_LABEL_FLAG = `--node-label ${GPU_NODE_LABEL.key}=${GPU_NODE_LABEL.value}`;
const GPU_TAINT_FLAG = `--node-taint ${GPU_TAINT.key}=${GPU_TAINT.value}:${GPU_TAINT.effect}`;

const hosts: K3sHost[] = [
    { name: "edge-s1", address: "10.20.0.11", role: "server", gpu: false },
    { name: "edge-s2", address: "10.20.0.12", role: "server", gpu: false },
    { name: "edge-a1", address: "10.20.0.21", role: "agent", gpu: false },
    { name: "edge-g1", address: "10.20.0.31", role: "agent", gpu: true },
];
const gpu = { gpuType: "nvidia-l4", gpuCount: 1, minSize: 1, maxSize: 1, sharing: { mode: "time-slicing" as const, replicas: 4 } };

function args(over: Partial<K3sClusterArgs> = {}): K3sClusterArgs {
    return { hosts, sshUser: "ubuntu", sshPort: 2222, sshPrivateKey: KEY, token: TOKEN, gpu, ...over };
}

const run = (a: K3sClusterArgs) => runMocked(() => new K3sCluster("edge", a));
const installs = (rec: Recorded<unknown>) => rec.ofType(COMMAND).filter((r) => r.name.endsWith("-install"));
const install = (rec: Recorded<unknown>, host: string) => rec.one(COMMAND, `edge-${host}-install`);
/** True when `v` holds a SecretValue anywhere. */
function hasSecret(v: unknown): boolean {
    if (v instanceof SecretValue) return true;
    if (Array.isArray(v)) return v.some(hasSecret);
    if (v !== null && typeof v === "object") return Object.values(v).some(hasSecret);
    return false;
}
const create = (rec: Recorded<unknown>, r: RecordedResource) => rec.inputs(r).create as string;

describe("K3sCluster", () => {
    it("registers exactly the component, one install per host, the kubeconfig read and one k8s Provider", async () => {
        const rec = await run(args());
        assert.deepEqual(rec.types(), [COMMAND, "hybridml:clusters:K3sCluster", "pulumi:providers:command", PROVIDER, "pulumi:pulumi:Stack"]);
        assert.equal(rec.ofType(PROVIDER).length, 1);
        const commandProvider = rec.one("pulumi:providers:command", "edge-command");
        for (const r of rec.ofType(COMMAND)) assert.ok(r.provider.startsWith(`${commandProvider.urn}::`), `${r.name} uses the explicit command provider`);
        assert.deepEqual(rec.ofType(COMMAND).map((r) => r.name).sort(),
            ["edge-edge-a1-install", "edge-edge-a1-node", "edge-edge-g1-install", "edge-edge-g1-node", "edge-edge-s1-install", "edge-edge-s1-node",
                "edge-edge-s2-install", "edge-edge-s2-node", "edge-kubeconfig"]);
        assert.equal(rec.one(PROVIDER).name, "edge-k8s");
        const component = rec.one("hybridml:clusters:K3sCluster");
        for (const r of rec.resources.filter((x) => x.custom)) assert.equal(r.parent, component.urn, `${r.name} parent`);
    });

    it("installs the first host as the initial server, joins servers and agents to it, and they depend on it", async () => {
        const rec = await run(args());
        const first = install(rec, "edge-s1");
        assert.match(create(rec, first), /sh "\$SCRIPT" server --cluster-init --tls-san 10\.20\.0\.11 --node-name edge-s1 --write-kubeconfig-mode 0600 --disable traefik/);
        assert.doesNotMatch(create(rec, first), /--server /);
        assert.match(create(rec, install(rec, "edge-s2")), /sh "\$SCRIPT" server --server https:\/\/10\.20\.0\.11:6443 --tls-san 10\.20\.0\.12 --node-name edge-s2/);
        assert.doesNotMatch(create(rec, install(rec, "edge-s2")), /--cluster-init/);
        assert.match(create(rec, install(rec, "edge-a1")), /K3S_URL=https:\/\/10\.20\.0\.11:6443 sh "\$SCRIPT" agent --node-name edge-a1/);
        assert.deepEqual(first.dependencies, []);
        for (const h of ["edge-s2", "edge-a1", "edge-g1"]) assert.ok(install(rec, h).dependencies.includes(first.urn), `${h} depends on the first server`);
        assert.match(rec.inputs(first).delete, /sudo \/usr\/local\/bin\/k3s-uninstall\.sh/);
        assert.match(rec.inputs(install(rec, "edge-a1")).delete, /sudo \/usr\/local\/bin\/k3s-agent-uninstall\.sh/);
    });

    it("passes the join token only on stdin, as a secret, never in a command string", async () => {
        const rec = await run(args());
        for (const r of installs(rec)) {
            assert.ok(r.inputs.stdin instanceof SecretValue, `${r.name} stdin is a secret`);
            assert.equal((r.inputs.stdin as SecretValue).value, TOKEN);
            assert.match(create(rec, r), /K3S_TOKEN="\$\(cat\)"/);
            assert.ok(r.additionalSecretOutputs.includes("stdin"));
        }
        for (const r of rec.resources) {
            const { stdin: _stdin, ...rest } = rec.inputs(r);
            assert.ok(!JSON.stringify(rest).includes(TOKEN), `${r.name} has the token outside stdin`);
        }
    });

    it("generates the token with a RandomPassword (48, no special characters) only when none is given", async () => {
        const generated = await run(args({ token: undefined }));
        const pw = generated.one(PASSWORD);
        assert.equal(pw.name, "edge-token");
        assert.equal(generated.inputs(pw).length, 48);
        assert.equal(generated.inputs(pw).special, false);
        for (const r of installs(generated)) {
            assert.ok(r.inputs.stdin instanceof SecretValue, `${r.name} stdin is a secret`);
            assert.equal((r.inputs.stdin as SecretValue).value, "fake-random-password-0123456789abcdef");
        }
        const randomProvider = generated.one("pulumi:providers:random", "edge-random");
        assert.ok(pw.provider.startsWith(`${randomProvider.urn}::`), "the password uses an explicit random provider");
        const given = await run(args());
        assert.equal(given.ofType(PASSWORD).length, 0);
        assert.equal(given.ofType("pulumi:providers:random").length, 0);
    });

    it("labels and taints GPU hosts only", async () => {
        const rec = await run(args());
        for (const h of hosts) {
            const c = create(rec, install(rec, h.name));
            assert.equal(c.includes(GPU_LABEL_FLAG), h.gpu, `${h.name} label`);
            assert.equal(c.includes(GPU_TAINT_FLAG), h.gpu, `${h.name} taint`);
        }
    });

    it("pins the k3s version in every install command; a new version is an update in place, never a replacement", async () => {
        for (const version of [undefined, "v1.35.4+k3s1"]) {
            const rec = await run(args({ version }));
            const want = version ?? versions.k3s;
            for (const r of installs(rec)) {
                assert.ok(create(rec, r).includes(`INSTALL_K3S_VERSION=${want} sh "$SCRIPT"`) || create(rec, r).includes(`INSTALL_K3S_VERSION=${want} K3S_URL=`), r.name);
                // Triggers would replace the command (refused while protected; for a server it would wipe etcd).
                assert.equal(rec.inputs(r).triggers, undefined, `${r.name} has no triggers`);
                assert.equal(rec.inputs(r).update, create(rec, r), `${r.name}: the update re-runs the install (k3s's in-place upgrade)`);
            }
        }
    });

    it("drains and deletes a host's node from the cluster before uninstalling it; agents are not protected so they can be removed", async () => {
        const rec = await run(args());
        for (const h of hosts) {
            const node = rec.one(COMMAND, `edge-${h.name}-node`);
            assert.equal(rec.inputs(node).delete, drainCommand(h), h.name);
            // Pulumi deletes dependents first: the node resource (drain) goes before the install (uninstall).
            assert.ok(node.dependencies.includes(install(rec, h.name).urn));
        }
        const d = drainCommand(hosts[3]);
        assert.match(d, /kubectl drain edge-g1 --ignore-daemonsets --delete-emptydir-data --timeout=600s\n.*kubectl delete node edge-g1 --ignore-not-found/s);
        assert.doesNotMatch(d, /--force|--disable-eviction/, "PodDisruptionBudgets are respected");
    });

    it("verifies the install script against the sha256 given (and refuses a malformed one)", async () => {
        const sha = "a".repeat(64);
        const rec = await run(args({ installScript: { url: "https://example.test/install.sh", sha256: sha } }));
        for (const r of installs(rec)) {
            assert.ok(create(rec, r).includes(`echo "${sha}  $SCRIPT" | sha256sum -c - >/dev/null || {`), r.name);
            assert.ok(create(rec, r).includes("curl -sfL https://example.test/install.sh -o"), r.name);
        }
        const unverified = await run(args());
        for (const r of installs(unverified)) assert.ok(!create(unverified, r).includes("sha256sum -c"), r.name);
        assert.throws(() => installCommand(hosts[0], { version: versions.k3s, disableComponents: [], script: { url: "https://x", sha256: "abc" } }), /sha256 must be 64 hex/);
    });

    it("connects over SSH with the private key as a secret", async () => {
        const rec = await run(args());
        for (const r of rec.ofType(COMMAND)) {
            assert.ok(hasSecret(r.inputs.connection), `${r.name} connection holds a secret`);
            const c = rec.inputs(r).connection;
            assert.equal(c.privateKey, KEY);
            assert.equal(c.user, "ubuntu");
            assert.equal(c.port, 2222);
        }
        assert.equal(rec.inputs(install(rec, "edge-g1")).connection.host, "10.20.0.31");
        assert.equal(rec.inputs(rec.one(COMMAND, "edge-kubeconfig")).connection.host, "10.20.0.11");
    });

    it("reads the kubeconfig as a secret, points it at the first server and builds the provider from it", async () => {
        const rec = await run(args());
        const read = rec.one(COMMAND, "edge-kubeconfig");
        assert.ok(read.inputs.create instanceof SecretValue);
        assert.equal(rec.inputs(read).create, deployerKubeconfigCommand(1));
        assert.equal(rec.inputs(read).triggers[1], 1, "credentialRotation re-issues the token");
        assert.ok(read.additionalSecretOutputs.includes("stdout"));
        assert.ok(read.dependencies.includes(install(rec, "edge-s1").urn));

        const kc = await settle(rec.value.kubeconfig);
        assert.equal(kc.secret, true);
        assert.match(kc.value!, /server: "https:\/\/10\.20\.0\.11:6443"/);
        assert.doesNotMatch(kc.value!, /127\.0\.0\.1/);

        const provider = rec.one(PROVIDER);
        assert.ok(provider.inputs.kubeconfig instanceof SecretValue);
        assert.equal((provider.inputs.kubeconfig as SecretValue).value, kc.value);
        for (const r of rec.ofType(COMMAND).filter((c) => c.name !== "edge-kubeconfig")) assert.ok(provider.dependencies.includes(r.urn), `provider depends on ${r.name}`);

        assert.equal(rec.value.platform, "k3s");
        assert.equal(rec.value.objectStore, undefined);
        assert.equal(rec.value.gpu.driver, "operator");
        assert.equal(rec.value.gpu.toolkit, "operator");
        assert.deepEqual(rec.value.gpu.sharing, { mode: "time-slicing", replicas: 4 });
    });

    it("uses the command and random providers passed in opts instead of creating its own", async () => {
        const rec = await runMocked(() => {
            const cmd = new command.Provider("site-command", {});
            const rnd = new random.Provider("site-random", {});
            return new K3sCluster("edge", args({ token: undefined }), { providers: [cmd, rnd] });
        });
        const cmd = rec.one("pulumi:providers:command");
        const rnd = rec.one("pulumi:providers:random");
        assert.equal(cmd.name, "site-command");
        assert.equal(rnd.name, "site-random");
        for (const r of rec.ofType(COMMAND)) assert.ok(r.provider.startsWith(`${cmd.urn}::`), r.name);
        assert.ok(rec.one(PASSWORD).provider.startsWith(`${rnd.urn}::`));
    });

    it("pins the install script to a k3s commit (not get.k3s.io, which serves the newest script)", () => {
        assert.match(K3S_INSTALL_SCRIPT.url, /^https:\/\/raw\.githubusercontent\.com\/k3s-io\/k3s\/[0-9a-f]{40}\/install\.sh$/);
        assert.match(K3S_INSTALL_SCRIPT.sha256, /^[0-9a-f]{64}$/);
    });

    it("protects the server installs (protectStateful), keeps the connection updatable and ignores only the join token", async () => {
        const rec = await run(args());
        for (const r of installs(rec)) {
            assert.equal(r.protect, hosts.find((h) => r.name === `edge-${h.name}-install`)!.role === "server", r.name);
            assert.deepEqual(r.ignoreChanges, ["stdin"], `${r.name}: a new SSH key updates the command, so destroy uses it`);
        }
        const unprotected = await run(args({ protect: false }));
        for (const r of installs(unprotected)) assert.equal(r.protect, false, r.name);
    });

    it("re-applies GPU labels and taints when a host's gpu flag changes", async () => {
        const rec = await run(args());
        for (const h of hosts) {
            const node = rec.one(COMMAND, `edge-${h.name}-node`);
            assert.equal(rec.inputs(node).create, nodeConfigCommand(h));
            assert.equal(rec.inputs(node).update, nodeConfigCommand(h), `${h.name}: a gpu flag change updates the labels in place (a replacement would drain the node)`);
            assert.equal(rec.inputs(node).triggers, undefined);
            assert.equal(rec.inputs(node).connection.host, hosts[0].address, "run on the first server");
            assert.ok(node.dependencies.includes(install(rec, h.name).urn));
        }
        assert.match(nodeConfigCommand(hosts[3]), /kubectl label node edge-g1 hybridml\.io\/node-pool=gpu --overwrite\n.*kubectl taint node edge-g1 nvidia\.com\/gpu=true:NoSchedule --overwrite/s);
        assert.match(nodeConfigCommand(hosts[2]), /kubectl label node edge-a1 hybridml\.io\/node-pool- nvidia\.com\/mig\.config- \|\| true\n.*kubectl taint node edge-a1 nvidia\.com\/gpu:NoSchedule- \|\| true/s);
        // The install id ignores the gpu flag: flipping it updates, it does not reinstall (or uninstall) k3s.
        const o = { version: versions.k3s, joinAddress: hosts[0].address, disableComponents: [] };
        assert.equal(installId(hosts[2], o), installId({ ...hosts[2], gpu: true }, o));
    });

    it("the kubeconfig credential is a long-lived service-account token, not the year-long client certificate", () => {
        const c = deployerKubeconfigCommand(3);
        assert.match(c, /create serviceaccount hybridml-deployer/);
        assert.match(c, /type: kubernetes\.io\/service-account-token/);
        assert.match(c, /hybridml\.io\/rotation: "3"/);
        assert.match(c, /token: %s/);
        assert.doesNotMatch(c, /client-certificate|k3s\.yaml/);
    });

    it("honours disableComponents", async () => {
        const rec = await run(args({ disableComponents: ["traefik", "servicelb"] }));
        assert.match(create(rec, install(rec, "edge-s1")), /--disable traefik --disable servicelb/);
        const none = await run(args({ disableComponents: [] }));
        assert.doesNotMatch(create(none, install(none, "edge-s1")), /--disable/);
    });

    for (const [what, bad, message] of [
        ["no hosts", [], /K3sCluster edge: args\.hosts is empty/],
        ["an agent first", [hosts[2], hosts[0]], /K3sCluster edge: args\.hosts\[0\]\.role is "agent" \(host edge-a1\)/],
        ["duplicate names", [hosts[0], { ...hosts[2], name: "edge-s1" }], /K3sCluster edge: args\.hosts\[1\]\.name repeats edge-s1/],
    ] as [string, K3sHost[], RegExp][]) {
        it(`rejects ${what} with a clear error and registers nothing`, async () => {
            await assert.rejects(run(args({ hosts: bad })), message);
            assert.throws(() => validateK3sHosts("edge", bad), message);
            const result = await runProgram(() => new K3sCluster("edge", args({ hosts: bad })), { project: "p", stack: "s", preview: false });
            const registered = result.resources.map((r) => r.type).filter((t) => t !== "pulumi:pulumi:Stack");
            assert.ok(result.error);
            assert.deepEqual(registered, []);
        });
    }
});

describe("k3s command builders", () => {
    const s1 = hosts[0], s2 = hosts[1], g1 = hosts[3];
    const opts = { version: "v1.36.1+k3s1", disableComponents: ["traefik"] };
    const join = { ...opts, joinAddress: s1.address };

    it("builds the initial server install with the pinned version and flags", () => {
        const c = installCommand(s1, opts);
        assert.ok(c.includes(`curl -sfL ${shellQuote(K3S_INSTALL_SCRIPT.url)} -o "$SCRIPT"\n`), c);
        assert.ok(c.includes('INSTALL_K3S_VERSION=v1.36.1+k3s1 sh "$SCRIPT" server --cluster-init --tls-san 10.20.0.11 --node-name edge-s1 --write-kubeconfig-mode 0600 --disable traefik\n'), c);
        assert.ok(!c.includes("get.k3s.io"), "never the unpinned script");
        assert.ok(c.startsWith("set -eu\nK3S_TOKEN=\"$(cat)\"\n"));
        assert.ok(c.includes("/usr/local/bin/k3s --version | grep -qF v1.36.1+k3s1"));
        assert.ok(c.endsWith(`echo ${installId(s1, opts)} | sudo tee ${INSTALL_MARKER_PATH} >/dev/null`));
        assert.ok(!/--token|K3S_TOKEN=[^"]/.test(c), "no token value on the command line");
    });

    it("builds joining server and GPU agent installs", () => {
        assert.deepEqual(k3sArgs(s2, join), ["server", "--server", "https://10.20.0.11:6443", "--tls-san", "10.20.0.12", "--node-name", "edge-s2", "--write-kubeconfig-mode", "0600", "--disable", "traefik"]);
        assert.deepEqual(k3sArgs(g1, join), ["agent", "--node-name", "edge-g1", "--node-label", "hybridml.io/node-pool=gpu", "--node-taint", "nvidia.com/gpu=true:NoSchedule"]);
        assert.ok(installCommand(g1, join).includes('INSTALL_K3S_VERSION=v1.36.1+k3s1 K3S_URL=https://10.20.0.11:6443 sh "$SCRIPT" agent --node-name edge-g1 ' + GPU_LABEL_FLAG + " " + GPU_TAINT_FLAG));
        assert.deepEqual(k3sArgs({ ...s1, gpu: true }, opts).slice(-4), ["--node-label", "hybridml.io/node-pool=gpu", "--node-taint", "nvidia.com/gpu=true:NoSchedule"]);
        assert.throws(() => k3sArgs(g1, opts), /host edge-g1 is an agent but no server to join was given/);
    });

    it("changes the install id with the version, so the uninstall only removes the install Pulumi last ran", () => {
        assert.notEqual(installId(s1, opts), installId(s1, { ...opts, version: "v1.35.0+k3s1" }));
        assert.equal(installId(s1, opts), installId(s1, { ...opts }));
        const d = uninstallCommand(s1, opts);
        assert.ok(d.includes(`= "${installId(s1, opts)}" ] && [ -x /usr/local/bin/k3s-uninstall.sh ]; then\n  sudo /usr/local/bin/k3s-uninstall.sh`), d);
        assert.ok(uninstallCommand(g1, join).includes("sudo /usr/local/bin/k3s-agent-uninstall.sh"));
    });

    it("quotes what the shell would interpret", () => {
        assert.equal(shellQuote("v1.36.1+k3s1"), "v1.36.1+k3s1");
        assert.equal(shellQuote("a b'c"), `'a b'\\''c'`);
        assert.ok(installCommand(s1, { ...opts, disableComponents: ["x;rm -rf /"] }).includes(`--disable 'x;rm -rf /'`));
    });

    it("rewrites the kubeconfig server to the first server, IPv6 in brackets", () => {
        const raw = "clusters:\n- cluster:\n    server: https://127.0.0.1:6443\n  name: default\n";
        assert.equal(rewriteKubeconfigServer(raw, "10.20.0.11"), "clusters:\n- cluster:\n    server: https://10.20.0.11:6443\n  name: default\n");
        assert.equal(rewriteKubeconfigServer("    server: https://127.0.0.1:6443", "fd00::1"), "    server: https://[fd00::1]:6443");
        assert.equal(rewriteKubeconfigServer(`{server: "https://localhost:6443"}`, "edge.example"), `{server: "https://edge.example:6443"}`);
        assert.equal(rewriteKubeconfigServer("    server: https://127.0.0.10:6443", "x"), "    server: https://127.0.0.10:6443");
        assert.equal(serverUrl("fd00::1"), "https://[fd00::1]:6443");
    });
});
