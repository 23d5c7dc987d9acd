// Encryption at rest as pure functions: subkeys per purpose, associated data binding a value to its row and column,
// a key version on every value, a keyring for rotation, and the legacy format still readable.
import { describe, expect, it } from "vitest";
import { CannotDecrypt, currentPrefix, open, seal, type Binding, type Keyring } from "../../src/domain/sealed";
import { derivedAesKey, derivedHmacKey, keyId } from "../../src/domain/key-derivation";
import { fromBase64, toBase64 } from "../../src/domain/crypto";
import { legacyEncryptJson } from "../legacy-crypto";

const A = toBase64(new Uint8Array(32).fill(1));
const B = toBase64(new Uint8Array(32).fill(2));
const secrets = (row: string): Binding => ({ purpose: "webhook-secrets-v1", row });
const headers = (row: string): Binding => ({ purpose: "webhook-headers-v1", row });
const only = (current: string): Keyring => ({ current, previous: null });
const VALUE = [{ secret: "whsec_abc", expires_at: null }];

describe("values sealed at rest", () => {
  it("open where they were sealed, and nowhere else: another webhook or another column is refused (AAD)", async () => {
    const stored = await seal(only(A), secrets("wh_1"), VALUE);
    expect(await open(only(A), secrets("wh_1"), stored)).toEqual(VALUE);
    await expect(open(only(A), secrets("wh_2"), stored)).rejects.toBeInstanceOf(CannotDecrypt);
    await expect(open(only(A), headers("wh_1"), stored)).rejects.toBeInstanceOf(CannotDecrypt);
    const tampered = stored.slice(0, -4) + (stored.endsWith("AAAA") ? "BBBB" : "AAAA");
    await expect(open(only(A), secrets("wh_1"), tampered)).rejects.toBeInstanceOf(CannotDecrypt);
  });

  it("carry the version of the key that sealed them, so a rotation reads the old key until the values move", async () => {
    const stored = await seal(only(A), secrets("wh_1"), VALUE);
    expect(stored.startsWith(await currentPrefix(A))).toBe(true);
    expect(stored).toMatch(/^eh1\.[0-9a-f]{8}\./);
    expect(await keyId(A)).not.toBe(await keyId(B));
    // Rotating: B seals, A is still read.
    const rotating: Keyring = { current: B, previous: A };
    expect(await open(rotating, secrets("wh_1"), stored)).toEqual(VALUE);
    const moved = await seal(rotating, secrets("wh_1"), VALUE);
    expect(moved.startsWith(await currentPrefix(B))).toBe(true);
    // Rotation done: B alone opens what was moved, and nothing left under A.
    expect(await open(only(B), secrets("wh_1"), moved)).toEqual(VALUE);
    await expect(open(only(B), secrets("wh_1"), stored)).rejects.toBeInstanceOf(CannotDecrypt);
  });

  it("still open in the format before subkeys and associated data, under either key of the ring", async () => {
    const legacy = await legacyEncryptJson(A, VALUE);
    expect(legacy).not.toContain(".");
    expect(await open(only(A), secrets("wh_1"), legacy)).toEqual(VALUE);
    expect(await open({ current: B, previous: A }, headers("wh_9"), legacy)).toEqual(VALUE);
    await expect(open(only(B), secrets("wh_1"), legacy)).rejects.toBeInstanceOf(CannotDecrypt);
  });

  it("use a subkey per purpose, never the master key: secrets, headers, export links and console sessions", async () => {
    const message = new TextEncoder().encode("exp_1.1700000000");
    const sign = async (key: CryptoKey) => toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, message)));
    const raw = await crypto.subtle.importKey("raw", fromBase64(A), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const signatures = [
      await sign(raw),
      await sign(await derivedHmacKey(A, "export-link-v1")),
      await sign(await derivedHmacKey(A, "console-session-v1")),
    ];
    expect(new Set(signatures).size).toBe(3);
    // A value sealed for the secrets column is not even the headers subkey's to open, whatever the AAD.
    const stored = await seal(only(A), secrets("wh_1"), VALUE);
    const body = fromBase64(stored.split(".")[2]!);
    const tryKey = (key: CryptoKey) =>
      crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: body.slice(0, 12),
          additionalData: new TextEncoder().encode("eh1\u0000webhook-secrets-v1\u0000wh_1"),
        },
        key,
        body.slice(12),
      );
    await expect(tryKey(await derivedAesKey(A, "webhook-secrets-v1"))).resolves.toBeInstanceOf(ArrayBuffer);
    await expect(tryKey(await derivedAesKey(A, "webhook-headers-v1"))).rejects.toThrow();
  });
});
