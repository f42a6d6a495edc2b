/**
 * Exposure guardrail (issues 14 and 18): nothing one cluster serves another is open to every address
 * outside dev. A LoadBalancer Service, a Strimzi `loadbalancer` listener and an exposed Pulsar proxy
 * list `loadBalancerSourceRanges`, none of them /0.
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

/** A load balancer the cloud keeps inside the network (its internal annotation): restricted by construction. */
const internal = (annotations: unknown) => Boolean(annotations && typeof annotations === "object" && Object.entries(annotations).some(([k, v]) =>
    (k === "service.beta.kubernetes.io/aws-load-balancer-scheme" && v === "internal") || (k === "service.beta.kubernetes.io/azure-load-balancer-internal" && v === "true")
    || (k === "networking.gke.io/load-balancer-type" && v === "Internal")));

/**
 * One policy for every load balancer (issue 14's exposure guardrail and issue 18's baseline item were
 * the same check twice): Services, Strimzi `loadbalancer` listeners and the Pulsar proxy's LoadBalancer.
 */
export const loadBalancersRestricted: ResourcePolicyDef = {
    kind: "resource",
    name: "load-balancers-restricted",
    description: "Load balancers exposing a cluster's endpoints (LoadBalancer Services, Strimzi `loadbalancer` listeners, the Pulsar proxy) admit only listed sources "
        + "(loadBalancerSourceRanges, never empty, never /0) outside dev. Internal load balancers (the cloud's internal annotation) count as restricted.",
    remediation: "List each consumer's egress addresses in hybridml:exposure.allowedSources on the stack that exposes the endpoint "
        + "(it becomes spec.loadBalancerSourceRanges, the Kafka listener's configuration.loadBalancerSourceRanges and values.proxy.service.loadBalancerSourceRanges).",
    levels: MANDATORY_OUTSIDE_DEV,
    severity: "high",
    url: "https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/#restricting-cluster-access",
    check(r) {
        const p = r.props;
        if (r.type === SERVICE) {
            if (get(p, "spec.type") !== "LoadBalancer" || internal(get(p, "metadata.annotations"))) return [];
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
        // The chart by name, wherever it comes from (upstream repository, OCI or a mirror).
        if (r.type === HELM_RELEASE && typeof get(p, "chart") === "string" && String(get(p, "chart")).split("/").pop() === "pulsar") {
            const svc = get(p, "values.proxy.service");
            if (get(svc, "type") !== "LoadBalancer" || internal(get(svc, "annotations"))) return [];
            const why = openRanges(get(svc, "loadBalancerSourceRanges"), "values.proxy.service.loadBalancerSourceRanges");
            return why ? [`Pulsar proxy: ${why}`] : [];
        }
        return [];
    },
};
