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
 * CEL rules (`x-kubernetes-validations`) are evaluated with @marcbachmann/cel-js after the schema
 * check, on the object with the schema's defaults applied (as the API server does): a failing rule
 * gives `<path>: <the rule's message>`. Transition rules (those using `oldSelf`) run only when an
 * old object is given (`ValidateOptions.oldObject`), on values present in both, like an update.
 * Built-in objects (validateKubernetesObject) get the checks `kubectl apply` would fail on: names and
 * labels (DNS-1123 and lengths, with Pulumi's auto-name suffix), quantities, requests <= limits.
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
import { locateSchemaDir, REPO_ROOT, sha256 } from "./locate";
import { parseQuantity, QUANTITY_RE } from "../../policy/lib/quantity";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cel = require("@marcbachmann/cel-js") as typeof import("@marcbachmann/cel-js");

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
    /** The object as it is now (an update): transition rules (`oldSelf`) are evaluated against it. */
    oldObject?: Record<string, unknown>;
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
    if (!validate(obj)) return formatErrors(validate.errors ?? [], obj, opts.ignoreValue);
    return celErrors(entry.schema, obj, opts.oldObject, opts.ignoreValue);
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
 * `inputs` its recorded inputs. Built-in Kubernetes types get validateKubernetesObject's checks
 * (`name`: the Pulumi resource name, for auto-named objects); a non-built-in group without a CRD is an
 * error. `oldInputs`: the inputs in the base plan, to evaluate transition rules. Secrets are revealed; values unknown at plan
 * time ("[unknown]") are not held against the schema.
 */
export function validateRecordedCustomResource(
    type: string, inputs: Record<string, unknown>, catalog?: CrdCatalog,
    opts: { oldInputs?: Record<string, unknown>; name?: string } = {},
): string[] {
    const t = parseToken(type);
    if (!t) return [`${type}: not a Kubernetes resource type token (kubernetes:<group>/<version>:<Kind>)`];
    if (BUILTIN_GROUPS.has(t.group)) return validateKubernetesObject(type, reveal(inputs ?? {}) as Record<string, unknown>, opts.name);
    if (!t.version) return [`${type}: no API version in the type token`];
    const obj = reveal(inputs ?? {}) as Record<string, unknown>;
    const apiVersion = `${t.group}/${t.version}`;
    const errors: string[] = [];
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) errors.push(`apiVersion: is ${JSON.stringify(obj.apiVersion)} but the type is ${type}`);
    if (obj.kind !== undefined && obj.kind !== t.kind) errors.push(`kind: is ${JSON.stringify(obj.kind)} but the type is ${type}`);
    if (errors.length > 0) return errors;
    const oldObject = opts.oldInputs ? { ...(reveal(opts.oldInputs) as Record<string, unknown>), apiVersion, kind: t.kind } : undefined;
    return validateCustomResource({ ...obj, apiVersion, kind: t.kind }, { catalog, ignoreValue: (v) => v === UNKNOWN, oldObject });
}

// ---------------------------------------------------------------------------------------------
// CEL rules (x-kubernetes-validations)

interface CelRule {
    rule: string;
    message?: string;
    messageExpression?: string;
    fieldPath?: string;
    reason?: string;
}

type CelFn = ReturnType<typeof cel.parse>;
const celCache = new Map<string, CelFn | Error>();

function compileRule(rule: string): CelFn | Error {
    let fn = celCache.get(rule);
    if (!fn) {
        try {
            fn = cel.parse(rule);
        } catch (e) {
            fn = e instanceof Error ? e : new Error(String(e));
        }
        celCache.set(rule, fn);
    }
    return fn;
}

/** JSON values as CEL sees them: integers are `int` (BigInt). */
function toCel(v: unknown): unknown {
    if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
    if (Array.isArray(v)) return v.map(toCel);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
    return v;
}

const containsValue = (v: unknown, pred: (x: unknown) => boolean): boolean =>
    pred(v) || (v !== null && typeof v === "object" && Object.values(v as object).some((x) => containsValue(x, pred)));

