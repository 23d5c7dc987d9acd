// Values encrypted at rest (a webhook's secrets and custom header values), as pure functions over a keyring.
//
//   stored = "eh1." + key id + "." + base64(iv || AES-256-GCM ciphertext and tag)
//   key    = HKDF-SHA256(master key, info = the column's purpose)       (key-derivation.ts)
//   AAD    = "eh1" 0x00 purpose 0x00 row id                             (the webhook's id)
//
// The associated data binds a ciphertext to its row and column: copied onto another webhook, or from the headers
// column to the secrets column, it no longer decrypts. The key id says which master key sealed it, so a rotation can
// keep reading the old one (ENCRYPTION_KEY_PREVIOUS) while everything is re-sealed under the new one.
//
// Values written before this format ("legacy": base64(iv || ciphertext) under the raw master key, no associated data)
// still open, under either key, until the re-encryption pass has rewritten them.
import { fromBase64, toBase64 } from "./crypto";
import { derivedAesKey, keyId, type AesPurpose } from "./key-derivation";
import { Conflict } from "./problems";

/** The master keys, base64 of 32 bytes each: the one that seals, and the one a rotation is moving away from. */
export interface Keyring {
  current: string;
  previous: string | null;
}

/** Where a value lives: its column (as the purpose of its subkey) and its row. */
export interface Binding {
  purpose: AesPurpose;
  row: string;
}

const FORMAT = "eh1";

const WHAT: Record<AesPurpose, string> = {
  "webhook-secrets-v1": "the signing secrets",
  "webhook-headers-v1": "the custom header values",
};

/**
 * The value cannot be opened with any key of the ring (the key was replaced without keeping the old one, or the value
 * was tampered with or moved to another row). A request that needs it conflicts with what is stored: set it again.
 */
export class CannotDecrypt extends Conflict {
  constructor(readonly binding: Binding) {
    super(`${WHAT[binding.purpose]} of ${binding.row} cannot be decrypted with the configured keys; set them again`);
  }
}

const utf8 = new TextEncoder();
const aad = (b: Binding) => utf8.encode(`${FORMAT}\u0000${b.purpose}\u0000${b.row}`);

/** The prefix of everything sealed under `master`: a stored value without it is due for re-encryption. */
export async function currentPrefix(master: string): Promise<string> {
  return `${FORMAT}.${await keyId(master)}.`;
}

export async function seal(ring: Keyring, binding: Binding, value: unknown): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: aad(binding) },
    await derivedAesKey(ring.current, binding.purpose),
    utf8.encode(JSON.stringify(value)),
  );
  const out = new Uint8Array(12 + ct.byteLength);
  out.set(iv);
  out.set(new Uint8Array(ct), 12);
  return `${await currentPrefix(ring.current)}${toBase64(out)}`;
}

async function decrypt(key: CryptoKey, data: Uint8Array, additionalData?: Uint8Array): Promise<ArrayBuffer | null> {
  if (data.byteLength < 12 + 16) return null;
  const params: SubtleCryptoEncryptAlgorithm = { name: "AES-GCM", iv: data.slice(0, 12) };
  if (additionalData) params.additionalData = additionalData;
  try {
    return await crypto.subtle.decrypt(params, key, data.slice(12));
  } catch {
    return null;
  }
}

function bytesOf(base64: string): Uint8Array | null {
  try {
    return fromBase64(base64);
  } catch {
    return null;
  }
}

const masters = (ring: Keyring) => (ring.previous ? [ring.current, ring.previous] : [ring.current]);

/** The plaintext JSON value; CannotDecrypt when no key of the ring opens it here. */
export async function open<T>(ring: Keyring, binding: Binding, stored: string): Promise<T> {
  const plain = stored.startsWith(`${FORMAT}.`)
    ? await openSealed(ring, binding, stored)
    : await openLegacy(ring, stored);
  if (!plain) throw new CannotDecrypt(binding);
  return JSON.parse(new TextDecoder().decode(plain)) as T;
}

async function openSealed(ring: Keyring, binding: Binding, stored: string): Promise<ArrayBuffer | null> {
  const [, kid, body] = stored.split(".");
  const data = bytesOf(body ?? "");
  if (!data) return null;
  for (const master of masters(ring)) {
    if ((await keyId(master)) !== kid) continue;
    const plain = await decrypt(await derivedAesKey(master, binding.purpose), data, aad(binding));
    if (plain) return plain;
  }
  return null;
}

const legacyKeys = new Map<string, Promise<CryptoKey>>();

/** The format before subkeys and associated data: AES-GCM under the raw master key. Read only, never written. */
async function openLegacy(ring: Keyring, stored: string): Promise<ArrayBuffer | null> {
  const data = bytesOf(stored);
  if (!data) return null;
  for (const master of masters(ring)) {
    let key = legacyKeys.get(master);
    if (!key) {
      key = crypto.subtle.importKey("raw", fromBase64(master), "AES-GCM", false, ["decrypt"]);
      legacyKeys.set(master, key);
    }
    const plain = await decrypt(await key, data);
    if (plain) return plain;
  }
  return null;
}
