/**
 * The fleet command's scheduling (tools/fleet): dependency order from each stack file's
 * trainingStack, serving stacks in parallel, only the dependents of a failed stack stopped, destroy
 * in reverse, and its arguments. The stack runs themselves are faked here; `npm run e2e` runs them.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fleetStacks, runFleet, WorkerResult } from "../tools/fleet/fleet";
import { parseArgs } from "../tools/fleet/cli";
import { splitWorkerLine } from "../tools/fleet/fleet";

function fleetDir(stacks: Record<string, string | undefined>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: hybridml\nruntime: nodejs\n");
    for (const [s, ref] of Object.entries(stacks)) {
        fs.writeFileSync(path.join(dir, `Pulumi.${s}.yaml`), `config:\n  hybridml:environment: dev\n${ref ? `  hybridml:trainingStack: organization/hybridml/${ref}\n` : ""}`);
    }
    return dir;
}

/** A fake runner that records start/end order and the highest concurrency; `fail` stacks fail. */
function recorder(fail: string[] = []) {
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    const run = async (s: string): Promise<WorkerResult> => {
        log.push(`start ${s}`);
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        log.push(`end ${s}`);
        return { ok: !fail.includes(s), changes: { create: 1 }, seconds: 0.02, error: fail.includes(s) ? "boom" : undefined };
    };
    return { log, run, peak: () => peak };
}

describe("fleet command (tools/fleet)", () => {
    const dir = fleetDir({ training: undefined, "serve-a": "training", "serve-b": "training", "serve-c": "training", other: undefined, "serve-o": "other" });

    it("reads each stack's training stack from its stack file", () => {
        const m = fleetStacks(dir);
        assert.equal(m.get("serve-a"), "training");
        assert.equal(m.get("training"), undefined);
    });

    it("runs training stacks first and the stacks that read them in parallel", async () => {
        const r = recorder();
        const rows = await runFleet({ op: "up", workDir: dir, parallel: 4 }, r.run);
        assert.ok(rows.every((x) => x.result === "ok"));
        for (const s of ["serve-a", "serve-b", "serve-c"]) assert.ok(r.log.indexOf("end training") < r.log.indexOf(`start ${s}`), `${s} started before training ended`);
        assert.ok(r.log.indexOf("end other") < r.log.indexOf("start serve-o"));
        assert.ok(r.peak() >= 3, `expected serving stacks in parallel, peak ${r.peak()}`);
    });

    it("never runs more than --parallel stacks at once", async () => {
        const r = recorder();
        await runFleet({ op: "up", workDir: dir, parallel: 1 }, r.run);
        assert.equal(r.peak(), 1);
    });

    it("stops only the dependents of a failed stack", async () => {
        const r = recorder(["training"]);
        const rows = new Map((await runFleet({ op: "up", workDir: dir }, r.run)).map((x) => [x.stack, x]));
        assert.equal(rows.get("training")?.result, "failed");
        for (const s of ["serve-a", "serve-b", "serve-c"]) {
            assert.equal(rows.get(s)?.result, "skipped");
            assert.match(rows.get(s)?.detail ?? "", /training did not succeed/);
            assert.ok(!r.log.includes(`start ${s}`));
        }
        assert.equal(rows.get("serve-o")?.result, "ok");
    });

    it("destroys in reverse: a training stack after every stack that reads it", async () => {
        const r = recorder();
        await runFleet({ op: "destroy", workDir: dir }, r.run);
        for (const s of ["serve-a", "serve-b", "serve-c"]) assert.ok(r.log.indexOf(`end ${s}`) < r.log.indexOf("start training"));
    });

    it("runs only the listed stacks, treating unlisted training stacks as deployed", async () => {
        const r = recorder();
        const rows = await runFleet({ op: "preview", workDir: dir, stacks: ["serve-a"] }, r.run);
        assert.deepEqual(rows.map((x) => x.stack), ["serve-a"]);
        assert.deepEqual(r.log, ["start serve-a", "end serve-a"]);
    });

    it("parses its arguments and refuses bad ones with the usage", () => {
        assert.deepEqual(parseArgs(["up", "--stacks", "a,b", "--parallel", "2"]).stacks, ["a", "b"]);
        assert.equal(parseArgs(["destroy"]).parallel, 4);
        assert.throws(() => parseArgs(["apply"]), /usage: npm run fleet/);
        assert.throws(() => parseArgs(["up", "--parallel", "0"]), /--parallel needs a positive whole number/);
        assert.throws(() => parseArgs(["up", "--bogus"]), /unknown argument --bogus/);
        assert.deepEqual(parseArgs(["recover", "--stacks", "s", "--clear-unknown"]).extra, { clearUnknown: true });
        assert.equal(parseArgs(["recover"]).extra, undefined);
        assert.throws(() => parseArgs(["up", "--clear-unknown"]), /--clear-unknown is an option of recover/);
        const urn = "urn:pulumi:prod-aws::hybridml::aws:s3/bucketV2:BucketV2::models";
        assert.deepEqual(parseArgs(["recover", "--import", urn, "hybridml-prod-aws-models", "--clear-unknown"]).extra,
            { imports: [{ urn, id: "hybridml-prod-aws-models" }], clearUnknown: true });
        assert.throws(() => parseArgs(["recover", "--import", "models"]), /--import needs a URN and the ID/);
        assert.throws(() => parseArgs(["up", "--import", urn, "x"]), /--import is an option of recover/);
    });

    it("reads a worker's markers also where engine output did not end its line", () => {
        const ev = { kind: "resource", op: "delete", urn: "urn:pulumi:s::p::t::n" };
        assert.deepEqual(splitWorkerLine(`@@event ${JSON.stringify(ev)}`), { event: ev });
        assert.deepEqual(splitWorkerLine(` -  kubernetes:ceph.rook.io/v1:CephBlockPool pool deleted (0.18s) @@event ${JSON.stringify(ev)}`),
            { text: " -  kubernetes:ceph.rook.io/v1:CephBlockPool pool deleted (0.18s) ", event: ev });
        assert.deepEqual(splitWorkerLine('@@result {"ok":true,"changes":{},"seconds":1}'), { result: { ok: true, changes: {}, seconds: 1 } });
        assert.deepEqual(splitWorkerLine("Resources: 88 unchanged"), { text: "Resources: 88 unchanged" });
        assert.deepEqual(splitWorkerLine("a note about @@event handling"), { text: "a note about @@event handling" });
    });
});
