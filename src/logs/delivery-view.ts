// Rows of the delivery log as operators see them. Plain functions over plain rows.
import { iso } from "../domain/time";
import { maxAttempts } from "../domain/retry-policy";
import { FORMATS, isFormatName } from "../domain/formats";
import type { DeliveryRow } from "../db/delivery-log";
import type { AttemptRecord } from "../db/attempts";
import type { EventPayload } from "../db/events";
import { maskSignatures, redactDestinationIn, redactUrl, type Audience } from "../domain/redaction";

export function deliveryView(d: DeliveryRow) {
  const scheduled = d.state === "pending" || d.state === "retrying";
  return {
    id: d.id,
    webhook_id: d.webhook_id,
    webhook_name: d.webhook_name,
    event_id: d.event_id,
    event_type: d.event_type,
    destination_host: d.destination_host,
    state: d.state,
    attempts: d.attempts,
    throttles: d.throttles,
    next_attempt_at: scheduled ? iso(d.next_attempt_at) : null,
    response_status: d.response_status,
    latency_ms: d.latency_ms,
    /** Why the last attempt failed (timeout, connection, http_status, redirect, …), null once delivered. */
    last_error: d.state === "delivered" ? null : d.last_error,
    created_at: iso(d.created_at)!,
    delivered_at: iso(d.delivered_at),
    replay_of: d.replay_of,
    actor_email: d.actor_email,
  };
}

export type DeliveryView = ReturnType<typeof deliveryView>;

/** A row of the console's log: the delivery object plus how many attempts its policy allows ("attempt 2 of 6"). */
export function logRowView(d: DeliveryRow) {
  return { ...deliveryView(d), max_attempts: maxAttempts(JSON.parse(d.retry_delays) as number[]) };
}

export type LogRowView = ReturnType<typeof logRowView>;

/**
 * The body the delivery sends, the same on every attempt: rendered again, by the same pure function, from the
 * stored event and the delivery's own snapshot of its format, include_detail and message_template. Null once
 * retention removed the event.
 */
export function sentBody(
  d: Pick<DeliveryRow, "format" | "include_detail" | "message_template">,
  event: EventPayload | null,
): string | null {
  if (!event) return null;
  const format = isFormatName(d.format) ? FORMATS[d.format] : FORMATS.sgen;
  return format.render(
    { envelope: event.body, detail: event.detail },
    { includeDetail: d.include_detail === 1, messageTemplate: d.message_template },
  );
}

/**
 * One attempt as sent and answered. For a reader who may not manage the site, the signatures are masked and the
 * destination's path and query are redacted wherever they appear (the URL, the error, an echoing response).
 */
export function attemptView(a: AttemptRecord, body: string | null, audience: Audience) {
  const full = audience === "full";
  const headers = JSON.parse(a.request_headers) as Record<string, string>;
  const hide = (text: string | null) => (full || text === null ? text : redactDestinationIn(text, a.url));
  return {
    n: a.n,
    started_at: iso(a.started_at)!,
    request: {
      url: full ? a.url : redactUrl(a.url),
      headers: full ? headers : maskSignatures(headers),
      body,
    },
    response:
      a.response_status === null
        ? null
        : { status: a.response_status, body: hide(a.response_body), truncated: Boolean(a.response_truncated) },
    error: a.error,
    error_message: hide(a.error_message),
    throttle: a.throttle_ms === null ? null : { wait_ms: a.throttle_ms },
    timing: {
      prepared_ms: a.prepared_ms,
      sent_at: iso(a.sent_at)!,
      response_at: iso(a.response_at),
      total_ms: a.total_ms,
    },
  };
}
