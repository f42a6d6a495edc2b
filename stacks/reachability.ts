/**
 * Cross-cluster reachability (SPEC 11a, issue 14): a serving stack on another cluster than its
 * training stack checks, right after reading the contract and before registering anything, that
 * every endpoint it will call can work from where it runs: a name that resolves outside the training
 * cluster, TLS with a CA to verify it (plain http only in dev), no private address unless the stack
 * declares private connectivity, an allow-list outside dev that lists this stack's egress. Each
 * problem names the training stack's key to set. The flows are also reported (stack output
 * `reachability`, the plan summary and the --compare report).
 */
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import { ContractError, type EndpointExposure, type TrainingContract } from "./contract";

/** Where this serving stack's traffic to training leaves from, as known before anything is created. */
export type StaticEgress = { kind: "static"; cidrs: string[]; source: string } | { kind: "cloud-nat" } | { kind: "unknown"; fix: string };

/** One cross-cluster flow as the plan reports it. */
export interface Flow {
    flow: "model-sync" | "feedback";
    consumer: string;
    training: string;
    endpoint: string;
    dnsName: string;
    sans: string[];
    /** Sources the endpoint admits ([]: any). */
    allowedSources: string[];
    /** The consumer's egress addresses (unknown for cloud NAT addresses until they exist). */
    consumerEgress: pulumi.Input<string[] | null>;
    /** yes | no | open (no allow-list) | unknown (egress not known yet) */
    egressAllowed: pulumi.Input<"yes" | "no" | "open" | "unknown">;
}

function ipToInt(ip: string): number {
    return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

/** Parse `a.b.c.d/n` (or a bare address, as /32) into its first address and size. */
function parseCidr(cidr: string): { start: number; size: number } | undefined {
    const [ip, bits = "32"] = cidr.split("/");
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return undefined;
    const n = Number(bits);
    const size = 2 ** (32 - n);
    return { start: Math.floor(ipToInt(ip) / size) * size, size };
}

/** True when every address of `inner` lies within one of `outer`. */
export function cidrWithin(inner: string, outer: string[]): boolean {
    const i = parseCidr(inner);
    if (!i) return false;
    return outer.some((o) => {
        const p = parseCidr(o);
        return p !== undefined && i.start >= p.start && i.start + i.size <= p.start + p.size;
    });
}

/** The egress CIDRs not admitted by `allowed` ([] when all are, or when `allowed` is empty: open). */
export function egressNotAllowed(egress: string[], allowed: string[]): string[] {
    return allowed.length === 0 ? [] : egress.filter((c) => !cidrWithin(c, allowed));
}

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"];

/** Why `host` only resolves or routes inside one cluster or site, or undefined. */
export function internalHost(host: string, privateConnectivity: boolean): string | undefined {
    const h = host.toLowerCase().replace(/\.$/, "");
    if (/\.svc(\.|$)/.test(h) || h.endsWith("cluster.local") || h === "localhost" || !h.includes(".")) {
        return "a cluster-internal name that does not resolve on another cluster";
    }
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(h) && !privateConnectivity && cidrWithin(`${h}/32`, PRIVATE_RANGES)) {
        return "a private address, not routable from this cluster (set hybridml:exposure.privateConnectivity: true on this stack if it reaches training over a VPN or interconnect)";
    }
    return undefined;
}

/** This stack's egress as far as config tells: k3s hosts' addresses, declared CIDRs, or cloud NAT (known once created). */
export function staticEgress(config: PlatformConfig): StaticEgress {
    if (config.exposure.egressCidrs) return { kind: "static", cidrs: [...config.exposure.egressCidrs], source: "hybridml:exposure.egressCidrs" };
    const c = config.cluster;
    if (c.provider === "eks" || c.provider === "gke" || c.provider === "aks") return { kind: "cloud-nat" };
    if (c.provider === "k3s") {
        const ips = c.hosts.map((h) => h.address).filter((a) => /^\d{1,3}(\.\d{1,3}){3}$/.test(a));
        if (ips.length === c.hosts.length && ips.length > 0) {
            return { kind: "static", cidrs: [...new Set(ips)].map((a) => `${a}/32`), source: "hybridml:cluster.hosts[].address" };
        }
    }
    return { kind: "unknown", fix: "set hybridml:exposure.egressCidrs to the addresses this site's traffic leaves from" };
}

