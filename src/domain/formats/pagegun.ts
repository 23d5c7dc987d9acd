// The `pagegun` format: PageGun's payload and signature, so a receiver written from PageGun's documentation reads
// and verifies our deliveries unchanged.
//   body:    {"event", "timestamp", "project_id", "data"}: the event type, fired_at with milliseconds, the site
//            id, and the target's fields followed by the detail's (a detail field of the same name wins, in the
//            target field's place).
//   headers: X-PageGun-Event, -Event-Id, -Delivery, -Delivery-Attempt, -Webhook-Id (the event id, which PageGun's
//            receivers deduplicate on) and, with a secret, X-PageGun-Signature: sha256=<hex HMAC of the body>.
import type { EnvelopeFields } from "../envelope";
import { deliveryHeaders } from "../delivery-request";
import { signPageGun } from "../signing";
import type { StoredEvent, WebhookFormat } from "./types";

export const PAGEGUN_HEADER_PREFIX = "X-PageGun";

/** Three retries with exponential backoff (×5): 1 min, 5 min, 25 min. */
export const PAGEGUN_RETRY_DELAYS_S = [60, 300, 1500];

export function pagegunBody(event: StoredEvent, includeDetail: boolean): string {
  const e = JSON.parse(event.envelope) as EnvelopeFields;
  const detail = includeDetail && event.detail !== null ? (JSON.parse(event.detail) as Record<string, unknown>) : {};
  // Pairs rather than an object: JavaScript would put integer-like keys first, and the order is part of the format.
  const data: [string, unknown][] = Object.entries(e.target);
  const place = new Map(data.map(([key], i) => [key, i]));
  for (const [key, value] of Object.entries(detail)) {
    const i = place.get(key);
    if (i !== undefined) data[i] = [key, value];
    else place.set(key, data.push([key, value]) - 1);
  }
  const fields = data.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(",");
  const head = JSON.stringify({
    event: e.event_type,
    timestamp: new Date(e.fired_at).toISOString(),
    project_id: e.site.id,
  });
  return `${head.slice(0, -1)},"data":{${fields}}}`;
}

export const pagegun: WebhookFormat = {
  render: (event, { includeDetail }) => pagegunBody(event, includeDetail),
  headers: async (i) => {
    // One signature only: PageGun's receivers compare the whole header. During a rotation overlap the newest
    // secret signs.
    const newest = i.secrets[0];
    return deliveryHeaders({
      ...i,
      prefix: PAGEGUN_HEADER_PREFIX,
      signature: {
        [`${PAGEGUN_HEADER_PREFIX}-Webhook-Id`]: i.eventId,
        ...(newest !== undefined && { [`${PAGEGUN_HEADER_PREFIX}-Signature`]: await signPageGun(newest, i.body) }),
      },
    });
  },
  // PageGun's own delivery guarantees: 30 s to answer, 3 retries with exponential backoff, 4xx stops.
  defaults: {
    timeoutMs: 30_000,
    retryPolicy: { name: "custom", delays_s: PAGEGUN_RETRY_DELAYS_S },
    retryOn: "server_errors",
    includeDetail: true,
  },
  fixedHeaderPrefix: PAGEGUN_HEADER_PREFIX,
};
