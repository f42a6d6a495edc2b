/**
 * The shipped stacks' offline plans, planned once per test run and shared by every test file that
 * only reads them (a fleet plan takes seconds; a dozen files each planning it would double `npm test`).
 * Tests that plan modified stack files still call `planFleet` themselves.
 */
import { listStacks, planFleet, PlanResult } from "../../tools/plan/plan";

export interface ShippedFleet {
    results: Map<string, PlanResult>;
    /** The order the stacks were planned in (training stacks before the stacks that read them). */
    order: string[];
}

let fleet: Promise<ShippedFleet> | undefined;

/** Every shipped stack planned from its own stack file, in dependency order. */
export function shippedFleet(): Promise<ShippedFleet> {
    fleet ??= (async () => {
        const order: string[] = [];
        const results = await planFleet(listStacks(), (r) => order.push(r.plan.stack));
        return { results, order };
    })();
    return fleet;
}

/** Plans of the shipped stacks (all of them: a subset would plan its training stacks anyway). */
export async function shippedPlans(): Promise<Map<string, PlanResult>> {
    return (await shippedFleet()).results;
}
