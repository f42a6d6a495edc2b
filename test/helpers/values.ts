/**
 * Helm values keys checked against the chart's own values.yaml (SPEC 9): a key the chart does not
 * know is silently ignored by Helm, so every key the platform sets must exist in the chart's
 * values file in ../shared/crds (located through the schema lock, like the CRDs).
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { locateSchemaDir } from "../../tools/schemas/locate";

const cache = new Map<string, unknown>();

/** The parsed values file, by its path relative to the schema dir, e.g. "rook/values-rook-ceph.yaml". */
export function chartValues(file: string): unknown {
    let doc = cache.get(file);
    if (doc === undefined) {
        const located = locateSchemaDir();
        if (!located) throw new Error("no copy of the chart values files: run npm run fetch-schemas");
        const dir = located.dir;
        doc = parse(fs.readFileSync(path.join(dir, file), "utf8")) ?? {};
        cache.set(file, doc);
    }
    return doc;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * The dotted paths of `values` that the chart's values file does not have. Below a key whose
 * default is an empty map, a list, or a scalar-typed free-form map (`nodeSelector: {}`,
 * `tolerations: []`, `podAnnotations: {}`), anything goes: the chart passes it through.
 * `freeForm` lists more such paths (keys the chart documents only in comments).
 */
export function unknownValuesKeys(values: unknown, file: string, freeForm: string[] = []): string[] {
    const out: string[] = [];
    const walk = (given: unknown, known: unknown, at: string) => {
        if (!isObject(given)) return;
        if (freeForm.includes(at)) return;
        if (!isObject(known)) {
            // The chart's default is a list, a scalar, null or {} (free-form): nothing below it to check.
            return;
        }
        if (Object.keys(known).length === 0) return;
        for (const [k, v] of Object.entries(given)) {
            const p = at ? `${at}.${k}` : k;
            if (!(k in known)) {
                if (!freeForm.includes(p)) out.push(p);
                continue;
            }
            walk(v, known[k], p);
        }
    };
    walk(values, chartValues(file), "");
    return out;
}
