/**
 * The `exposure` config section (SPEC 11a, issue 14): how the endpoints one cluster serves to another
 * are reached. On a training stack: who may reach them (`allowedSources`, the load balancers'
 * `loadBalancerSourceRanges`). On a serving stack: where its traffic leaves from (`egressCidrs`, for
 * clusters without a cloud NAT) and whether it reaches training over private connectivity.
 * Pure: no Pulumi imports.
 */
import { z } from "zod";

const NS = "hybridml";
const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;
const cidr = z.string().regex(IPV4_CIDR, { message: "must be an IPv4 CIDR such as 203.0.113.7/32" });
/** A consumer name: a serving stack's name, or a label for another source (operators' VPN, CI runners). */
const consumer = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/, { message: "must be a stack name or label (a-z, 0-9, '-')" });

/** The `hybridml:exposure` section. */
export const exposureSchema = z.strictObject({
    /**
     * Training stacks: the source addresses allowed to reach the exposed endpoints (RGW, Kafka
     * bootstrap and brokers, Pulsar proxy), by consumer: each serving stack's name with the egress
     * addresses it exports (`egress` output), plus any other label (`operators: [...]`). Their union is
     * every exposed Service's `loadBalancerSourceRanges`. Required outside dev when anything is exposed.
     * Default {} (dev only: open).
     */
    allowedSources: z.record(consumer, z.array(cidr).min(1)).default({}),
    /**
     * Training stacks: the address range the exposed endpoints answer on (the load balancers' reserved
     * addresses, or the site's public range). Published in the contract, so that each serving stack's
     * model sync may reach only them (its NetworkPolicy) instead of any address. Required outside dev
     * when the object store is exposed (storage.endpoint).
     */
    endpointAddresses: z.array(cidr).min(1).optional(),
    /**
     * Serving stacks on onprem/k3s: the public addresses their traffic leaves from (the site's NAT).
     * Default on k3s: each host's address as /32; on onprem: unknown (the reachability check says so).
     * The clouds export their NAT addresses instead and refuse this key.
     */
    egressCidrs: z.array(cidr).min(1).optional(),
    /**
     * Serving stacks: this cluster reaches training over private connectivity (VPN, interconnect,
     * peering), so private addresses in the training endpoints are accepted. Default false.
     */
    privateConnectivity: z.boolean().default(false),
});

export type ExposureConfig = z.output<typeof exposureSchema>;

/** Cross-field checks of the section, each naming its key and the fix. */
export function exposureIssues(e: ExposureConfig, ctx: { training: boolean; serving: boolean; clusterProvider: string }): string[] {
    const out: string[] = [];
    const k = (p: string) => `${NS}:exposure.${p}`;
    if (!ctx.training && e.endpointAddresses !== undefined) {
        out.push(`${k("endpointAddresses")} publishes where a training stack's endpoints answer; this stack has no training role: remove it`);
    }
    if (!ctx.training && Object.keys(e.allowedSources).length > 0) {
        out.push(`${k("allowedSources")} lists who may reach a training stack's endpoints; this stack has no training role: remove it`);
    }
    if (e.egressCidrs !== undefined && ["eks", "gke", "aks"].includes(ctx.clusterProvider)) {
        out.push(`${k("egressCidrs")} is for onprem/k3s clusters: on ${ctx.clusterProvider} the program reserves the NAT addresses and exports them (output egress): remove it`);
    }
    if (e.egressCidrs !== undefined && !ctx.serving) {
        out.push(`${k("egressCidrs")} describes a serving stack's egress; this stack has no serving role: remove it`);
    }
    if (e.privateConnectivity && (!ctx.serving || ctx.training)) {
        out.push(`${k("privateConnectivity")} applies to a serving-only stack that reaches another cluster: remove it`);
    }
    return out;
}

/** Every allowed source of a training stack (the load balancers' source ranges), sorted and unique. */
export function allowedSourceRanges(e: Pick<ExposureConfig, "allowedSources">): string[] {
    return [...new Set(Object.values(e.allowedSources).flat())].sort();
}

/**
 * A training stack's exposure rules: outside dev, what serving clusters reach must be exposed with
 * TLS and behind an allow-list. (In-cluster defaults are refused by every consumer on another
 * cluster, naming this stack's key: see stacks/reachability.ts.)
 */
export function trainingExposureIssues(e: ExposureConfig, ctx: {
    environment: string; storageEndpoint?: string; streamingBootstrap?: string;
}): string[] {
    const out: string[] = [];
    const dev = ctx.environment === "dev";
    const exposed = ctx.storageEndpoint !== undefined || ctx.streamingBootstrap !== undefined;
    if (!dev && exposed && Object.keys(e.allowedSources).length === 0) {
        out.push(`${NS}:exposure.allowedSources is required outside dev (environment is ${ctx.environment}) when endpoints are exposed `
            + "(storage.endpoint, streaming.bootstrap): list each serving stack's egress addresses (its output egress), "
            + "e.g. pulumi config set --path 'hybridml:exposure.allowedSources.prod-aws[0]' 198.51.100.10/32");
    }
    if (!dev && ctx.storageEndpoint !== undefined && e.endpointAddresses === undefined) {
        out.push(`${NS}:exposure.endpointAddresses is required outside dev (environment is ${ctx.environment}) when storage.endpoint is exposed: `
            + "list the address range its load balancer answers on, so serving stacks' model sync may reach only it, "
            + "e.g. pulumi config set --path 'hybridml:exposure.endpointAddresses[0]' 203.0.113.16/28");
    }
    if (!dev && ctx.storageEndpoint !== undefined && ctx.storageEndpoint.startsWith("http://")) {
        out.push(`${NS}:storage.endpoint must be https outside dev (got ${JSON.stringify(ctx.storageEndpoint)}): serving clusters fetch models over the internet; the program issues the RGW certificate`);
    }
    return out;
}