interface CheckedEndpoint {
    flow: Flow["flow"];
    /** The contract field and the training stack's key that sets it. */
    field: string;
    key: string;
    url: URL;
    caCert: unknown;
    exposure?: EndpointExposure;
}

function endpointsOf(contract: Pick<TrainingContract, "modelStore" | "streaming">, replicate: boolean): CheckedEndpoint[] {
    const out: CheckedEndpoint[] = [{
        flow: "model-sync", field: "modelStore.endpoint", key: "hybridml:storage.endpoint",
        url: new URL(contract.modelStore.endpoint), caCert: contract.modelStore.caCert, exposure: contract.modelStore.exposure,
    }];
    if (replicate) {
        const scheme = contract.streaming.engine === "kafka" ? "kafka+ssl" : "pulsar+ssl";
        out.push({
            flow: "feedback", field: "streaming.bootstrap", key: "hybridml:streaming.bootstrap",
            url: new URL(`${scheme}://${contract.streaming.bootstrap}`), caCert: contract.streaming.caCert, exposure: contract.streaming.exposure,
        });
    }
    return out;
}

/**
 * The problems of the training endpoints as seen from this serving stack (empty: they can work), each
 * naming the training stack's key. `egress` is this stack's static egress.
 */
export function reachabilityProblems(
    config: Pick<PlatformConfig, "stack" | "environment" | "exposure">,
    training: string,
    contract: Pick<TrainingContract, "modelStore" | "streaming">,
    egress: StaticEgress,
    replicate: boolean,
): string[] {
    const out: string[] = [];
    const dev = config.environment === "dev";
    const on = `on training stack ${training}`;
    for (const e of endpointsOf(contract, replicate)) {
        const shown = e.flow === "model-sync" ? e.url.href.replace(/\/$/, "") : `${e.url.hostname}:${e.url.port}`;
        const internal = internalHost(e.url.hostname, config.exposure.privateConnectivity);
        if (internal) {
            out.push(`${e.field} is ${JSON.stringify(shown)}, ${internal}: set ${e.key} ${on} to its external name (the program gives it that DNS name and certificate), then pulumi up there`);
            continue;
        }
        if (/^\d{1,3}(\.\d{1,3}){3}$/.test(e.url.hostname) && !config.exposure.privateConnectivity) {
            out.push(`${e.field} is ${JSON.stringify(shown)}, an address instead of a name (load-balancer addresses change; certificates and external-dns carry names): set ${e.key} ${on} to the external DNS name`);
            continue;
        }
        if (e.url.protocol === "http:" && !dev) {
            out.push(`${e.field} is ${JSON.stringify(shown)}, plain http across networks outside dev (environment ${config.environment}): set ${e.key} ${on} to https://${e.url.host}`);
            continue;
        }
        const tls = e.url.protocol !== "http:";
        if (tls && (e.caCert === null || e.caCert === undefined || e.caCert === "")) {
            out.push(`${e.field} ${JSON.stringify(shown)} is TLS but the contract carries no CA to verify it: set ${e.key} ${on} on a Rook/streaming training stack (the program issues the certificate and publishes its CA), then pulumi up there`);
        }
        if (!e.exposure) continue;
        if (tls && e.exposure.sans.length > 0 && !e.exposure.sans.includes(e.url.hostname)) {
            out.push(`${e.field} host ${e.url.hostname} is not among its certificate's names (${e.exposure.sans.join(", ")}): fix ${e.key} ${on}`);
        }
        const allowKey = `hybridml:exposure.allowedSources.${config.stack}`;
        if (e.exposure.allowedSources.length === 0) {
            if (config.environment === "prod") {
                out.push(`${e.field} ${JSON.stringify(shown)} is exposed without source ranges (open to every address), refused in prod: set ${allowKey} ${on} to this stack's egress addresses`);
            }
            continue;
        }
        if (egress.kind === "static" && !dev) {
            const missing = egressNotAllowed(egress.cidrs, e.exposure.allowedSources);
            if (missing.length > 0) {
                out.push(`${e.field} ${JSON.stringify(shown)} admits ${e.exposure.allowedSources.join(", ")}, not this stack's egress ${missing.join(", ")} (${egress.source}): `
                    + `add ${missing.join(", ")} to ${allowKey} ${on}`);
            }
        }
    }
    return out;
}

