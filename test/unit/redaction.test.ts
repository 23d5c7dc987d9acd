// The redaction rules, as plain functions: what a viewer is shown of a URL, a text and a request's headers.
import { describe, expect, it } from "vitest";
import {
  maskSignatures,
  redactDestinationIn,
  redactUrl,
  redactUrlsDeep,
  redactUrlsIn,
} from "../../src/domain/redaction";

describe("redaction", () => {
  it("keeps a URL's scheme, host and port, and masks its path, query and fragment", () => {
    expect(redactUrl("https://hooks.slack.com/services/T0/B0/XXXX")).toBe("https://hooks.slack.com/********");
    expect(redactUrl("https://discord.com/api/webhooks/1/abc?wait=true")).toBe("https://discord.com/********");
    expect(redactUrl("https://hooks.zapier.com:8443/?token=abc")).toBe("https://hooks.zapier.com:8443/********");
    expect(redactUrl("https://example.com/#frag")).toBe("https://example.com/********");
    expect(redactUrl("https://user:pass@example.com/")).toBe("https://example.com/");
    expect(redactUrl("https://example.com")).toBe("https://example.com/");
    expect(redactUrl("not a url")).toBe("********");
  });

  it("redacts every URL in a text, and a destination's path wherever it is echoed", () => {
    expect(redactUrlsIn("https://a.example/x/y answered 410 Gone; see http://b.example/?q=1.")).toBe(
      "https://a.example/******** answered 410 Gone; see http://b.example/********",
    );
    expect(redactDestinationIn("Cannot POST /hooks/abc?k=v or /hooks/abc", "https://a.example/hooks/abc?k=v")).toBe(
      "Cannot POST /******** or /********",
    );
    expect(redactDestinationIn("fine", "https://a.example/")).toBe("fine");
    expect(redactUrlsDeep({ url: "https://a.example/s", n: 1, list: ["http://b.example/t"] })).toEqual({
      url: "https://a.example/********",
      n: 1,
      list: ["http://b.example/********"],
    });
  });

  it("masks every signature header, under any prefix and in any case, and nothing else", () => {
    expect(
      maskSignatures({
        "X-SGEN-Signature": "t=1,v1=ab",
        "X-Acme-Signature": "t=1,v1=cd",
        "webhook-signature": "v1,xyz",
        "X-PageGun-Signature": "sha256=ef",
        "webhook-timestamp": "1700000000",
        "X-SGEN-Event": "post.published",
      }),
    ).toEqual({
      "X-SGEN-Signature": "********",
      "X-Acme-Signature": "********",
      "webhook-signature": "********",
      "X-PageGun-Signature": "********",
      "webhook-timestamp": "1700000000",
      "X-SGEN-Event": "post.published",
    });
  });
});
