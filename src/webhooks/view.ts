// The webhook object operators see. Header values and secrets never leave: names and facts only. For a reader who
// may not manage the site, the URL's path and query (often a credential) are redacted, in the alert too.
import type { WebhookRow } from "../db/webhooks";
import { iso } from "../domain/time";
import type { Alert } from "../domain/webhook-reaction";
import type { AutoPause } from "../domain/flow-control";
import { redactUrl, redactUrlsIn, type Audience } from "../domain/redaction";

export function webhookView(w: WebhookRow, audience: Audience) {
  const full = audience === "full";
  const stored = w.alert ? (JSON.parse(w.alert) as Alert) : null;
  const alert = stored && !full ? { ...stored, message: redactUrlsIn(stored.message) } : stored;
  return {
    id: w.id,
    site_id: w.siteId,
    name: w.name,
    description: w.description ?? null,
    url: full ? w.url : redactUrl(w.url),
    destination_host: w.destinationHost,
    status: w.status,
    format: w.format,
    events: JSON.parse(w.events) as string[],
    include_detail: w.includeDetail,
    timeout_ms: w.timeoutMs,
    retry_policy: JSON.parse(w.retryPolicy) as { name: string; delays_s: number[] },
    retry_on: w.retryOn,
    failure_mode: w.failureMode,
    message_template: w.messageTemplate,
    rate_limit_per_s: w.rateLimitPerS,
    auto_pause: w.autoPause ? (JSON.parse(w.autoPause) as AutoPause) : null,
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
