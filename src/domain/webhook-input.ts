// The rules a webhook's destination and subscriptions must meet, as field errors.
import { checkDestination } from "./ssrf";
import { isKnownEventType } from "./catalog";
import type { FieldError } from "./problems";

/** The URL's host when it is an allowed destination, or the field error. */
export function destinationHost(url: string, devHosts: readonly string[]): { host: string } | { error: FieldError } {
  const verdict = checkDestination(url, devHosts);
  return verdict.ok ? { host: verdict.host } : { error: { path: "url", message: verdict.reason } };
}

/** The types not in the catalog, with their places in the list. */
export function unknownEventTypes(events: readonly string[]): { index: number; type: string }[] {
  return events.flatMap((type, index) => (isKnownEventType(type) ? [] : [{ index, type }]));
}
