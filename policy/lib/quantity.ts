/**
 * Kubernetes resource quantities (`500m`, `4Gi`, `1e3`, `2`), as the API server parses them.
 */

/** The API server's quantity grammar. */
export const QUANTITY_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(\d+(\.\d*)?|\.\d+)))?$/;

const SUFFIX: Record<string, number> = {
    n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** The numeric value of a quantity (numbers as is), or undefined when it is not a valid quantity. */
export function parseQuantity(q: unknown): number | undefined {
    if (typeof q === "number") return Number.isFinite(q) ? q : undefined;
    if (typeof q !== "string" || !QUANTITY_RE.test(q)) return undefined;
    const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(.*)$/.exec(q)!;
    const n = Number(m[1]);
    const suffix = m[2];
    if (suffix in SUFFIX) return n * SUFFIX[suffix];
    if (/^[eE]/.test(suffix)) return n * 10 ** Number(suffix.slice(1));
    return undefined;
}
