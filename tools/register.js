// How every TypeScript entry point of the project starts: `pulumi preview`/`up` (Pulumi.yaml:
// `typescript: false`, `nodeargs: --require ./tools/register.js`), the offline plan, the tests
// (.mocharc.json), the bench and the npm scripts (`node -r ./tools/register.js`). README, "Program start".
//
// 1. `.ts` files load through sucrase: it removes the types and rewrites imports to require()
//    in one linear pass, keeping every statement on its source line, so stack traces and
//    Pulumi's resource source positions name the TypeScript file and line without any source
//    map. No type-check (that is `npm run build`), no TypeScript compiler, no ts-node. The
//    output is cached by content hash, so a start with unchanged files transpiles nothing.
// 2. Pulumi's run script installs `source-map-support` on start. Pulumi formats a stack trace
//    for every resource and for every internal promise, and source-map-support maps each frame:
//    measured, it costs more than evaluating the program. Project frames need no map (1.), so
//    the hook is skipped. HYBRIDML_SOURCE_MAP_SUPPORT=1 keeps it (to read the SDK's own frames).
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const Module = require("module");
const path = require("path");

/** The options of the one transform (exported for the tests). */
const sucraseOptions = Object.freeze({
    transforms: ["typescript", "imports"],
    // Class fields, optional chaining etc. stay as written: Node 20 runs ES2022 (tsconfig target).
    disableESTransforms: true,
});

// Output cache, keyed by the sha1 of sucrase's version, the options and the source: an entry
// can only be reused for the same input, so it is never stale. A warm start reads it and loads
// no transpiler at all. Not writable (read-only node_modules): every start transpiles, still fast.
const cacheDir = process.env.HYBRIDML_REGISTER_CACHE
    ?? path.join(__dirname, "..", "node_modules", ".cache", "hybridml-register");
let cacheSalt;
function cacheFile(source) {
    cacheSalt ??= `${require("sucrase/package.json").version}\0${JSON.stringify(sucraseOptions)}\0`;
    return path.join(cacheDir, `${crypto.createHash("sha1").update(cacheSalt).update(source).digest("hex")}.js`);
}

function transpile(source, filename) {
    try {
        return require("sucrase").transform(source, { ...sucraseOptions, filePath: filename }).code;
    } catch (e) {
        // A syntax error: one line naming the file, line and column (Pulumi prints a SyntaxError
        // without its stack), instead of sucrase's message and the loader's stack.
        if (!e.loc) throw e;
        const reason = String(e.message).replace(/^Error transforming .*?: /, "").replace(/ \(\d+:\d+\)$/, "");
        throw new SyntaxError(`${path.relative(process.cwd(), filename)}:${e.loc.line}:${e.loc.column}: ${reason}`);
    }
}

function compileTs(module, filename) {
    const source = fs.readFileSync(filename, "utf8");
    const cached = cacheFile(source);
    let code;
    try {
        code = fs.readFileSync(cached, "utf8");
    } catch {
        code = transpile(source, filename);
        // Write then rename: a concurrent start reads a whole entry or none.
        const tmp = `${cached}.${process.pid}.tmp`;
        try {
            fs.mkdirSync(cacheDir, { recursive: true });
            fs.writeFileSync(tmp, code);
            fs.renameSync(tmp, cached);
        } catch {
            // No cache here: nothing lost but the next start's transpile.
            fs.rmSync(tmp, { force: true });
        }
    }
    module._compile(code, filename);
}

Module._extensions[".ts"] = compileTs;

/** The `source-map-support/register` that Pulumi's run scripts load, resolved as they resolve it. */
function pulumiSourceMapSupport() {
    try {
        const pulumi = path.dirname(require.resolve("@pulumi/pulumi", { paths: [process.cwd(), __dirname] }));
        return require.resolve("source-map-support/register", { paths: [path.join(pulumi, "cmd", "run")] });
    } catch {
        return undefined;
    }
}

if (process.env.HYBRIDML_SOURCE_MAP_SUPPORT !== "1") {
    const file = pulumiSourceMapSupport();
    if (file && !require.cache[file]) {
        const stub = new Module(file, module);
        stub.filename = file;
        stub.loaded = true;
        require.cache[file] = stub;
    }
}

module.exports = { sucraseOptions, cacheDir, cacheFile, pulumiSourceMapSupport };
