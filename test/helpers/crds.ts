/**
 * Validate custom resources against the CRD schemas in the located schema copy (SPEC 9):
 * `$CRD_SCHEMA_DIR`, `../shared/crds` or `.cache/crds` (see tools/schemas/locate.ts).
 *
 * Each CRD version's openAPIV3Schema (a Kubernetes structural schema) is translated into plain
 * JSON Schema for ajv, applying the API server's rules:
 *  - `x-kubernetes-int-or-string`: integer or string;
 *  - `nullable`: null accepted;
 *  - unknown fields are rejected where a schema lists `properties` and neither
 *    `additionalProperties` nor `x-kubernetes-preserve-unknown-fields` allows them
 *    (like the API server's strict field validation);
 *  - `x-kubernetes-embedded-resource`: apiVersion/kind/metadata allowed;
 *  - `x-kubernetes-list-type: set|map`: no duplicate items / keys;
 *  - root `metadata` checked as ObjectMeta;
 *  - Kubernetes `format`s (int32, int64, byte, date-time, quantity, ...) known to ajv.
 * CEL rules (`x-kubernetes-validations`) are not evaluated.
 *
 * Identical sub-schemas (the InferenceService schema repeats the pod/container schema dozens of
 * times) are shared through `definitions`, so the ~2 MB schema compiles in a fraction of a second.
 * Parsed CRDs are cached in .cache/crds-parsed/<sha256>.json (git-ignored; set
 * CRD_PARSE_CACHE=off to disable) because parsing 6 MB of YAML takes seconds.
 */
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { locateSchemaDir, REPO_ROOT, sha256 } from "../../tools/schemas/locate";

type Schema = { [k: string]: any };

/** One served (or not) version of a CRD. */
export interface CrdEntry {
    group: string;
    version: string;
    kind: string;
    plural: string;
    scope: "Namespaced" | "Cluster";
    served: boolean;
    storage: boolean;
    deprecated: boolean;
    /** The version's openAPIV3Schema, as in the CRD. */
    schema: Schema;
    /** File (relative to the schema dir) that defines it. */
    file: string;
}

/** `group/version/Kind` -> entry. */
export type CrdCatalog = Map<string, CrdEntry>;

export const catalogKey = (group: string, version: string, kind: string) => `${group}/${version}/${kind}`;

// ---------------------------------------------------------------------------------------------
// Loading

const PARSE_CACHE_DIR = path.join(REPO_ROOT, ".cache", "crds-parsed");
const PARSE_CACHE_FORMAT = 1;

function listYaml(dir: string, base = dir): string[] {
    const out: string[] = [];
    for (const ent of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const p = path.join(dir, ent.name);
        if (ent.isDirectory()) out.push(...listYaml(p, base));
        else if (/\.ya?ml$/.test(ent.name) && !/^values.*\.ya?ml$/.test(ent.name)) out.push(path.relative(base, p));
    }
    return out;
}

/** The CRD documents of one file, parsed (from the parse cache when the content matches). */
function crdDocuments(file: string): any[] {
    const text = fs.readFileSync(file);
    const useCache = process.env.CRD_PARSE_CACHE !== "off";
    const cacheFile = path.join(PARSE_CACHE_DIR, `${sha256(text)}.v${PARSE_CACHE_FORMAT}.json`);
    if (useCache) {
        try {
            return JSON.parse(fs.readFileSync(cacheFile, "utf8"));
        } catch {
            /* not cached yet */
        }
    }
    const docs: any[] = [];
    for (const doc of parseAllDocuments(text.toString("utf8"))) {
        if (doc.errors.length > 0) throw new Error(`${file}: YAML error: ${doc.errors[0].message}`);
        const o = doc.toJS({ maxAliasCount: -1 });
        if (o && typeof o === "object" && o.kind === "CustomResourceDefinition" && String(o.apiVersion).startsWith("apiextensions.k8s.io/")) {
            docs.push(o);
        }
    }
    if (useCache) {
        try {
            fs.mkdirSync(PARSE_CACHE_DIR, { recursive: true });
            const tmp = `${cacheFile}.tmp-${process.pid}`;
            fs.writeFileSync(tmp, JSON.stringify(docs));
            fs.renameSync(tmp, cacheFile);
        } catch {
            /* a cache is optional */
        }
    }
    return docs;
}

