// D1 is the source of truth, a queue message only transport. Once a minute the sweeper finds webhooks whose line
// looks stuck (see stuckWebhooks) and asks their sequencer to rebuild from D1 and re-drive. The consumer's lease
// keeps a re-driven delivery that is in fact still in flight from going out twice.
import type { Env } from "../env";
import { overdueTestDeliveries, stuckWebhooks } from "../db/delivery-line";
import { sequencer } from "../sequencer/client";
import { log } from "../log";
import { sweepGraceMs } from "../config";
import { deliveriesQueue } from "./messages";

const MAX_WEBHOOKS_PER_RUN = 200;
const MAX_TEST_RESENDS_PER_RUN = 100;

/** Test deliveries skip the line, so the sweeper puts their lost messages back on the queue itself. */
async function resendOverdueTests(env: Env, now: number, graceMs: number): Promise<number> {
  const overdue = await overdueTestDeliveries(env.DB, now, graceMs, MAX_TEST_RESENDS_PER_RUN);
  if (overdue.length) {
    await deliveriesQueue(env).sendBatch(
      overdue.map((r) => ({ body: { delivery_id: r.id, webhook_id: r.webhook_id } })),
    );
  }
  return overdue.length;
}

export async function sweep(env: Env, now: number): Promise<{ webhooks: number; resent: number; released: number }> {
  const graceMs = sweepGraceMs(env);
  const hooks = await stuckWebhooks(env.DB, now, graceMs, MAX_WEBHOOKS_PER_RUN);
  let resent = await resendOverdueTests(env, now, graceMs);
  let released = 0;
  const calls = await Promise.allSettled(hooks.map((id) => sequencer(env, id).reconcile(id, now, graceMs)));
  calls.forEach((c, i) => {
    if (c.status === "fulfilled") {
      resent += c.value.resent;
      released += c.value.released;
    } else log("error", "sweeper reconcile failed", { webhook_id: hooks[i], error: String(c.reason) });
  });
  if (hooks.length) log("info", "sweep", { webhooks: hooks.length, resent, released });
  return { webhooks: hooks.length, resent, released };
}