/** A copy of `v` with the schema's `default`s applied where fields are missing (structural defaulting). */
export function applyDefaults(schema: Schema | undefined, v: unknown): unknown {
    if (!schema || typeof schema !== "object") return v;
    if (Array.isArray(v)) return v.map((x) => applyDefaults(schema.items, x));
    if (v === null || typeof v !== "object") return v;
    const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    for (const [k, sub] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
        if (out[k] === undefined && sub && sub.default !== undefined) out[k] = structuredClone(sub.default);
        if (out[k] !== undefined) out[k] = applyDefaults(sub, out[k]);
    }
    if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
        for (const k of Object.keys(out)) if (!(schema.properties ?? {})[k]) out[k] = applyDefaults(schema.additionalProperties, out[k]);
    }
    return out;
}

/**
 * Evaluate every CEL rule of `schema` over `obj` (defaults applied first, like the API server).
 * Transition rules (`oldSelf`) run only where `old` has a value at the same place. Values that
 * satisfy `ignore` (unknown at preview) make a rule unevaluated rather than failed.
 */
export function celErrors(schema: Schema, obj: unknown, old?: unknown, ignore?: (value: unknown) => boolean): string[] {
    const errors: string[] = [];
    const now = applyDefaults(schema, obj);
    const before = old === undefined ? undefined : applyDefaults(schema, old);
    const walk = (s: Schema | undefined, v: unknown, o: unknown, hasOld: boolean, at: string) => {
        if (!s || typeof s !== "object" || v === undefined) return;
        if (ignore && ignore(v)) return;
        for (const r of (s["x-kubernetes-validations"] ?? []) as CelRule[]) {
            const transition = /\boldSelf\b/.test(r.rule);
            if (transition && !hasOld) continue;
            if (ignore && (containsValue(v, ignore) || (hasOld && containsValue(o, ignore)))) continue;
            const fn = compileRule(r.rule);
            const where = (at || "(root)") + (r.fieldPath ?? "");
            if (fn instanceof Error) {
                errors.push(`${where}: cannot compile rule ${JSON.stringify(r.rule)}: ${fn.message.split("\n")[0]}`);
                continue;
            }
            const ctx: Record<string, unknown> = { self: toCel(v) };
            if (hasOld) ctx.oldSelf = toCel(o);
            let ok: unknown;
            try {
                ok = fn(ctx);
            } catch (e) {
                errors.push(`${where}: ${r.message ?? `failed rule: ${r.rule}`} (rule error: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]})`);
                continue;
            }
            if (ok !== true) {
                let message = r.message ?? `failed rule: ${r.rule}`;
                if (r.messageExpression) {
                    try {
                        message = String(cel.evaluate(r.messageExpression, ctx));
                    } catch {
                        /* keep the static message */
                    }
                }
                errors.push(`${where}: ${message}`);
            }
        }
        if (Array.isArray(v)) {
            // Items correlate with the old list only in map-lists (by key), as in the API server.
            const keys = s["x-kubernetes-list-type"] === "map" ? (s["x-kubernetes-list-map-keys"] as string[] | undefined) : undefined;
            v.forEach((item, i) => {
                const oldItem = keys && Array.isArray(o)
                    ? o.find((x) => x && typeof x === "object" && keys.every((k) => (x as any)[k] === (item as any)?.[k]))
                    : undefined;
                walk(s.items, item, oldItem, oldItem !== undefined, `${at}[${i}]`);
            });
            return;
        }
        if (v === null || typeof v !== "object") return;
        const oo = hasOld && o !== null && typeof o === "object" && !Array.isArray(o) ? (o as Record<string, unknown>) : undefined;
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
            const sub = (s.properties ?? {})[k] ?? (typeof s.additionalProperties === "object" ? s.additionalProperties : undefined);
            const key = /^[A-Za-z_$][\w$-]*$/.test(k) ? (at ? `${at}.${k}` : k) : `${at}[${JSON.stringify(k)}]`;
            walk(sub, x, oo?.[k], oo !== undefined && oo[k] !== undefined, key);
        }
    };
    walk(schema, now, before, before !== undefined, "");
    return errors;
}

