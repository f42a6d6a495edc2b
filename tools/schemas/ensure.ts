/**
 * `npm run pretest`: make sure a CRD schema copy is available before the tests run. Uses
 * `$CRD_SCHEMA_DIR`, `../shared/crds` or the cache (verified against crds.lock.json), and
 * fills the cache with `fetch-schemas` when none is found.
 */
import * as path from "path";
import { fetchSchemas } from "./fetch";
import { CACHE_DIR, locateSchemaDir, readLock, REPO_ROOT, verifySchemaDir } from "./locate";

const rel = (p: string) => (path.relative(REPO_ROOT, p).startsWith("..") ? p : path.relative(REPO_ROOT, p) || ".");

/** Resolves with the dir to use; rejects with a message for the user. */
export async function ensureSchemas(log: (line: string) => void = console.log, warn: (line: string) => void = console.warn): Promise<string> {
    const lock = readLock();
    const found = locateSchemaDir(lock);
    if (found) {
        const problems = verifySchemaDir(found.dir, lock);
        if (problems.length === 0) {
            log(`CRD schemas: using ${found.source} copy at ${rel(found.dir)} (${lock.files.length} files, sha256 verified)`);
            return found.dir;
        }
        if (found.source !== "cache") {
            // shared/ (or an explicit CRD_SCHEMA_DIR) is authoritative: warn and carry on.
            for (const p of problems) warn(`warning: CRD schemas (${found.source}): ${p}`);
            log(`CRD schemas: using ${found.source} copy at ${rel(found.dir)} despite ${problems.length} sha256 mismatch(es)`);
            return found.dir;
        }
        // A damaged cache is ours to repair: re-fetch the bad files.
        for (const p of problems) warn(`warning: CRD schema cache: ${p}; re-fetching`);
    } else {
        log(`CRD schemas: no copy found (CRD_SCHEMA_DIR unset, no ../shared/crds, no complete ${rel(CACHE_DIR)}); fetching`);
    }
    try {
        await fetchSchemas({ lock });
    } catch (err) {
        throw new Error(`${err instanceof Error ? err.message : String(err)}\n` +
            "CRD schemas are needed by the tests: set CRD_SCHEMA_DIR to a copy of shared/crds, " +
            "or get network access to raw.githubusercontent.com and run `npm run fetch-schemas`.");
    }
    log(`CRD schemas: using cache copy at ${rel(CACHE_DIR)} (${lock.files.length} files, sha256 verified)`);
    return CACHE_DIR;
}

if (require.main === module) {
    ensureSchemas().catch((err) => {
        console.error(err instanceof Error ? err.message : err);
        process.exit(1);
    });
}
