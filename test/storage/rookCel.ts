/**
 * CEL rules (`x-kubernetes-validations`) of the Rook CRDs, evaluated on a custom resource the way
 * the API server does on create: each rule at each schema node the object reaches, with `self`
 * bound to that value. Rules about `oldSelf` (transition rules) do not apply on create and are skipped.
 * Used next to `validateCustomResource` (which checks the structural schema) by the storage tests.
 */
import { evaluate } from "@marcbachmann/cel-js";
import { catalogKey, CustomResource, loadCrdCatalog } from "../helpers/crds";

type Schema = { [k: string]: any };

/** Every CEL rule the object reaches, with its JSON path; throws if the CRD is unknown. */
export function celRulesFor(obj: CustomResource): { path: string; rule: string; message: string; value: unknown }[] {
    const slash = obj.apiVersion.lastIndexOf("/");
    const entry = loadCrdCatalog().get(catalogKey(obj.apiVersion.slice(0, slash), obj.apiVersion.slice(slash + 1), obj.kind));
    if (!entry) throw new Error(`no CRD for ${obj.apiVersion} ${obj.kind}`);
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

/** Whole numbers as CEL ints (the API server decodes JSON integers as int). */
function toCel(v: unknown): unknown {
    if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
    if (Array.isArray(v)) return v.map(toCel);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
    return v;
}

/** Messages of the CEL rules the object breaks (empty = all pass); a rule that cannot be evaluated is reported too. */
export function celErrors(obj: CustomResource): string[] {
    return celRulesFor(obj).flatMap(({ path, rule, message, value }) => {
        try {
            return evaluate(rule, { self: toCel(value) }) === true ? [] : [`${path}: ${message}`];
        } catch (e) {
            return [`${path}: rule ${rule} could not be evaluated: ${(e as Error).message}`];
        }
    });
}
