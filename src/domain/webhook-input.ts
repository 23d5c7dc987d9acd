// What a webhook's configuration may hold: the field schemas every surface shares (the REST API, the settings
// document, the console), and the rules a destination and a subscription list must meet, as field errors.
import { z } from "zod";
import { checkDestination, parseDevHosts } from "./ssrf";
import { isSiteEventType, MAX_SUBSCRIBED_EVENTS } from "./custom-event-types";
import { MAX_TIMEOUT_MS, MIN_TIMEOUT_MS, type WebhookDefaults } from "./webhook-defaults";
import type { FieldError } from "./problems";

/** Everything a webhook is configured with but its status and secret (header values in clear). */
export interface WebhookConfig extends Omit<WebhookDefaults, "status"> {
  url: string;
  name: string;
  description: string | null;
  headers: Record<string, string>;
}

export const webhookFields = {
  name: z.string().min(1).max(100),
  url: z.string().min(1).max(2048),
  secret: z.string().min(8).max(256),
  description: z.string().max(1000),
  headers: z.record(z.string(), z.string()),
  events: z.array(z.string()).max(MAX_SUBSCRIBED_EVENTS),
  timeout_ms: z.number().int().min(MIN_TIMEOUT_MS).max(MAX_TIMEOUT_MS),
  failure_mode: z.enum(["continue", "pause"]),
};

/** The URL's host when it is an allowed destination, or the field error. */
export function destinationHost(url: string, devHosts: string | undefined): { host: string } | { error: FieldError } {
  const verdict = checkDestination(url, parseDevHosts(devHosts));
  return verdict.ok ? { host: verdict.host } : { error: { path: "url", message: verdict.reason } };
}

/** The types neither in the catalog nor among the site's own (`custom`), with their places in the list. */
export function unknownEventTypes(
  events: readonly string[],
  custom: ReadonlySet<string>,
): { index: number; type: string }[] {
  return events.flatMap((type, index) => (isSiteEventType(type, custom) ? [] : [{ index, type }]));
}
