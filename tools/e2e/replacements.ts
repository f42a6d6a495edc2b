/**
 * The preview report's replacement estimates (tools/plan/replacements.ts) against the real engine: the
 * e2e changes one config key of a deployed stack, asks the real `pulumi preview` which resources it
 * would replace, and compares them with what the report infers from the two offline plans. Facts the
 * engine shows win: a difference fails the step, naming each resource, so the rules get fixed.
 */
import * as path from "node:path";
import { planStack, readStackConfig, StackConfig } from "../plan/plan";
import { compareStack } from "../plan/report";
import { REPO_ROOT } from "../fleet/fleet";

const E2E_DIR = path.join(REPO_ROOT, "test", "e2e");

/** An e2e stack file as the e2e completes it at run time (a secret kubeconfig, the chart mirror). */
export function e2eStackConfig(stack: string, mirror = "http://127.0.0.1:8879"): StackConfig {
    const cfg = readStackConfig(stack, E2E_DIR);
    return {
        config: { ...cfg.config, "hybridml:kubeconfig": "[secret]", "hybridml:charts": JSON.stringify({ mirror }) },
        secretKeys: [...cfg.secretKeys, "hybridml:kubeconfig"],
    };
}

/** A stack config with `key` (a structured `hybridml:` key) set at `path` to `value`. */
export function withConfigValue(cfg: StackConfig, key: string, pathIn: string[], value: unknown): StackConfig {
    const full = `hybridml:${key}`;
    const obj = JSON.parse(cfg.config[full] ?? "{}") as Record<string, unknown>;
    let at = obj;
    for (const p of pathIn.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[pathIn[pathIn.length - 1]] = value;
    return { ...cfg, config: { ...cfg.config, [full]: JSON.stringify(obj) } };
}

/** URNs the report would mark as replaced when `serving` goes from `base` to `head` config (training planned from its own file). */
export async function estimatedReplacements(training: string, serving: string, base: StackConfig, head: StackConfig): Promise<string[]> {
    const t = await planStack(training, { stackConfig: e2eStackConfig(training) });
    if (t.error) throw t.error;
    const references = (s: string) => (s === training ? t.rawOutputs : undefined);
    const [b, h] = [await planStack(serving, { stackConfig: base, references }), await planStack(serving, { stackConfig: head, references })];
    for (const r of [b, h]) if (r.error) throw r.error;
    const cmp = compareStack(b.plan, h.plan);
    return cmp.changed.filter((c) => c.replaceBecause.length > 0).map((c) => c.resource.urn).sort();
}

/** Where the estimate and the engine disagree, one line per resource (the type and name of its URN). */
export function replacementDifferences(estimated: string[], engine: string[]): string[] {
    const name = (urn: string) => urn.split("::").slice(-2).join("::").replace(/^.*\$/, "");
    return [
        ...engine.filter((u) => !estimated.includes(u)).map((u) => `the engine replaces ${name(u)}, the estimate does not`),
        ...estimated.filter((u) => !engine.includes(u)).map((u) => `the estimate replaces ${name(u)}, the engine does not`),
    ];
}
