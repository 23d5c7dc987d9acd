// The consumer's D1 statements: claim a delivery before sending it, record what happened after.
import { chunk, placeholders } from "./sql";

/**
 * A lease lasts the webhook's timeout plus this margin: a send lane claims its next delivery while it sends
 * the current one (at most 30 s), then records the outcome. Not longer, because a consumer that died
 * mid-send leaves its lease behind, and the delivery waits that long to be re-driven.
 */
export const LEASE_MARGIN_MS = 60_000;
/** A queue message may arrive a little before its delay is over. */
const EARLY_TOLERANCE_MS = 1_000;

export interface ClaimedDelivery {
  id: string;
  site_id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  include_detail: number;
  retry_delays: string;
  attempts: number;
  lease_until: number;
}

export interface SendContextWebhook {
  id: string;
  url: string;
  status: string;
  failure_mode: string;
  timeout_ms: number;
  header_names: string;
  headers_enc: string | null;
  secrets_enc: string | null;
  deleted_at: number | null;
  alert: string | null;
}

export interface SendContextEvent {
  site_id: string;
  id: string;
  body: string;
  detail: string | null;
}

/** Where a delivery we did not claim stands: due later, or settled, held or leased by another consumer. */
export interface UnclaimedState {
  id: string;
  state: string;
  next_attempt_at: number | null;
}

export interface ClaimResult {
  claimed: ClaimedDelivery[];
  hooks: Map<string, SendContextWebhook>;
  /** Keyed `${site_id}/${event_id}`. */
  events: Map<string, SendContextEvent>;
  unclaimed: Map<string, UnclaimedState>;
}

/**
 * One atomic round trip before sending: takes the lease on each delivery that is due and not already being
 * sent, and reads what sending needs (webhooks, events) and where the others stand. The lease is what makes
 * a duplicate queue message (a redelivered batch, a sweeper re-drive) harmless: only one claim succeeds.
 */
export async function claimForSending(db: D1Database, ids: string[], now: number): Promise<ClaimResult> {
  const lease = now + LEASE_MARGIN_MS;
  const statements: D1PreparedStatement[] = [];
  for (const part of chunk(ids, 90)) {
    const list = placeholders(part.length);
    statements.push(
      db
        .prepare(
          `UPDATE deliveries SET lease_until = ? + COALESCE((SELECT timeout_ms FROM webhooks w WHERE w.id = deliveries.webhook_id), 30000),
                                 updated_at = ?
           WHERE id IN (${list}) AND state IN ('pending', 'retrying')
             AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND (lease_until IS NULL OR lease_until < ?)
           RETURNING id, site_id, webhook_id, event_id, event_type, include_detail, retry_delays, attempts, lease_until`,
        )
        .bind(lease, now, ...part, now + EARLY_TOLERANCE_MS, now),
      db
        .prepare(
          `SELECT id, url, status, failure_mode, timeout_ms, header_names, headers_enc, secrets_enc, deleted_at, alert
           FROM webhooks WHERE id IN (SELECT webhook_id FROM deliveries WHERE id IN (${list}))`,
        )
        .bind(...part),
      db
        .prepare(
          `SELECT e.site_id, e.id, e.body, e.detail FROM deliveries d JOIN events e ON e.site_id = d.site_id AND e.id = d.event_id
           WHERE d.id IN (${list})`,
        )
        .bind(...part),
      db.prepare(`SELECT id, state, next_attempt_at FROM deliveries WHERE id IN (${list})`).bind(...part),
    );
  }
  const out: ClaimResult = { claimed: [], hooks: new Map(), events: new Map(), unclaimed: new Map() };
  if (!statements.length) return out;
  const results = await db.batch(statements);
  for (let i = 0; i < results.length; i += 4) {
    out.claimed.push(...(results[i]!.results as unknown as ClaimedDelivery[]));
    for (const h of results[i + 1]!.results as unknown as SendContextWebhook[]) out.hooks.set(h.id, h);
    for (const e of results[i + 2]!.results as unknown as SendContextEvent[]) out.events.set(`${e.site_id}/${e.id}`, e);
    for (const st of results[i + 3]!.results as unknown as UnclaimedState[]) out.unclaimed.set(st.id, st);
  }
  for (const d of out.claimed) out.unclaimed.delete(d.id);
  return out;
}

