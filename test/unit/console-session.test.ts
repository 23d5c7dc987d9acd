// The console's session and CSRF tokens, and the HKDF subkey they are signed with: pure functions, no bindings.
import { describe, expect, it } from "vitest";
import { TEST_ENCRYPTION_KEY } from "../constants";
import { derivedHmacKey } from "../../src/domain/key-derivation";
import {
  csrfToken,
  csrfTokenIsValid,
  openNonce,
  openSession,
  openSessionUnder,
  sealNonce,
  sealSession,
  type Session,
} from "../../src/domain/console-session";

const key = () => derivedHmacKey(TEST_ENCRYPTION_KEY, "console-session-v1");
const session: Session = { sub: "key_abc", site: "site_x", sid: "sid1", exp: 2_000_000_000_000 };

describe("console sessions", () => {
  it("opens what it sealed, and nothing else", async () => {
    const k = await key();
    const token = await sealSession(k, session);
    expect(await openSession(k, token, 1_000)).toEqual(session);
    const [v, payload, sig] = token.split(".") as [string, string, string];
    const forged = btoa(JSON.stringify({ ...session, sub: "root" })).replace(/=+$/, "");
    expect(await openSession(k, `${v}.${forged}.${sig}`, 1_000)).toBeNull();
    expect(await openSession(k, `${v}.${payload}.${sig.slice(0, -2)}AA`, 1_000)).toBeNull();
    expect(await openSession(k, undefined, 1_000)).toBeNull();
    expect(await openSession(k, "garbage", 1_000)).toBeNull();
  });

  it("ends at its expiry", async () => {
    const k = await key();
    const token = await sealSession(k, session);
    expect(await openSession(k, token, session.exp - 1)).not.toBeNull();
    expect(await openSession(k, token, session.exp)).toBeNull();
  });

  it("is signed with a subkey of its own: another master key cannot open it", async () => {
    const other = await derivedHmacKey(btoa(String.fromCharCode(...new Uint8Array(32).fill(7))), "console-session-v1");
    expect(await openSession(other, await sealSession(await key(), session), 1_000)).toBeNull();
  });

  it("binds the CSRF token to the session id", async () => {
    const k = await key();
    const token = await csrfToken(k, "sid1");
    expect(await csrfTokenIsValid(k, "sid1", token)).toBe(true);
    expect(await csrfTokenIsValid(k, "sid2", token)).toBe(false);
    expect(await csrfTokenIsValid(k, "sid1", undefined)).toBe(false);
    expect(await csrfTokenIsValid(k, "sid1", "")).toBe(false);
  });

  it("accepts a sign-in nonce until it expires, and no forged one", async () => {
    const k = await key();
    const sealed = await sealNonce(k, "n1", 5_000);
    expect(await openNonce(k, sealed, 4_999)).toBe("n1");
    expect(await openNonce(k, sealed, 5_000)).toBeNull();
    expect(await openNonce(k, sealed.replace("n1.", "n2."), 1_000)).toBeNull();
  });

  it("stays open through a rotation of ENCRYPTION_KEY while the previous key is still set", async () => {
    const next = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
    const token = await sealSession(await key(), session);
    const opened = await openSessionUnder([next, TEST_ENCRYPTION_KEY], token, 0);
    expect(opened?.session).toEqual(session);
    expect(opened?.key).toBe(await key());
    expect(await openSessionUnder([next], token, 0)).toBeNull();
  });
});
