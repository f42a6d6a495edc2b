/**
 * CRDs as the API server stores them. The Kubernetes provider diffs a CustomResourceDefinition's inputs
 * against its live state without normalising it (CRDs have no conversion scheme in the provider), and
 * the API server drops every empty `properties: {}` of a schema (`omitempty`). A CRD file that carries
 * one, as Strimzi's `kafkas` does under `status.clusterSecurity`, shows a change on every preview, and
 * `preview --expect-no-changes` fails (found by the e2e). Dropping what the server drops keeps the
 * inputs equal to the live state and changes nothing the server enforces.
 */
import type * as pulumi from "@pulumi/pulumi";

const CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";

/** Keys of a schema whose value is a schema, or a list of schemas. */
const SUBSCHEMA = new Set(["items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"]);

/**
 * An OpenAPI v3 schema without the empty `properties` maps the API server omits, at any depth. Walks
 * schemas only: a field that happens to be called `properties`, and values such as `default` or `enum`,
 * are kept exactly. Pure.
 */
export function withoutEmptyProperties(schema: unknown): unknown {
    if (Array.isArray(schema)) return schema.map(withoutEmptyProperties);
    if (schema === null || typeof schema !== "object") return schema;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema as Record<string, unknown>)) {
        if (k === "properties" && v !== null && typeof v === "object" && !Array.isArray(v)) {
            const fields = Object.entries(v as Record<string, unknown>);
            if (fields.length > 0) out[k] = Object.fromEntries(fields.map(([f, s]) => [f, withoutEmptyProperties(s)]));
        } else {
            out[k] = SUBSCHEMA.has(k) ? withoutEmptyProperties(v) : v;
        }
    }
    return out;
}

/** A CRD's inputs with every version's schema as the API server stores it; other inputs unchanged. Pure. */
export function crdAsStored(props: Record<string, unknown>): Record<string, unknown> {
    const spec = props.spec as { versions?: { schema?: { openAPIV3Schema?: unknown } }[] } | undefined;
    if (!spec?.versions) return props;
    return {
        ...props,
        spec: {
            ...spec,
            versions: spec.versions.map((v) => v.schema?.openAPIV3Schema === undefined ? v
                : { ...v, schema: { ...v.schema, openAPIV3Schema: withoutEmptyProperties(v.schema.openAPIV3Schema) } }),
        },
    };
}

/**
 * Resource transform for a ConfigGroup (or Chart) that applies CRD files: each CRD it registers gets
 * `crdAsStored` inputs. Every other resource is left as it is.
 */
export const storedCrdSchemas: pulumi.ResourceTransform = (args) =>
    args.type === CRD_TYPE ? { props: crdAsStored(args.props), opts: args.opts } : undefined;
