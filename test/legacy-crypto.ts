// The encryption at rest of the versions before subkeys and associated data, kept for migration tests only:
// base64(iv || AES-GCM ciphertext) under the raw ENCRYPTION_KEY, bound to nothing.
import { fromBase64, toBase64 } from "../src/domain/crypto";

export async function legacyEncryptJson(base64Key: string, value: unknown): Promise<string> {
  const key = await crypto.subtle.importKey("raw", fromBase64(base64Key), "AES-GCM", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(JSON.stringify(value)));
  const out = new Uint8Array(12 + ct.byteLength);
  out.set(iv);
  out.set(new Uint8Array(ct), 12);
  return toBase64(out);
}
