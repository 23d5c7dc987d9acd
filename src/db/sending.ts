// Deliveries on the sending path: the consumer claims a batch before sending, and records outcomes after.
import { chunk, JSON_ROWS_PER_STATEMENT, PARAM_CHUNK, placeholders } from "./sql";
import type { RetryOn } from "../domain/retry-policy";

/**
 * A lease covers the wait for a send lane and the send itself, plus this margin for preparing and recording. Not
 * longer, because a consumer that died mid-send leaves its lease behind, and the delivery waits that long to be
 * re-driven.
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
  retry_on: RetryOn;
  /** A name of the format registry, as written when the delivery was made. */
  format: string;
  message_template: string | null;
  /** Attempts that spent the retry policy; `throttles` counts the 429s, `throttled_ms` their waits. */
  attempts: number;
  throttles: number;
  throttled_ms: number;
  lease_until: number;
}

export interface SendContextWebhook {
  id: string;
  name: string;
  url: string;
  status: string;
  failure_mode: string;
  timeout_ms: number;
  header_names: string;
  headers_enc: string | null;
  secrets_enc: string | null;
  deleted_at: number | null;
  alert: string | null;
  /** JSON AutoPause or null: outcomes are counted by the sequencer when set. */
  auto_pause: string | null;
  failing_since: number | null;
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

/** A delivery to claim, and how many rounds of sends its lease must wait out before its outcome is recorded. */
export interface ClaimSlot {
  id: string;
  round: number;
}

/**
 * One atomic round trip before sending a batch: takes the lease on each delivery that is due and not already being
 * sent, and reads what sending needs (webhooks, events) and where the others stand. The lease is what makes a
 * duplicate queue message (a redelivered batch, a sweeper re-drive) harmless: only one claim succeeds.
 *
 * A slot's `round` is how many rounds of sends (each no longer than the batch's longest webhook timeout) may pass
 * before its outcome is recorded (the consumer works that out: delivery/webhook-shares.ts), so its lease lasts that
 * many timeouts plus one, plus LEASE_MARGIN_MS. The consumer still checks the lease left before it sends.
 */
export async function claimForSending(d1: D1Database, slots: ClaimSlot[], now: number): Promise<ClaimResult> {
  const statements: D1PreparedStatement[] = [];
  for (const part of chunk(slots, PARAM_CHUNK)) {
    const list = placeholders(part.length);
    const ids = part.map((s) => s.id);
    statements.push(
      d1
        .prepare(
          `UPDATE deliveries
           SET lease_until = ?1 + (1 + j.value->>'round') * (
                 SELECT COALESCE(MAX(w.timeout_ms), 30000) FROM webhooks w
                 WHERE w.id IN (SELECT d.webhook_id FROM deliveries d WHERE d.id IN (SELECT value->>'id' FROM json_each(?2)))),
               updated_at = ?3
           FROM json_each(?2) j
           WHERE deliveries.id = j.value->>'id' AND state IN ('pending', 'retrying')
             AND (next_attempt_at IS NULL OR next_attempt_at <= ?4) AND (lease_until IS NULL OR lease_until < ?3)
           RETURNING id, site_id, webhook_id, event_id, event_type, include_detail, retry_delays, retry_on, format,
                     message_template, attempts, throttles, throttled_ms, lease_until`,
        )
        .bind(now + LEASE_MARGIN_MS, JSON.stringify(part), now, now + EARLY_TOLERANCE_MS),
      d1
        .prepare(
          `SELECT id, name, url, status, failure_mode, timeout_ms, header_names, headers_enc, secrets_enc, deleted_at,
                  alert, auto_pause, failing_since
           FROM webhooks WHERE id IN (SELECT webhook_id FROM deliveries WHERE id IN (${list}))`,
        )
        .bind(...ids),
      d1
        .prepare(
          `SELECT e.site_id, e.id, e.body, e.detail FROM deliveries d JOIN events e ON e.site_id = d.site_id AND e.id = d.event_id
           WHERE d.id IN (${list})`,
        )
        .bind(...ids),
      d1.prepare(`SELECT id, state, next_attempt_at FROM deliveries WHERE id IN (${list})`).bind(...ids),
    );
  }
  const out: ClaimResult = { claimed: [], hooks: new Map(), events: new Map(), unclaimed: new Map() };
  if (!statements.length) return out;
  const results = await d1.batch(statements);
  for (let i = 0; i < results.length; i += 4) {
    out.claimed.push(...(results[i]!.results as unknown as ClaimedDelivery[]));
    for (const h of results[i + 1]!.results as unknown as SendContextWebhook[]) out.hooks.set(h.id, h);
    for (const e of results[i + 2]!.results as unknown as SendContextEvent[]) out.events.set(`${e.site_id}/${e.id}`, e);
    for (const st of results[i + 3]!.results as unknown as UnclaimedState[]) out.unclaimed.set(st.id, st);
  }
  for (const d of out.claimed) out.unclaimed.delete(d.id);
  return out;
}

export interface DeliveryUpdate {
  id: string;
  /** The lease we claimed with: a consumer whose lease ran out and was taken over writes nothing. */
  lease: number;
  state: "delivered" | "retrying" | "failed" | "held";
  attempts: number;
  throttles: number;
  throttled_ms: number;
  next_attempt_at: number | null;
  response_status: number | null;
  latency_ms: number | null;
  last_error: string | null;
  delivered_at: number | null;
  updated_at: number;
  /** A first attempt that delivered, kept on the row instead of an attempts row (db/attempts.ts). */
  first_attempt?: string | null;
}

export function outcomeStatements(d1: D1Database, rows: DeliveryUpdate[]): D1PreparedStatement[] {
  return chunk(rows, JSON_ROWS_PER_STATEMENT).map((part) =>
    d1
      .prepare(
        `UPDATE deliveries SET state = j.value->>'state', attempts = j.value->>'attempts',
                throttles = j.value->>'throttles', throttled_ms = j.value->>'throttled_ms', next_attempt_at = j.value->>'next_attempt_at', response_status = j.value->>'response_status',
                latency_ms = j.value->>'latency_ms', last_error = j.value->>'last_error',
                delivered_at = j.value->>'delivered_at', updated_at = j.value->>'updated_at', lease_until = NULL,
                first_attempt = COALESCE(j.value->>'first_attempt', first_attempt)
         FROM json_each(?) j
         WHERE deliveries.id = j.value->>'id' AND deliveries.lease_until = j.value->>'lease'`,
      )
      .bind(JSON.stringify(part)),
  );
}
