// The delivery log's reads: the filtered list, one delivery, exports, stats, bulk replay and retention. Each one
// is served by an index of schema.ts; the query-plan test runs EXPLAIN QUERY PLAN on every builder here and fails
// on a full scan. Builders return SQL and parameters so that test can inspect them; `run` makes a statement.
import type { DeliveryFilter } from "../domain/filter";
import type { DeliveryState } from "../domain/delivery-state";
import { deliveryStates, SETTLED_STATES } from "../domain/delivery-state";
import { REPLAY_SOURCE_COLUMNS } from "./deliveries";
import { ATTEMPT_COLUMNS, INLINE_ATTEMPT_COLUMNS } from "./attempts";
import { OPEN_STATES, RARE_STATES } from "./partial-indexes";
import type { FormatName } from "../domain/formats";
import type { RetryOn } from "../domain/retry-policy";

export interface Sql {
  sql: string;
  params: (string | number)[];
}

export function run(d1: D1Database, q: Sql): D1PreparedStatement {
  return d1.prepare(q.sql).bind(...q.params);
}

/** A delivery as the log reads it. */
export interface DeliveryRow {
  seq: number;
  id: string;
  webhook_id: string;
  webhook_name: string;
  event_id: string;
  event_type: string;
  destination_host: string;
  state: DeliveryState;
  attempts: number;
  throttles: number;
  next_attempt_at: number | null;
  response_status: number | null;
  latency_ms: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
  replay_of: string | null;
  actor_email: string | null;
  include_detail: number;
  /** JSON number[]: the retry delays this delivery keeps. */
  retry_delays: string;
  format: FormatName;
  retry_on: RetryOn;
  message_template: string | null;
}

const DELIVERY_COLUMNS = `seq, id, webhook_id, webhook_name, event_id, event_type, destination_host, state, attempts,
  throttles, next_attempt_at, response_status, latency_ms, last_error, created_at, delivered_at, replay_of,
  actor_email, include_detail, retry_delays, format, retry_on, message_template`;

const SETTLED = `(${SETTLED_STATES.map((s) => `'${s}'`).join(", ")})`;

/** The log's filter as SQL: state, event_type, webhook_id, and from/to over when a delivery was triggered. */
export function filterClause(f: DeliveryFilter): Sql {
  const clauses: [string, string | number | undefined][] = [
    ["event_type = ?", f.event_type],
    ["webhook_id = ?", f.webhook_id],
    ["created_at >= ?", f.from],
    ["created_at < ?", f.to],
  ];
  const given = clauses.filter((c): c is [string, string | number] => c[1] !== undefined);
  const parts = [...stateClause(f.state), ...given.map(([clause]) => clause)];
  const params = given.map(([, value]) => value);
  return { sql: parts.map((p) => ` AND ${p}`).join(""), params };
}

/**
 * A state filter names its state in the SQL, with the term of the partial index that holds it (partial-indexes.ts):
 * SQLite picks a partial index only from literal terms. Delivered, the common state, is found through
 * deliveries_site. Only a known state is written into SQL; anything else never matches.
 */
function stateClause(state: DeliveryState | undefined): string[] {
  if (state === undefined) return [];
  if (!deliveryStates.includes(state)) return ["0"];
  if (RARE_STATES.includes(`'${state}'`)) return [`state = '${state}' AND ${RARE_STATES}`];
  if (state === "pending") return [`state = 'pending' AND ${OPEN_STATES}`];
  return [`state = '${state}'`];
}

/** Newest first. `beforeSeq` is the cursor: rows that arrive meanwhile have higher seqs and never shift a page. */
export function listDeliveries(siteId: string, f: DeliveryFilter, beforeSeq: number | null, limit: number): Sql {
  const w = filterClause(f);
  return {
    sql: `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE site_id = ?${w.sql}${beforeSeq !== null ? " AND seq < ?" : ""}
          ORDER BY seq DESC LIMIT ?`,
    params: [siteId, ...w.params, ...(beforeSeq !== null ? [beforeSeq] : []), limit],
  };
}

/** Oldest first from `afterSeq`, for exports (keyset paging: never an OFFSET). */
export function pageForExport(siteId: string, f: DeliveryFilter, afterSeq: number, limit: number): Sql {
  const w = filterClause(f);
  return {
    sql: `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE site_id = ?${w.sql} AND seq > ? ORDER BY seq LIMIT ?`,
    params: [siteId, ...w.params, afterSeq, limit],
  };
}

export function oneDelivery(siteId: string, id: string): Sql {
  return { sql: `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE site_id = ? AND id = ?`, params: [siteId, id] };
}

/** A delivery's attempts in order: its attempts rows, or the first attempt its row keeps (db/attempts.ts). */
export function attemptsOf(deliveryId: string): Sql {
  return {
    sql: `SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE delivery_id = ?
          UNION ALL SELECT ${INLINE_ATTEMPT_COLUMNS} FROM deliveries WHERE id = ? AND first_attempt IS NOT NULL
          ORDER BY n`,
    params: [deliveryId, deliveryId],
  };
}

