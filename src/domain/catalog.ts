// STUB (helper "domain" implements): the event catalog.
export type EventFamily = "Content" | "Commerce" | "Identity" | "Forms" | "Site state" | "Backups";
export interface EventTypeInfo {
  type: string;
  family: EventFamily;
  description: string;
}
export const EVENT_TYPES: readonly EventTypeInfo[] = [];
/** Sent by POST …/test; not in the catalog, never subscribed to. */
export const TEST_EVENT_TYPE = "webhook.test";
export function isKnownEventType(type: string): boolean {
  return EVENT_TYPES.some((e) => e.type === type);
}
