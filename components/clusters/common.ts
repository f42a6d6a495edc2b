/**
 * What the cluster components share, written once: CIDR math, the API-endpoint exposure rule,
 * taint-effect spelling, the system-pool label, exec kubeconfigs, short hashes and names that fit a
 * cloud's length and charset rules. Pure (no resources), unit-tested without mocks.
 *
 * Errors thrown here name the component argument (`args.authorizedCidrs`), never a config key:
 * config/ checks the same rules first and names `hybridml:cluster.*`.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { GPU_NODE_LABEL } from "./types";

/** Label on the system nodes of every platform (the GPU pool carries `GPU_NODE_LABEL`). */
export const SYSTEM_NODE_LABEL = { key: GPU_NODE_LABEL.key, value: "system" } as const;

/** An error about a component argument: `<Component> <name>: args.<arg> <message>`. */
export function argError(component: string, name: string, arg: string, message: string): Error {
    return new Error(`${component} ${name}: args.${arg} ${message}`);
}

// ---------------------------------------------------------------------------------------------
// Hashes and names
// ---------------------------------------------------------------------------------------------

/** A short, stable hex hash of the parts (joined with `/`). */
export function shortHash(parts: string | readonly string[], length = 6): string {
    const s = typeof parts === "string" ? parts : parts.join("/");
    return createHash("sha256").update(s).digest("hex").slice(0, length);
}

/**
 * Fit `raw` to a lower-case DNS-like name rule: letters, digits and '-', starting with a letter,
 * ending with a letter or digit, at most `max` characters. A name that had to be cut keeps a
 * 6-character hash of the whole input so two long names never collide.
 */
export function dnsLikeName(raw: string, max: number): string {
    let s = raw.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^-+|-+$/g, "");
    if (!/^[a-z]/.test(s)) s = `x-${s}`;
    if (s.length > max) s = `${s.slice(0, max - 7).replace(/-+$/, "")}-${shortHash(raw)}`;
    return s.replace(/-+$/, "");
}

/**
 * A globally unique name `<prefix><readable part><hash>` where the hash covers `scope` (account,
 * project or subscription ID, plus the stack/component name) so two accounts or two stacks with
 * the same name never collide. `charset` `alnum` drops every non-alphanumeric character (Azure
 * storage accounts); `dns` keeps single hyphens.
 */
export function scopedName(opts: {
    prefix: string;
    readable: string;
    scope: readonly string[];
    max: number;
    charset: "alnum" | "dns";
}): string {
    const hash = shortHash(opts.scope, 8);
    const sep = opts.charset === "dns" ? "-" : "";
    const clean = opts.charset === "alnum"
        ? opts.readable.toLowerCase().replace(/[^a-z0-9]/g, "")
        : opts.readable.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    const room = opts.max - opts.prefix.length - hash.length - 2 * sep.length;
    const middle = clean.slice(0, Math.max(0, room)).replace(/-+$/, "");
    return middle ? `${opts.prefix}${sep}${middle}${sep}${hash}`.replace(/^-/, "") : `${opts.prefix}${sep}${hash}`.replace(/^-/, "");
}

// ---------------------------------------------------------------------------------------------
// CIDR math
// ---------------------------------------------------------------------------------------------

/** An IPv4 CIDR as numbers. */
export interface Cidr { address: number; prefix: number }

/** Parse `a.b.c.d/n`; `arg` names the argument in the error. */
export function parseCidr(cidr: string, arg: string): Cidr {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
    const octets = m ? m.slice(1, 5).map(Number) : [];
    const prefix = m ? Number(m[5]) : NaN;
    if (!m || octets.some((o) => o > 255) || prefix > 32) {
        throw new Error(`${arg}: ${JSON.stringify(cidr)} is not an IPv4 CIDR block such as 10.0.0.0/16`);
    }
    return { address: octets.reduce((acc, o) => acc * 256 + o, 0), prefix };
}

