/**
 * Exposure guardrail (issue 14): nothing one cluster serves another is open to every address outside
 * dev. A LoadBalancer Service, a Strimzi `loadbalancer` listener and an exposed Pulsar proxy list
 * `loadBalancerSourceRanges`, none of them /0.
 */
import type { Environment, Level } from "../lib/view";
import { get, isUnknown, list, ResourcePolicyDef } from "../lib/view";

const SERVICE = "kubernetes:core/v1:Service";
const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";
const isKafka = (type: string) => type === "kubernetes:kafka.strimzi.io/v1:Kafka" || type === "kubernetes:kafka.strimzi.io/v1beta2:Kafka";

/** Reported in dev (a lab may be open), blocking at the edge and in prod. */
const MANDATORY_OUTSIDE_DEV: Record<Environment, Level> = { dev: "advisory", edge: "mandatory", prod: "mandatory" };

/** Why `ranges` does not restrict the sources (undefined: it does, or it is unknown). */
function openRanges(ranges: unknown, field: string): string | undefined {
    if (isUnknown(ranges)) return undefined;
    const l = list(ranges);
    if (l.length === 0) return `${field} is not set (open to every address)`;
    const world = l.filter((c) => typeof c === "string" && /\/0$/.test(c.trim()));
    return world.length > 0 ? `${field} contains ${world.join(", ")}` : undefined;
}

export const exposedServicesAllowListed: ResourcePolicyDef = {
    kind: "resource",
    name: "exposed-services-allow-listed",
    description: "Load balancers exposing a cluster's endpoints admit only listed sources (loadBalancerSourceRanges, never /0) outside dev.",
    remediation: "List each consumer's egress addresses in hybridml:exposure.allowedSources on the stack that exposes the endpoint.",
    levels: MANDATORY_OUTSIDE_DEV,
    check(r) {
        const p = r.props;
        if (r.type === SERVICE) {
            if (get(p, "spec.type") !== "LoadBalancer") return [];
            const why = openRanges(get(p, "spec.loadBalancerSourceRanges"), "spec.loadBalancerSourceRanges");
            return why ? [`LoadBalancer Service ${String(get(p, "metadata.name") ?? r.name)}: ${why}`] : [];
        }
        if (isKafka(r.type)) {
            const listeners = get(p, "spec.kafka.listeners");
            if (isUnknown(listeners)) return [];
            return list(listeners).filter((l) => l?.type === "loadbalancer").flatMap((l) => {
                const why = openRanges(get(l, "configuration.loadBalancerSourceRanges"), `listener ${String(l.name)} configuration.loadBalancerSourceRanges`);
                return why ? [why] : [];
            });
        }
        if (r.type === HELM_RELEASE && get(p, "chart") === "pulsar") {
            if (get(p, "values.proxy.service.type") !== "LoadBalancer") return [];
            const why = openRanges(get(p, "values.proxy.service.loadBalancerSourceRanges"), "values.proxy.service.loadBalancerSourceRanges");
            return why ? [`Pulsar proxy: ${why}`] : [];
        }
        return [];
    },
};