/** Transition-rule errors only: what an update from `oldObj` to `obj` would be refused for. */
export function transitionErrors(obj: CustomResource, oldObj: CustomResource, catalog?: CrdCatalog): string[] {
    const withOld = validateCustomResource(obj, { catalog, oldObject: oldObj, ignoreValue: (v) => v === UNKNOWN });
    const without = new Set(validateCustomResource(obj, { catalog, ignoreValue: (v) => v === UNKNOWN }));
    return withOld.filter((e) => !without.has(e));
}

// ---------------------------------------------------------------------------------------------
// Built-in Kubernetes objects: what `kubectl apply` (the API server) would reject

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** Pulumi auto-names an object without metadata.name as `<resource name>-<7 random chars>`. */
export const AUTONAME_SUFFIX = "-xxxxxxx";

/** Kinds whose names must be DNS-1123 labels (63), DNS-1035 labels (Service), else subdomains (253). */
const LABEL_NAMED = new Set(["Namespace", "Service", "ReplicationController"]);
const DNS1035_NAMED = new Set(["Service"]);
/** Kinds whose name goes into pod/hostnames or labels, capped at 63 by their controllers. */
const SHORT_NAMED = new Set(["StatefulSet", "CronJob", "Deployment", "DaemonSet", "Job"]);

/** Errors for an object name (`what`: where it is). */
export function nameErrors(kind: string, name: string, what = "metadata.name"): string[] {
    const errors: string[] = [];
    if (DNS1035_NAMED.has(kind)) {
        if (!DNS1035_LABEL.test(name)) errors.push(`${what}: "${name}" is not a DNS-1035 label (lower case alphanumerics and '-', starting with a letter)`);
    } else if (LABEL_NAMED.has(kind)) {
        if (!DNS1123_LABEL.test(name)) errors.push(`${what}: "${name}" is not a DNS-1123 label (lower case alphanumerics and '-')`);
    } else if (!DNS1123_SUBDOMAIN.test(name)) {
        errors.push(`${what}: "${name}" is not a DNS-1123 subdomain (lower case alphanumerics, '-' and '.')`);
    }
    const max = kind === "CronJob" ? 52 : LABEL_NAMED.has(kind) || SHORT_NAMED.has(kind) ? 63 : 253;
    if (name.length > max) errors.push(`${what}: "${name}" is ${name.length} characters, must be at most ${max}`);
    return errors;
}

/** Errors for a label map (keys: optional DNS prefix + name <= 63; values <= 63, label charset). */
export function labelErrors(labels: unknown, what: string): string[] {
    if (!labels || typeof labels !== "object") return [];
    const errors: string[] = [];
    for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
        const slash = k.lastIndexOf("/");
        const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
        const name = slash >= 0 ? k.slice(slash + 1) : k;
        if (prefix !== undefined && (!DNS1123_SUBDOMAIN.test(prefix) || prefix.length > 253)) errors.push(`${what}: key "${k}" has an invalid prefix`);
        if (!LABEL_NAME.test(name) || name.length > 63) errors.push(`${what}: key "${k}" is not a valid label name (<= 63 alphanumerics, '-', '_', '.')`);
        if (v === UNKNOWN) continue;
        if (typeof v !== "string") errors.push(`${what}["${k}"]: must be a string`);
        else if (v !== "" && (!LABEL_NAME.test(v) || v.length > 63)) errors.push(`${what}["${k}"]: "${v}" is not a valid label value (<= 63 alphanumerics, '-', '_', '.')`);
    }
    return errors;
}

const POD_SPEC_PATH: Record<string, string[]> = {
    Pod: ["spec"], Deployment: ["spec", "template", "spec"], StatefulSet: ["spec", "template", "spec"], DaemonSet: ["spec", "template", "spec"],
    ReplicaSet: ["spec", "template", "spec"], Job: ["spec", "template", "spec"], CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
};

