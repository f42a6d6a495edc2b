import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    catalogueHash, destinationEnv, MISMATCH_EXIT, SYNC_DEADLINE_SECONDS, ModelSync, modelStorageUri, SOURCE_SECRET_NAME, syncJobName, syncScript, SyncModel,
} from "../../components/serving/modelSync";
import { runMocked, SecretValue } from "../helpers/run";

const models: SyncModel[] = [
    { name: "fraud-detector", version: "3.2.0", artifactPath: "fraud-detector/3.2.0/", sha256: "a".repeat(64) },
    { name: "support-summarizer", version: "1.0.4", artifactPath: "support-summarizer/1.0.4/" },
];
const source = { endpoint: "https://s3.training.acme.example", bucket: "models", region: "default" };
const creds = () => pulumi.secret({ accessKeyId: "AKIATRAININGREAD", secretAccessKey: "training-read-secret" });
const provider = () => new k8s.Provider("k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n" });

describe("serving: model sync (pure)", () => {
    it("the Job name carries a hash of the catalogue: a version change renames it, order does not", () => {
        const name = syncJobName(models);
        assert.match(name, /^model-sync-[0-9a-f]{10}$/);
        assert.equal(syncJobName([...models].reverse()), name);
        assert.notEqual(syncJobName([{ ...models[0], version: "3.3.0", artifactPath: "fraud-detector/3.3.0/" }, models[1]]), name);
        assert.notEqual(catalogueHash([{ ...models[0], sha256: "b".repeat(64) }, models[1]]), catalogueHash(models));
    });

    it("storage URIs point at exactly the version's local copy", () => {
        assert.equal(modelStorageUri("s3://prod-aws-models", models[0]), "s3://prod-aws-models/fraud-detector/3.2.0");
        assert.equal(modelStorageUri("pvc://model-store/", models[1]), "pvc://model-store/support-summarizer/1.0.4");
    });

    it("destination per store: S3/GCS/Blob through workload identity (env_auth), a volume at the edge", () => {
        const env = (kind: any, prefix: string, region?: string) => Object.fromEntries(destinationEnv({ kind, region }, prefix).map((e) => [e.name, e.value]));
        assert.deepEqual(env("s3", "s3://prod-aws-models", "eu-west-1"), {
            RCLONE_CONFIG_LOCAL_TYPE: "s3", RCLONE_CONFIG_LOCAL_PROVIDER: "AWS", RCLONE_CONFIG_LOCAL_ENV_AUTH: "true",
            RCLONE_CONFIG_LOCAL_REGION: "eu-west-1", DEST_ROOT: "local:prod-aws-models",
        });
        assert.equal(env("gcs", "gs://acme-models").DEST_ROOT, "local:acme-models");
        assert.equal(env("gcs", "gs://acme-models").RCLONE_CONFIG_LOCAL_ENV_AUTH, "true");
        const az = env("azureblob", "https://acmemodels.blob.core.windows.net/models");
        assert.deepEqual([az.RCLONE_CONFIG_LOCAL_ACCOUNT, az.DEST_ROOT, az.RCLONE_CONFIG_LOCAL_ENV_AUTH], ["acmemodels", "local:models", "true"]);
        assert.deepEqual(env("pvc", "pvc://model-store"), { RCLONE_CONFIG_LOCAL_TYPE: "local", DEST_ROOT: "local:/mnt/models" });
    });
});

