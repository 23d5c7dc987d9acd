// Dedicated subkeys derived from ENCRYPTION_KEY with HKDF-SHA256 (RFC 5869), one per purpose, so a key used to
// sign console sessions can never sign anything else (nor decrypt a stored secret). Pure WebCrypto.
import { fromBase64 } from "./crypto";

/** Purposes are part of the derivation: a new purpose is a new, independent key. */
export type KeyPurpose = "console-session-v1";

const SALT = new TextEncoder().encode("edgehooks hkdf salt v1");
const cache = new Map<string, Promise<CryptoKey>>();

/** An HMAC-SHA256 key for `purpose`, derived from the base64 32-byte master key; cached per isolate. */
export function derivedHmacKey(masterBase64: string, purpose: KeyPurpose): Promise<CryptoKey> {
  const id = `${purpose}\u0000${masterBase64}`;
  let key = cache.get(id);
  if (!key) {
    key = derive(masterBase64, purpose);
    cache.set(id, key);
    key.catch(() => cache.delete(id));
  }
  return key;
}

async function derive(masterBase64: string, purpose: KeyPurpose): Promise<CryptoKey> {
  const raw = fromBase64(masterBase64);
  if (raw.byteLength !== 32) throw new Error("ENCRYPTION_KEY must be base64 of 32 bytes");
  const master = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: SALT, info: new TextEncoder().encode(purpose) },
    master,
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign", "verify"],
  );
}
