import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { configSchema, secretKeys } from "../config/schema";

/** Every leaf key path of the config schema, e.g. cluster.gpuPool.maxSize. */
function leafKeys(schema: unknown, prefix = ""): string[] {
    let s = schema;
    while (s instanceof z.ZodDefault || s instanceof z.ZodOptional || s instanceof z.ZodPrefault) s = s.def.innerType;
    // A section chosen by a discriminator (cluster.provider): the keys of every variant.
    if (s instanceof z.ZodDiscriminatedUnion) return [...new Set((s.options as unknown[]).flatMap((o) => leafKeys(o, prefix)))];
    if (!(s instanceof z.ZodObject) || (prefix.split(".").length > 2 && prefix !== "")) return prefix ? [prefix] : [];
    return Object.entries(s.shape).flatMap(([k, v]) => leafKeys(v, prefix ? `${prefix}.${k}` : k));
}

describe("README", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const lines = readme.split("\n");

    it("starts with the two commands of a fresh machine: the offline plan and the tests", () => {
        const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
        assert.match(firstBlock, /npm ci && npm run plan -- --all/);
        assert.match(firstBlock, /^npm test\b/m);
    });

    it("documents every config key with its default", () => {
        const missing = leafKeys(configSchema).filter((key) => {
            const leaf = key.split(".").pop() as string;
            const parent = key.slice(0, key.length - leaf.length);
            return !lines.some((l) => l.startsWith("|") && (l.includes(`\`${key}\``) || (parent !== "" && l.includes(`\`${parent}`) && l.includes(leaf))));
        });
        assert.deepEqual(missing, []);
    });

    it("documents every secret key", () => {
        for (const key of Object.values(secretKeys)) assert.ok(lines.some((l) => l.startsWith(`| \`${key}\``)), key);
    });
});
