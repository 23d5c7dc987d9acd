// Dedicated subkeys derived from ENCRYPTION_KEY with HKDF-SHA256 (RFC 5869), one per purpose, so a key used for one
// thing can never serve another: the session key cannot sign an export link, the link key cannot decrypt a secret,
// a secret's key cannot decrypt a header value. The master key itself never encrypts or signs anything. Pure
// WebCrypto.
import { fromBase64, toHex } from "./crypto";

/** HMAC-SHA256 subkeys. A purpose is part of the derivation: a new purpose (or version) is a new, independent key. */
export type HmacPurpose = "console-session-v1" | "export-link-v1";

/** AES-256-GCM subkeys, one per encrypted column. */
export type AesPurpose = "webhook-secrets-v1" | "webhook-headers-v1";

const SALT = new TextEncoder().encode("edgehooks hkdf salt v1");
const cache = new Map<string, Promise<CryptoKey>>();

function masterBytes(masterBase64: string): Uint8Array {
  const raw = fromBase64(masterBase64);
  if (raw.byteLength !== 32) throw new Error("ENCRYPTION_KEY must be base64 of 32 bytes");
  return raw;
}

function cached(id: string, make: () => Promise<CryptoKey>): Promise<CryptoKey> {
  let key = cache.get(id);
  if (!key) {
    key = make();
    cache.set(id, key);
    key.catch(() => cache.delete(id));
  }
  return key;
}

const hkdf = (info: string) => ({
  name: "HKDF",
  hash: "SHA-256",
  salt: SALT,
  info: new TextEncoder().encode(info),
});

async function hkdfMaster(masterBase64: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", masterBytes(masterBase64), "HKDF", false, ["deriveKey", "deriveBits"]);
}

/** An HMAC-SHA256 key for `purpose`, derived from the base64 32-byte master key; cached per isolate. */
export function derivedHmacKey(masterBase64: string, purpose: HmacPurpose): Promise<CryptoKey> {
  return cached(`${purpose}\u0000${masterBase64}`, async () =>
    crypto.subtle.deriveKey(
      hkdf(purpose),
      await hkdfMaster(masterBase64),
      { name: "HMAC", hash: "SHA-256", length: 256 },
      false,
      ["sign", "verify"],
    ),
  );
}

/** An AES-256-GCM key for `purpose`, derived from the base64 32-byte master key; cached per isolate. */
export function derivedAesKey(masterBase64: string, purpose: AesPurpose): Promise<CryptoKey> {
  return cached(`${purpose}\u0000${masterBase64}`, async () =>
    crypto.subtle.deriveKey(hkdf(purpose), await hkdfMaster(masterBase64), { name: "AES-GCM", length: 256 }, false, [
      "encrypt",
      "decrypt",
    ]),
  );
}

const ids = new Map<string, Promise<string>>();

/**
 * The key's version as stored beside each ciphertext: 8 hex characters derived (HKDF, its own purpose) from the
 * master key. It names the key without revealing anything of it, and needs no counter an operator could get wrong.
 */
export function keyId(masterBase64: string): Promise<string> {
  let id = ids.get(masterBase64);
  if (!id) {
    id = (async () => toHex(await crypto.subtle.deriveBits(hkdf("key-id-v1"), await hkdfMaster(masterBase64), 32)))();
    ids.set(masterBase64, id);
    id.catch(() => ids.delete(masterBase64));
  }
  return id;
}
