/**
 * Pulsar JWT tokens signed with a symmetric (HS256) secret key, computed from Pulumi-generated key
 * bytes. Pure and deterministic (no `iat`/`exp`): the same key and subject always give the same
 * token, so re-running the program does not churn the token Secrets.
 */
import { createHmac } from "crypto";

const b64url = (b: Buffer) => b.toString("base64").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

/** An HS256 JWT with `{ sub: subject }`, as `pulsar tokens create --secret-key ... --subject` makes. */
export function signPulsarToken(subject: string, secretKeyBase64: string): string {
    const header = b64url(Buffer.from(JSON.stringify({ alg: "HS256" })));
    const payload = b64url(Buffer.from(JSON.stringify({ sub: subject })));
    const signature = b64url(createHmac("sha256", Buffer.from(secretKeyBase64, "base64")).update(`${header}.${payload}`).digest());
    return `${header}.${payload}.${signature}`;
}

/** Verify an HS256 token against the key; returns its subject, or undefined when the signature is wrong. */
export function verifyPulsarToken(token: string, secretKeyBase64: string): string | undefined {
    const [header, payload, signature] = token.split(".");
    if (!header || !payload || !signature) return undefined;
    const expected = b64url(createHmac("sha256", Buffer.from(secretKeyBase64, "base64")).update(`${header}.${payload}`).digest());
    if (expected !== signature) return undefined;
    return (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { sub?: string }).sub;
}
