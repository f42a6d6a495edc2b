/**
 * CEL rules (`x-kubernetes-validations`) of the Rook CRDs on a custom resource, as the API server
 * checks them on create: which rules the object reaches (transition rules on `oldSelf` do not apply
 * on create), and which it breaks, through the CRD validator's own CEL evaluator.
 */
import { catalogKey, celErrors as sharedCelErrors, CustomResource, loadCrdCatalog } from "../helpers/crds";

type Schema = { [k: string]: any };

function crdOf(obj: CustomResource) {
    const slash = obj.apiVersion.lastIndexOf("/");
    const entry = loadCrdCatalog().get(catalogKey(obj.apiVersion.slice(0, slash), obj.apiVersion.slice(slash + 1), obj.kind));
    if (!entry) throw new Error(`no CRD for ${obj.apiVersion} ${obj.kind}`);
    return entry;
}

/** Every CEL rule the object reaches, with its JSON path (to show the rules are not vacuous); throws if the CRD is unknown. */
export function celRulesFor(obj: CustomResource): { path: string; rule: string; message: string; value: unknown }[] {
    const entry = crdOf(obj);
    const out: { path: string; rule: string; message: string; value: unknown }[] = [];
    const walk = (s: Schema | undefined, v: unknown, path: string) => {
        if (!s || v === undefined || v === null) return;
        for (const r of (s["x-kubernetes-validations"] ?? []) as { rule: string; message?: string }[]) {
            if (!/\boldSelf\b/.test(r.rule)) out.push({ path, rule: r.rule, message: r.message ?? r.rule, value: v });
        }
        if (Array.isArray(v)) v.forEach((x, i) => walk(s.items, x, `${path}[${i}]`));
        else if (typeof v === "object") {
            for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
                const sub = s.properties?.[k] ?? (typeof s.additionalProperties === "object" ? s.additionalProperties : undefined);
                walk(sub, x, path ? `${path}.${k}` : k);
            }
        }
    };
    walk(entry.schema, obj, "");
    return out;
}

/**
 * Messages of the CEL rules the object breaks on create (empty = all pass), evaluated by the one
 * CEL evaluator of the CRD validator (tools/schemas/crds.ts).
 */
export function celErrors(obj: CustomResource): string[] {
    return sharedCelErrors(crdOf(obj).schema, obj);
}
