// D1 is the source of truth, a queue message only transport. Once a minute the sweeper finds webhooks
// whose line looks stuck and asks their sequencer to rebuild from D1 and re-drive:
// - a pending or retrying delivery overdue by more than the grace period with no live lease (its queue
//   message was lost, or the dev server restarted and dropped the local queue);
// - a held delivery of an active webhook with nothing ahead of it in flight (a settle call was lost). One
//   held behind an in-flight delivery of its line is simply waiting its turn.
// The consumer's lease keeps a re-driven delivery that is in fact still in flight from going out twice.
import type { Env } from "../env";
import { sequencer } from "../sequencer/client";
import { TEST_EVENT_TYPE } from "../domain/catalog";

const MAX_WEBHOOKS_PER_RUN = 200;

export function sweepGraceMs(env: Env): number {
  const s = Number(env.SWEEP_GRACE_SECONDS ?? "60");
  return (Number.isFinite(s) && s >= 0 ? s : 60) * 1000;
}

export async function stuckWebhooks(db: D1Database, now: number, graceMs: number): Promise<string[]> {
  const cutoff = now - graceMs;
  const { results } = await db
    .prepare(
      `SELECT webhook_id FROM deliveries
         WHERE state IN ('pending', 'retrying') AND next_attempt_at < ? AND (lease_until IS NULL OR lease_until < ?)
       UNION
       SELECT d.webhook_id FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
         WHERE d.state = 'held' AND d.next_attempt_at < ? AND w.status = 'active' AND w.deleted_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.webhook_id = d.webhook_id AND o.state IN ('pending', 'retrying')
                             AND (w.failure_mode = 'pause' OR o.target_key = d.target_key))
       LIMIT ?`,
    )
    .bind(cutoff, now, cutoff, MAX_WEBHOOKS_PER_RUN)
    .all<{ webhook_id: string }>();
  return results.map((r) => r.webhook_id);
}

/** Test deliveries skip the line, so the sweeper puts their lost messages back on the queue itself. */
async function resendOverdueTests(env: Env, now: number, graceMs: number): Promise<number> {
  const { results } = await env.DB.prepare(
    `SELECT id, webhook_id FROM deliveries
     WHERE state IN ('pending', 'retrying') AND next_attempt_at < ? AND (lease_until IS NULL OR lease_until < ?) AND event_type = ?
     LIMIT 100`,
  )
    .bind(now - graceMs, now, TEST_EVENT_TYPE)
    .all<{ id: string; webhook_id: string }>();
  if (results.length)
    await env.DELIVERIES.sendBatch(results.map((r) => ({ body: { delivery_id: r.id, webhook_id: r.webhook_id } })));
  return results.length;
}

export async function sweep(env: Env, now: number): Promise<{ webhooks: number; resent: number; released: number }> {
  const graceMs = sweepGraceMs(env);
  const hooks = await stuckWebhooks(env.DB, now, graceMs);
  let resent = await resendOverdueTests(env, now, graceMs);
  let released = 0;
  const calls = await Promise.allSettled(hooks.map((id) => sequencer(env, id).reconcile(id, now, graceMs)));
  calls.forEach((c, i) => {
    if (c.status === "fulfilled") {
      resent += c.value.resent;
      released += c.value.released;
    } else
      console.error(JSON.stringify({ msg: "sweeper reconcile failed", webhook_id: hooks[i], error: String(c.reason) }));
  });
  if (hooks.length) console.log(JSON.stringify({ msg: "sweep", webhooks: hooks.length, resent, released }));
  return { webhooks: hooks.length, resent, released };
}
