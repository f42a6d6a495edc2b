/**
 * CRDs applied as the API server stores them (lib/crdSchemas.ts): the e2e found a perpetual diff on
 * Strimzi's `kafkas` CRD, whose schema holds an empty `properties: {}` the server drops.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { crdAsStored, storedCrdSchemas, withoutEmptyProperties } from "../lib/crdSchemas";
import { locateSchemaDir } from "../tools/schemas/locate";

/** Paths (dot-joined) of every empty `properties` map among a schema's schemas. */
function emptyPropertiesPaths(schema: unknown, at = ""): string[] {
    if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return [];
    const out: string[] = [];
    for (const [k, v] of Object.entries(schema as Record<string, unknown>)) {
        if (k === "properties" && v && typeof v === "object") {
            if (Object.keys(v).length === 0) out.push(`${at}.properties`);
            for (const [f, s] of Object.entries(v as Record<string, unknown>)) out.push(...emptyPropertiesPaths(s, `${at}.${f}`));
        } else if (k === "items" || k === "additionalProperties") out.push(...emptyPropertiesPaths(v, `${at}[]`));
    }
    return out;
}

describe("CRDs as the API server stores them", () => {
    it("drops empty properties of schemas only, keeping fields named properties and literal values", () => {
        const schema = {
            type: "object",
            properties: {
                status: { type: "object", properties: { clusterSecurity: { type: "object", properties: {}, "x-kubernetes-preserve-unknown-fields": true } } },
                properties: { type: "object", properties: { a: { type: "string" } } },
                list: { type: "array", items: { type: "object", properties: {} } },
                withDefault: { type: "object", default: { properties: {} }, "x-kubernetes-preserve-unknown-fields": true },
                enumd: { type: "string", enum: ["properties"] },
            },
        };
        assert.deepEqual(withoutEmptyProperties(schema), {
            type: "object",
            properties: {
                status: { type: "object", properties: { clusterSecurity: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } },
                properties: { type: "object", properties: { a: { type: "string" } } },
                list: { type: "array", items: { type: "object" } },
                withDefault: { type: "object", default: { properties: {} }, "x-kubernetes-preserve-unknown-fields": true },
                enumd: { type: "string", enum: ["properties"] },
            },
        });
    });

    it("leaves Strimzi's kafkas CRD with no empty properties and every other schema node unchanged", function () {
        const located = locateSchemaDir();
        if (!located) this.skip();
        const crd = YAML.parse(fs.readFileSync(path.join(located!.dir, "strimzi/040-Crd-kafka.yaml"), "utf8")) as Record<string, unknown>;
        const versions = (crd.spec as { versions: { schema: { openAPIV3Schema: unknown } }[] }).versions;
        const before = versions.flatMap((v) => emptyPropertiesPaths(v.schema.openAPIV3Schema));
        assert.ok(before.some((p) => p.endsWith(".status.clusterSecurity.properties")), `the upstream file has the empty map: ${before.join(", ")}`);
        const stored = crdAsStored(crd) as typeof crd;
        const after = (stored.spec as typeof crd.spec & { versions: { schema: { openAPIV3Schema: unknown } }[] }).versions;
        assert.deepEqual(after.flatMap((v) => emptyPropertiesPaths(v.schema.openAPIV3Schema)), []);
        // Only the empty maps went: the serialized schema shrinks by exactly their text.
        const removed = JSON.stringify(crd).length - JSON.stringify(stored).length;
        assert.equal(removed, before.length * '"properties":{},'.length);
        assert.deepEqual(stored.metadata, crd.metadata);
    });

    it("the transform rewrites CustomResourceDefinitions only", () => {
        const crd = { spec: { versions: [{ name: "v1", schema: { openAPIV3Schema: { type: "object", properties: {} } } }] } };
        const t = storedCrdSchemas({ type: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", name: "x", custom: true, props: crd, opts: {} });
        assert.deepEqual((t as { props: unknown }).props, { spec: { versions: [{ name: "v1", schema: { openAPIV3Schema: { type: "object" } } }] } });
        assert.equal(storedCrdSchemas({ type: "kubernetes:core/v1:ConfigMap", name: "x", custom: true, props: { data: { properties: {} } }, opts: {} }), undefined);
    });
});
