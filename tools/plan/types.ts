/**
 * The plan file's types (SPEC 8), shared by plan.ts, policies.ts, report.ts and the tests without
 * import cycles.
 */
import type { RecordedResource } from "./recorder";

/**
 * One resource in a plan file: the recorded registration with secrets masked, the provider as a
 * plain URN ("" = default provider) and, for reads, the state read (a StackReference's outputs).
 */
export type PlanResource = Omit<RecordedResource, "custom" | "additionalSecretOutputs"> & {
    outputs?: Record<string, unknown>;
};

/** A policy violation as the plan file records it. */
export interface Violation {
    policy: string;
    enforcement: "mandatory" | "advisory";
    urn: string;
    message: string;
}

/**
 * Salted digests of the secrets in a plan (only with PLAN_SECRET_SALT set): by output path, and by
 * resource URN and input path. Two plans made with the same salt show a changed secret as changed.
 */
export interface PlanSecrets {
    outputs: Record<string, string>;
    inputs: Record<string, Record<string, string>>;
}

/** The plan file format (plan/<stack>.json). */
export interface Plan {
    stack: string;
    resources: PlanResource[];
    outputs: Record<string, unknown>;
    violations: Violation[];
    secrets?: PlanSecrets;
}
