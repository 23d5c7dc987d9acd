// The webhook object operators see (contract §3). Header values and secrets never leave: names and facts only.
import type { webhooks } from "../db/schema";
import { iso } from "./time";

export type WebhookRow = typeof webhooks.$inferSelect;

export function webhookView(w: WebhookRow) {
  const alert = w.alert
    ? (JSON.parse(w.alert) as { kind: string; since: string; delivery_id: string | null; message: string })
    : null;
  return {
    id: w.id,
    site_id: w.siteId,
    name: w.name,
    description: w.description ?? null,
    url: w.url,
    destination_host: w.destinationHost,
    status: w.status,
    events: JSON.parse(w.events) as string[],
    include_detail: w.includeDetail,
    timeout_ms: w.timeoutMs,
    retry_policy: JSON.parse(w.retryPolicy) as { name: string; delays_s: number[] },
    failure_mode: w.failureMode,
    headers: JSON.parse(w.headerNames) as string[],
    secret: {
      set: w.secretsEnc !== null,
      rotated_at: iso(w.secretRotatedAt),
      previous_expires_at: iso(w.previousExpiresAt),
    },
    alert,
    last_delivery:
      w.lastDeliveryAt === null
        ? null
        : { at: iso(w.lastDeliveryAt), state: w.lastDeliveryState, response_status: w.lastDeliveryStatus },
    created_by: w.createdBy,
    created_at: iso(w.createdAt),
    updated_at: iso(w.updatedAt),
  };
}

export type WebhookView = ReturnType<typeof webhookView>;
