// D1 is the source of truth, a queue message only transport. Once a minute the sweeper finds webhooks whose line
// looks stuck (see stuckWebhooks) and asks their sequencer to rebuild from D1 and re-drive. The consumer's lease
// keeps a re-driven delivery that is in fact still in flight from going out twice.
import type { Env } from "../env";
import { overdueTestDeliveries, stuckWebhooks } from "../db/delivery-line";
import { sequencer } from "../sequencer/client";
import { allDatabases } from "../db/route";
import { log } from "../log";
import { sweepGraceMs } from "../config";
import { deliveriesQueue } from "./messages";

const MAX_WEBHOOKS_PER_RUN = 200;
const MAX_TEST_RESENDS_PER_RUN = 100;

/** Test deliveries skip the line, so the sweeper puts their lost messages back on the queue itself. */
async function resendOverdueTests(env: Env, db: D1Database, now: number, graceMs: number): Promise<number> {
  const overdue = await overdueTestDeliveries(db, now, graceMs, MAX_TEST_RESENDS_PER_RUN);
  if (overdue.length) {
    await deliveriesQueue(env).sendBatch(
      overdue.map((r) => ({ body: { delivery_id: r.id, webhook_id: r.webhook_id, site_id: r.site_id } })),
    );
  }
  return overdue.length;
}

type SweepResult = { webhooks: number; resent: number; released: number };

/** Every database in turn, each with its own budget. */
export async function sweep(env: Env, now: number): Promise<SweepResult> {
  const total: SweepResult = { webhooks: 0, resent: 0, released: 0 };
  for (const db of allDatabases(env)) {
    const r = await sweepDatabase(env, db, now);
    total.webhooks += r.webhooks;
    total.resent += r.resent;
    total.released += r.released;
  }
  return total;
}

async function sweepDatabase(env: Env, db: D1Database, now: number): Promise<SweepResult> {
  const graceMs = sweepGraceMs(env);
  const hooks = await stuckWebhooks(db, now, graceMs, MAX_WEBHOOKS_PER_RUN);
  let resent = await resendOverdueTests(env, db, now, graceMs);
  let released = 0;
  const calls = await Promise.allSettled(hooks.map((h) => sequencer(env, h.webhookId).reconcile(h, now, graceMs)));
  calls.forEach((c, i) => {
    if (c.status === "fulfilled") {
      resent += c.value.resent;
      released += c.value.released;
    } else log("error", "sweeper reconcile failed", { webhook_id: hooks[i]!.webhookId, error: String(c.reason) });
  });
  if (hooks.length) log("info", "sweep", { webhooks: hooks.length, resent, released });
  return { webhooks: hooks.length, resent, released };
}
