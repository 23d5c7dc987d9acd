// Deliveries: one per event per subscribed webhook. Writes on the delivery path (insert, claim, outcome) and the
// operator's actions (retry now, resolve, replay sources).
import { chunk, JSON_ROWS_PER_STATEMENT, PARAM_CHUNK, placeholders } from "./sql";
import { OPEN_STATES } from "./partial-indexes";
import type { DeliveryState } from "../domain/delivery-state";
import type { FormatName } from "../domain/formats";
import type { RetryOn } from "../domain/retry-policy";

export interface NewDeliveryRow {
  id: string;
  site_id: string;
  webhook_id: string;
  webhook_name: string;
  event_id: string;
  event_type: string;
  destination_host: string;
  target_key: string;
  include_detail: 0 | 1;
  retry_delays: string;
  retry_on: RetryOn;
  format: FormatName;
  message_template: string | null;
  state: "pending" | "held";
  next_attempt_at: number | null;
  order_key: number | null;
  replay_of: string | null;
  actor_email: string | null;
  created_at: number;
}

/** What a new delivery takes from its webhook: name, host, status, and the policy and format as they are now. */
export interface DeliveryHook {
  id: string;
  name: string;
  status: string;
  destinationHost: string;
  retryPolicy: string;
  retryOn: RetryOn;
  format: FormatName;
  messageTemplate: string | null;
}

/**
 * A new delivery of an event to a webhook. It keeps the webhook's current retry policy, retry_on, format and
 * message template for good, and starts `held` when the webhook is paused or disabled (never dropped).
 */
export function newDeliveryRow(
  hook: DeliveryHook,
  event: Pick<
    NewDeliveryRow,
    | "id"
    | "site_id"
    | "event_id"
    | "event_type"
    | "target_key"
    | "include_detail"
    | "actor_email"
    | "order_key"
    | "replay_of"
  >,
  now: number,
): NewDeliveryRow {
  return {
    ...event,
    webhook_id: hook.id,
    webhook_name: hook.name,
    destination_host: hook.destinationHost,
    retry_delays: JSON.stringify((JSON.parse(hook.retryPolicy) as { delays_s: number[] }).delays_s),
    retry_on: hook.retryOn,
    format: hook.format,
    message_template: hook.messageTemplate,
    state: hook.status === "active" ? "pending" : "held",
    next_attempt_at: now,
    created_at: now,
  };
}

/** A condition every row of an insert waits on, so a repeated job step inserts nothing (see bulk-replays.ts). */
export interface InsertGuard {
  sql: string;
  params: (string | number)[];
}

/** Inserts in array order, so seq follows event order. RETURNING gives each new row's seq (see seqsOf). */
export function insertDeliveriesStatements(
  d1: D1Database,
  rows: NewDeliveryRow[],
  guard?: InsertGuard,
): D1PreparedStatement[] {
  return chunk(rows, JSON_ROWS_PER_STATEMENT).map((part) =>
    d1
      .prepare(
        `INSERT INTO deliveries (id, site_id, webhook_id, webhook_name, event_id, event_type, destination_host,
                                 target_key, include_detail, retry_delays, retry_on, format, message_template, state,
                                 attempts, next_attempt_at, order_key, replay_of, actor_email, created_at, updated_at)
         SELECT j.value->>'id', j.value->>'site_id', j.value->>'webhook_id', j.value->>'webhook_name',
                j.value->>'event_id', j.value->>'event_type', j.value->>'destination_host', j.value->>'target_key',
                j.value->>'include_detail', j.value->>'retry_delays', j.value->>'retry_on', j.value->>'format',
                j.value->>'message_template', j.value->>'state', 0, j.value->>'next_attempt_at',
                j.value->>'order_key', j.value->>'replay_of', j.value->>'actor_email', j.value->>'created_at',
                j.value->>'created_at'
         FROM json_each(?) j ${guard ? `WHERE ${guard.sql}` : ""} ORDER BY j.key
         RETURNING id, seq`,
      )
      .bind(JSON.stringify(part), ...(guard?.params ?? [])),
  );
}

export function seqsOf(results: D1Result[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of results)
    for (const row of (r.results ?? []) as { id: string; seq: number }[]) out.set(row.id, row.seq);
  return out;
}

// ---- Sending: claim before, record after ----

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

/**
 * One atomic round trip before sending: takes the lease on each delivery that is due and not already being
 * sent, and reads what sending needs (webhooks, events) and where the others stand. The lease is what makes
 * a duplicate queue message (a redelivered batch, a sweeper re-drive) harmless: only one claim succeeds.
 */
