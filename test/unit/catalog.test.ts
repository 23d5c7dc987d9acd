import { describe, expect, it } from "vitest";
import { EVENT_TYPES, isKnownEventType, TEST_EVENT_TYPE } from "../../src/domain/catalog";

describe("event catalog", () => {
  it("has 26 distinct types across the six families", () => {
    expect(EVENT_TYPES).toHaveLength(26);
    expect(new Set(EVENT_TYPES.map((e) => e.type)).size).toBe(26);
    expect(new Set(EVENT_TYPES.map((e) => e.family))).toEqual(
      new Set(["Content", "Commerce", "Identity", "Forms", "Site state", "Backups"]),
    );
    for (const t of ["page.created", "page.unpublished", "page.deleted", "post.published"])
      expect(isKnownEventType(t)).toBe(true);
    for (const e of EVENT_TYPES) expect(e.description.length).toBeGreaterThan(5);
  });

  it("keeps webhook.test out: it is sent by …/test only", () => {
    expect(isKnownEventType(TEST_EVENT_TYPE)).toBe(false);
  });
});
