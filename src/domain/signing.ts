// Signatures, WebCrypto only (docs/contract.md shows a worked example).
// v1: lowercase hex HMAC-SHA256, key = the secret's UTF-8 bytes, message = `${t}.${body}`.
// Standard Webhooks: base64 HMAC-SHA256, key = base64-decoded part after `whsec_`, message = `${id}.${t}.${body}`.
// PageGun: `sha256=` + lowercase hex HMAC-SHA256, key = the secret's UTF-8 bytes, message = the body alone.
import { fromBase64, timingSafeEqual, toBase64, toHex } from "./crypto";

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

/** Imported HMAC keys are cached per isolate: the consumer signs many deliveries with the same secret. */
function hmacKey(raw: Uint8Array, cacheKey: string): Promise<CryptoKey> {
  let key = keys.get(cacheKey);
  if (!key) {
    if (keys.size > 1000) keys.clear();
    key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keys.set(cacheKey, key);
  }
  return key;
}

async function hmac(raw: Uint8Array, cacheKey: string, message: string): Promise<ArrayBuffer> {
  return crypto.subtle.sign("HMAC", await hmacKey(raw, cacheKey), encoder.encode(message));
}

export async function signV1Hex(secret: string, t: number, body: string): Promise<string> {
  return toHex(await hmac(encoder.encode(secret), `utf8:${secret}`, `${t}.${body}`));
}

/** PageGun's signature: no timestamp, so a captured request stays valid; receivers deduplicate on the event id. */
export async function signPageGun(secret: string, body: string): Promise<string> {
  return `sha256=${toHex(await hmac(encoder.encode(secret), `utf8:${secret}`, body))}`;
}

/** `whsec_` followed by base64 that decodes to at least 1 byte. */
export function isStandardWebhooksSecret(secret: string): boolean {
  if (!secret.startsWith("whsec_")) return false;
  const b64 = secret.slice(6);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return false;
  try {
    return fromBase64(b64).byteLength > 0;
  } catch {
    return false;
  }
}

export async function signStandardWebhooks(secret: string, msgId: string, t: number, body: string): Promise<string> {
  return toBase64(await hmac(fromBase64(secret.slice(6)), `sw:${secret}`, `${msgId}.${t}.${body}`));
}

/** `${prefix}-Signature` when any secret; Standard Webhooks headers for the whsec_ ones. Secrets newest first. */
export async function signatureHeaders(opts: {
  prefix: string;
  secrets: readonly string[];
  eventId: string;
  t: number;
  body: string;
}): Promise<Record<string, string>> {
  const { prefix, secrets, eventId, t, body } = opts;
  if (!secrets.length) return {};
  const v1 = await Promise.all(secrets.map((s) => signV1Hex(s, t, body)));
  const out: Record<string, string> = { [`${prefix}-Signature`]: [`t=${t}`, ...v1.map((h) => `v1=${h}`)].join(",") };
  const standard = secrets.filter(isStandardWebhooksSecret);
  if (standard.length) {
    const sigs = await Promise.all(standard.map((s) => signStandardWebhooks(s, eventId, t, body)));
    out["webhook-id"] = eventId;
    out["webhook-timestamp"] = String(t);
    out["webhook-signature"] = sigs.map((s) => `v1,${s}`).join(" ");
  }
  return out;
}

/** `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** What a receiver does: accept when any v1 matches any of its secrets and `t` is within the tolerance. */
export async function verifyV1(
  header: string,
  secrets: readonly string[],
  body: string,
  nowSec: number,
  toleranceSec = 300,
): Promise<boolean> {
  const parts = header.split(",").map((p) => p.trim());
  const t = Number(parts.find((p) => p.startsWith("t="))?.slice(2));
  if (!Number.isInteger(t) || Math.abs(nowSec - t) > toleranceSec) return false;
  const given = parts.filter((p) => p.startsWith("v1=")).map((p) => p.slice(3));
  for (const secret of secrets) {
    const expected = await signV1Hex(secret, t, body);
    if (given.some((g) => timingSafeEqual(g, expected))) return true;
  }
  return false;
}
