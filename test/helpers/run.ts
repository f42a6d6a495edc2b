/**
 * Test helpers: run a component or a whole stack under Pulumi's mock runtime and query what it registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { RecordedResource, reveal, runProgram, RunOptions, SecretValue } from "../../tools/plan/recorder";

export type { RecordedResource };
export { reveal, SecretValue };

/** What a mocked run registered, with small query helpers. */
export class Recorded<T> {
    constructor(public readonly resources: RecordedResource[], public readonly value: T) {}

    /** All resources of a type token, e.g. "aws:eks/nodeGroup:NodeGroup". */
    ofType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The one resource of `type` (whose name ends with `nameSuffix`, if given); fails otherwise. */
    one(type: string, nameSuffix?: string): RecordedResource {
        const found = this.ofType(type).filter((r) => nameSuffix === undefined || r.name.endsWith(nameSuffix));
        if (found.length !== 1) {
            throw new Error(`expected one ${type}${nameSuffix ? ` named *${nameSuffix}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
        }
        return found[0];
    }

    /** Inputs of a resource with secrets revealed (for assertions on values). */
    inputs(r: RecordedResource): Record<string, any> {
        return reveal(r.inputs) as Record<string, any>;
    }

    /** The resource a URN names. */
    byUrn(urn: string): RecordedResource | undefined {
        return this.resources.find((r) => r.urn === urn);
    }

    /** Sorted list of the distinct resource types registered. */
    types(): string[] {
        return [...new Set(this.resources.map((r) => r.type))].sort();
    }
}

/**
 * Run `fn` (which constructs components) as a stack program under mocks. Rejects with the
 * program's error, if any. Default: not a preview, so computed outputs have fake values.
 */
export async function runMocked<T>(fn: () => T | Promise<T>, opts: Partial<RunOptions> = {}): Promise<Recorded<T>> {
    // What `fn` returns is for the test, not stack outputs: keep it out of the root stack.
    let value: T | undefined;
    const result = await runProgram(async () => {
        value = await fn();
        return {};
    }, { project: "hybridml", stack: "test", preview: false, ...opts });
    if (result.error) throw result.error;
    return new Recorded(result.resources, value as T);
}

/** Resolve an Output in a test: its value, whether it is known, and whether it is secret. */
export async function settle<T>(o: pulumi.Output<T>): Promise<{ value: T | undefined; known: boolean; secret: boolean }> {
    const internal = o as unknown as { promise(withUnknowns?: boolean): Promise<T>; isKnown: Promise<boolean>; isSecret: Promise<boolean> };
    const [value, known, secret] = await Promise.all([internal.promise(true), internal.isKnown, internal.isSecret]);
    return { value, known, secret };
}
