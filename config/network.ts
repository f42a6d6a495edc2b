/**
 * IPv4 CIDR checks of the cluster network and API access (issue 17): network addresses only, no
 * overlap between the VPC/VNet, pod and service ranges, authorised ranges that together never
 * cover the whole internet, and a VPC large enough for the subnets the cluster component carves.
 * Pure: each function returns one line per problem, naming the key and the fix.
 */

const NS = "hybridml";
const key = (p: string) => `${NS}:cluster.${p}`;
const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const ALL = 2 ** 32;

/** A parsed block: its first address and its size. */
interface Block { start: number; size: number; prefix: number }

function parse(cidr: string): Block | undefined {
    const m = IPV4_CIDR.exec(cidr);
    if (!m) return undefined;
    const octets = m.slice(1, 5).map(Number);
    const prefix = Number(m[5]);
    if (octets.some((o) => o > 255) || prefix > 32) return undefined;
    const address = octets.reduce((acc, o) => acc * 256 + o, 0);
    const size = 2 ** (32 - prefix);
    return { start: address - (address % size), size, prefix };
}

function format(address: number, prefix: number): string {
    return `${[24, 16, 8, 0].map((s) => Math.floor(address / 2 ** s) % 256).join(".")}/${prefix}`;
}

/** The network address form of `cidr` when it has host bits set (`10.0.1.0/16` -> `10.0.0.0/16`), else undefined. */
export function hostBitsFix(cidr: string): string | undefined {
    const m = IPV4_CIDR.exec(cidr);
    const b = parse(cidr);
    if (!m || !b) return undefined;
    const address = m.slice(1, 5).map(Number).reduce((acc, o) => acc * 256 + o, 0);
    return address === b.start ? undefined : format(b.start, b.prefix);
}

/** True when the blocks share an address. */
export function overlaps(a: string, b: string): boolean {
    const x = parse(a);
    const y = parse(b);
    return x !== undefined && y !== undefined && x.start < y.start + y.size && y.start < x.start + x.size;
}

/** Addresses covered by the union of `cidrs` (overlaps counted once). */
export function unionSize(cidrs: readonly string[]): number {
    const blocks = cidrs.map(parse).filter((b): b is Block => b !== undefined).sort((a, b) => a.start - b.start);
    let covered = 0;
    let end = 0;
    for (const b of blocks) {
        const bEnd = b.start + b.size;
        if (bEnd <= end) continue;
        covered += bEnd - Math.max(b.start, end);
        end = bEnd;
    }
    return covered;
}

/** Pod CIDR of GKE and AKS unless `network.podCidr` says otherwise. */
export const DEFAULT_POD_CIDR = "100.64.0.0/14";

/** What the checks need from the cluster section. */
export interface NetworkInput {
    provider: "eks" | "gke" | "aks";
    authorizedCidrs: readonly string[];
    /** `podCidr` absent: the default (gke, aks), or unused (eks). */
    network: { vpcCidr: string; podCidr?: string; serviceCidr: string; zones?: readonly string[] };
}

/** GKE's default control-plane range (components/clusters/gke.ts GKE_DEFAULTS.masterCidr); it must not overlap the other ranges. */
export const GKE_MASTER_CIDR = "172.16.0.0/28";

/**
 * The network checks of a managed cloud. `/0` entries are reported per entry; a list whose union
 * covers every address (two `/1`s, or `0.0.0.0/1` + `128.0.0.0/2` + ...) once, on the list.
 */
export function networkIssues(cl: NetworkInput): string[] {
    const out: string[] = [];
    cl.authorizedCidrs.forEach((c, i) => {
        const fix = hostBitsFix(c);
        if (fix) out.push(`${key(`authorizedCidrs[${i}]`)} has host bits set (got ${JSON.stringify(c)}): use its network address ${fix}`);
        if (c.endsWith("/0")) out.push(`${key(`authorizedCidrs[${i}]`)} opens the API to the whole internet (got ${JSON.stringify(c)}): list the runner's egress ranges (CI runner NAT, office VPN)`);
    });
    if (!cl.authorizedCidrs.some((c) => c.endsWith("/0")) && cl.authorizedCidrs.length > 1 && unionSize(cl.authorizedCidrs) >= ALL) {
        out.push(`${key("authorizedCidrs")} together cover the whole internet (got ${JSON.stringify(cl.authorizedCidrs)}): the API would be open to everyone; list only the runner's egress ranges (CI runner NAT, office VPN)`);
    }

    // Which ranges the provider uses: EKS pods take VPC addresses (VPC CNI), so its podCidr is unused.
    const ranges: [string, string][] = [["network.vpcCidr", cl.network.vpcCidr], ["network.serviceCidr", cl.network.serviceCidr]];
    if (cl.provider !== "eks") ranges.push(["network.podCidr", cl.network.podCidr ?? DEFAULT_POD_CIDR]);
    const badRange = new Set<string>();
    for (const [k, c] of ranges) {
        const fix = hostBitsFix(c);
        if (fix) {
            out.push(`${key(k)} has host bits set (got ${JSON.stringify(c)}): use its network address ${fix}`);
            badRange.add(k);
        }
    }
    for (let i = 0; i < ranges.length; i++) {
        for (let j = i + 1; j < ranges.length; j++) {
            const [ka, a] = ranges[i];
            const [kb, b] = ranges[j];
            if (overlaps(a, b)) {
                out.push(`${key(kb)} overlaps ${ka} (got ${JSON.stringify(b)} and ${JSON.stringify(a)}): the VPC/VNet, pod and service ranges must be disjoint; pick another private range`);
            }
        }
    }
    if (cl.provider === "gke") {
        for (const [k, c] of ranges) {
            if (overlaps(c, GKE_MASTER_CIDR)) out.push(`${key(k)} overlaps the GKE control-plane range ${GKE_MASTER_CIDR} (got ${JSON.stringify(c)}): pick another private range`);
        }
    }
    if (cl.provider === "eks" && cl.network.serviceCidr) {
        const s = parse(cl.network.serviceCidr);
        const inPrivate = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].some((p) => {
            const pb = parse(p)!;
            return s !== undefined && s.start >= pb.start && s.start + s.size <= pb.start + pb.size;
        });
        if (s && (!inPrivate || s.prefix < 12 || s.prefix > 24)) {
            out.push(`${key("network.serviceCidr")} must be a /12 to /24 inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 on eks (got ${JSON.stringify(cl.network.serviceCidr)}): EKS refuses other service ranges`);
        }
    }

    // The subnets the cluster component carves from the VPC (EksCluster subnetCidrs, AksCluster nodeSubnetCidr).
    const vpc = badRange.has("network.vpcCidr") ? undefined : parse(cl.network.vpcCidr);
    if (vpc && cl.provider === "eks") {
        const zones = cl.network.zones?.length ?? 0;
        const bits = Math.ceil(Math.log2(Math.max(zones, 2) + 1));
        if (vpc.prefix + bits + 4 > 28) {
            const largest = 28 - 4 - bits;
            out.push(`${key("network.vpcCidr")} is too small for ${Math.max(zones, 2)} zones (got ${JSON.stringify(cl.network.vpcCidr)}): each zone gets a private and a public subnet; use a /${largest} or larger (a /16 is typical)`);
        }
    }
    if (vpc && cl.provider === "aks" && vpc.prefix > 27) {
        out.push(`${key("network.vpcCidr")} is too small for an AKS node subnet (got ${JSON.stringify(cl.network.vpcCidr)}): use a /27 or larger (a /16 is typical)`);
    }
    return out;
}
