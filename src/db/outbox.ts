// The outbox of operational events: rows written with the alert that raises them, turned into events (and removed)
// by delivery/operational.ts. See eventOutbox in schema.ts.
import { chunk, PARAM_CHUNK, placeholders } from "./sql";

export interface OutboxRow {
  id: string;
  site_id: string;
  event_type: string;
  about_webhook_id: string;
  /** JSON {type, id, title}. */
  target: string;
  /** JSON object. */
  detail: string;
  created_at: number;
}

/**
 * Writes the row only while the webhook it is about has one of `whenStatus` (null: always). Put before the batch's
 * status change, it raises webhook.paused once, when the webhook goes from active to paused, and never again while
 * it stays paused.
 */
export function insertOutboxStatement(
  d1: D1Database,
  row: OutboxRow,
  whenStatus: string[] | null,
): D1PreparedStatement {
  const values = [
    row.id,
    row.site_id,
    row.event_type,
    row.about_webhook_id,
    row.target,
    row.detail,
    row.created_at,
  ] as const;
  const insert = `INSERT OR IGNORE INTO event_outbox (id, site_id, event_type, about_webhook_id, target, detail, created_at)`;
  if (whenStatus === null) return d1.prepare(`${insert} VALUES (?, ?, ?, ?, ?, ?, ?)`).bind(...values);
  return d1
    .prepare(
      `${insert} SELECT ?, ?, ?, ?, ?, ?, ?
       WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ? AND status IN (${placeholders(whenStatus.length)}))`,
    )
    .bind(...values, row.about_webhook_id, ...whenStatus);
}

/** These rows (those still there), oldest first. */
export async function outboxRows(d1: D1Database, ids: string[]): Promise<OutboxRow[]> {
  const out: OutboxRow[] = [];
  for (const part of chunk(ids, PARAM_CHUNK)) {
    const { results } = await d1
      .prepare(`SELECT * FROM event_outbox WHERE id IN (${placeholders(part.length)})`)
      .bind(...part)
      .all<OutboxRow>();
    out.push(...results);
  }
  return out.sort((a, b) => a.created_at - b.created_at);
}

/** Rows written before `before` that are still waiting (their first fan-out did not happen), oldest first. */
export async function leftoverOutboxRows(d1: D1Database, before: number, limit: number): Promise<OutboxRow[]> {
  const { results } = await d1
    .prepare("SELECT * FROM event_outbox WHERE created_at < ? ORDER BY created_at LIMIT ?")
    .bind(before, limit)
    .all<OutboxRow>();
  return results;
}

export function deleteOutboxStatement(d1: D1Database, id: string): D1PreparedStatement {
  return d1.prepare("DELETE FROM event_outbox WHERE id = ?").bind(id);
}
