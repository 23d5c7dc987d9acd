// The cron (every minute): the sweeper first, then operational events left behind, then housekeeping (jobs, expiry, retention, re-encryption). Each step is independent: one failing
// does not stop the others.
import type { Env } from "./env";
import { sweep } from "./delivery/sweeper";
import { purgeOldDeliveries } from "./logs/retention";
import { expireExports, requeueStalledExports } from "./logs/exports";
import { requeueStalledBulkReplays } from "./delivery/bulk-replay";
import { writeDailySummaries } from "./db/audit";
import { allDatabases } from "./db/route";
import { flushOutbox } from "./delivery/operational";
import { reencryptStep } from "./webhooks/key-rotation";
import { log } from "./log";

/** The daily summary runs in the first minutes of each UTC day (idempotent, so overlap is harmless). */
const SUMMARY_WINDOW_MS = 10 * 60_000;

export async function runScheduled(env: Env, now: number, _ctx?: ExecutionContext) {
  const steps: [string, () => Promise<unknown>][] = [
    ["sweep", () => sweep(env, now)],
    ["operational events", () => flushOutbox(env, now)],
    ["stalled exports", () => requeueStalledExports(env, now)],
    ["stalled bulk replays", () => requeueStalledBulkReplays(env, now)],
    ["export expiry", () => expireExports(env, now)],
    ["retention", () => purgeOldDeliveries(env, now)],
    ["re-encryption", () => reencryptStep(env, now)],
  ];
  if (now % 86_400_000 < SUMMARY_WINDOW_MS) {
    // Once per database: each holds its own sites' audit log (db/route.ts).
    steps.push(["daily summary", () => Promise.all(allDatabases(env).map((db) => writeDailySummaries(db, now)))]);
  }
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (err) {
      log("error", "scheduled step failed", { step: name, error: String(err) });
    }
  }
}