/** Dotted-quad form of a 32-bit address. */
export function formatIp(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** `a.b.c.d/n`. */
export function formatCidr(address: number, prefix: number): string {
    return `${formatIp(address)}/${prefix}`;
}

/** Refuse a CIDR with host bits set (`10.0.1.0/16`). */
export function networkCidr(cidr: string, arg: string): Cidr {
    const c = parseCidr(cidr, arg);
    if (c.address % 2 ** (32 - c.prefix) !== 0) {
        throw new Error(`${arg}: ${cidr} has host bits set; use its network address (e.g. ${formatCidr(c.address - (c.address % 2 ** (32 - c.prefix)), c.prefix)})`);
    }
    return c;
}

/** True when the two CIDR blocks share an address. */
export function cidrsOverlap(a: string, b: string): boolean {
    const x = parseCidr(a, "cidr");
    const y = parseCidr(b, "cidr");
    const start = (c: Cidr) => c.address - (c.address % 2 ** (32 - c.prefix));
    const end = (c: Cidr) => start(c) + 2 ** (32 - c.prefix);
    return start(x) < end(y) && start(y) < end(x);
}

/**
 * `count` equal blocks of prefix `prefix + bits` carved from the start of `cidr` at block `offset`.
 * Throws when they do not fit.
 */
export function carve(cidr: string, bits: number, count: number, offset: number, arg: string): string[] {
    const c = networkCidr(cidr, arg);
    const prefix = c.prefix + bits;
    if (prefix > 32 || offset + count > 2 ** bits) throw new Error(`${arg}: ${cidr} is too small`);
    const size = 2 ** (32 - prefix);
    return [...Array(count).keys()].map((i) => formatCidr(c.address + (offset + i) * size, prefix));
}

/** The `n`th address of a block (the 10th of the service CIDR is the cluster DNS on AKS). */
export function nthAddress(cidr: string, n: number, arg: string): string {
    const c = parseCidr(cidr, arg);
    const base = c.address - (c.address % 2 ** (32 - c.prefix));
    if (n >= 2 ** (32 - c.prefix)) throw new Error(`${arg}: ${cidr} is too small (needs at least ${n + 1} addresses)`);
    return formatIp(base + n);
}

// ---------------------------------------------------------------------------------------------
// API endpoint exposure
// ---------------------------------------------------------------------------------------------

/**
 * The one rule for authorised networks of a cluster API, on every cloud: no range may be open to
 * the internet (`/0`), and an endpoint reachable from the internet must list at least one range
 * (`requireRanges`). Returns the ranges. Errors name `args.authorizedCidrs` of `component name`.
 */
export function authorizedRanges(component: string, name: string, cidrs: readonly string[], requireRanges: boolean, why: string): string[] {
    for (const cidr of cidrs) {
        const { prefix } = parseCidr(cidr, `${component} ${name}: args.authorizedCidrs`);
        if (prefix === 0) {
            throw argError(component, name, "authorizedCidrs", `must not contain ${cidr}: it opens the Kubernetes API to the whole internet; list the runner's egress ranges (CI runner NAT, office VPN)`);
        }
    }
    if (requireRanges && cidrs.length === 0) {
        throw argError(component, name, "authorizedCidrs", `must list at least one CIDR ${why}`);
    }
    return [...cidrs];
}

// ---------------------------------------------------------------------------------------------
// Taints
// ---------------------------------------------------------------------------------------------

/** Kubernetes taint effects. */
export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";

/** A Kubernetes taint effect as the EKS and GKE APIs spell it (`NoSchedule` -> `NO_SCHEDULE`). */
export function apiTaintEffect(effect: TaintEffect): string {
    return effect.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** A taint as kubelet flags, AKS and `kubectl taint` spell it: `key=value:Effect`. */
export function taintString(t: { key: string; value: string; effect: string }): string {
    return `${t.key}=${t.value}:${t.effect}`;
}

// ---------------------------------------------------------------------------------------------
// Kubeconfig
// ---------------------------------------------------------------------------------------------

/** The `exec` credential plugin of a kubeconfig user. */
export interface ExecCredential {
    command: string;
    args?: string[];
    env?: Array<{ name: string; value: string }>;
    /** Shown by kubectl when `command` is missing. */
    installHint?: string;
    /** Pass the cluster's details to the plugin (gke-gcloud-auth-plugin needs it). Default false. */
    provideClusterInfo?: boolean;
}

/**
 * A kubeconfig document (JSON, which kubectl and the Kubernetes provider read as YAML) with one
 * cluster, one exec user and one context, all named `name`. Never holds a static credential.
 */
export function execKubeconfig(name: string, server: string, caData: string, exec: ExecCredential): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name, cluster: { server, "certificate-authority-data": caData } }],
        contexts: [{ name, context: { cluster: name, user: name } }],
        "current-context": name,
        users: [{
            name,
            user: {
                exec: {
                    apiVersion: "client.authentication.k8s.io/v1beta1",
                    command: exec.command,
                    ...(exec.args ? { args: exec.args } : {}),
                    ...(exec.env ? { env: exec.env } : {}),
                    ...(exec.installHint ? { installHint: exec.installHint } : {}),
                    ...(exec.provideClusterInfo ? { provideClusterInfo: true } : {}),
                    interactiveMode: "Never",
                },
            },
        }],
    }, null, 2);
}

/** `execKubeconfig` from Outputs, as a secret. */
export function secretExecKubeconfig(
    name: pulumi.Input<string>, server: pulumi.Input<string>, caData: pulumi.Input<string>, exec: ExecCredential,
): pulumi.Output<string> {
    return pulumi.secret(pulumi.all([name, server, caData]).apply(([n, s, ca]) => execKubeconfig(n, s, ca, exec)));
}
