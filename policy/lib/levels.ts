import type { Environment, Level } from "./view";

/** Blocks a deployment in every environment. */
export const MANDATORY_EVERYWHERE: Record<Environment, Level> = { dev: "mandatory", edge: "mandatory", prod: "mandatory" };
/** Blocks in prod; reported (not blocking) in dev and edge. */
export const MANDATORY_IN_PROD: Record<Environment, Level> = { dev: "advisory", edge: "advisory", prod: "mandatory" };
