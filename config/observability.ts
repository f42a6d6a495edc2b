/**
 * The `observability` config section (SPEC 5 "Observability"): the Prometheus stack every cluster
 * runs. Pure: no Pulumi imports.
 */
import { z } from "zod";

const NS = "hybridml";

/** A Prometheus duration such as 15d, 12h or 2w. */
const duration = z.string().regex(/^\d+(ms|s|m|h|d|w|y)$/, { message: "must be a Prometheus duration such as 15d, 36h or 2w" });
/** A Kubernetes storage size in Gi or Ti. */
const volumeSize = z.string().regex(/^[1-9]\d*(Gi|Ti)$/, { message: "must be a size such as 50Gi or 1Ti" });
/** A Prometheus TSDB size cap such as 45GB. */
const tsdbSize = z.string().regex(/^[1-9]\d*(MB|GB|TB)$/, { message: "must be a TSDB size such as 45GB (MB, GB or TB)" });
/** A StorageClass name (DNS-1123 subdomain). */
const storageClass = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, { message: "must be a StorageClass name (lower-case DNS subdomain)" });

/** The `hybridml:observability` section. */
export const observabilitySchema = z.strictObject({
    /** Deploy kube-prometheus-stack (and the monitors of every component). Default true. */
    enabled: z.boolean().default(true),
    /** How long Prometheus keeps samples. Default `15d`. */
    retention: duration.default("15d"),
    /** Cap on the TSDB size, below `storageSize`, e.g. `45GB`. Default: none (time-based retention only). */
    retentionSize: tsdbSize.optional(),
    /** Prometheus persistent volume size. Default `50Gi`. */
    storageSize: volumeSize.default("50Gi"),
    /** StorageClass of that volume. Default: unset, the cluster's default StorageClass. */
    storageClass: storageClass.optional(),
    /** Deploy Grafana with a generated admin password (stack output, secret). Default true. */
    grafana: z.boolean().default(true),
    /** Prometheus replicas. Default 1. */
    replicas: z.number().int().min(1).max(5).default(1),
});

export type ObservabilityConfig = z.output<typeof observabilitySchema>;

const GI = 1024 ** 3;
function volumeBytes(size: string): number {
    const n = Number(size.slice(0, -2));
    return size.endsWith("Ti") ? n * 1024 * GI : n * GI;
}
function tsdbBytes(size: string): number {
    const n = Number(size.slice(0, -2));
    return n * (size.endsWith("TB") ? 1e12 : size.endsWith("GB") ? 1e9 : 1e6);
}

/**
 * Cross-field checks of the section. Each line names the full key, the value given and the fix.
 * A TSDB cap at or above the volume size would let the volume fill before retention deletes data.
 */
export function observabilityIssues(o: ObservabilityConfig): string[] {
    const out: string[] = [];
    if (o.retentionSize !== undefined && tsdbBytes(o.retentionSize) >= volumeBytes(o.storageSize) * 0.9) {
        out.push(`${NS}:observability.retentionSize must stay below 90% of observability.storageSize so the volume never fills `
            + `(got ${JSON.stringify(o.retentionSize)} with storageSize ${JSON.stringify(o.storageSize)}): lower it or raise storageSize`);
    }
    return out;
}
