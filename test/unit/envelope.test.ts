import { describe, expect, it } from "vitest";
import { envelopeBody, envelopeWithDetail, targetKey } from "../../src/domain/envelope";
import { SEED_EVENT_FIELDS } from "../seed-event";

const fields = SEED_EVENT_FIELDS;

describe("envelope", () => {
  it("has exactly the contract's keys, in the contract's order", () => {
    expect(envelopeBody(fields)).toBe(
      '{"event_id":"evt_2026_05_22_a4b1c9d2","event_type":"post.published","fired_at":"2026-05-22T14:03:18Z","site":{"id":"site_yoursite","slug":"yoursite","host":"yoursite.com"},"actor":{"id":"user_ada","email":"ada@yoursite.com"},"target":{"type":"post","id":4421,"title":"Spring 2026 product update","url":"https://yoursite.com/blog/spring-2026-product-update"}}',
    );
  });

  it("keeps its order whatever order the input came in, and drops unknown keys", () => {
    const shuffled = {
      target: { url: fields.target.url, title: fields.target.title, id: 4421, type: "post", extra: 1 },
      actor: { email: "ada@yoursite.com", id: "user_ada" },
      site: { host: "yoursite.com", slug: "yoursite", id: "site_yoursite", plan: "pro" },
      fired_at: fields.fired_at,
      event_type: fields.event_type,
      event_id: fields.event_id,
    };
    expect(envelopeBody(shuffled as typeof fields)).toBe(envelopeBody(fields));
  });

  it("sends actor null when the producer sent none, and omits absent target fields", () => {
    const body = JSON.parse(envelopeBody({ ...fields, actor: null, target: { type: "page", id: "p-1" } }));
    expect(body.actor).toBeNull();
    expect(body.target).toEqual({ type: "page", id: "p-1" });
    expect(Object.keys(body)).toEqual(["event_id", "event_type", "fired_at", "site", "actor", "target"]);
  });

  it("adds detail last, only when asked for and present", () => {
    const body = envelopeBody(fields);
    const withDetail = envelopeWithDetail(body, '{"changes":["title","body"]}', true);
    expect(Object.keys(JSON.parse(withDetail))).toEqual([
      "event_id",
      "event_type",
      "fired_at",
      "site",
      "actor",
      "target",
      "detail",
    ]);
    expect(JSON.parse(withDetail).detail).toEqual({ changes: ["title", "body"] });
    expect(envelopeWithDetail(body, '{"changes":[]}', false)).toBe(body);
    expect(envelopeWithDetail(body, null, true)).toBe(body);
  });

  it("keys ordering by target type and id", () => {
    expect(targetKey({ type: "post", id: 4421 })).toBe("post:4421");
    expect(targetKey({ type: "page", id: "about" })).toBe("page:about");
  });
});
