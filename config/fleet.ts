/**
 * Rules between the stacks of one project (issue 17) that no single stack's config can check: the
 * offline plan knows every stack file and applies them before it plans any stack. A feedback
 * producer must be a serving stack of this project that reads this training stack; a
 * trainingStack must name a stack with the training role, without forming a cycle. Pure.
 */
import { NAMESPACE } from "./schema";

/** What the rules read of one stack file (raw values, as decoded from `Pulumi.<stack>.yaml`). */
export interface FleetStack {
    name: string;
    roles?: unknown;
    trainingStack?: unknown;
    feedbackProducers?: unknown;
}

const k = (p: string) => `${NAMESPACE}:${p}`;
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
/** The local stack name of `org/project/stack` when the project is this one. */
function localName(ref: unknown, project: string): string | undefined {
    if (typeof ref !== "string") return undefined;
    const [, p, s] = ref.split("/");
    return p === project ? s : undefined;
}

/** Problems per stack name (only stacks with problems appear), each line naming the key and the fix. */
export function fleetIssues(project: string, stacks: readonly FleetStack[]): Map<string, string[]> {
    const byName = new Map(stacks.map((s) => [s.name, s]));
    const names = [...byName.keys()].sort();
    const out = new Map<string, string[]>();
    const add = (stack: string, issue: string) => out.set(stack, [...(out.get(stack) ?? []), issue]);

    for (const s of stacks) {
        // trainingStack: a stack of this project with the training role, and no cycle.
        const t = localName(s.trainingStack, project);
        if (t !== undefined) {
            const chain = [s.name];
            let next: string | undefined = t;
            while (next !== undefined && !chain.includes(next) && byName.has(next)) {
                chain.push(next);
                next = localName(byName.get(next)!.trainingStack, project);
            }
            if (next !== undefined && chain.includes(next)) {
                add(s.name, `${k("trainingStack")} forms a cycle of stack references (${[...chain, next].join(" -> ")}): a serving stack must read a training stack that reads no one; point it at the training stack`);
            } else if (byName.has(t) && !list(byName.get(t)!.roles).includes("training")) {
                add(s.name, `${k("trainingStack")} names ${t}, which has no training role (its roles are ${JSON.stringify(list(byName.get(t)!.roles))}), so it publishes no model catalogue: point it at a training stack`);
            }
        }
        // feedbackProducers: serving stacks of this project that read this stack. A name without a stack
        // file may be a stack kept elsewhere; it is refused when a serving stack that reads this one is
        // missing from the list (a typo), since that stack's feedback would then be refused.
        const producers = list(s.feedbackProducers);
        const unlisted = names.filter((n) => n !== s.name && !producers.includes(n) && localName(byName.get(n)!.trainingStack, project) === s.name
            && list(byName.get(n)!.roles).includes("serving"));
        producers.forEach((p, i) => {
            const key = k(`streaming.feedbackProducers[${i}]`);
            const producer = byName.get(p);
            if (p === s.name) add(s.name, `${key} is this training stack itself (got ${JSON.stringify(p)}): list the serving stacks that send feedback here`);
            else if (!producer && unlisted.length > 0) {
                add(s.name, `${key} names no stack of project ${project} (got ${JSON.stringify(p)}; stacks: ${names.join(", ")}), while ${unlisted.join(", ")} reads this stack and is not listed: did you mean ${unlisted.join(" or ")}?`);
            } else if (!producer) return;
            else if (!list(producer.roles).includes("serving")) add(s.name, `${key} is not a serving stack (got ${JSON.stringify(p)}, roles ${JSON.stringify(list(producer.roles))}): only serving stacks send feedback`);
            else if (localName(producer.trainingStack, project) !== s.name) {
                add(s.name, `${key} names ${p}, which reads ${JSON.stringify(producer.trainingStack ?? "no training stack")}, not this stack: its feedback never comes here; remove it or point ${p}'s trainingStack here`);
            }
        });
    }
    return out;
}
