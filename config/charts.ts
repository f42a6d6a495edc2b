/**
 * The `charts` section: a chart mirror for air-gapped sites (README "Charts from a mirror").
 * `mirror` serves every chart; `repositories.<chart>` overrides one chart. Pure: no Pulumi imports.
 */
import { z } from "zod";
import { chartNames, type ChartName, type ChartMirror } from "../lib/charts";
import type { Environment } from "./schema";

const repoUrl = z.string().regex(/^(https?|oci):\/\/[^\s/]+(\/\S*)?$/, {
    message: "must be a Helm repository URL (https://host/path) or an OCI registry path (oci://host/path)",
});

export const chartsSchema = z.strictObject({
    /** One repository (or OCI registry path) serving every chart at its pinned version. Default: none. */
    mirror: repoUrl.optional(),
    /** Per chart name (see lib/charts.ts), a repository that wins over `mirror`. Default {}. */
    repositories: z.strictObject(
        Object.fromEntries(chartNames.map((n) => [n, repoUrl.optional()])) as Record<ChartName, z.ZodOptional<typeof repoUrl>>,
    ).default({}),
});
export type ChartsConfig = z.output<typeof chartsSchema>;

/** A URL with a user or password in it: the credential would land in state and in every plan. */
function hasUserInfo(url: string): boolean {
    return /^[a-z]+:\/\/[^/]*@/.test(url);
}

/** Cross-field checks: credentials never in a URL, plain http only on dev. Messages never echo a URL with credentials. */
export function chartsIssues(c: ChartsConfig, environment: Environment): string[] {
    const out: string[] = [];
    const entries: [string, string | undefined][] = [
        ["charts.mirror", c.mirror],
        ...Object.entries(c.repositories).map(([n, u]) => [`charts.repositories.${n}`, u] as [string, string | undefined]),
    ];
    for (const [key, url] of entries) {
        if (url === undefined) continue;
        if (hasUserInfo(url)) {
            out.push(`hybridml:${key} holds a user or password in the URL (value not shown): give the mirror's URL without credentials; ` +
                "Helm repository credentials are not supported through config");
        } else if (url.startsWith("http://") && environment !== "dev") {
            out.push(`hybridml:${key} uses plain http outside dev (got ${url}): serve the mirror over https:// or use an oci:// registry`);
        }
    }
    return out;
}

/** The mirror the components take. */
export function resolveCharts(c: ChartsConfig): ChartMirror {
    return { repository: c.mirror, repositories: c.repositories };
}
