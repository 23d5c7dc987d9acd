// The console's session and CSRF tokens, as pure functions over a derived HMAC key. A session is a signed,
// expiring statement of who signed in ("root" or a key id) and nothing secret: the token the operator typed is
// never in it. Every request re-checks the key it names, so revoking the key ends the session at once.
import { fromBase64, timingSafeEqual, toBase64 } from "./crypto";
import { derivedHmacKey } from "./key-derivation";

export const SESSION_TTL_MS = 12 * 3600_000;
/** A sign-in form's token is good for this long (the operator may take a while to paste a key). */
export const SIGN_IN_TTL_MS = 30 * 60_000;

export interface Session {
  /** "root", or the id of the site key that signed in. */
  sub: string;
  /** The key's site; null for root (root picks a site per page). */
  site: string | null;
  /** Random per sign-in: the CSRF token is bound to it. */
  sid: string;
  /** For root: a fingerprint of ADMIN_TOKEN, so changing the token ends root sessions. */
  fp?: string;
  exp: number;
}

const b64url = (bytes: Uint8Array) => toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromB64url = (text: string) => fromBase64(text.replace(/-/g, "+").replace(/_/g, "/"));
const utf8 = (text: string) => new TextEncoder().encode(text);

async function mac(key: CryptoKey, message: string): Promise<string> {
  return b64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(message))));
}

export function randomSid(): string {
  return b64url(crypto.getRandomValues(new Uint8Array(16)));
}

/** `v1.<payload>.<signature>`, both base64url. */
export async function sealSession(key: CryptoKey, session: Session): Promise<string> {
  const payload = b64url(utf8(JSON.stringify(session)));
  return `v1.${payload}.${await mac(key, `session.${payload}`)}`;
}

/** The session if the token is ours, well formed and not expired; null otherwise (never throws). */
export async function openSession(key: CryptoKey, token: string | undefined, now: number): Promise<Session | null> {
  const parts = token?.split(".");
  if (!parts || parts.length !== 3 || parts[0] !== "v1") return null;
  const [, payload, signature] = parts as [string, string, string];
  if (!timingSafeEqual(signature, await mac(key, `session.${payload}`))) return null;
  let s: Partial<Session>;
  try {
    s = JSON.parse(new TextDecoder().decode(fromB64url(payload))) as Partial<Session>;
  } catch {
    return null;
  }
  if (typeof s.sub !== "string" || typeof s.sid !== "string" || typeof s.exp !== "number") return null;
  if (s.site !== null && typeof s.site !== "string") return null;
  if (s.exp <= now) return null;
  return s as Session;
}

/**
 * The session and the subkey that signed it, trying each master key in turn: ENCRYPTION_KEY, then, during a
 * rotation, ENCRYPTION_KEY_PREVIOUS, so nobody is signed out by a key change. The CSRF token is checked with that key.
 */
export async function openSessionUnder(
  masters: readonly string[],
  token: string | undefined,
  now: number,
): Promise<{ session: Session; key: CryptoKey } | null> {
  for (const master of masters) {
    const key = await derivedHmacKey(master, "console-session-v1");
    const session = await openSession(key, token, now);
    if (session) return { session, key };
  }
  return null;
}

/** The CSRF token of a session (or of a sign-in nonce): an HMAC of its id, so it needs no storage. */
export function csrfToken(key: CryptoKey, sid: string): Promise<string> {
  return mac(key, `csrf.${sid}`);
}

export async function csrfTokenIsValid(key: CryptoKey, sid: string, given: unknown): Promise<boolean> {
  return typeof given === "string" && given.length > 0 && timingSafeEqual(given, await csrfToken(key, sid));
}

/** A signed, expiring sign-in nonce (`<nonce>.<exp>.<mac>`) for the sign-in form's pre-session cookie. */
export async function sealNonce(key: CryptoKey, nonce: string, exp: number): Promise<string> {
  return `${nonce}.${exp}.${await mac(key, `nonce.${nonce}.${exp}`)}`;
}

export async function openNonce(key: CryptoKey, token: string | undefined, now: number): Promise<string | null> {
  const parts = token?.split(".");
  if (!parts || parts.length !== 3) return null;
  const [nonce, exp, signature] = parts as [string, string, string];
  if (!timingSafeEqual(signature, await mac(key, `nonce.${nonce}.${exp}`))) return null;
  return Number(exp) > now ? nonce : null;
}
