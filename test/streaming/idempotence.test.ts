/**
 * The pulsar-admin Jobs are idempotent: their scripts run twice against a stand-in `pulsar-admin`
 * that keeps state and, like the real one, refuses to create what exists (409). The second run
 * must succeed, create nothing and leave the same state.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { geoReplicationScript, streamsScript } from "../../components/streaming/pulsarSpecs";
import { defaultTopics } from "../../config/streaming";

/** A stand-in pulsar-admin: state in $STATE, every mutating call appended to $STATE/log. */
const FAKE_ADMIN = `#!/bin/sh
S="$STATE"; obj="$1"; verb="$2"; shift 2; name="$1"
key=$(printf '%s' "$name" | sed 's#/#__#g; s#:#_#g')
mkdir -p "$S/$obj"
log() { echo "$obj $verb $*" >> "$S/log"; }
if [ "$obj" = tenants ]; then
  # Tenants keep their allowed clusters, and "get" prints them as pulsar-admin does (JSON).
  shift
  clusters=""; [ "\${1:-}" = --allowed-clusters ] && clusters="$2"
  json() { printf '{\n  "adminRoles" : [ ],\n  "allowedClusters" : [ %s ]\n}\n' "$(printf '%s' "$1" | sed 's/[^,][^,]*/"&"/g; s/,/, /g')"; }
  case "$verb" in
    get) [ -f "$S/tenants/$key" ] && json "$(cat "$S/tenants/$key")"; exit $? ;;
    create) if [ -f "$S/tenants/$key" ]; then echo "409 Conflict: $name exists" >&2; exit 1; fi; printf '%s' "$clusters" > "$S/tenants/$key"; log "$name --allowed-clusters $clusters"; exit 0 ;;
    update) [ -f "$S/tenants/$key" ] || { echo "404 Not Found: $name" >&2; exit 1; }; printf '%s' "$clusters" > "$S/tenants/$key"; log "$name --allowed-clusters $clusters"; exit 0 ;;
  esac
fi
case "$verb" in
  list) if [ "$obj" = namespaces ]; then for f in "$S/namespaces"/"$name"__*; do [ -e "$f" ] && basename "$f" | sed 's#__#/#'; done; else ls "$S/$obj"; fi; exit 0 ;;
  list-partitioned-topics) for f in "$S/topics"/*; do [ -e "$f" ] && cat "$f"; done | grep "^persistent://$name/" || true; exit 0 ;;
  get) [ -f "$S/$obj/$key" ] ;;
  create|create-partitioned-topic) if [ -f "$S/$obj/$key" ]; then echo "409 Conflict: $name exists" >&2; exit 1; fi; echo "$name" > "$S/$obj/$key"; log "$@" ;;
  *) if [ ! -f "$S/$obj/$key" ]; then echo "404 Not Found: $name" >&2; exit 1; fi; log "$@" ;;
esac
`;