export interface AttemptRow {
  delivery_id: string;
  n: number;
  started_at: number;
  url: string;
  request_headers: string;
  response_status: number | null;
  response_body: string | null;
  response_truncated: 0 | 1;
  error: string | null;
  error_message: string | null;
  prepared_ms: number;
  sent_at: number;
  response_at: number | null;
  total_ms: number;
}

export interface DeliveryUpdate {
  id: string;
  /** The lease we claimed with: a consumer whose lease ran out and was taken over writes nothing. */
  lease: number;
  state: "delivered" | "retrying" | "failed" | "held";
  attempts: number;
  next_attempt_at: number | null;
  response_status: number | null;
  latency_ms: number | null;
  last_error: string | null;
  delivered_at: number | null;
  updated_at: number;
}

export function insertAttempts(db: D1Database, rows: AttemptRow[]): D1PreparedStatement[] {
  return chunk(rows, 100).map((part) =>
    db
      .prepare(
        `INSERT OR IGNORE INTO attempts (delivery_id, n, started_at, url, request_headers, response_status, response_body,
                                         response_truncated, error, error_message, prepared_ms, sent_at, response_at, total_ms)
         SELECT j.value->>'delivery_id', j.value->>'n', j.value->>'started_at', j.value->>'url', j.value->>'request_headers',
                j.value->>'response_status', j.value->>'response_body', j.value->>'response_truncated', j.value->>'error',
                j.value->>'error_message', j.value->>'prepared_ms', j.value->>'sent_at', j.value->>'response_at', j.value->>'total_ms'
         FROM json_each(?) j`,
      )
      .bind(JSON.stringify(part)),
  );
}

export function updateDeliveries(db: D1Database, rows: DeliveryUpdate[]): D1PreparedStatement[] {
  return chunk(rows, 200).map((part) =>
    db
      .prepare(
        `UPDATE deliveries SET state = j.value->>'state', attempts = j.value->>'attempts',
                next_attempt_at = j.value->>'next_attempt_at', response_status = j.value->>'response_status',
                latency_ms = j.value->>'latency_ms', last_error = j.value->>'last_error',
                delivered_at = j.value->>'delivered_at', updated_at = j.value->>'updated_at', lease_until = NULL
         FROM json_each(?) j
         WHERE deliveries.id = j.value->>'id' AND deliveries.lease_until = j.value->>'lease'`,
      )
      .bind(JSON.stringify(part)),
  );
}

export interface WebhookUpdate {
  id: string;
  last_delivery_at: number;
  last_delivery_state: string;
  last_delivery_status: number | null;
  /** Set when this batch raised an alert. */
  alert?: string;
  /** Set when a failure paused (pause mode) or a 410 disabled the webhook. */
  status?: "paused" | "disabled";
}

/** last_delivery is refreshed at most this often while nothing about it changes (a steady stream of 2xx). */
export const LAST_DELIVERY_REFRESH_MS = 10_000;

export function updateWebhooks(db: D1Database, rows: WebhookUpdate[]): D1PreparedStatement[] {
  return rows.map((w) =>
    w.alert !== undefined || w.status !== undefined
      ? db
          .prepare(
            `UPDATE webhooks SET last_delivery_at = ?, last_delivery_state = ?, last_delivery_status = ?,
                    alert = COALESCE(?, alert),
                    status = CASE WHEN ? IS NOT NULL AND status IN ('active', 'paused') THEN ? ELSE status END
             WHERE id = ?`,
          )
          .bind(
            w.last_delivery_at,
            w.last_delivery_state,
            w.last_delivery_status,
            w.alert ?? null,
            w.status ?? null,
            w.status ?? null,
            w.id,
          )
      : // Skips the write (D1 bills rows written) when only the time moved, and by less than the refresh period.
        db
          .prepare(
            `UPDATE webhooks SET last_delivery_at = ?, last_delivery_state = ?, last_delivery_status = ?
             WHERE id = ? AND (last_delivery_at IS NULL OR last_delivery_at < ? OR last_delivery_state IS NOT ?
                               OR last_delivery_status IS NOT ?)`,
          )
          .bind(
            w.last_delivery_at,
            w.last_delivery_state,
            w.last_delivery_status,
            w.id,
            w.last_delivery_at - LAST_DELIVERY_REFRESH_MS,
            w.last_delivery_state,
            w.last_delivery_status,
          ),
  );
}
