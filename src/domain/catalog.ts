// The event catalog: SGEN's 23 event types and PageGun's three other page lifecycle types, by family. The
// descriptions are the seeds' own words: SGEN's "Fires when" column, and PageGun's description of page.created,
// page.unpublished and page.deleted. Beside them, the operational types (family Operations) that Edgehooks sends
// itself about webhooks and deliveries. A site may add its own types (family Custom; see custom-event-types.ts).
export const EVENT_FAMILIES = [
  "Content",
  "Commerce",
  "Identity",
  "Forms",
  "Site state",
  "Backups",
  "Operations",
  "Custom",
] as const;
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

/**
 * Operational events: Edgehooks raises them itself, from the code that sets a webhook's alert, and delivers them
 * like any event to the site's webhooks that subscribe (never to the webhook they are about). Producers cannot
 * send them.
 */
export const OPERATIONAL_EVENT_TYPES: readonly EventTypeInfo[] = [
  {
    type: "webhook.paused",
    family: "Operations",
    description:
      "A webhook paused itself: a delivery failed for good in pause mode, or its failure rate reached auto-pause",
  },
  {
    type: "webhook.disabled",
    family: "Operations",
    description: "A webhook was disabled: its receiver answered 410 Gone, or every attempt failed for days",
  },
  { type: "delivery.failed", family: "Operations", description: "A delivery failed for good" },
];

export type OperationalEventType = "webhook.paused" | "webhook.disabled" | "delivery.failed";

/** Every built-in type a webhook may subscribe to: the catalog, then the operational types. */
export const BUILT_IN_EVENT_TYPES: readonly EventTypeInfo[] = [...EVENT_TYPES, ...OPERATIONAL_EVENT_TYPES];

/** Sent by POST …/test; not in the catalog, never subscribed to, never ingested. */
export const TEST_EVENT_TYPE = "webhook.test";

const KNOWN = new Set(EVENT_TYPES.map((e) => e.type));
const OPERATIONAL = new Set(OPERATIONAL_EVENT_TYPES.map((e) => e.type));

/** A type of the catalog: producers may send it. */
export function isKnownEventType(type: string): boolean {
  return KNOWN.has(type);
}

/** One of the types Edgehooks sends itself about webhooks and deliveries. */
export function isOperationalEventType(type: string): type is OperationalEventType {
  return OPERATIONAL.has(type);
}

/** A built-in type: of the catalog, or operational. A site's own type may never take such a name. */
export function isBuiltInEventType(type: string): boolean {
  return KNOWN.has(type) || OPERATIONAL.has(type);
}