describe("serving: the sync script, run against a fake rclone", function () {
    this.timeout(30000);
    let dir: string;
    const sha = (b: Buffer | string) => crypto.createHash("sha256").update(b).digest("hex");
    const fakeRclone = `#!/bin/sh
map() { case "$1" in training:*) echo "$FAKE_SRC/\${1#training:}";; local:*) echo "$FAKE_DST/\${1#local:}";; *) echo "$1";; esac; }
cmd=$1; shift
case "$cmd" in
  copy) while [ $# -gt 0 ]; do case "$1" in --retries) shift 2;; --*) shift;; *) break;; esac; done
        src=$(map "$1"); dst=$(map "$2"); mkdir -p "$dst"
        if [ -d "$src" ]; then cp -R "$src"/. "$dst"/; else cp "$src" "$dst"/; fi ;;
  hashsum) shift 2; d=$(map "$1"); [ -z "\${FAKE_HASH_FAIL:-}" ] || { echo "partial line"; exit 1; }
           cd "$d" && find . -type f | sed 's|^\\./||' | while read -r f; do sha256sum "$f"; done ;;
  lsf) d=$(map "$1"); [ -e "$d" ] || exit 3; ls -A "$d" ;;
  sync) while [ $# -gt 0 ]; do case "$1" in --*) shift;; *) break;; esac; done
        src=$(map "$1"); dst=$(map "$2"); rm -rf "$dst"; mkdir -p "$dst"; cp -R "$src"/. "$dst"/ ;;
  purge) d=$(map "$1"); [ -e "$d" ] || exit 3; rm -rf "$d" ;;
  *) echo "fake rclone: $cmd" >&2; exit 2 ;;
esac
`;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "model-sync-"));
        fs.mkdirSync(path.join(dir, "bin"));
        fs.writeFileSync(path.join(dir, "bin", "rclone"), fakeRclone, { mode: 0o755 });
        const m = path.join(dir, "src", "models", "m", "1.0");
        fs.mkdirSync(path.join(m, "1"), { recursive: true });
        fs.writeFileSync(path.join(m, "config.pbtxt"), "name: m\n");
        fs.writeFileSync(path.join(m, "1", "model.onnx"), "weights");
        fs.writeFileSync(path.join(dir, "src", "models", "single.bin"), "one file");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    // The rclone image's sh is busybox ash (pipefail); bash in POSIX mode stands in for it (dash has no pipefail).
    const run = (ms: SyncModel[], extra: Record<string, string> = {}) => spawnSync("bash", ["--norc", "--noprofile", "--posix", "-c", syncScript(ms)], {
        env: { PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, FAKE_SRC: path.join(dir, "src"), FAKE_DST: path.join(dir, "dst"), SOURCE_BUCKET: "models", DEST_ROOT: "local:store", ...extra },
        encoding: "utf8",
    });
    const manifestDigest = () => sha(`${sha("weights")}  1/model.onnx\n${sha("name: m\n")}  config.pbtxt\n`);

    it("copies a directory and a file and accepts the catalogue's digests", () => {
        const r = run([
            { name: "m", version: "1.0", artifactPath: "m/1.0/", sha256: manifestDigest() },
            { name: "s", version: "2", artifactPath: "single.bin", sha256: sha("one file") },
        ]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(fs.readFileSync(path.join(dir, "dst", "store", "m", "1.0", "1", "model.onnx"), "utf8"), "weights");
        assert.equal(fs.readFileSync(path.join(dir, "dst", "store", "s", "2", "single.bin"), "utf8"), "one file");
        assert.match(r.stdout, /m 1.0: sha256 [0-9a-f]{64} verified/);
    });

    it("fails loudly on a mismatch and removes the bad copy", () => {
        assert.equal(run([{ name: "b", version: "1", artifactPath: "missing/", sha256: "0".repeat(64) }]).status, 1, "a copy error is retryable (exit 1)");
        const r = run([{ name: "m", version: "1.0", artifactPath: "m/1.0/", sha256: "0".repeat(64) }]);
        assert.equal(r.status, MISMATCH_EXIT);
        assert.match(r.stderr, /FATAL: m 1.0: sha256 mismatch: catalogue says 0{64}, the copy has [0-9a-f]{64}/);
        assert.equal(fs.existsSync(path.join(dir, "dst", "store", "m", "1.0")), false);
    });

    it("a changed source never overwrites or purges a verified live copy; a mismatch touches only the staging prefix", () => {
        const good = { name: "m", version: "1.0", artifactPath: "m/1.0/", sha256: manifestDigest() };
        assert.equal(run([good]).status, 0);
        const live = path.join(dir, "dst", "store", "m", "1.0", "1", "model.onnx");
        assert.equal(fs.existsSync(path.join(dir, "dst", "store", ".staging", "m", "1.0")), false, "staging is cleaned after the move");
        // The artefact changes in the training store under the same version.
        fs.writeFileSync(path.join(dir, "src", "models", "m", "1.0", "1", "model.onnx"), "tampered");
        const again = run([good]);
        assert.equal(again.status, 0, again.stderr);
        assert.match(again.stdout, /m 1.0: live copy verified/);
        assert.equal(fs.readFileSync(live, "utf8"), "weights");
        // The live copy is damaged too: the re-copy is staged, fails verification, and only the staged copy is removed.
        fs.writeFileSync(live, "bit rot");
        const bad = run([good]);
        assert.equal(bad.status, MISMATCH_EXIT, bad.stderr);
        assert.match(bad.stderr, /live copy untouched/);
        assert.equal(fs.readFileSync(live, "utf8"), "bit rot", "the live copy is not overwritten by an unverified one");
        assert.equal(fs.existsSync(path.join(dir, "dst", "store", ".staging", "m", "1.0")), false);
    });

    it("Triton: the storage URI is the model repository root, the artefact its model folder (<uri>/<name>/config.pbtxt)", () => {
        const m = { name: "m", version: "1.0", artifactPath: "m/1.0/", sha256: manifestDigest(), runtime: "kserve-tritonserver" };
        const r = run([m]);
        assert.equal(r.status, 0, r.stderr);
        // modelStorageUri(prefix, m) = <prefix>/m/1.0: Triton is started with --model-repository=<that copy>.
        const root = path.join(dir, "dst", "store", modelStorageUri("", m).replace(/^\//, ""));
        assert.equal(fs.readFileSync(path.join(root, "m", "config.pbtxt"), "utf8"), "name: m\n");
        assert.equal(fs.existsSync(path.join(root, "m", "1", "model.onnx")), true);
        assert.equal(fs.existsSync(path.join(root, "config.pbtxt")), false, "the version folder is the repository, not the model");
        // Other runtimes serve the model directory itself.
        const hf = run([{ ...m, name: "h", runtime: "kserve-huggingfaceserver" }]);
        assert.equal(hf.status, 0, hf.stderr);
        assert.equal(fs.existsSync(path.join(dir, "dst", "store", "h", "1.0", "config.pbtxt")), true);
        // A Triton artefact without config.pbtxt at its top fails at once (no retries), nothing left behind.
        fs.mkdirSync(path.join(dir, "src", "models", "flat", "1"), { recursive: true });
        fs.writeFileSync(path.join(dir, "src", "models", "flat", "1", "model.onnx"), "w");
        const flat = run([{ name: "f", version: "1", artifactPath: "flat/1/", runtime: "kserve-tritonserver" }]);
        assert.equal(flat.status, MISMATCH_EXIT, flat.stderr);
        assert.match(flat.stderr, /not a Triton model directory/);
        assert.equal(fs.existsSync(path.join(dir, "dst", "store", "f", "1", "f")), false);
    });

    it("a hashing error is a retryable failure (exit 1), never a mismatch (pipefail)", () => {
        const r = run([{ name: "m", version: "1.0", artifactPath: "m/1.0/", sha256: manifestDigest() }], { FAKE_HASH_FAIL: "1" });
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, /cannot hash/);
        assert.doesNotMatch(r.stderr, /mismatch/);
        assert.match(syncScript([]), /^set -eu\nset -o pipefail\n/);
    });

    it("warns (and copies) when the catalogue gives no digest", () => {
        const r = run([{ name: "m", version: "1.0", artifactPath: "m/1.0/" }]);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, /no sha256 in the catalogue: not verified/);
    });
});

