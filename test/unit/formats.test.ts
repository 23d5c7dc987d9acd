// The delivery formats as pure functions: each renders the same bytes from the same stored event, and signs and
// names its headers as its receivers expect.
import { describe, expect, it } from "vitest";
import { envelopeBody, envelopeWithDetail } from "../../src/domain/envelope";
import { FORMATS, FORMAT_NAMES, isFormatName, type HeaderInput } from "../../src/domain/formats";
import { pagegunBody } from "../../src/domain/formats/pagegun";
import { pagegunSignature } from "../pagegun-signature";

const envelope = envelopeBody({
  event_id: "evt_2024_01_21_xyz",
  event_type: "page.published",
  fired_at: "2024-01-21T09:30:45Z",
  site: { id: "site_myproject", slug: "myproject", host: "myproject.pagegun.io" },
  actor: { id: "user_ada", email: "ada@example.com" },
  target: {
    type: "page",
    id: "page_xyz789abc",
    title: "10 AI Tools Every Developer Should Know",
    url: "https://myproject.pagegun.io/blog/ai-tools-developers",
  },
});
const detail = JSON.stringify({
  page_name: "10 AI Tools Every Developer Should Know",
  slug: "ai-tools-developers",
  subroute: "blog",
  type: "article",
  status: "published",
});
const event = { envelope, detail };

const input = (over: Partial<HeaderInput> = {}): HeaderInput => ({
  prefix: "X-SGEN",
  userAgent: "Edgehooks/0.1.0",
  eventType: "page.published",
  eventId: "evt_2024_01_21_xyz",
  deliveryId: "dlv_5c2a91",
  attempt: 2,
  secrets: ["your_webhook_secret_here"],
  t: 1700000000,
  body: pagegunBody(event, true),
  custom: {},
  ...over,
});

describe("the format registry", () => {
  it("lists sgen (the default), pagegun and the chat formats, and nothing else by accident", () => {
    expect(FORMAT_NAMES).toEqual(["sgen", "pagegun", "slack", "discord", "teams"]);
    expect(isFormatName("pagegun")).toBe(true);
    expect(isFormatName("toString")).toBe(false);
  });

  it("renders the same bytes every time, from the stored event alone", () => {
    for (const name of FORMAT_NAMES)
      for (const includeDetail of [true, false])
        expect(FORMATS[name].render(event, { includeDetail })).toBe(FORMATS[name].render(event, { includeDetail }));
  });
});

describe("sgen", () => {
  it("is the envelope, detail last and only when asked", () => {
    expect(FORMATS.sgen.render(event, { includeDetail: false })).toBe(envelope);
    expect(FORMATS.sgen.render(event, { includeDetail: true })).toBe(envelopeWithDetail(envelope, detail, true));
  });
});

describe("pagegun", () => {
  it("is {event, timestamp, project_id, data}: fired_at with milliseconds, the site id, target then detail", () => {
    const body = FORMATS.pagegun.render(event, { includeDetail: true });
    expect(body).toBe(
      '{"event":"page.published","timestamp":"2024-01-21T09:30:45.000Z","project_id":"site_myproject",' +
        '"data":{"type":"article","id":"page_xyz789abc","title":"10 AI Tools Every Developer Should Know",' +
        '"url":"https://myproject.pagegun.io/blog/ai-tools-developers","page_name":"10 AI Tools Every Developer Should Know",' +
        '"slug":"ai-tools-developers","subroute":"blog","status":"published"}}',
    );
    const parsed = JSON.parse(body);
    expect(Object.keys(parsed)).toEqual(["event", "timestamp", "project_id", "data"]);
    // A detail field of a target field's name wins (PageGun's `type` is the page's type), in the target's place.
    expect(parsed.data.type).toBe("article");
  });

  it("carries the target alone without detail, and keeps the order even for integer-like keys", () => {
    expect(JSON.parse(FORMATS.pagegun.render(event, { includeDetail: false })).data).toEqual({
      type: "page",
      id: "page_xyz789abc",
      title: "10 AI Tools Every Developer Should Know",
      url: "https://myproject.pagegun.io/blog/ai-tools-developers",
    });
    const odd = pagegunBody({ envelope, detail: JSON.stringify({ "2": "two", z: 1 }) }, true);
    expect(odd).toContain('"data":{"type":"page","id":"page_xyz789abc",');
    expect(odd).toMatch(/"url":"[^"]+","2":"two","z":1\}\}$/);
  });

  it("signs the raw body as PageGun's receivers check it, and names PageGun's headers", async () => {
    const i = input();
    const headers = await FORMATS.pagegun.headers(i);
    expect(headers["X-PageGun-Signature"]).toBe(await pagegunSignature("your_webhook_secret_here", i.body));
    expect(headers).toMatchObject({
      "Content-Type": "application/json",
      "User-Agent": "Edgehooks/0.1.0",
      "X-PageGun-Event": "page.published",
      "X-PageGun-Event-Id": "evt_2024_01_21_xyz",
      "X-PageGun-Webhook-Id": "evt_2024_01_21_xyz",
      "X-PageGun-Delivery": "dlv_5c2a91",
      "X-PageGun-Delivery-Attempt": "2",
    });
    expect(Object.keys(headers).filter((h) => /^(x-sgen|webhook-)/i.test(h))).toEqual([]);
  });

  it("gives the test vector docs/contract.md shows", async () => {
    const body = FORMATS.pagegun.render(event, { includeDetail: true });
    expect(new TextEncoder().encode(body).byteLength).toBe(377);
    const headers = await FORMATS.pagegun.headers(input({ body }));
    expect(headers["X-PageGun-Signature"]).toBe(
      "sha256=1e627b60125b4641d70d68471064a2a0b64508f73756a8d6db771e1c48602ad9",
    );
  });

  it("signs with the newest secret only during a rotation, and not at all without a secret", async () => {
    const both = await FORMATS.pagegun.headers(input({ secrets: ["new-secret-1", "old-secret-1"] }));
    expect(both["X-PageGun-Signature"]).toBe(await pagegunSignature("new-secret-1", input().body));
    const none = await FORMATS.pagegun.headers(input({ secrets: [] }));
    expect(none["X-PageGun-Signature"]).toBeUndefined();
    expect(none["X-PageGun-Webhook-Id"]).toBe("evt_2024_01_21_xyz");
  });

  it("never lets a custom header replace one of its own", async () => {
    const headers = await FORMATS.pagegun.headers(
      input({ custom: { "x-pagegun-signature": "forged", "X-Route": "seo" } }),
    );
    expect(headers["X-PageGun-Signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(headers["x-pagegun-signature"]).toBeUndefined();
    expect(headers["X-Route"]).toBe("seo");
  });
});
