// Bulk replay by filter, oldest first, with no cap on the count: one page per queue message, each page
// queueing the next, so no request or invocation ever holds the whole set.
import type { BulkReplayMessage, DeliveryFilter, Env } from "../env";
import { REPLAY_SOURCE_COLUMNS, replay, type ReplaySource } from "./replay";
import { filterClause as where } from "../db/delivery-queries";

export const BULK_REPLAY_PAGE = 100;

/** How many deliveries match now, and the newest seq among them: replays made later never match again. */
export async function countMatching(
  db: D1Database,
  siteId: string,
  filter: DeliveryFilter,
): Promise<{ count: number; max_seq: number }> {
  const w = where(filter);
  const row = await db
    .prepare(`SELECT COUNT(*) AS count, COALESCE(MAX(seq), 0) AS max_seq FROM deliveries WHERE site_id = ?${w.sql}`)
    .bind(siteId, ...w.params)
    .first<{ count: number; max_seq: number }>();
  return row ?? { count: 0, max_seq: 0 };
}

export async function startBulkReplay(env: Env, siteId: string, filter: DeliveryFilter) {
  const { count, max_seq } = await countMatching(env.DB, siteId, filter);
  if (count > 0) await env.DELIVERIES.send({ kind: "bulk_replay", site_id: siteId, filter, after_seq: 0, max_seq });
  return { count };
}

export async function replayPage(env: Env, msg: BulkReplayMessage): Promise<number> {
  const w = where(msg.filter);
  const { results } = await env.DB.prepare(
    `SELECT ${REPLAY_SOURCE_COLUMNS} FROM deliveries WHERE site_id = ? AND seq > ? AND seq <= ?${w.sql} ORDER BY seq LIMIT ?`,
  )
    .bind(msg.site_id, msg.after_seq, msg.max_seq, ...w.params, BULK_REPLAY_PAGE)
    .all<ReplaySource>();
  await replay(env, results, { inPlace: false, resolveOriginals: false });
  const last = results[results.length - 1];
  if (results.length === BULK_REPLAY_PAGE && last) {
    await env.DELIVERIES.send({ ...msg, after_seq: last.seq });
  }
  return results.length;
}
