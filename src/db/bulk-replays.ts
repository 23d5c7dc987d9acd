// Bulk replay jobs: their filter, how far they have got, and the rule of at most one running per site (a partial
// unique index, so two concurrent starts cannot both win).
import { and, desc, eq, lt } from "drizzle-orm";
import { database } from "./client";
import { bulkReplays } from "./schema";
import { statement } from "./sql";

export type BulkReplayRow = typeof bulkReplays.$inferSelect;

export function insertBulkReplayStatement(d1: D1Database, row: BulkReplayRow): D1PreparedStatement {
  return statement(d1, database(d1).insert(bulkReplays).values(row));
}

export function findBulkReplay(d1: D1Database, id: string): Promise<BulkReplayRow | undefined> {
  return database(d1).select().from(bulkReplays).where(eq(bulkReplays.id, id)).get();
}

export function runningBulkReplay(d1: D1Database, siteId: string): Promise<BulkReplayRow | undefined> {
  return database(d1)
    .select()
    .from(bulkReplays)
    .where(and(eq(bulkReplays.siteId, siteId), eq(bulkReplays.status, "running")))
    .get();
}

/**
 * Moves the job past a page, only if no other copy of the page's message has already done so; `replayed` counts
 * the page's new deliveries. Put it AFTER the page's inserts in one batch: they are guarded by the same
 * `after_seq`, so a page is replayed once however often its message arrives.
 */
export function advanceBulkReplayStatement(
  d1: D1Database,
  id: string,
  fromSeq: number,
  toSeq: number,
  replayed: number,
  done: boolean,
  now: number,
): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE bulk_replays SET after_seq = ?, replayed = replayed + ?, updated_at = ?,
              status = CASE WHEN ? THEN 'complete' ELSE status END, completed_at = CASE WHEN ? THEN ? ELSE completed_at END
       WHERE id = ? AND after_seq = ? AND status = 'running'`,
    )
    .bind(toSeq, replayed, now, done ? 1 : 0, done ? 1 : 0, now, id, fromSeq);
}

/** The guard a page's inserts carry: the job is still where the page began. */
export function bulkReplayAt(id: string, afterSeq: number) {
  return {
    sql: "EXISTS (SELECT 1 FROM bulk_replays WHERE id = ? AND after_seq = ? AND status = 'running')",
    params: [id, afterSeq],
  };
}

/** Running jobs that have not moved for a while: their message was lost or dead-lettered. */
export async function stalledBulkReplays(
  d1: D1Database,
  before: number,
  limit: number,
): Promise<{ id: string; siteId: string }[]> {
  return database(d1)
    .select({ id: bulkReplays.id, siteId: bulkReplays.siteId })
    .from(bulkReplays)
    .where(and(eq(bulkReplays.status, "running"), lt(bulkReplays.updatedAt, before)))
    .orderBy(desc(bulkReplays.updatedAt))
    .limit(limit);
}