const catalogs = new Map<string, CrdCatalog>();

/** Parse every CRD in `dir` (default: the located schema copy). Memoised per dir. */
export function loadCrdCatalog(dir?: string): CrdCatalog {
    if (dir === undefined) {
        const found = locateSchemaDir();
        if (!found) {
            throw new Error("no CRD schema copy found: set CRD_SCHEMA_DIR, provide ../shared/crds, or run `npm run fetch-schemas`");
        }
        dir = found.dir;
    }
    dir = path.resolve(dir);
    const memo = catalogs.get(dir);
    if (memo) return memo;
    const catalog: CrdCatalog = new Map();
    for (const rel of listYaml(dir)) {
        for (const crd of crdDocuments(path.join(dir, rel))) {
            const { group, names, scope, versions } = crd.spec ?? {};
            for (const v of versions ?? []) {
                const schema = v.schema?.openAPIV3Schema ?? crd.spec.validation?.openAPIV3Schema;
                if (!schema) throw new Error(`${rel}: ${group}/${v.name} ${names?.kind} has no openAPIV3Schema`);
                const key = catalogKey(group, v.name, names.kind);
                if (catalog.has(key)) throw new Error(`${rel}: ${key} is also defined in ${catalog.get(key)!.file}`);
                catalog.set(key, {
                    group, version: v.name, kind: names.kind, plural: names.plural, scope,
                    served: v.served === true, storage: v.storage === true, deprecated: v.deprecated === true,
                    schema, file: rel,
                });
            }
        }
    }
    catalogs.set(dir, catalog);
    return catalog;
}

// ---------------------------------------------------------------------------------------------
// Structural schema -> JSON Schema

const OBJECT_META: Schema = (() => {
    const str = { type: "string" };
    const strMap = { type: "object", additionalProperties: { type: "string" } };
    return {
        type: "object",
        properties: {
            name: str, generateName: str, namespace: str, selfLink: str, uid: str, resourceVersion: str,
            generation: { type: "integer" }, creationTimestamp: { type: ["string", "null"] }, deletionTimestamp: { type: ["string", "null"] },
            deletionGracePeriodSeconds: { type: "integer" }, labels: strMap, annotations: strMap,
            ownerReferences: { type: "array", items: { type: "object", required: ["apiVersion", "kind", "name", "uid"] } },
            finalizers: { type: "array", items: str }, managedFields: { type: "array" },
        },
        additionalProperties: false,
    };
})();

