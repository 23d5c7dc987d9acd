// Retention: LOG_RETENTION_DAYS (default 30). Removes settled deliveries past the cutoff with their
// attempts, then events no delivery refers to, in bounded chunks. A held, pending or retrying delivery,
// and the event it needs, is never touched.
import type { Env } from "../env";
import { purgeable, TERMINAL } from "../db/delivery-queries";

const CHUNK = 500;
const MAX_ROUNDS = 20;

export function retentionCutoff(env: Env, now: number): number {
  const days = Number(env.LOG_RETENTION_DAYS ?? "30");
  return now - (Number.isFinite(days) && days > 0 ? days : 30) * 86_400_000;
}

export async function purgeOldDeliveries(env: Env, now: number): Promise<{ deliveries: number; events: number }> {
  const cutoff = retentionCutoff(env, now);
  const db = env.DB;
  let deliveries = 0;
  let events = 0;
  const { results: sites } = await db.prepare("SELECT id FROM sites").all<{ id: string }>();
  let rounds = 0;
  for (const site of sites) {
    const pick = purgeable(site.id, cutoff, CHUNK);
    for (; rounds < MAX_ROUNDS; rounds++) {
      // Both statements pick the same chunk; the batch is atomic, so attempts never outlive their delivery.
      const [, removed] = await db.batch([
        db.prepare(`DELETE FROM attempts WHERE delivery_id IN (${pick.sql})`).bind(...pick.params),
        db.prepare(`DELETE FROM deliveries WHERE id IN (${pick.sql}) AND state IN ${TERMINAL}`).bind(...pick.params),
      ]);
      const n = removed!.meta.changes ?? 0;
      deliveries += n;
      if (n < CHUNK) break;
    }
  }
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const { meta } = await db
      .prepare(
        `DELETE FROM events WHERE rowid IN (
           SELECT e.rowid FROM events e WHERE e.received_at < ?
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.site_id = e.site_id AND d.event_id = e.id)
           LIMIT ?)`,
      )
      .bind(cutoff, CHUNK)
      .run();
    events += meta.changes ?? 0;
    if ((meta.changes ?? 0) < CHUNK) break;
  }
  return { deliveries, events };
}
