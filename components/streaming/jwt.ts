/**
 * Pulsar JWT tokens signed with an RSA key pair (RS256), as `pulsar tokens create --private-key ...
 * --subject ... --expiry-time ...` makes them: the brokers and proxies hold only the public key, so a
 * leaked broker volume or Secret cannot mint tokens, and every token expires.
 *
 * Expiry without churn: a token's `exp` is the end of the rotation window it was issued in
 * (`tokenExpiry`), so every `pulumi up` inside a window computes the same token (RS256 signatures are
 * deterministic) and the first `up` of the next window issues a new one, while the old one is still
 * valid for half a lifetime. Pure.
 */
import { createPublicKey, sign, verify } from "crypto";

const b64url = (b: Buffer) => b.toString("base64").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
const DAY = 86_400;

/**
 * The `exp` (seconds) of a token issued at `nowMs` with a lifetime of `lifetimeDays`: windows of half
 * the lifetime, each token valid until one lifetime after its window began (between half a lifetime
 * and a whole one from its issue).
 */
export function tokenExpiry(nowMs: number, lifetimeDays: number): number {
    const half = (lifetimeDays * DAY) / 2;
    const windowStart = Math.floor(nowMs / 1000 / half) * half;
    return Math.round(windowStart + lifetimeDays * DAY);
}

/** An RS256 JWT `{ sub, exp }` signed with the PEM private key (PKCS#1 or PKCS#8). */
export function signPulsarToken(subject: string, privateKeyPem: string, exp: number): string {
    const header = b64url(Buffer.from(JSON.stringify({ alg: "RS256" })));
    const payload = b64url(Buffer.from(JSON.stringify({ sub: subject, exp })));
    const signature = b64url(sign("sha256", Buffer.from(`${header}.${payload}`), privateKeyPem));
    return `${header}.${payload}.${signature}`;
}

/** Verify an RS256 token against the PEM public key at `nowMs`; its subject, or undefined when forged or expired. */
export function verifyPulsarToken(token: string, publicKeyPem: string, nowMs: number = Date.now()): string | undefined {
    const [header, payload, signature] = token.split(".");
    if (!header || !payload || !signature) return undefined;
    if ((JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: string }).alg !== "RS256") return undefined;
    if (!verify("sha256", Buffer.from(`${header}.${payload}`), publicKeyPem, Buffer.from(signature, "base64url"))) return undefined;
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { sub?: string; exp?: number };
    return typeof claims.exp === "number" && claims.exp * 1000 > nowMs ? claims.sub : undefined;
}

/** The public key as Pulsar's `tokenPublicKey` file holds it (DER, as `pulsar tokens create-key-pair` writes), base64 for a Secret's data. */
export function publicKeyDerBase64(publicKeyPem: string): string {
    return createPublicKey(publicKeyPem).export({ type: "spki", format: "der" }).toString("base64");
}
