/**
 * `npm run fetch-schemas`: download every file pinned in crds.lock.json into .cache/crds/,
 * checking its sha256 before it is written (temp name, then rename), so the cache only ever
 * holds verified copies. Exits non-zero if any file fails.
 */
import * as fs from "fs";
import * as path from "path";
import { CACHE_DIR, Lock, LockEntry, readLock, sha256 } from "./locate";

/** The subset of the global `fetch` this needs (tests inject a fake). */
export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<{
    ok: boolean;
    status: number;
    statusText?: string;
    arrayBuffer(): Promise<ArrayBuffer>;
}>;

export interface FetchOptions {
    fetch?: FetchLike;
    lock?: Lock;
    /** Destination dir (default .cache/crds). */
    dir?: string;
    /** One line per file (default console.log). */
    log?: (line: string) => void;
    /** Per-file timeout in ms (default 120 s). */
    timeoutMs?: number;
    /** Re-download files already present with the right sha256 (default false). */
    force?: boolean;
}

export interface FetchResult {
    file: string;
    status: "fetched" | "cached" | "failed";
    bytes?: number;
    error?: string;
}

/** Fetch one entry; throws on HTTP error, timeout or sha256 mismatch. Returns the byte count. */
async function fetchOne(e: LockEntry, dest: string, doFetch: FetchLike, timeoutMs: number): Promise<number> {
    const res = await doFetch(e.url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""} from ${e.url}`);
    const data = Buffer.from(await res.arrayBuffer());
    const got = sha256(data);
    if (got !== e.sha256) throw new Error(`sha256 mismatch for ${e.url}: expected ${e.sha256}, got ${got} (${data.length} bytes); not written`);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
        fs.writeFileSync(tmp, data);
        fs.renameSync(tmp, dest);
    } finally {
        fs.rmSync(tmp, { force: true });
    }
    return data.length;
}

/**
 * Download all locked files into `dir`. Files already present with the locked sha256 are kept.
 * Resolves with one result per file; rejects (after trying every file) if any failed.
 */
export async function fetchSchemas(opts: FetchOptions = {}): Promise<FetchResult[]> {
    const lock = opts.lock ?? readLock();
    const dir = opts.dir ?? CACHE_DIR;
    const doFetch: FetchLike = opts.fetch ?? ((url, init) => fetch(url, init));
    const log = opts.log ?? ((line: string) => console.log(line));
    const timeoutMs = opts.timeoutMs ?? 120_000;

    const one = async (e: LockEntry): Promise<FetchResult> => {
        const dest = path.join(dir, e.file);
        if (!opts.force && fs.existsSync(dest) && sha256(fs.readFileSync(dest)) === e.sha256) {
            log(`cached   ${e.file}`);
            return { file: e.file, status: "cached" };
        }
        try {
            const bytes = await fetchOne(e, dest, doFetch, timeoutMs);
            log(`fetched  ${e.file} (${bytes} bytes, sha256 ok)`);
            return { file: e.file, status: "fetched", bytes };
        } catch (err) {
            // undici's "fetch failed" hides the reason (DNS, refused, TLS, timeout) in `cause`.
            const cause = err instanceof Error && err.cause instanceof Error ? ` (${(err.cause as NodeJS.ErrnoException).code ?? err.cause.message})` : "";
            const error = (err instanceof Error ? err.message : String(err)) + cause;
            log(`FAILED   ${e.file}: ${error}`);
            return { file: e.file, status: "failed", error };
        }
    };

    // A few downloads at a time; results keep lock order.
    const results: FetchResult[] = new Array(lock.files.length);
    let next = 0;
    const worker = async () => {
        while (next < lock.files.length) {
            const i = next++;
            results[i] = await one(lock.files[i]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(4, lock.files.length) }, worker));

    const failed = results.filter((r) => r.status === "failed");
    if (failed.length > 0) {
        const err = new Error(`fetch-schemas: ${failed.length} of ${results.length} file(s) failed:\n` +
            failed.map((r) => `  ${r.file}: ${r.error}`).join("\n"));
        (err as Error & { results?: FetchResult[] }).results = results;
        throw err;
    }
    return results;
}

if (require.main === module) {
    fetchSchemas().then(
        (results) => console.log(`fetch-schemas: ${results.length} file(s) verified in ${path.relative(process.cwd(), CACHE_DIR) || CACHE_DIR}`),
        (err) => {
            console.error(err instanceof Error ? err.message : err);
            process.exit(1);
        },
    );
}