/** A folder with the pulsar-admin stand-in and its state; `run` executes a script there (its /tmp/client.conf points inside). */
function sandbox(files: Record<string, string> = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulsar-admin-"));
    fs.mkdirSync(path.join(dir, "bin"));
    fs.writeFileSync(path.join(dir, "bin", "pulsar-admin"), FAKE_ADMIN, { mode: 0o755 });
    const state = path.join(dir, "state");
    fs.mkdirSync(state);
    for (const [f, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), content);
    const run = (script: string) => execFileSync("sh", ["-c", script.replace(/\/tmp\/client\.conf/g, path.join(dir, "client.conf"))],
        { cwd: dir, env: { ...process.env, STATE: state }, stdio: "pipe" });
    const tenantClusters = (t: string) => fs.readFileSync(path.join(state, "tenants", t), "utf8");
    const snapshot = () => fs.readdirSync(state).filter((d) => d !== "log").sort().map((d) => `${d}: ${fs.readdirSync(path.join(state, d)).sort().join(",")}`);
    const logOf = () => (fs.existsSync(path.join(state, "log")) ? fs.readFileSync(path.join(state, "log"), "utf8").split("\n").filter(Boolean) : []);
    const clearLog = () => fs.writeFileSync(path.join(state, "log"), "");
    return { run, tenantClusters, snapshot, logOf, clearLog, done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Run `script` twice in one sandbox: what each run called and the state after it. */
function runTwice(script: string, files: Record<string, string> = {}) {
    const box = sandbox(files);
    try {
        box.run(script);
        const first = { log: box.logOf(), state: box.snapshot() };
        box.clearLog();
        box.run(script);
        return { first, second: { log: box.logOf(), state: box.snapshot() } };
    } finally {
        box.done();
    }
}

const admin = { adminUrl: "https://pulsar-broker.pulsar.svc.cluster.local:8443", caPath: "/pulsar/ca/ca.crt", tokenPath: "/pulsar/admin-token/TOKEN" };

describe("pulsar-admin Jobs: idempotent on re-run", () => {
    it("the stand-in refuses a second create, so an unguarded script fails its re-run", () => {
        assert.throws(() => runTwice("set -eu\nA=bin/pulsar-admin\n$A tenants create hybridml --allowed-clusters dev\n"), /409 Conflict/);
    });

    it("the streams script: the first run creates tenant, namespaces and topics; the second creates nothing and succeeds", () => {
        const { first, second } = runTwice(streamsScript({
            ...admin, clusterName: "dev", topics: defaultTopics, ensembleSize: 3, writeQuorum: 3, ackQuorum: 2,
            trainingRole: "training", feedbackRoles: ["feedback-edge"], producerRoles: ["request-logger"],
        }));
        const creates = (log: string[]) => log.filter((l) => / create/.test(l));
        assert.deepEqual(creates(first.log).map((l) => l.split(" ").slice(0, 3).join(" ")), [
            "tenants create hybridml", "namespaces create hybridml/streams", "namespaces create hybridml/feedback",
            "topics create-partitioned-topic persistent://hybridml/streams/features",
            "topics create-partitioned-topic persistent://hybridml/streams/inference-requests",
            "topics create-partitioned-topic persistent://hybridml/feedback/inference-feedback",
            "topics create-partitioned-topic persistent://hybridml/streams/model-events",
        ]);
        assert.deepEqual(creates(second.log), []);
        assert.deepEqual(second.state, first.state);
        // The training side registers no serving cluster and leaves the tenant alone on a re-run.
        assert.ok(!first.log.some((l) => l.startsWith("clusters ")), first.log.join("\n"));
        assert.ok(!second.log.some((l) => l.startsWith("tenants update")), second.log.join("\n"));
    });

    it("the geo-replication script: registers the training cluster once, then updates it; the namespace is created once", () => {
        const tokenFile = "remote-token";
        const script = geoReplicationScript({
            ...admin, localCluster: "edge", remoteCluster: "dev", remoteHost: "pulsar.dev-lab.acme.example",
            remoteBrokerPort: 6651, remoteWebPort: 443, remoteTokenPath: tokenFile,
        });
        const { first, second } = runTwice(script, { [tokenFile]: "eyJhbGciOiJIUzI1NiJ9.e30.sig" });
        assert.deepEqual(first.log.map((l) => l.split(" ").slice(0, 3).join(" ")), [
            "clusters create dev", "tenants create hybridml", "namespaces create hybridml/feedback", "namespaces set-clusters hybridml/feedback",
        ]);
        assert.deepEqual(second.log.map((l) => l.split(" ").slice(0, 3).join(" ")), [
            "clusters update dev", "namespaces set-clusters hybridml/feedback",
        ]);
        assert.deepEqual(second.state, first.state);
        assert.match(first.log[0], /--auth-parameters token:eyJhbGciOiJIUzI1NiJ9\.e30\.sig/);
    });

    it("one owner per list: streams and geo-replication Jobs merge the tenant's clusters, in either order, on any re-run", () => {
        const tokenFile = "remote-token";
        const streams = streamsScript({ ...admin, clusterName: "edge", topics: defaultTopics, ensembleSize: 1, writeQuorum: 1, ackQuorum: 1, feedbackRoles: [], producerRoles: ["request-logger"] });
        const georep = geoReplicationScript({
            ...admin, localCluster: "edge", remoteCluster: "dev", remoteHost: "pulsar.dev-lab.acme.example",
            remoteBrokerPort: 6651, remoteWebPort: 443, remoteTokenPath: tokenFile,
        });
        for (const order of [[streams, georep, streams], [georep, streams, georep, streams]]) {
            const box = sandbox({ [tokenFile]: "t" });
            try {
                for (const script of order) box.run(script);
                assert.deepEqual(box.tenantClusters("hybridml").split(",").sort(), ["dev", "edge"]);
            } finally {
                box.done();
            }
        }
    });

    it("the old overwrite would drop the remote cluster: the stand-in tracks the list", () => {
        const box = sandbox();
        try {
            box.run("set -eu\nA=bin/pulsar-admin\n$A tenants create hybridml --allowed-clusters edge,dev\n$A tenants update hybridml --allowed-clusters edge\n");
            assert.equal(box.tenantClusters("hybridml"), "edge");
        } finally {
            box.done();
        }
    });
});
