// The event catalog: SGEN's 23 event types and PageGun's three other page lifecycle types, by family. The
// descriptions are the seeds' own words: SGEN's "Fires when" column, and PageGun's description of page.created,
// page.unpublished and page.deleted. A site may add its own types (family Custom; see custom-event-types.ts).
export const EVENT_FAMILIES = ["Content", "Commerce", "Identity", "Forms", "Site state", "Backups", "Custom"] as const;
export type EventFamily = (typeof EVENT_FAMILIES)[number];
export type BuiltInFamily = Exclude<EventFamily, "Custom">;

export interface EventTypeInfo {
  type: string;
  family: EventFamily;
  description: string;
}

const family = (name: BuiltInFamily, types: [type: string, description: string][]): EventTypeInfo[] =>
  types.map(([type, description]) => ({ type, family: name, description }));

export const EVENT_TYPES: readonly EventTypeInfo[] = [
  ...family("Content", [
    ["page.created", "A new page is created"],
    ["page.updated", "A live page is edited and saved"],
    ["page.published", "A page moves from draft to live"],
    ["page.unpublished", "A page is taken offline"],
    ["page.deleted", "A page is permanently removed"],
    ["post.published", "A blog post publishes"],
    ["post.updated", "A live post is edited"],
    ["post.deleted", "A post is removed from the index"],
    ["template.updated", "A theme template changes"],
  ]),
  ...family("Commerce", [
    ["order.created", "A new order is placed (any state)"],
    ["order.paid", "Payment captured on an order"],
    ["order.refunded", "Refund issued on an order"],
    ["product.updated", "A product changes (price, variant, copy)"],
    ["product.out_of_stock", "A product hits zero stock"],
  ]),
  ...family("Identity", [
    ["user.created", "An account is created on the site"],
    ["user.deactivated", "An account is deactivated"],
    ["user.role_changed", "A user's role changes"],
    ["user.first_sign_in", "A user signs in for the first time"],
  ]),
  ...family("Forms", [
    ["form.submitted", "A site form is submitted"],
    ["form.fields_changed", "A form definition is edited"],
  ]),
  ...family("Site state", [
    ["site.entered_maintenance", "Site enters maintenance mode"],
    ["site.left_maintenance", "Site exits maintenance mode"],
    ["site.settings_changed", "A site setting is edited"],
  ]),
  ...family("Backups", [
    ["backup.completed", "A backup reaches Ready"],
    ["backup.failed", "A backup fails"],
    ["restore.completed", "A restore finishes"],
  ]),
];

/** Sent by POST …/test; not in the catalog, never subscribed to, never ingested. */
export const TEST_EVENT_TYPE = "webhook.test";

const KNOWN = new Set(EVENT_TYPES.map((e) => e.type));

export function isKnownEventType(type: string): boolean {
  return KNOWN.has(type);
}