describe("serving: ModelSync under mocks", () => {
    const build = (store: any, writer = { serviceAccountName: "model-sync", annotations: { "iam.gke.io/gcp-service-account": "sync@p.iam.gserviceaccount.com" } }) =>
        runMocked(() => new ModelSync("s", {
            provider: provider(), namespace: "models", models, source, sourceCredentials: creds(), store, writer, schedule: "*/15 * * * *", protect: true,
        }));

    it("reads with the training credentials (secret), writes as the writer SA, Job before CronJob", async () => {
        const rec = await build({ kind: "gcs", uriPrefix: pulumi.output("gs://acme-models") });
        const c = rec.one("hybridml:serving:ModelSync");
        const secret = rec.one("kubernetes:core/v1:Secret");
        const sa = rec.one("kubernetes:core/v1:ServiceAccount");
        const job = rec.one("kubernetes:batch/v1:Job");
        const cron = rec.one("kubernetes:batch/v1:CronJob");
        for (const r of [secret, sa, job, cron]) {
            assert.equal(r.parent, c.urn);
            assert.match(r.provider, /pulumi:providers:kubernetes::k8s::/);
        }
        assert.equal(rec.ofType("kubernetes:core/v1:PersistentVolumeClaim").length, 0);
        assert.ok(secret.inputs.stringData instanceof SecretValue || Object.values(secret.inputs.stringData as object).every((v) => v instanceof SecretValue),
            "the training credentials must be recorded as secrets");
        assert.equal(rec.inputs(secret).metadata.name, SOURCE_SECRET_NAME);
        assert.equal(rec.inputs(secret).stringData.secretAccessKey, "training-read-secret");
        assert.equal(rec.inputs(sa).metadata.name, "model-sync");
        assert.equal(rec.inputs(sa).metadata.annotations["iam.gke.io/gcp-service-account"], "sync@p.iam.gserviceaccount.com");
        const j = rec.inputs(job);
        assert.equal(j.metadata.name, syncJobName(models));
        const pod = j.spec.template.spec;
        assert.equal(pod.serviceAccountName, "model-sync");
        assert.notEqual(pod.serviceAccountName, "model-reader");
        const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
        assert.equal(env.RCLONE_CONFIG_TRAINING_ENDPOINT, source.endpoint);
        assert.deepEqual(env.RCLONE_CONFIG_TRAINING_SECRET_ACCESS_KEY, { secretKeyRef: { name: SOURCE_SECRET_NAME, key: "secretAccessKey" } });
        assert.equal(env.DEST_ROOT, "local:acme-models");
        assert.match(pod.containers[0].image, /^docker\.io\/rclone\/rclone:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
        assert.ok(job.dependencies.includes(secret.urn) && job.dependencies.includes(sa.urn));
        assert.ok(cron.dependencies.includes(job.urn));
        assert.deepEqual(j.spec.podFailurePolicy.rules[0], { action: "FailJob", onExitCodes: { containerName: "sync", operator: "In", values: [MISMATCH_EXIT] } });
        assert.equal(j.spec.backoffLimit, 2);
        // Pulumi waits as long as the Job may run (not the provider's 10 minutes), and replaces a failed Job on the next up.
        assert.equal(j.spec.activeDeadlineSeconds, SYNC_DEADLINE_SECONDS);
        assert.deepEqual(job.customTimeouts, { create: `${SYNC_DEADLINE_SECONDS / 60 + 10}m`, update: `${SYNC_DEADLINE_SECONDS / 60 + 10}m` });
        assert.equal(j.metadata.annotations["pulumi.com/replaceUnready"], "true");
        assert.equal(job.deleteBeforeReplace, true);
        assert.equal(rec.inputs(cron).spec.jobTemplate.spec.activeDeadlineSeconds, SYNC_DEADLINE_SECONDS);
        assert.equal(rec.inputs(cron).spec.schedule, "*/15 * * * *");
        assert.equal(rec.inputs(cron).spec.concurrencyPolicy, "Forbid");
        assert.deepEqual(rec.inputs(cron).spec.jobTemplate.spec.template.spec.containers[0].command, pod.containers[0].command);
    });

    it("at the edge the copy lives on a protected, retained RWX volume mounted by the sync", async () => {
        const rec = await build({ kind: "pvc", claimName: "model-store", size: "100Gi", storageClass: "longhorn" }, { serviceAccountName: "model-sync" } as any);
        const pvc = rec.one("kubernetes:core/v1:PersistentVolumeClaim");
        assert.equal(pvc.protect, true);
        assert.equal(pvc.retainOnDelete, true);
        assert.deepEqual(rec.inputs(pvc).spec, { accessModes: ["ReadWriteMany"], resources: { requests: { storage: "100Gi" } }, storageClassName: "longhorn" });
        const pod = rec.inputs(rec.one("kubernetes:batch/v1:Job")).spec.template.spec;
        assert.deepEqual(pod.volumes[1], { name: "models", persistentVolumeClaim: { claimName: "model-store" } });
        assert.ok(rec.one("kubernetes:batch/v1:Job").dependencies.includes(pvc.urn));
    });
});