export async function claimForSending(d1: D1Database, ids: string[], now: number): Promise<ClaimResult> {
  const lease = now + LEASE_MARGIN_MS;
  const statements: D1PreparedStatement[] = [];
  for (const part of chunk(ids, PARAM_CHUNK)) {
    const list = placeholders(part.length);
    statements.push(
      d1
        .prepare(
          `UPDATE deliveries SET lease_until = ? + COALESCE((SELECT timeout_ms FROM webhooks w WHERE w.id = deliveries.webhook_id), 30000),
                                 updated_at = ?
           WHERE id IN (${list}) AND state IN ('pending', 'retrying')
             AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND (lease_until IS NULL OR lease_until < ?)
           RETURNING id, site_id, webhook_id, event_id, event_type, include_detail, retry_delays, retry_on, format,
                     message_template, attempts, throttles, throttled_ms, lease_until`,
        )
        .bind(lease, now, ...part, now + EARLY_TOLERANCE_MS, now),
      d1
        .prepare(
          `SELECT id, name, url, status, failure_mode, timeout_ms, header_names, headers_enc, secrets_enc, deleted_at,
                  alert, auto_pause, failing_since
           FROM webhooks WHERE id IN (SELECT webhook_id FROM deliveries WHERE id IN (${list}))`,
        )
        .bind(...part),
      d1
        .prepare(
          `SELECT e.site_id, e.id, e.body, e.detail FROM deliveries d JOIN events e ON e.site_id = d.site_id AND e.id = d.event_id
           WHERE d.id IN (${list})`,
        )
        .bind(...part),
      d1.prepare(`SELECT id, state, next_attempt_at FROM deliveries WHERE id IN (${list})`).bind(...part),
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

// ---- Operator actions ----

/** What a replay copies from the original delivery. */
export interface ReplaySource {
  id: string;
  seq: number;
  order_key: number | null;
  site_id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  target_key: string;
  include_detail: number;
  actor_email: string | null;
}

export const REPLAY_SOURCE_COLUMNS =
  "id, seq, order_key, site_id, webhook_id, event_id, event_type, target_key, include_detail, actor_email";

export function findReplaySource(d1: D1Database, siteId: string, id: string) {
  return d1
    .prepare(`SELECT ${REPLAY_SOURCE_COLUMNS}, state FROM deliveries WHERE site_id = ? AND id = ?`)
    .bind(siteId, id)
    .first<ReplaySource & { state: DeliveryState }>();
}

/** A webhook's failed deliveries after `afterSeq`, oldest first (resume with replay_failed). */
export async function failedDeliveriesPage(d1: D1Database, webhookId: string, afterSeq: number, limit: number) {
  const { results } = await d1
    .prepare(
      `SELECT ${REPLAY_SOURCE_COLUMNS} FROM deliveries WHERE webhook_id = ? AND state = 'failed' AND ${OPEN_STATES} AND seq > ?
       ORDER BY seq LIMIT ?`,
    )
    .bind(webhookId, afterSeq, limit)
    .all<ReplaySource>();
  return results;
}

/** "Attempt now": a retrying or failed delivery that no consumer holds becomes due at once. */
export function scheduleAttemptNowStatement(d1: D1Database, id: string, now: number): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE deliveries SET state = 'retrying', next_attempt_at = ?, updated_at = ?
       WHERE id = ? AND state IN ('retrying', 'failed') AND (lease_until IS NULL OR lease_until < ?)`,
    )
    .bind(now, now, id, now);
}

/** failed → resolved, for these ids (one operator's resolve, or the originals a resume replayed). */
export function resolveFailedStatements(d1: D1Database, ids: string[], now: number): D1PreparedStatement[] {
  return chunk(ids, PARAM_CHUNK).map((part) =>
    d1
      .prepare(
        `UPDATE deliveries SET state = 'resolved', updated_at = ? WHERE id IN (${placeholders(part.length)}) AND state = 'failed'`,
      )
      .bind(now, ...part),
  );
}

export function deliveryState(d1: D1Database, id: string) {
  return d1
    .prepare("SELECT state, next_attempt_at FROM deliveries WHERE id = ?")
    .bind(id)
    .first<{ state: DeliveryState; next_attempt_at: number | null }>();
}

export async function heldCount(d1: D1Database, webhookId: string): Promise<number> {
  const row = await d1
    .prepare(`SELECT COUNT(*) AS n FROM deliveries WHERE webhook_id = ? AND state = 'held' AND ${OPEN_STATES}`)
    .bind(webhookId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
