// The delivery log's queries. Each one is served by an index of src/db/schema.ts; the query-plan test
// runs EXPLAIN QUERY PLAN on every builder here and fails on a full scan.
import type { DeliveryFilter } from "../env";
import { DELIVERY_COLUMNS } from "../logs/delivery-view";

export interface Sql {
  sql: string;
  params: (string | number)[];
}

/** The log's filter as SQL: state, event_type, webhook_id, and from/to over when a delivery was triggered. */
export function filterClause(f: DeliveryFilter): Sql {
  const parts: string[] = [];
  const params: (string | number)[] = [];
  if (f.state) (parts.push("state = ?"), params.push(f.state));
  if (f.event_type) (parts.push("event_type = ?"), params.push(f.event_type));
  if (f.webhook_id) (parts.push("webhook_id = ?"), params.push(f.webhook_id));
  if (f.from !== undefined) (parts.push("created_at >= ?"), params.push(f.from));
  if (f.to !== undefined) (parts.push("created_at < ?"), params.push(f.to));
  return { sql: parts.map((p) => ` AND ${p}`).join(""), params };
}

/** Newest first. `beforeSeq` is the cursor: rows that arrive meanwhile have higher seqs and never shift a page. */
export function listDeliveries(siteId: string, f: DeliveryFilter, beforeSeq: number | null, limit: number): Sql {
  const w = filterClause(f);
  return {
    sql: `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE site_id = ?${w.sql}${beforeSeq !== null ? " AND seq < ?" : ""} ORDER BY seq DESC LIMIT ?`,
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

export function attemptsOf(deliveryId: string): Sql {
  return { sql: "SELECT * FROM attempts WHERE delivery_id = ? ORDER BY n", params: [deliveryId] };
}

export function statsCounts(siteId: string, webhookId: string, since: number): Sql {
  return {
    sql: "SELECT state, COUNT(*) AS n FROM deliveries WHERE site_id = ? AND webhook_id = ? AND created_at >= ? GROUP BY state",
    params: [siteId, webhookId, since],
  };
}

export function statsLatencies(siteId: string, webhookId: string, since: number): Sql {
  return {
    sql: "SELECT latency_ms FROM deliveries WHERE site_id = ? AND webhook_id = ? AND created_at >= ? AND state = 'delivered' AND latency_ms IS NOT NULL ORDER BY latency_ms",
    params: [siteId, webhookId, since],
  };
}

export function statsHourly(siteId: string, webhookId: string, since: number): Sql {
  return {
    sql: "SELECT created_at / 3600000 AS hour, COUNT(*) AS n FROM deliveries WHERE site_id = ? AND webhook_id = ? AND created_at >= ? GROUP BY hour ORDER BY hour",
    params: [siteId, webhookId, since],
  };
}

export const TERMINAL = "('delivered', 'failed', 'resolved')";

/** A site's oldest settled deliveries past the cutoff, a chunk at a time: what retention may remove. */
export function purgeable(siteId: string, cutoff: number, limit: number): Sql {
  return {
    sql: `SELECT id FROM deliveries WHERE site_id = ? AND created_at < ? AND state IN ${TERMINAL} ORDER BY created_at LIMIT ?`,
    params: [siteId, cutoff, limit],
  };
}

export function run(db: D1Database, q: Sql) {
  return db.prepare(q.sql).bind(...q.params);
}