/**
 * Check the contract's endpoints for a serving stack on another cluster; throws one ContractError
 * naming every problem and the training stack's keys, before anything is registered.
 */
export function checkReachability(config: PlatformConfig, contract: Pick<TrainingContract, "modelStore" | "streaming">): void {
    if (!config.trainingStack || config.roles.training) return;
    const replicate = config.streaming.crossClusterReplication && contract.streaming.feedbackTopics.length > 0;
    const problems = reachabilityProblems(config, config.trainingStack.fullName, contract, staticEgress(config), replicate);
    if (problems.length > 0) throw new ContractError(config.trainingStack.fullName, problems);
}

/**
 * The cross-cluster flows of this serving stack (model sync, feedback) with what decides whether
 * they work. `egress` is the cluster's egress (cloud NAT addresses, an Output) or the static one.
 */
export function reachabilityFlows(
    config: PlatformConfig,
    contract: Pick<TrainingContract, "modelStore" | "streaming">,
    egress: pulumi.Output<string[]> | undefined,
): Flow[] {
    if (!config.trainingStack || config.roles.training) return [];
    const replicate = config.streaming.crossClusterReplication && contract.streaming.feedbackTopics.length > 0;
    const known = staticEgress(config);
    const egressOut: pulumi.Output<string[] | null> = egress ?? pulumi.output(known.kind === "static" ? known.cidrs : null);
    return endpointsOf(contract, replicate).map((e) => {
        const allowed = e.exposure?.allowedSources ?? [];
        const verdict = egressOut.apply((cidrs): "yes" | "no" | "open" | "unknown" => {
            if (allowed.length === 0) return "open";
            if (!cidrs || cidrs.length === 0) return "unknown";
            return egressNotAllowed(cidrs, allowed).length === 0 ? "yes" : "no";
        });
        return {
            flow: e.flow, consumer: config.stack, training: config.trainingStack?.fullName ?? "",
            endpoint: e.flow === "model-sync" ? e.url.href.replace(/\/$/, "") : `${e.url.hostname}:${e.url.port}`,
            dnsName: e.exposure?.dnsName ?? e.url.hostname, sans: e.exposure?.sans ?? [], allowedSources: allowed,
            consumerEgress: egressOut, egressAllowed: verdict,
        };
    });
}

/**
 * At deploy time, once the cloud NAT addresses exist: a flow whose egress is not admitted is an error
 * in prod (the update fails, naming the key) and a warning elsewhere.
 */
export function reportEgress(config: PlatformConfig, flows: Flow[]): void {
    for (const f of flows) {
        pulumi.all([f.egressAllowed, f.consumerEgress]).apply(([verdict, cidrs]) => {
            if (verdict !== "no") return;
            const msg = `${f.flow} from ${f.consumer} to ${f.endpoint} cannot work: ${f.training} admits ${f.allowedSources.join(", ")}, `
                + `not this stack's egress ${(cidrs ?? []).join(", ")}: add them to hybridml:exposure.allowedSources.${f.consumer} on ${f.training} and pulumi up there`;
            if (config.environment === "prod") pulumi.log.error(msg);
            else pulumi.log.warn(msg);
        });
    }
}
