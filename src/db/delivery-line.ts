// The statements behind a webhook's line: what its sequencer (the Durable Object) loads and writes, and what the
// sweeper looks for when a line seems stuck.
import { chunk, PARAM_CHUNK, placeholders } from "./sql";
import { TEST_EVENT_TYPE } from "../domain/catalog";
import { OPEN_STATES, term } from "./partial-indexes";

/** A delivery still in a webhook's line, as D1 has it. */
export interface LineDelivery {
  id: string;
  seq: number;
  order_key: number | null;
  target_key: string;
  state: "pending" | "held" | "retrying";
  next_attempt_at: number | null;
  lease_until: number | null;
}

/** Test deliveries skip the line, so they are never part of it. */
export function lineDeliveriesStatement(d1: D1Database, webhookId: string): D1PreparedStatement {
  return d1
    .prepare(
      `SELECT id, seq, order_key, target_key, state, next_attempt_at, lease_until FROM deliveries
       WHERE webhook_id = ? AND state IN ('pending', 'held', 'retrying') AND ${OPEN_STATES} AND event_type != ?`,
    )
    .bind(webhookId, TEST_EVENT_TYPE);
}

function byIds(d1: D1Database, ids: string[], sql: (list: string) => string, before: unknown[], after: unknown[] = []) {
  return chunk(ids, PARAM_CHUNK).map((part) =>
    d1.prepare(sql(placeholders(part.length))).bind(...before, ...part, ...after),
  );
}

/** A deleted webhook's waiting deliveries end `failed`, never silently dropped. */
export function failOrphansStatements(d1: D1Database, ids: string[], now: number): D1PreparedStatement[] {
  return byIds(
    d1,
    ids,
    (
      list,
    ) => `UPDATE deliveries SET state = 'failed', last_error = 'webhook_deleted', next_attempt_at = NULL, updated_at = ?
               WHERE id IN (${list}) AND state IN ('pending', 'held')`,
    [now],
  );
}

/** pending → held: they wait behind the line. next_attempt_at records since when (the sweeper's clock). */
export function holdStatements(d1: D1Database, ids: string[], now: number): D1PreparedStatement[] {
  return byIds(
    d1,
    ids,
    (list) =>
      `UPDATE deliveries SET state = 'held', next_attempt_at = ?, updated_at = ? WHERE id IN (${list}) AND state = 'pending'`,
    [now, now],
  );
}

/** held → pending: released to the queue. */
export function releaseStatements(d1: D1Database, ids: string[], now: number): D1PreparedStatement[] {
  return byIds(
    d1,
    ids,
    (list) =>
      `UPDATE deliveries SET state = 'pending', next_attempt_at = ?, updated_at = ? WHERE id IN (${list}) AND state = 'held'`,
    [now, now],
  );
}

/**
 * Stamps re-driven deliveries, so the sweeper gives their new messages a full grace period. One a consumer has
 * meanwhile leased, settled or scheduled for later is left as it is: a stamp never moves an attempt earlier.
 */
export function markRedrivenStatements(d1: D1Database, ids: string[], now: number): D1PreparedStatement[] {
  return byIds(
    d1,
    ids,
    (list) => `UPDATE deliveries SET next_attempt_at = ?
               WHERE id IN (${list}) AND state IN ('pending', 'retrying')
                 AND (lease_until IS NULL OR lease_until < ?) AND (next_attempt_at IS NULL OR next_attempt_at <= ?)`,
    [now],
    [now, now],
  );
}

/**
 * Webhooks whose line looks stuck:
 * - a pending or retrying delivery overdue by more than the grace period with no live lease (its queue message
 *   was lost, or the dev server restarted and dropped the local queue);
 * - a held delivery of an active webhook with nothing ahead of it in flight (a settle call was lost). One held
 *   behind an in-flight delivery of its line is simply waiting its turn.
 * Sites take turns (every site's first webhook before any site's second, in random order within a site), so one
 * site with many stuck webhooks cannot use up the whole run.
 */
export async function stuckWebhooks(
  d1: D1Database,
  now: number,
  graceMs: number,
  limit: number,
): Promise<{ webhookId: string; siteId: string }[]> {
  const cutoff = now - graceMs;
  const { results } = await d1
    .prepare(
      `WITH stuck AS (
         SELECT site_id, webhook_id FROM deliveries
           WHERE state IN ('pending', 'retrying') AND ${OPEN_STATES} AND next_attempt_at < ?
             AND (lease_until IS NULL OR lease_until < ?)
         UNION
         SELECT d.site_id, d.webhook_id FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
           WHERE d.state = 'held' AND ${term(OPEN_STATES, "d")} AND d.next_attempt_at < ? AND w.status = 'active' AND w.deleted_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.webhook_id = d.webhook_id AND o.state IN ('pending', 'retrying') AND ${term(OPEN_STATES, "o")}
                               AND (w.failure_mode = 'pause' OR o.target_key = d.target_key)))
       SELECT webhook_id, site_id FROM (
         SELECT webhook_id, site_id, ROW_NUMBER() OVER (PARTITION BY site_id ORDER BY random()) AS turn FROM stuck)
       ORDER BY turn, random()
       LIMIT ?`,
    )
    .bind(cutoff, now, cutoff, limit)
    .all<{ webhook_id: string; site_id: string }>();
  return results.map((r) => ({ webhookId: r.webhook_id, siteId: r.site_id }));
}

/** Overdue test deliveries with no live lease: they skip the line, so the sweeper re-sends them itself. */
export async function overdueTestDeliveries(d1: D1Database, now: number, graceMs: number, limit: number) {
  const { results } = await d1
    .prepare(
      `SELECT id, webhook_id, site_id FROM deliveries
       WHERE state IN ('pending', 'retrying') AND ${OPEN_STATES} AND next_attempt_at < ?
         AND (lease_until IS NULL OR lease_until < ?) AND event_type = ?
       LIMIT ?`,
    )
    .bind(now - graceMs, now, TEST_EVENT_TYPE, limit)
    .all<{ id: string; webhook_id: string; site_id: string }>();
  return results;
}
