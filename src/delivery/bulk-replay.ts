// Bulk replay by filter, oldest first, with no cap on the count: one page per queue message, each page
// queueing the next, so no request or invocation ever holds the whole set.
import type { Env } from "../env";
import type { DeliveryFilter } from "../domain/filter";
import { countMatching as countQuery, replayPage as pageQuery, run } from "../db/delivery-log";
import type { ReplaySource } from "../db/deliveries";
import { deliveriesQueue, type BulkReplayMessage } from "./messages";
import { replay } from "./replay";

export const BULK_REPLAY_PAGE = 100;

/** How many deliveries match now, and the newest seq among them: replays made later never match again. */
export async function countMatching(d1: D1Database, siteId: string, filter: DeliveryFilter) {
  const row = await run(d1, countQuery(siteId, filter)).first<{ count: number; max_seq: number }>();
  return row ?? { count: 0, max_seq: 0 };
}

export async function startBulkReplay(env: Env, siteId: string, filter: DeliveryFilter) {
  const { count, max_seq } = await countMatching(env.DB, siteId, filter);
  if (count > 0)
    await deliveriesQueue(env).send({ kind: "bulk_replay", site_id: siteId, filter, after_seq: 0, max_seq });
  return { count };
}

export async function replayPage(env: Env, msg: BulkReplayMessage): Promise<number> {
  const { results } = await run(
    env.DB,
    pageQuery(msg.site_id, msg.filter, msg.after_seq, msg.max_seq, BULK_REPLAY_PAGE),
  ).all<ReplaySource>();
  await replay(env, results, { inPlace: false, resolveOriginals: false });
  const last = results[results.length - 1];
  if (results.length === BULK_REPLAY_PAGE && last) {
    await deliveriesQueue(env).send({ ...msg, after_seq: last.seq });
  }
  return results.length;
}