/** Deliveries by state, with their attempts (those that spent the policy) and throttles (429s), in one pass. */
export function statsCounts(siteId: string, webhookId: string, since: number): Sql {
  return {
    sql:
      "SELECT state, COUNT(*) AS n, SUM(attempts) AS attempts, SUM(throttles) AS throttles FROM deliveries" +
      " WHERE site_id = ? AND webhook_id = ? AND created_at >= ? GROUP BY state",
    params: [siteId, webhookId, since],
  };
}

/**
 * The nearest-rank p50 and p95 latency of delivered ones, computed in SQL: the Worker gets two numbers, never the
 * window's rows. Rank = ceil(p·n/100), written in integer arithmetic.
 */
export function statsLatencyPercentiles(siteId: string, webhookId: string, since: number): Sql {
  return {
    sql: `SELECT MAX(CASE WHEN rn = MAX(1, (50 * n + 99) / 100) THEN latency_ms END) AS p50,
                 MAX(CASE WHEN rn = MAX(1, (95 * n + 99) / 100) THEN latency_ms END) AS p95
          FROM (SELECT latency_ms, ROW_NUMBER() OVER (ORDER BY latency_ms) AS rn, COUNT(*) OVER () AS n
                FROM deliveries
                WHERE site_id = ? AND webhook_id = ? AND created_at >= ? AND state = 'delivered' AND latency_ms IS NOT NULL)`,
    params: [siteId, webhookId, since],
  };
}

export function statsHourly(siteId: string, webhookId: string, since: number): Sql {
  return {
    sql:
      "SELECT created_at / 3600000 AS hour, COUNT(*) AS n FROM deliveries WHERE site_id = ? AND webhook_id " +
      "= ? AND created_at >= ? GROUP BY hour ORDER BY hour",
    params: [siteId, webhookId, since],
  };
}

/**
 * How many deliveries a bulk replay would take now, and the newest seq among them (it never goes past it). A bulk
 * replay takes original deliveries only, never a replay, so running it twice does not double the work.
 */
export function countMatching(siteId: string, f: DeliveryFilter): Sql {
  const w = filterClause(f);
  return {
    sql: `SELECT COUNT(*) AS count, COALESCE(MAX(seq), 0) AS max_seq FROM deliveries
          WHERE site_id = ?${w.sql} AND replay_of IS NULL`,
    params: [siteId, ...w.params],
  };
}

/** One page of a bulk replay: matching deliveries with afterSeq < seq <= maxSeq, oldest first. */
export function replayPage(siteId: string, f: DeliveryFilter, afterSeq: number, maxSeq: number, limit: number): Sql {
  const w = filterClause(f);
  return {
    sql: `SELECT ${REPLAY_SOURCE_COLUMNS} FROM deliveries WHERE site_id = ? AND seq > ? AND seq <= ?${w.sql}
          AND replay_of IS NULL ORDER BY seq LIMIT ?`,
    params: [siteId, afterSeq, maxSeq, ...w.params, limit],
  };
}

/** A site's oldest settled deliveries past the cutoff, a chunk at a time: what retention may remove. */
export function purgeable(siteId: string, cutoff: number, limit: number): Sql {
  return {
    sql: `SELECT id FROM deliveries WHERE site_id = ? AND created_at < ? AND state IN ${SETTLED} ORDER BY created_at LIMIT ?`,
    params: [siteId, cutoff, limit],
  };
}

/**
 * Removes one chunk of purgeable deliveries with their attempts, and lowers their events' counts of the deliveries
 * that refer to them (events.live): an event the chunk leaves with none goes with it, the others are counted down.
 * Every statement picks the same chunk (the deliveries go last) and the batch is atomic, so attempts never outlive
 * their delivery and a count never drifts. Returns how many deliveries went.
 */
export async function purgeChunk(d1: D1Database, siteId: string, cutoff: number, limit: number): Promise<number> {
  const pick = purgeable(siteId, cutoff, limit);
  const perEvent = `SELECT site_id, event_id, COUNT(*) AS n FROM deliveries WHERE id IN (${pick.sql}) GROUP BY site_id, event_id`;
  const results = await d1.batch([
    d1.prepare(`DELETE FROM attempts WHERE delivery_id IN (${pick.sql})`).bind(...pick.params),
    d1
      .prepare(
        `DELETE FROM events WHERE rowid IN (
           SELECT e.rowid FROM (${perEvent}) c JOIN events e ON e.site_id = c.site_id AND e.id = c.event_id
           WHERE e.live = c.n)`,
      )
      .bind(...pick.params),
    d1
      .prepare(
        `UPDATE events SET live = live - c.n FROM (${perEvent}) c
         WHERE events.site_id = c.site_id AND events.id = c.event_id`,
      )
      .bind(...pick.params),
    d1.prepare(`DELETE FROM deliveries WHERE id IN (${pick.sql}) AND state IN ${SETTLED}`).bind(...pick.params),
  ]);
  return results[3]!.meta.changes ?? 0;
}
