import { describe, expect, it } from "vitest";
import {
  EVENT_TYPES,
  isKnownEventType,
  isOperationalEventType,
  OPERATIONAL_EVENT_TYPES,
  TEST_EVENT_TYPE,
} from "../../src/domain/catalog";
import {
  customTypeNameProblem,
  EVENT_TYPE_PATTERN,
  isSiteEventType,
  isSubscribableType,
  MAX_CUSTOM_EVENT_TYPES,
  MAX_SUBSCRIBED_EVENTS,
  siteCatalog,
} from "../../src/domain/custom-event-types";

// The catalog as the product documents define it, family by family, in their order.
const FAMILIES: [string, string[]][] = [
  [
    "Content",
    [
      "page.created",
      "page.updated",
      "page.published",
      "page.unpublished",
      "page.deleted",
      "post.published",
      "post.updated",
      "post.deleted",
      "template.updated",
    ],
  ],
  ["Commerce", ["order.created", "order.paid", "order.refunded", "product.updated", "product.out_of_stock"]],
  ["Identity", ["user.created", "user.deactivated", "user.role_changed", "user.first_sign_in"]],
  ["Forms", ["form.submitted", "form.fields_changed"]],
  ["Site state", ["site.entered_maintenance", "site.left_maintenance", "site.settings_changed"]],
  ["Backups", ["backup.completed", "backup.failed", "restore.completed"]],
];

// SGEN's "Fires when" column, word for word; PageGun's own words for the three page types SGEN does not have.
const DESCRIPTIONS: Record<string, string> = {
  "page.published": "A page moves from draft to live",
  "page.updated": "A live page is edited and saved",
  "post.published": "A blog post publishes",
  "post.updated": "A live post is edited",
  "post.deleted": "A post is removed from the index",
  "template.updated": "A theme template changes",
  "order.created": "A new order is placed (any state)",
  "order.paid": "Payment captured on an order",
  "order.refunded": "Refund issued on an order",
  "product.updated": "A product changes (price, variant, copy)",
  "product.out_of_stock": "A product hits zero stock",
  "user.created": "An account is created on the site",
  "user.deactivated": "An account is deactivated",
  "user.role_changed": "A user's role changes",
  "user.first_sign_in": "A user signs in for the first time",
  "form.submitted": "A site form is submitted",
  "form.fields_changed": "A form definition is edited",
  "site.entered_maintenance": "Site enters maintenance mode",
  "site.left_maintenance": "Site exits maintenance mode",
  "site.settings_changed": "A site setting is edited",
  "backup.completed": "A backup reaches Ready",
  "backup.failed": "A backup fails",
  "restore.completed": "A restore finishes",
  "page.created": "A new page is created",
  "page.unpublished": "A page is taken offline",
  "page.deleted": "A page is permanently removed",
};

describe("event catalog", () => {
  it("is exactly the seeds' 26 types, type by type, in their families and order", () => {
    const expected = FAMILIES.flatMap(([family, types]) => types.map((type) => ({ type, family })));
    expect(EVENT_TYPES.map(({ type, family }) => ({ type, family }))).toEqual(expected);
    expect(new Set(EVENT_TYPES.map((e) => e.type)).size).toBe(26);
  });

  it("describes each type in the seeds' words", () => {
    expect(Object.fromEntries(EVENT_TYPES.map((e) => [e.type, e.description]))).toEqual(DESCRIPTIONS);
  });

  it("configures every example of the SGEN document (A to E) with the types it names", () => {
    const examples = {
      A: ["post.published"],
      B: ["form.submitted"],
      C: ["page.published", "page.updated", "post.published", "post.updated", "post.deleted", "template.updated"],
      D: ["order.paid"],
      E: ["site.entered_maintenance", "site.left_maintenance"],
    };
    for (const types of Object.values(examples)) for (const t of types) expect(isKnownEventType(t)).toBe(true);
  });

  it("keeps webhook.test out: it is sent by …/test only", () => {
    expect(isKnownEventType(TEST_EVENT_TYPE)).toBe(false);
    expect(isSiteEventType(TEST_EVENT_TYPE, new Set())).toBe(false);
  });

  it("has names of the one shape every event type has, built-in or a site's own", () => {
    for (const { type } of EVENT_TYPES) expect(type).toMatch(EVENT_TYPE_PATTERN);
  });

  it("bounds a subscription by what a site can have, not by a fixed count", () => {
    expect(MAX_SUBSCRIBED_EVENTS).toBe(EVENT_TYPES.length + OPERATIONAL_EVENT_TYPES.length + MAX_CUSTOM_EVENT_TYPES);
  });
});

describe("a site's own event types", () => {
  it("are lowercase dotted names that shadow nothing and stay out of our namespaces", () => {
    expect(customTypeNameProblem("course.completed")).toBeNull();
    expect(customTypeNameProblem("lms.course.completed_v2")).toBeNull();
    for (const bad of ["course", "Course.completed", "course..completed", "course.", ".completed", "9lives.x", "a.b-c"])
      expect(customTypeNameProblem(bad)?.kind).toBe("invalid");
    expect(customTypeNameProblem(`a.${"b".repeat(100)}`)?.kind).toBe("invalid");
    expect(customTypeNameProblem("post.published")).toEqual({
      kind: "built_in",
      message: "post.published is a built-in type",
    });
    for (const ours of ["webhook.paused", "webhook.disabled", "delivery.failed"])
      expect(customTypeNameProblem(ours)?.kind).toBe("built_in");
    for (const ours of ["webhook.test", "webhook.deleted", "delivery.retried"])
      expect(customTypeNameProblem(ours)?.kind).toBe("invalid");
  });

  it("count for their site alone, listed after the built-in types by name", () => {
    const custom = new Set(["course.completed"]);
    expect(isSiteEventType("course.completed", custom)).toBe(true);
    expect(isSiteEventType("course.completed", new Set())).toBe(false);
    expect(isSiteEventType("post.published", new Set())).toBe(true);
    const listing = siteCatalog([
      { type: "quiz.passed", description: "A learner passes a quiz" },
      { type: "course.completed", description: "A learner completes a course" },
    ]);
    expect(listing.slice(0, 29)).toEqual([...EVENT_TYPES, ...OPERATIONAL_EVENT_TYPES]);
    expect(listing.slice(29)).toEqual([
      { type: "course.completed", family: "Custom", description: "A learner completes a course" },
      { type: "quiz.passed", family: "Custom", description: "A learner passes a quiz" },
    ]);
  });
});

describe("the operational types", () => {
  it("are webhook.paused, webhook.disabled and delivery.failed, family Operations, which producers cannot send", () => {
    expect(OPERATIONAL_EVENT_TYPES.map(({ type, family }) => [type, family])).toEqual([
      ["webhook.paused", "Operations"],
      ["webhook.disabled", "Operations"],
      ["delivery.failed", "Operations"],
    ]);
    for (const { type } of OPERATIONAL_EVENT_TYPES) {
      expect(isOperationalEventType(type)).toBe(true);
      expect(isKnownEventType(type)).toBe(false);
      expect(isSiteEventType(type, new Set())).toBe(false);
      expect(isSubscribableType(type, new Set())).toBe(true);
    }
    expect(isOperationalEventType("webhook.test")).toBe(false);
  });
});
