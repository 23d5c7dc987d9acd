import { describe, expect, it } from "vitest";
import { validateCustomHeaders } from "../../src/domain/custom-headers";
import { deliveryHeaders, maskedHeaders, MASK } from "../../src/domain/delivery-request";

const paths = (h: Record<string, string>, prefix = "X-SGEN") => validateCustomHeaders(h, prefix).map((e) => e.path);

describe("custom headers", () => {
  it("accepts ordinary headers", () => {
    expect(validateCustomHeaders({ "X-Team": "blue", Authorization: "Bearer abc" }, "X-SGEN")).toEqual([]);
  });

  it("refuses reserved names, naming the header", () => {
    for (const name of [
      "X-SGEN-Event",
      "x-sgen-signature",
      "X-SGEN-Anything",
      "Content-Type",
      "user-agent",
      "Host",
      "Content-Length",
      "webhook-signature",
      "Webhook-Id",
      "Transfer-Encoding",
      "Proxy-Authorization",
    ]) {
      const errors = validateCustomHeaders({ [name]: "v" }, "X-SGEN");
      expect(errors).toHaveLength(1);
      expect(errors[0]!.path).toBe(`headers.${name}`);
      expect(errors[0]!.message).toContain(name);
    }
    expect(paths({ "X-PageGun-Event": "x" }, "X-PageGun")).toEqual(["headers.X-PageGun-Event"]);
    // The pagegun format's headers are ours whatever the deployment's prefix, and whatever the webhook's format.
    expect(paths({ "X-PageGun-Webhook-Id": "x", "x-pagegun-signature": "y" })).toEqual([
      "headers.X-PageGun-Webhook-Id",
      "headers.x-pagegun-signature",
    ]);
  });

  it("refuses CR, LF and NUL in values, and names that are not tokens", () => {
    expect(paths({ "X-A": "one\r\nX-Injected: yes" })).toEqual(["headers.X-A"]);
    expect(paths({ "X-A": "nul\0" })).toEqual(["headers.X-A"]);
    expect(paths({ "Bad Name": "v" })).toEqual(["headers.Bad Name"]);
    expect(paths({ "X:Colon": "v" })).toEqual(["headers.X:Colon"]);
  });

  it("allows at most 20 headers and 8 KiB", () => {
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, "v"]));
    expect(paths(many)).toContain("headers");
    expect(paths({ "X-Big": "x".repeat(8200) })).toEqual(["headers"]);
  });

  it("can never replace a contract header on the wire, and is masked in the log", () => {
    const headers = deliveryHeaders({
      prefix: "X-SGEN",
      userAgent: "Edgehooks/1",
      eventType: "post.published",
      eventId: "evt_1",
      deliveryId: "dlv_1",
      attempt: 2,
      signature: { "X-SGEN-Signature": "t=1,v1=ab" },
      custom: { "x-sgen-event": "forged", "content-type": "text/plain", "X-Team": "blue" },
    });
    expect(headers).toEqual({
      "X-Team": "blue",
      "Content-Type": "application/json",
      "User-Agent": "Edgehooks/1",
      "X-SGEN-Event": "post.published",
      "X-SGEN-Event-Id": "evt_1",
      "X-SGEN-Delivery": "dlv_1",
      "X-SGEN-Delivery-Attempt": "2",
      "X-SGEN-Signature": "t=1,v1=ab",
    });
    const logged = maskedHeaders(headers, ["x-team"]);
    expect(logged["X-Team"]).toBe(MASK);
    expect(logged["X-SGEN-Signature"]).toBe("t=1,v1=ab");
  });
});