/** Keywords copied as they are (they mean the same in OpenAPI v3 and JSON Schema draft-07). */
const COPIED = ["type", "format", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "multipleOf",
    "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "required"];

/** Convert one structural-schema node. `junctor`: inside allOf/anyOf/oneOf/not (no pruning rules there). */
function convert(s: Schema, junctor: boolean, formats: Set<string>): Schema {
    if (typeof s !== "object" || s === null) return s;
    const out: Schema = {};
    for (const k of COPIED) if (s[k] !== undefined) out[k] = s[k];
    if (typeof s.format === "string") formats.add(s.format);
    // OpenAPI v3.0 boolean exclusiveMinimum/Maximum -> draft-07 numbers.
    if (s.exclusiveMinimum === true && typeof s.minimum === "number") { out.exclusiveMinimum = s.minimum; delete out.minimum; }
    if (s.exclusiveMaximum === true && typeof s.maximum === "number") { out.exclusiveMaximum = s.maximum; delete out.maximum; }

    const intOrString = s["x-kubernetes-int-or-string"] === true;
    const preserve = s["x-kubernetes-preserve-unknown-fields"] === true;
    const embedded = s["x-kubernetes-embedded-resource"] === true;
    if (intOrString) out.type = ["integer", "string"];

    if (s.properties) {
        out.properties = {};
        for (const [name, sub] of Object.entries(s.properties)) out.properties[name] = convert(sub as Schema, false, formats);
    }
    if (embedded) {
        out.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" }, ...(out.properties ?? {}) };
    }
    if (s.items !== undefined) {
        out.items = Array.isArray(s.items) ? s.items.map((i: Schema) => convert(i, false, formats)) : convert(s.items, false, formats);
    }
    if (s.additionalProperties !== undefined) {
        out.additionalProperties = typeof s.additionalProperties === "object" ? convert(s.additionalProperties, false, formats) : s.additionalProperties;
    } else if (!junctor && out.properties && !preserve) {
        out.additionalProperties = false;
    }
    for (const j of ["allOf", "anyOf", "oneOf"] as const) {
        if (!Array.isArray(s[j])) continue;
        // int-or-string's anyOf [{type: integer}, {type: string}] only restates the type: drop it.
        if (intOrString && s[j].every((b: Schema) => Object.keys(b).every((k) => k === "type"))) continue;
        out[j] = s[j].map((b: Schema) => convert(b, true, formats));
    }
    if (s.not !== undefined) out.not = convert(s.not, true, formats);

    if (s.nullable === true) {
        if (out.type !== undefined) out.type = [...new Set([...(Array.isArray(out.type) ? out.type : [out.type]), "null"])];
        if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    }
    const listType = s["x-kubernetes-list-type"];
    if (listType === "set") out.uniqueItems = true;
    if (listType === "map" && Array.isArray(s["x-kubernetes-list-map-keys"])) out.k8sListMapKeys = s["x-kubernetes-list-map-keys"];
    return out;
}

/** Share identical sub-schemas (above a size) through `definitions`, referenced by `$ref`. */
function dedupe(root: Schema, minChars = 200): Schema {
    // Intern every schema node by its canonical form (keys sorted, sub-schemas by id), linear time.
    const ids = new Map<string, number>();
    const sizes: number[] = [];
    const counts: number[] = [];
    const idOf = new Map<object, number>();
    const SUB = new Set(["items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"]);
    const intern = (s: any): string => {
        if (typeof s !== "object" || s === null) return JSON.stringify(s);
        if (Array.isArray(s)) return `[${s.map(intern).join(",")}]`;
        let size = 2;
        const parts = Object.keys(s).sort().map((k) => {
            const v = s[k];
            let t: string;
            if (k === "properties") t = "{" + Object.keys(v).sort().map((p) => JSON.stringify(p) + ":" + intern(v[p])).join(",") + "}";
            else if (SUB.has(k)) t = intern(v);
            else t = JSON.stringify(v);
            size += k.length + t.length;
            return JSON.stringify(k) + ":" + t;
        });
        const key = "{" + parts.join(",") + "}";
        let id = ids.get(key);
        if (id === undefined) {
            id = ids.size;
            ids.set(key, id);
            // Approximate expanded size: own text plus the sizes of interned children.
            sizes[id] = size + [...key.matchAll(/#(\d+)/g)].reduce((a, m) => a + sizes[Number(m[1])], 0);
            counts[id] = 0;
        }
        counts[id]++;
        idOf.set(s, id);
        return `#${id}`;
    };
    intern(root);
    const definitions: Schema = {};
    const names = new Map<number, string>();
    const rewrite = (s: any, top = false): any => {
        if (typeof s !== "object" || s === null) return s;
        if (Array.isArray(s)) return s.map((x) => rewrite(x));
        const id = idOf.get(s)!;
        if (!top && sizes[id] >= minChars && counts[id] > 1) {
            let name = names.get(id);
            if (!name) {
                name = `s${names.size}`;
                names.set(id, name);
                definitions[name] = rewrite(s, true);
            }
            return { $ref: `#/definitions/${name}` };
        }
        const out: Schema = {};
        for (const [k, v] of Object.entries(s)) {
            if (k === "properties") out[k] = Object.fromEntries(Object.entries(v as Schema).map(([p, x]) => [p, rewrite(x)]));
            else if (SUB.has(k)) out[k] = rewrite(v);
            else out[k] = v;
        }
        return out;
    };
    const out = rewrite(root, true);
    if (names.size > 0) out.definitions = definitions;
    return out;
}

/** The JSON Schema ajv compiles for a CRD version's openAPIV3Schema (exported for tests/debugging). */
export function toJsonSchema(openAPIV3Schema: Schema, formats: Set<string> = new Set()): Schema {
    const s = convert(openAPIV3Schema, false, formats);
    s.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, ...(s.properties ?? {}), metadata: OBJECT_META };
    return dedupe(s);
}

// ---------------------------------------------------------------------------------------------
// ajv

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(\d+(\.\d*)?|\.\d+)))?$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * CRD patterns are Go (RE2) regular expressions: turn inline flag groups like `(?i)` into
 * JavaScript flags and `\z` into `$`; a pattern JavaScript still cannot compile is not checked.
 */
