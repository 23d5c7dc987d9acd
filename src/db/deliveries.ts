// Deliveries: one per event per subscribed webhook. Inserts and the operator's actions (retry now, resolve, replay
// sources); the sending path's claim and outcome are in sending.ts.
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
