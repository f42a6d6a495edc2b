/**
 * The CRD schema lock, the schema copy locator/fetcher and the custom-resource validator (SPEC 9).
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FetchLike, fetchSchemas } from "../tools/schemas/fetch";
import { Lock, locateSchemaDir, readLock, SHARED_DIR, sha256, verifySchemaDir } from "../tools/schemas/locate";
import {
    CrdCatalog, isBuiltinKubernetesType, loadCrdCatalog, validateCustomResource, validateRecordedCustomResource,
} from "./helpers/crds";

const tmpDirs: string[] = [];
const tmpDir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "crds-test-"));
    tmpDirs.push(d);
    return d;
};
after(() => {
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("crds.lock.json", () => {
    it("lists every entry of shared/crds/index.json with the same url and sha256", function () {
        const index = path.join(SHARED_DIR, "index.json");
        if (!fs.existsSync(index)) this.skip();
        const entries = JSON.parse(fs.readFileSync(index, "utf8")) as { file: string; url: string; sha256: string }[];
        const lock = readLock();
        assert.equal(lock.source, "shared/crds/index.json");
        assert.deepEqual(lock.files, entries.map((e) => ({ file: e.file, url: e.url, sha256: e.sha256 })));
    });

    it("has unique files and https URLs pinned to a tag", () => {
        const lock = readLock();
        assert.equal(new Set(lock.files.map((e) => e.file)).size, lock.files.length);
        for (const e of lock.files) assert.match(e.url, /^https:\/\/raw\.githubusercontent\.com\/[^/]+\/[^/]+\/[^/]+\//, e.file);
    });
});

describe("schema copy: locate and verify", () => {
    const lock = readLock();

    it("finds a complete copy that matches the lock", () => {
        const found = locateSchemaDir();
        assert.ok(found, "no CRD schema copy: run `npm run fetch-schemas` or set CRD_SCHEMA_DIR");
        assert.deepEqual(verifySchemaDir(found.dir), []);
    });

    it("reports a corrupted and a missing file by name", () => {
        const src = locateSchemaDir()!.dir;
        const dir = tmpDir();
        for (const e of lock.files) {
            fs.mkdirSync(path.dirname(path.join(dir, e.file)), { recursive: true });
            fs.copyFileSync(path.join(src, e.file), path.join(dir, e.file));
        }
        assert.deepEqual(verifySchemaDir(dir), []);
        const [bad, gone] = [lock.files[1].file, lock.files[2].file];
        fs.appendFileSync(path.join(dir, bad), "# edited\n");
        fs.rmSync(path.join(dir, gone));
        const problems = verifySchemaDir(dir);
        assert.equal(problems.length, 2, problems.join("\n"));
        assert.match(problems.find((p) => p.includes("sha256 mismatch")) ?? "", new RegExp(`^${bad}: sha256 mismatch`));
        assert.match(problems.find((p) => p.includes("missing")) ?? "", new RegExp(`^${gone}: missing`));
    });

    describe("CRD_SCHEMA_DIR", () => {
        const saved = process.env.CRD_SCHEMA_DIR;
        afterEach(() => {
            if (saved === undefined) delete process.env.CRD_SCHEMA_DIR;
            else process.env.CRD_SCHEMA_DIR = saved;
        });

        it("is used when set and complete", () => {
            process.env.CRD_SCHEMA_DIR = locateSchemaDir()!.dir;
            const dir = process.env.CRD_SCHEMA_DIR;
            assert.deepEqual(locateSchemaDir(), { dir: path.resolve(dir), source: "env" });
        });

        it("is an error when it does not exist or is incomplete", () => {
            process.env.CRD_SCHEMA_DIR = path.join(os.tmpdir(), "no-such-crd-dir-" + process.pid);
            assert.throws(() => locateSchemaDir(), /CRD_SCHEMA_DIR=.*no such directory/);
            process.env.CRD_SCHEMA_DIR = tmpDir();
            assert.throws(() => locateSchemaDir(), /missing \d+ locked file/);
        });
    });
});

describe("fetch-schemas core (injected fetch)", () => {
    const content: Record<string, string> = {
        "https://example.test/a/crds.yaml": "kind: CustomResourceDefinition\n",
        "https://example.test/b/values.yaml": "replicas: 3\n",
    };
    const lock: Lock = {
        source: "test",
        files: [
            { file: "a/crds.yaml", url: "https://example.test/a/crds.yaml", sha256: sha256(content["https://example.test/a/crds.yaml"]) },
            { file: "b/values.yaml", url: "https://example.test/b/values.yaml", sha256: sha256(content["https://example.test/b/values.yaml"]) },
        ],
    };
    const fakeFetch = (overrides: Record<string, string | number> = {}): FetchLike & { calls: string[] } => {
        const calls: string[] = [];
        const f = async (url: string) => {
            calls.push(url);
            const body = url in overrides ? overrides[url] : content[url];
            if (typeof body === "number" || body === undefined) {
                return { ok: false, status: typeof body === "number" ? body : 404, statusText: "Not Found", arrayBuffer: async () => new ArrayBuffer(0) };
            }
            const bytes = new TextEncoder().encode(body);
            return { ok: true, status: 200, arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer };
        };
        return Object.assign(f, { calls });
    };
    const quiet = () => undefined;

    it("writes every file, verified, with no temp files left", async () => {
        const dir = tmpDir();
        const lines: string[] = [];
        const fetch = fakeFetch();
        const results = await fetchSchemas({ fetch, lock, dir, log: (l) => lines.push(l) });
        assert.deepEqual(results.map((r) => [r.file, r.status]), [["a/crds.yaml", "fetched"], ["b/values.yaml", "fetched"]]);
        assert.equal(lines.length, 2);
        for (const e of lock.files) assert.equal(fs.readFileSync(path.join(dir, e.file), "utf8"), content[e.url]);
        assert.deepEqual(verifySchemaDir(dir, lock), []);
        assert.deepEqual(fs.readdirSync(path.join(dir, "a")), ["crds.yaml"]);
        // A second run keeps the verified copies without downloading.
        const again = await fetchSchemas({ fetch, lock, dir, log: quiet });
        assert.deepEqual(again.map((r) => r.status), ["cached", "cached"]);
        assert.equal(fetch.calls.length, 2);
    });

    it("rejects a download whose sha256 does not match and does not write it", async () => {
        const dir = tmpDir();
        const fetch = fakeFetch({ "https://example.test/b/values.yaml": "replicas: 4\n" });
        await assert.rejects(fetchSchemas({ fetch, lock, dir, log: quiet }), /1 of 2 file\(s\) failed[\s\S]*b\/values\.yaml: sha256 mismatch/);
        assert.ok(fs.existsSync(path.join(dir, "a/crds.yaml")));
        assert.ok(!fs.existsSync(path.join(dir, "b/values.yaml")));
        assert.deepEqual(fs.existsSync(path.join(dir, "b")) ? fs.readdirSync(path.join(dir, "b")) : [], []);
    });

    it("rejects an HTTP error", async () => {
        const fetch = fakeFetch({ "https://example.test/a/crds.yaml": 404 });
        await assert.rejects(fetchSchemas({ fetch, lock, dir: tmpDir(), log: quiet }), /a\/crds\.yaml: HTTP 404/);
    });
});

describe("custom resource validation against CRD schemas", () => {
    let catalog: CrdCatalog;
    before(function () {
        this.timeout(60_000); // first run parses ~6 MB of YAML, later runs read .cache/crds-parsed
        catalog = loadCrdCatalog();
    });
    const validate = (o: Parameters<typeof validateCustomResource>[0]) => validateCustomResource(o, { catalog });

    const pool = (spec: Record<string, unknown>, apiVersion = "ceph.rook.io/v1", kind = "CephBlockPool") =>
        ({ apiVersion, kind, metadata: { name: "replicapool", namespace: "rook-ceph" }, spec });

    it("loads every CRD version keyed group/version/Kind", () => {
        const e = catalog.get("ceph.rook.io/v1/CephBlockPool");
        assert.ok(e);
        assert.equal(e.served, true);
        assert.equal(e.storage, true);
        assert.equal(e.scope, "Namespaced");
        assert.equal(e.schema.type, "object");
        assert.equal(catalog.get("serving.kserve.io/v1beta1/InferenceService")?.served, true);
        assert.equal(catalog.get("objectbucket.io/v1alpha1/ObjectBucket")?.scope, "Cluster");
        assert.ok(![...catalog.keys()].some((k) => k.includes("undefined")));
    });

    it("accepts a good CephBlockPool", () => {
        assert.deepEqual(validate(pool({ failureDomain: "host", replicated: { size: 3 } })), []);
    });

    it("rejects a misspelt field, naming it", () => {
        const errors = validate(pool({ failureDomian: "host", replicated: { size: 3 } }));
        assert.deepEqual(errors, ['spec.failureDomian: unknown field "failureDomian"']);
        assert.deepEqual(validate(pool({ replicated: { size: 3, sise: 2 } })), ['spec.replicated.sise: unknown field "sise"']);
        assert.deepEqual(validate({ ...pool({}), metadata: { name: "p", lables: {} } }), ['metadata.lables: unknown field "lables"']);
    });

    it("rejects a wrong type with the JSON path", () => {
        assert.deepEqual(validate(pool({ failureDomain: 3, replicated: { size: 3 } })), ["spec.failureDomain: must be string"]);
        assert.deepEqual(validate(pool({ replicated: { size: "3" } })), ["spec.replicated.size: must be integer"]);
    });

    it("rejects an unknown kind and an unknown group", () => {
        const [e1, ...rest] = validate(pool({}, "ceph.rook.io/v1", "CephBlockPools"));
        assert.equal(rest.length, 0);
        assert.match(e1, /^ceph\.rook\.io\/v1 CephBlockPools: unknown kind/);
        assert.deepEqual(validate(pool({}, "example.com/v1", "Widget")), ["example.com/v1 Widget: unknown kind (no CRD for group example.com)"]);
    });

    it("rejects an API version that is not served", () => {
        assert.deepEqual(validate(pool({ failureDomain: "host" }, "ceph.rook.io/v2")), ["ceph.rook.io/v2 CephBlockPool: version v2 is not served (served: v1)"]);
    });

    it("rejects a Strimzi KafkaTopic with partitions as a string", () => {
        const topic = (partitions: unknown) => ({
            apiVersion: "kafka.strimzi.io/v1", kind: "KafkaTopic",
            metadata: { name: "events", labels: { "strimzi.io/cluster": "kafka" } },
            spec: { partitions, replicas: 3, config: { "retention.ms": 604800000 } },
        });
        assert.deepEqual(validate(topic(12)), []);
        assert.deepEqual(validate(topic("12")), ["spec.partitions: must be integer"]);
    });

    describe("KServe InferenceService (~2 MB schema)", () => {
        const isvc = (model: Record<string, unknown>) => ({
            apiVersion: "serving.kserve.io/v1beta1", kind: "InferenceService",
            metadata: { name: "sklearn-iris", namespace: "serving" },
            spec: { predictor: { minReplicas: 1, model: { modelFormat: { name: "sklearn" }, storageUri: "s3://models/iris", ...model } } },
        });

        it("compiles quickly and accepts a minimal valid object", () => {
            const t0 = Date.now();
            const errors = validate(isvc({}));
            const ms = Date.now() - t0;
            assert.deepEqual(errors, []);
            assert.ok(ms < 3000, `compiling and validating InferenceService took ${ms} ms`);
        });

        it("rejects a misplaced field deep in the predictor", () => {
            assert.deepEqual(validate(isvc({ storageURI: "s3://x" })), ['spec.predictor.model.storageURI: unknown field "storageURI"']);
        });

        it("accepts int-or-string quantities in both forms and rejects other types", () => {
            assert.deepEqual(validate(isvc({ resources: { limits: { cpu: 2, memory: "4Gi", "nvidia.com/gpu": 1 }, requests: { cpu: "500m" } } })), []);
            assert.deepEqual(validate(isvc({ resources: { limits: { cpu: true } } })), ["spec.predictor.model.resources.limits.cpu: must be integer or string"]);
            const [bad] = validate(isvc({ resources: { limits: { memory: "four gigs" } } }));
            assert.match(bad, /^spec\.predictor\.model\.resources\.limits\.memory: must match pattern/);
        });
    });
});

describe("Pulumi type tokens", () => {
    it("recognises built-in Kubernetes and Pulumi pseudo-group types", () => {
        for (const t of ["kubernetes:core/v1:Namespace", "kubernetes:apps/v1:Deployment", "kubernetes:helm.sh/v3:Release",
            "kubernetes:yaml/v2:ConfigGroup", "pulumi:providers:kubernetes", "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
            "kubernetes:networking.k8s.io/v1:NetworkPolicy", "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
            "kubernetes:kustomize/v2:Directory", "kubernetes:yaml:ConfigFile", "kubernetes:policy/v1:PodDisruptionBudget"]) {
            assert.equal(isBuiltinKubernetesType(t), true, t);
        }
        for (const t of ["kubernetes:ceph.rook.io/v1:CephBlockPool", "kubernetes:serving.kserve.io/v1beta1:InferenceService",
            "aws:eks/cluster:Cluster", "pulumi:providers:aws", "kubernetes:example.com/v1:Widget"]) {
            assert.equal(isBuiltinKubernetesType(t), false, t);
        }
    });

    it("validates recorded custom resource inputs by type token", () => {
        const catalog = loadCrdCatalog();
        const inputs = { apiVersion: "ceph.rook.io/v1", kind: "CephBlockPool", metadata: { name: "p", namespace: "[unknown]" }, spec: { failureDomain: "host", replicated: { size: 3 } } };
        assert.deepEqual(validateRecordedCustomResource("kubernetes:ceph.rook.io/v1:CephBlockPool", inputs, catalog), []);
        assert.deepEqual(validateRecordedCustomResource("kubernetes:ceph.rook.io/v1:CephBlockPool",
            { ...inputs, spec: { replicated: { size: "[unknown]", sise: 1 } } }, catalog), ['spec.replicated.sise: unknown field "sise"']);
        assert.deepEqual(validateRecordedCustomResource("kubernetes:core/v1:Namespace", { metadata: { name: "x" } }, catalog), []);
        assert.match(validateRecordedCustomResource("kubernetes:example.com/v1:Widget", { spec: {} }, catalog).join(), /unknown kind/);
        assert.match(validateRecordedCustomResource("kubernetes:ceph.rook.io/v1:CephBlockPool", { ...inputs, kind: "CephCluster" }, catalog).join(), /^kind: /);
    });
});
