/**
 * Where the CRD schemas and chart values files (third-party data, never committed) are read
 * from (SPEC 9): `$CRD_SCHEMA_DIR`, else `../shared/crds` beside the checkout, else the cache
 * that `npm run fetch-schemas` fills. `crds.lock.json` pins every file's upstream URL and sha256.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

export const REPO_ROOT = path.resolve(__dirname, "../..");
export const LOCK_FILE = path.join(REPO_ROOT, "crds.lock.json");
export const SHARED_DIR = path.resolve(__dirname, "../../../shared/crds");
export const CACHE_DIR = path.join(REPO_ROOT, ".cache", "crds");

export interface LockEntry {
    /** Path relative to the schema dir, e.g. "rook/crds.yaml". */
    file: string;
    url: string;
    sha256: string;
}

export interface Lock {
    source: string;
    files: LockEntry[];
}

export type SchemaSource = "env" | "shared" | "cache";

/** Read and sanity-check crds.lock.json. */
export function readLock(lockFile: string = LOCK_FILE): Lock {
    const lock = JSON.parse(fs.readFileSync(lockFile, "utf8")) as Lock;
    if (!lock || !Array.isArray(lock.files) || lock.files.length === 0) {
        throw new Error(`${lockFile}: expected { source, files: [ { file, url, sha256 } ... ] }`);
    }
    for (const e of lock.files) {
        if (typeof e.file !== "string" || typeof e.url !== "string" || !/^[0-9a-f]{64}$/.test(e.sha256 ?? "")) {
            throw new Error(`${lockFile}: bad entry ${JSON.stringify(e)}`);
        }
        // Locked names become paths under the schema dir: no absolute paths, no "..".
        if (path.isAbsolute(e.file) || e.file.split(/[\\/]/).includes("..")) {
            throw new Error(`${lockFile}: file name must be relative and stay inside the schema dir: ${e.file}`);
        }
    }
    return lock;
}

export function sha256(data: string | Uint8Array): string {
    return crypto.createHash("sha256").update(data).digest("hex");
}

/** Locked files absent from `dir`. */
export function missingFiles(dir: string, lock: Lock = readLock()): string[] {
    return lock.files.filter((e) => !fs.existsSync(path.join(dir, e.file))).map((e) => e.file);
}

/** Problems with a schema dir: missing files and sha256 mismatches (empty = matches the lock). */
export function verifySchemaDir(dir: string, lock: Lock = readLock()): string[] {
    const problems: string[] = [];
    for (const e of lock.files) {
        const p = path.join(dir, e.file);
        let data: Buffer;
        try {
            data = fs.readFileSync(p);
        } catch {
            problems.push(`${e.file}: missing (${p})`);
            continue;
        }
        const got = sha256(data);
        if (got !== e.sha256) problems.push(`${e.file}: sha256 mismatch (expected ${e.sha256}, got ${got})`);
    }
    return problems;
}

/**
 * The schema copy to use, or undefined when none is complete. A dir counts only if every locked
 * file is present (contents are checked by verifySchemaDir). `$CRD_SCHEMA_DIR`, when set, must
 * exist and be complete: it is an explicit choice, so a bad one is an error, not a fallback.
 */
export function locateSchemaDir(lock: Lock = readLock()): { dir: string; source: SchemaSource } | undefined {
    const env = process.env.CRD_SCHEMA_DIR;
    if (env !== undefined && env !== "") {
        const dir = path.resolve(env);
        if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
            throw new Error(`CRD_SCHEMA_DIR=${env}: no such directory`);
        }
        const missing = missingFiles(dir, lock);
        if (missing.length > 0) {
            throw new Error(`CRD_SCHEMA_DIR=${env}: missing ${missing.length} locked file(s): ${missing.join(", ")}`);
        }
        return { dir, source: "env" };
    }
    for (const [dir, source] of [[SHARED_DIR, "shared"], [CACHE_DIR, "cache"]] as const) {
        if (fs.existsSync(dir) && missingFiles(dir, lock).length === 0) return { dir, source };
    }
    return undefined;
}