const goRegExp = Object.assign((src: string, flags: string): RegExp => {
    let f = flags;
    const s = src
        .replace(/\(\?([imsU]+)\)/g, (_m, fl: string) => {
            for (const c of fl) if ("ims".includes(c) && !f.includes(c)) f += c;
            return "";
        })
        .replace(/\\z/g, "$");
    for (const [pattern, fl] of [[s, f], [s, f.replace("u", "")]]) {
        try {
            return new RegExp(pattern, fl);
        } catch {
            /* next */
        }
    }
    return /(?:)/;
}, { code: "new RegExp" });

function makeAjv(): Ajv {
    const ajv = new Ajv({ strict: false, allErrors: true, inlineRefs: false, code: { optimize: false, regExp: goRegExp } });
    const intRange = (min: number, max: number) => ({ type: "number" as const, validate: (n: number) => Number.isInteger(n) && n >= min && n <= max });
    ajv.addFormat("int32", intRange(-(2 ** 31), 2 ** 31 - 1));
    ajv.addFormat("int64", intRange(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
    ajv.addFormat("float", { type: "number", validate: () => true });
    ajv.addFormat("double", { type: "number", validate: () => true });
    ajv.addFormat("byte", BASE64);
    ajv.addFormat("date-time", DATE_TIME);
    ajv.addFormat("date", /^\d{4}-\d{2}-\d{2}$/);
    ajv.addFormat("quantity", QUANTITY);
    ajv.addKeyword({
        keyword: "k8sListMapKeys",
        type: "array",
        schemaType: "array",
        error: { message: (cxt) => `must not have two items with the same key (${cxt.schema.join(", ")})` },
        validate: (keys: string[], data: unknown[]) => {
            const seen = new Set<string>();
            for (const item of data) {
                if (typeof item !== "object" || item === null) continue;
                const k = JSON.stringify(keys.map((key) => (item as Record<string, unknown>)[key] ?? null));
                if (seen.has(k)) return false;
                seen.add(k);
            }
            return true;
        },
    });
    return ajv;
}

let ajv: Ajv | undefined;
const validators = new WeakMap<CrdEntry, ValidateFunction>();

/** The compiled validator of a catalog entry (compiled on first use, then cached). */
export function validatorFor(entry: CrdEntry): ValidateFunction {
    let v = validators.get(entry);
    if (!v) {
        ajv ??= makeAjv();
        const formats = new Set<string>();
        const schema = toJsonSchema(entry.schema, formats);
        // Formats the API server does not check either (uri, hostname, ...) are accepted as is.
        for (const f of formats) if (!ajv.formats[f]) ajv.addFormat(f, true);
        v = ajv.compile(schema);
        validators.set(entry, v);
    }
    return v;
}

// ---------------------------------------------------------------------------------------------
// Error messages

/** JSON pointer -> `spec.containers[0].name` (keys that are not identifiers in ["..."]). */
export function formatPath(pointer: string): string {
    if (pointer === "") return "";
    let out = "";
    for (const raw of pointer.split("/").slice(1)) {
        const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
        if (/^\d+$/.test(seg)) out += `[${seg}]`;
        else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
        else out += `[${JSON.stringify(seg)}]`;
    }
    return out;
}

/** Path of property `name` of the object at `pointer`. */
const child = (pointer: string, name: string) => formatPath(`${pointer}/${String(name).replace(/~/g, "~0").replace(/\//g, "~1")}`);

function describe(e: ErrorObject, branches: string[]): string {
    const at = formatPath(e.instancePath);
    const where = (p: string) => p || "(root)";
    const p = e.params as Record<string, any>;
    switch (e.keyword) {
        case "additionalProperties":
            return `${child(e.instancePath, p.additionalProperty)}: unknown field "${p.additionalProperty}"`;
        case "required":
            return `${child(e.instancePath, p.missingProperty)}: required field is missing`;
        case "type":
            return `${where(at)}: must be ${String(p.type).split(",").join(" or ")}`;
        case "enum":
            return `${where(at)}: must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
        case "anyOf":
        case "oneOf":
            return `${where(at)}: ${e.message}${branches.length ? ` (${[...new Set(branches)].join("; ")})` : ""}`;
        default:
            return `${where(at)}: ${e.message}`;
    }
}

/** Readable, de-duplicated messages; the errors of anyOf/oneOf branches are folded into their parent. */
function formatErrors(errors: ErrorObject[], data: unknown, ignore?: (value: unknown) => boolean): string[] {
    const junctors = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf");
    const branchOf = (e: ErrorObject) => junctors.find((j) => j !== e && e.schemaPath.startsWith(`${j.schemaPath}/`) && e.instancePath.startsWith(j.instancePath));
    const out: string[] = [];
    for (const e of errors) {
        if (branchOf(e)) continue;
        if (ignore && ignore(valueAt(data, e.instancePath))) continue;
        const branches = junctors.includes(e)
            ? errors.filter((b) => b !== e && b.schemaPath.startsWith(`${e.schemaPath}/`)).map((b) => describe(b, []))
            : [];
        out.push(describe(e, branches));
    }
    return [...new Set(out)];
}

function valueAt(data: unknown, pointer: string): unknown {
    let v: any = data;
    for (const raw of pointer.split("/").slice(1)) {
        if (v === null || typeof v !== "object") return undefined;
        v = v[raw.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    return v;
}

// ---------------------------------------------------------------------------------------------
// Validation

export interface CustomResource {
    apiVersion: string;
    kind: string;
    metadata?: Record<string, unknown>;
    spec?: unknown;
    [field: string]: unknown;
}

export interface ValidateOptions {
    /** Default: the catalog of the located schema copy. */
    catalog?: CrdCatalog;
    /** Errors whose offending value satisfies this are dropped (e.g. unknown values in a preview). */
    ignoreValue?: (value: unknown) => boolean;
}

/** Errors for a custom resource (empty = valid): unknown kind, unserved version, schema violations. */
export function validateCustomResource(obj: CustomResource, opts: ValidateOptions = {}): string[] {
    if (obj === null || typeof obj !== "object") return ["(root): must be an object"];
    const { apiVersion, kind } = obj;
    if (typeof apiVersion !== "string" || apiVersion === "") return ["apiVersion: required field is missing"];
    if (typeof kind !== "string" || kind === "") return ["kind: required field is missing"];
    const slash = apiVersion.lastIndexOf("/");
    if (slash <= 0) return [`${apiVersion} ${kind}: not a custom resource (apiVersion has no group)`];
    const group = apiVersion.slice(0, slash);
    const version = apiVersion.slice(slash + 1);

    const catalog = opts.catalog ?? loadCrdCatalog();
    const entry = catalog.get(catalogKey(group, version, kind));
    if (!entry || !entry.served) {
        const versions = [...catalog.values()].filter((e) => e.group === group && e.kind === kind);
        if (versions.length === 0) {
            const kinds = [...new Set([...catalog.values()].filter((e) => e.group === group).map((e) => e.kind))];
            return [kinds.length === 0
                ? `${apiVersion} ${kind}: unknown kind (no CRD for group ${group})`
                : `${apiVersion} ${kind}: unknown kind (group ${group} has ${kinds.join(", ")})`];
        }
        const served = versions.filter((e) => e.served).map((e) => e.version);
        return [`${apiVersion} ${kind}: version ${version} is not served (served: ${served.join(", ") || "none"})`];
    }
    const validate = validatorFor(entry);
    if (validate(obj)) return [];
    return formatErrors(validate.errors ?? [], obj, opts.ignoreValue);
}

// ---------------------------------------------------------------------------------------------
// Pulumi type tokens

/** Kubernetes built-in API groups, and the Pulumi pseudo-groups of the kubernetes provider. */
export const BUILTIN_GROUPS: ReadonlySet<string> = new Set([
    "core", "apps", "batch", "rbac.authorization.k8s.io", "networking.k8s.io", "policy", "storage.k8s.io",
    "scheduling.k8s.io", "autoscaling", "admissionregistration.k8s.io", "apiextensions.k8s.io",
    "coordination.k8s.io", "discovery.k8s.io", "node.k8s.io", "certificates.k8s.io", "events.k8s.io",
    "flowcontrol.apiserver.k8s.io", "apiregistration.k8s.io", "apiregistration", "auditregistration.k8s.io",
    "authentication.k8s.io", "authorization.k8s.io", "extensions", "resource.k8s.io", "settings.k8s.io",
    "storagemigration.k8s.io", "internal.apiserver.k8s.io", "lifecycle.k8s.io", "meta",
    // Pulumi's own modules: Helm, YAML and Kustomize components.
    "helm.sh", "helm", "yaml", "kustomize",
]);

/** Parse `kubernetes:<group>/<version>:<Kind>` (or `kubernetes:<module>:<Kind>`). */
function parseToken(type: string): { group: string; version?: string; kind: string } | undefined {
    const m = /^kubernetes:([^:]+):([^:]+)$/.exec(type);
    if (!m) return undefined;
    const mod = m[1];
    const slash = mod.lastIndexOf("/");
    return slash < 0 ? { group: mod, kind: m[2] } : { group: mod.slice(0, slash), version: mod.slice(slash + 1), kind: m[2] };
}

/** True for the provider and for built-in Kubernetes (and Pulumi helm/yaml/kustomize) type tokens. */
export function isBuiltinKubernetesType(pulumiType: string): boolean {
    if (pulumiType === "pulumi:providers:kubernetes") return true;
    const t = parseToken(pulumiType);
    return t !== undefined && BUILTIN_GROUPS.has(t.group);
}

const UNKNOWN = "[unknown]"; // tools/plan/recorder.ts UNKNOWN

/** Strip recorder secret markers (`SecretValue { value }`), keeping the values. */
function reveal(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(reveal);
    if (v !== null && typeof v === "object") {
        if ((v as object).constructor?.name === "SecretValue" && "value" in (v as object)) return reveal((v as { value: unknown }).value);
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
    }
    return v;
}

/**
 * Validate a recorded registration: `type` is its Pulumi token (`kubernetes:ceph.rook.io/v1:CephBlockPool`),
 * `inputs` its recorded inputs. Built-in Kubernetes types give no errors (nothing to check here);
 * a non-built-in group without a CRD is an error. Secrets are revealed; values unknown at plan
 * time ("[unknown]") are not held against the schema.
 */
export function validateRecordedCustomResource(type: string, inputs: Record<string, unknown>, catalog?: CrdCatalog): string[] {
    const t = parseToken(type);
    if (!t) return [`${type}: not a Kubernetes resource type token (kubernetes:<group>/<version>:<Kind>)`];
    if (BUILTIN_GROUPS.has(t.group)) return [];
    if (!t.version) return [`${type}: no API version in the type token`];
    const obj = reveal(inputs ?? {}) as Record<string, unknown>;
    const apiVersion = `${t.group}/${t.version}`;
    const errors: string[] = [];
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) errors.push(`apiVersion: is ${JSON.stringify(obj.apiVersion)} but the type is ${type}`);
    if (obj.kind !== undefined && obj.kind !== t.kind) errors.push(`kind: is ${JSON.stringify(obj.kind)} but the type is ${type}`);
    if (errors.length > 0) return errors;
    return validateCustomResource({ ...obj, apiVersion, kind: t.kind }, { catalog, ignoreValue: (v) => v === UNKNOWN });
}
