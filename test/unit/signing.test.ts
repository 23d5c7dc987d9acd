// Signatures against fixed vectors computed independently (node:crypto), and the Standard Webhooks spec's own.
import { describe, expect, it } from "vitest";
import {
  generateSecret,
  isStandardWebhooksSecret,
  signatureHeaders,
  signStandardWebhooks,
  signV1Hex,
  verifyV1,
} from "../../src/domain/signing";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
// The README's vector: the contract's example envelope without detail, minified.
const BODY =
  '{"event_id":"evt_2026_05_22_a4b1c9d2","event_type":"post.published","fired_at":"2026-05-22T14:03:18Z","site":{"id":"site_yoursite","slug":"yoursite","host":"yoursite.com"},"actor":{"id":"user_ada","email":"ada@yoursite.com"},"target":{"type":"post","id":4421,"title":"Spring 2026 product update","url":"https://yoursite.com/blog/spring-2026-product-update"}}';
const T = 1700000000;
const V1 = "42a2b06c42330bac2657743fe2ac08e30eb5d15f9a422891834b53dbeac2fdb7";
const STANDARD = "RTBgiC+W5OW3NZjszvW42P7KLP6WdsSnPadFVbj0BeU=";

describe("signing", () => {
  it("v1 is hex HMAC-SHA256 of `t.body` keyed by the secret's UTF-8 bytes (README vector)", async () => {
    expect(await signV1Hex(SECRET, T, BODY)).toBe(V1);
  });

  it("Standard Webhooks matches the specification's published vector", async () => {
    expect(await signStandardWebhooks(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')).toBe(
      "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    );
    expect(await signStandardWebhooks(SECRET, "evt_2026_05_22_a4b1c9d2", T, BODY)).toBe(STANDARD);
  });

  it("builds the contract's headers: one v1 per secret newest first, Standard Webhooks for whsec_ secrets", async () => {
    const plain = "plain-old-secret";
    const headers = await signatureHeaders({
      prefix: "X-SGEN",
      secrets: [SECRET, plain],
      eventId: "evt_2026_05_22_a4b1c9d2",
      t: T,
      body: BODY,
    });
    expect(headers["X-SGEN-Signature"]).toBe(`t=${T},v1=${V1},v1=${await signV1Hex(plain, T, BODY)}`);
    expect(headers["webhook-id"]).toBe("evt_2026_05_22_a4b1c9d2");
    expect(headers["webhook-timestamp"]).toBe(String(T));
    expect(headers["webhook-signature"]).toBe(`v1,${STANDARD}`);
  });

  it("sends no signature headers without a secret, and no Standard Webhooks headers for a plain one", async () => {
    expect(await signatureHeaders({ prefix: "X-SGEN", secrets: [], eventId: "e", t: T, body: BODY })).toEqual({});
    const plain = await signatureHeaders({ prefix: "X-PageGun", secrets: ["s3cret"], eventId: "e", t: T, body: BODY });
    expect(Object.keys(plain)).toEqual(["X-PageGun-Signature"]);
  });

  it("verifies like a receiver: any matching v1, within five minutes", async () => {
    const header = `t=${T},v1=${V1}`;
    expect(await verifyV1(header, [SECRET], BODY, T + 299)).toBe(true);
    expect(await verifyV1(header, ["other", SECRET], BODY, T)).toBe(true);
    expect(await verifyV1(header, [SECRET], BODY, T + 301)).toBe(false);
    expect(await verifyV1(header, [SECRET], BODY + " ", T)).toBe(false);
    expect(await verifyV1(`t=${T},v1=${"0".repeat(64)}`, [SECRET], BODY, T)).toBe(false);
  });

  it("generates whsec_ secrets of 32 random bytes", () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(isStandardWebhooksSecret(a)).toBe(true);
    expect(generateSecret()).not.toBe(a);
    expect(isStandardWebhooksSecret("whsec_")).toBe(false);
    expect(isStandardWebhooksSecret("whsec_not base64!")).toBe(false);
    expect(isStandardWebhooksSecret("plain")).toBe(false);
  });
});
