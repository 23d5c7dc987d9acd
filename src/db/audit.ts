// The audit log: who changed what, when. Entries are written in the same D1 batch as the change itself, through
// the one writer below. `changes` names what changed; it never carries a secret or a header value. The actor is
// recorded as kind and id (root, key_…, system) beside the name, so a key's name can never pass for root.
import type { Actor } from "../domain/actor";

export interface AuditEntry {
  siteId: string;
  actor: Actor;
  action: string;
  targetType: "site" | "key" | "webhook" | "delivery" | "export" | "bulk_replay" | "event_type" | "settings";
  targetId: string;
  changes?: unknown;
  at: number;
}

export interface AuditRecord {
  id: number;
  actor: string;
  /** "unknown" only for entries written before actors had a kind, whose name matched no single key. */
  actor_kind: string;
  /** Null only for such entries. */
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string;
  changes: string | null;
  created_at: number;
}

/** The one audit writer. With `onlyIf`, the entry is written only when that SQL condition holds at that point in
 * the batch (an insert that may have found no room). */
export function auditStatement(
  d1: D1Database,
  e: AuditEntry,
  onlyIf?: { sql: string; params: (string | number)[] },
): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO audit_log (site_id, actor, actor_kind, actor_id, action, target_type, target_id, changes, created_at)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? ${onlyIf ? `WHERE ${onlyIf.sql}` : ""}`,
    )
    .bind(
      e.siteId,
      e.actor.name,
      e.actor.kind,
      e.actor.id,
      e.action,
      e.targetType,
      e.targetId,
      e.changes === undefined ? null : JSON.stringify(e.changes),
      e.at,
      ...(onlyIf?.params ?? []),
    );
}

/** The condition "the statement just before changed something", for an audit entry that follows it in a batch. */
export const previousStatementChanged = { sql: "changes() > 0", params: [] };

/** Newest first; `beforeId` is the cursor. */
export async function listAudit(d1: D1Database, siteId: string, beforeId: number | null, limit: number) {
  const { results } = await d1
    .prepare(
      `SELECT id, actor, actor_kind, actor_id, action, target_type, target_id, changes, created_at FROM audit_log
       WHERE site_id = ? ${beforeId !== null ? "AND id < ?" : ""} ORDER BY id DESC LIMIT ?`,
    )
    .bind(siteId, ...(beforeId !== null ? [beforeId] : []), limit)
    .all<AuditRecord>();
  return results;
}

/**
 * Once per UTC day per webhook: counts of the previous day's deliveries by state. Idempotent: the cron may
 * call it every minute; a day already summarised is skipped.
 */
export async function writeDailySummaries(d1: D1Database, nowMs: number): Promise<number> {
  const dayEnd = Math.floor(nowMs / 86_400_000) * 86_400_000;
  const dayStart = dayEnd - 86_400_000;
  const day = new Date(dayStart).toISOString().slice(0, 10);
  const { meta } = await d1
    .prepare(
      `INSERT INTO audit_log (site_id, actor, actor_kind, actor_id, action, target_type, target_id, changes, created_at)
       SELECT d.site_id, 'system', 'system', 'system', 'delivery.daily_summary', 'webhook', d.webhook_id,
              json_object('day', ?1, 'counts', json_group_object(d.state, d.n)), ?2
       FROM (SELECT site_id, webhook_id, state, COUNT(*) AS n FROM deliveries
             WHERE site_id IN (SELECT id FROM sites) AND created_at >= ?3 AND created_at < ?4
             GROUP BY site_id, webhook_id, state) d
       WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.site_id = d.site_id AND a.action = 'delivery.daily_summary'
                         AND a.target_id = d.webhook_id AND a.created_at >= ?4)
       GROUP BY d.site_id, d.webhook_id`,
    )
    .bind(day, nowMs, dayStart, dayEnd)
    .run();
  return meta.changes ?? 0;
}