/** Errors for container resources: valid quantities, requests <= limits. */
export function resourceErrors(resources: unknown, what: string): string[] {
    if (!resources || typeof resources !== "object") return [];
    const errors: string[] = [];
    const r = resources as { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
    for (const kind of ["requests", "limits"] as const) {
        for (const [q, v] of Object.entries(r[kind] ?? {})) {
            if (v === UNKNOWN) continue;
            if (typeof v === "number" ? !Number.isFinite(v) : typeof v !== "string" || !QUANTITY_RE.test(v)) errors.push(`${what}.${kind}.${q}: ${JSON.stringify(v)} is not a quantity`);
        }
    }
    for (const [q, req] of Object.entries(r.requests ?? {})) {
        const lim = r.limits?.[q];
        const a = parseQuantity(req);
        const b = parseQuantity(lim);
        if (a !== undefined && b !== undefined && a > b) errors.push(`${what}.requests.${q}: ${String(req)} must be less than or equal to the ${q} limit ${String(lim)}`);
        // Extended resources (nvidia.com/gpu) cannot be overcommitted: requests must equal limits.
        if (q.includes("/") && !q.startsWith("kubernetes.io/") && lim !== undefined && a !== undefined && b !== undefined && a !== b) {
            errors.push(`${what}.requests.${q}: must equal the limit for an extended resource (${String(req)} != ${String(lim)})`);
        }
    }
    return errors;
}

/**
 * What the API server would reject in a built-in object (`type`: its Pulumi token): the name (with
 * Pulumi's auto-name suffix when metadata.name is unset and `pulumiName` is given), labels and
 * annotations keys, pod template labels, container names, quantities and requests <= limits.
 * Helm releases: the release name (DNS-1123 label, at most 53 characters).
 */
export function validateKubernetesObject(type: string, obj: Record<string, any>, pulumiName?: string): string[] {
    const t = parseToken(type);
    if (!t) return [];
    if (t.group === "helm.sh") {
        const name = typeof obj.name === "string" && obj.name !== UNKNOWN ? obj.name : pulumiName ? `${pulumiName}${AUTONAME_SUFFIX}` : undefined;
        if (name === undefined) return [];
        const errors: string[] = [];
        if (!DNS1123_LABEL.test(name)) errors.push(`name: release name "${name}" is not a DNS-1123 label`);
        if (name.length > 53) errors.push(`name: release name "${name}" is ${name.length} characters, Helm allows at most 53`);
        return errors;
    }
    if (!BUILTIN_GROUPS.has(t.group) || ["helm", "yaml", "kustomize"].includes(t.group)) return [];
    const errors: string[] = [];
    const meta = (obj.metadata ?? {}) as Record<string, any>;
    const explicit = typeof meta.name === "string" && meta.name !== UNKNOWN;
    const name = explicit ? meta.name : pulumiName && meta.name === undefined ? `${pulumiName}${AUTONAME_SUFFIX}` : undefined;
    if (name !== undefined) errors.push(...nameErrors(t.kind, name, explicit ? "metadata.name" : `metadata.name (auto-named "${name}")`));
    if (typeof meta.namespace === "string" && meta.namespace !== UNKNOWN && !DNS1123_LABEL.test(meta.namespace)) {
        errors.push(`metadata.namespace: "${meta.namespace}" is not a DNS-1123 label`);
    }
    errors.push(...labelErrors(meta.labels, "metadata.labels"));
    const podPath = POD_SPEC_PATH[t.kind];
    if (podPath) {
        const templateMeta = podPath.length > 1 ? podPath.slice(0, -1).reduce((o: any, k) => o?.[k], obj)?.metadata : undefined;
        errors.push(...labelErrors(templateMeta?.labels, `${podPath.slice(0, -1).join(".")}.metadata.labels`));
        const spec = podPath.reduce((o: any, k) => o?.[k], obj);
        for (const field of ["containers", "initContainers"]) {
            (Array.isArray(spec?.[field]) ? spec[field] : []).forEach((c: any, i: number) => {
                const at = `${podPath.join(".")}.${field}[${i}]`;
                if (typeof c?.name === "string" && !DNS1123_LABEL.test(c.name)) errors.push(`${at}.name: "${c.name}" is not a DNS-1123 label`);
                errors.push(...resourceErrors(c?.resources, `${at}.resources`));
            });
        }
    }
    const selector = obj.spec?.selector;
    if (selector && typeof selector === "object" && t.kind !== "Service") errors.push(...labelErrors(selector.matchLabels, "spec.selector.matchLabels"));
    else if (t.kind === "Service") errors.push(...labelErrors(selector, "spec.selector"));
    return errors;
}
