// Retention: LOG_RETENTION_DAYS (default 30). Removes settled deliveries past the cutoff with their attempts,
// then events no delivery refers to, in bounded chunks. A held, pending or retrying delivery, and the event it
// needs, is never touched.
import type { Env } from "../env";
import { retentionDays } from "../config";
import { allSiteIds } from "../db/sites";
import { purgeChunk } from "../db/delivery-log";
import { purgeOrphanEvents } from "../db/events";
import { allDatabases } from "../db/route";

const CHUNK = 500;
const MAX_ROUNDS = 20;

export function retentionCutoff(env: Env, now: number): number {
  return now - retentionDays(env) * 86_400_000;
}

export async function purgeOldDeliveries(env: Env, now: number): Promise<{ deliveries: number; events: number }> {
  const cutoff = retentionCutoff(env, now);
  let deliveries = 0;
  let events = 0;
  for (const db of allDatabases(env)) {
    const purged = await purgeDatabase(db, cutoff);
    deliveries += purged.deliveries;
    events += purged.events;
  }
  return { deliveries, events };
}

/** One database's share of the pass: each has its own budget of rounds. */
async function purgeDatabase(db: D1Database, cutoff: number): Promise<{ deliveries: number; events: number }> {
  let deliveries = 0;
  let events = 0;
  let rounds = 0;
  for (const siteId of await allSiteIds(db)) {
    for (; rounds < MAX_ROUNDS; rounds++) {
      const n = await purgeChunk(db, siteId, cutoff, CHUNK);
      deliveries += n;
      if (n < CHUNK) break;
    }
  }
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const n = await purgeOrphanEvents(db, cutoff, CHUNK);
    events += n;
    if (n < CHUNK) break;
  }
  return { deliveries, events };
}
