// A site's own event types (family Custom): lowercase dotted names such as course.completed. They sit beside the
// catalog for that site alone: producers may send them and webhooks may subscribe to them.
import { z } from "zod";
import {
  BUILT_IN_EVENT_TYPES,
  isBuiltInEventType,
  isKnownEventType,
  isOperationalEventType,
  TEST_EVENT_TYPE,
  type EventTypeInfo,
} from "./catalog";

/** Two or more lowercase words joined by dots; a word is a letter, then letters, digits or underscores. */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
export const MAX_EVENT_TYPE_LENGTH = 100;
export const MAX_CUSTOM_EVENT_TYPES = 100;
export const MAX_DESCRIPTION_LENGTH = 500;

/** A webhook subscribes to at most every type a site can have: the built-in ones and the site's own. */
export const MAX_SUBSCRIBED_EVENTS = BUILT_IN_EVENT_TYPES.length + MAX_CUSTOM_EVENT_TYPES;

/**
 * Namespaces kept for the types we send ourselves: webhook.test today, and operational events about webhooks and
 * deliveries (webhook.paused, delivery.failed, …). A site's type there would one day collide with ours.
 */
export const RESERVED_NAMESPACES = ["webhook.", "delivery."] as const;

/** The shape every event type name has, built-in or custom (checked before anything is looked up). */
export const eventTypeNameSchema = z
  .string()
  .max(MAX_EVENT_TYPE_LENGTH)
  .regex(EVENT_TYPE_PATTERN, "must be lowercase words joined by dots, such as course.completed");

export const customEventTypeInputSchema = z
  .object({
    type: eventTypeNameSchema,
    description: z.string().min(1).max(MAX_DESCRIPTION_LENGTH),
  })
  .strict();

export type CustomEventTypeInput = z.infer<typeof customEventTypeInputSchema>;

/** Why this name cannot be a site's own type, or null. A built-in name is a conflict rather than a bad name. */
export function customTypeNameProblem(type: string): { kind: "invalid" | "built_in"; message: string } | null {
  if (!EVENT_TYPE_PATTERN.test(type) || type.length > MAX_EVENT_TYPE_LENGTH)
    return { kind: "invalid", message: "must be lowercase words joined by dots, such as course.completed" };
  if (isBuiltInEventType(type)) return { kind: "built_in", message: `${type} is a built-in type` };
  if (type === TEST_EVENT_TYPE || RESERVED_NAMESPACES.some((ns) => type.startsWith(ns)))
    return { kind: "invalid", message: `${RESERVED_NAMESPACES.join("* and ")}* are kept for Edgehooks' own events` };
  return null;
}

/** Whether a producer may send this type to the site (the catalog, or one of the site's own). */
export function isSiteEventType(type: string, custom: ReadonlySet<string>): boolean {
  return isKnownEventType(type) || custom.has(type);
}

/** Whether a webhook of the site may subscribe to this type: what producers send, and the operational types. */
export function isSubscribableType(type: string, custom: ReadonlySet<string>): boolean {
  return isSiteEventType(type, custom) || isOperationalEventType(type);
}

export interface CustomEventType {
  type: string;
  description: string;
  created_by: string;
  created_at: number;
}

/** A site's listing: the built-in types in their order (the catalog, then Operations), then its own by name. */
export function siteCatalog(custom: readonly Pick<CustomEventType, "type" | "description">[]): EventTypeInfo[] {
  const own = [...custom]
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0))
    .map((c) => ({ type: c.type, family: "Custom" as const, description: c.description }));
  return [...BUILT_IN_EVENT_TYPES, ...own];
}
