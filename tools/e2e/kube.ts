/**
 * A small Kubernetes API client for the e2e: HTTPS with the cluster's CA and a bearer token, JSON in
 * and out. It talks to the real kube-apiserver the way any client does (discovery-free: callers name
 * the API path), which is all the checks and the fake cloud controllers need.
 */
import * as https from "node:https";

export interface KubeAccess {
    server: string;
    caPem: string;
    token: string;
}

export class KubeError extends Error {
    constructor(public readonly status: number, public readonly body: string, what: string) {
        super(`${what}: HTTP ${status}: ${body.slice(0, 300)}`);
        this.name = "KubeError";
    }
}

/** A Kubernetes object as JSON. */
export interface KubeObject {
    apiVersion?: string;
    kind?: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
    spec?: Record<string, unknown>;
    status?: Record<string, unknown>;
    [k: string]: unknown;
}

export class Kube {
    private readonly agent: https.Agent;

    constructor(public readonly access: KubeAccess) {
        this.agent = new https.Agent({ ca: access.caPem, keepAlive: true, maxSockets: 4 });
    }

    /** One request; resolves with the parsed body, rejects with KubeError on a non-2xx status. */
    request<T = unknown>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
        const url = new URL(path, this.access.server);
        const payload = body === undefined ? undefined : JSON.stringify(body);
        return new Promise<T>((resolve, reject) => {
            const req = https.request(url, {
                method, agent: this.agent, timeout: 30_000,
                headers: {
                    authorization: `Bearer ${this.access.token}`, accept: "application/json",
                    ...(payload !== undefined ? { "content-type": contentType, "content-length": Buffer.byteLength(payload) } : {}),
                },
            }, (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => {
                    const text = Buffer.concat(chunks).toString("utf8");
                    const status = res.statusCode ?? 0;
                    if (status < 200 || status >= 300) return reject(new KubeError(status, text, `${method} ${path}`));
                    const json = (res.headers["content-type"] ?? "").includes("json");
                    try {
                        resolve((json && text ? JSON.parse(text) : text) as T);
                    } catch (e) {
                        reject(e);
                    }
                });
            });
            req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
            req.on("error", reject);
            if (payload !== undefined) req.write(payload);
            req.end();
        });
    }

    get<T = KubeObject>(path: string): Promise<T> {
        return this.request<T>("GET", path);
    }

    /** GET that answers undefined for 404. */
    async find<T = KubeObject>(path: string): Promise<T | undefined> {
        try {
            return await this.get<T>(path);
        } catch (e) {
            if (e instanceof KubeError && e.status === 404) return undefined;
            throw e;
        }
    }

    async list(path: string): Promise<KubeObject[]> {
        return (await this.get<{ items: KubeObject[] }>(path)).items;
    }

    create(path: string, obj: unknown): Promise<KubeObject> {
        return this.request<KubeObject>("POST", path, obj);
    }

    /** A merge patch (`application/merge-patch+json`). */
    mergePatch(path: string, patch: unknown): Promise<KubeObject> {
        return this.request<KubeObject>("PATCH", path, patch, "application/merge-patch+json");
    }

    close(): void {
        this.agent.destroy();
    }
}

/** The REST path of a resource type: `/api/v1` for the core group, `/apis/<group>/<version>` else. */
export function apiPath(apiVersion: string, plural: string, namespace?: string, name?: string): string {
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return `${base}${namespace ? `/namespaces/${namespace}` : ""}/${plural}${name ? `/${name}` : ""}`;
}
