// D1 is the source of truth, a queue message only transport. Once a minute the sweeper finds webhooks
// whose line looks stuck and asks their sequencer to rebuild from D1 and re-drive:
// - a pending or retrying delivery overdue by more than the grace period with no live lease (its queue
//   message was lost, or the dev server restarted and dropped the local queue);
// - a held delivery of an active webhook that has not moved for the grace period (a settle call was lost).
// The consumer's lease keeps a re-driven delivery that is in fact still in flight from going out twice.
import type { Env } from "../env";
import { sequencer } from "../sequencer/client";

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
         WHERE d.state = 'held' AND d.updated_at < ? AND w.status = 'active' AND w.deleted_at IS NULL
       LIMIT ?`,
    )
    .bind(cutoff, now, cutoff, MAX_WEBHOOKS_PER_RUN)
    .all<{ webhook_id: string }>();
  return results.map((r) => r.webhook_id);
}

export async function sweep(env: Env, now: number): Promise<{ webhooks: number; resent: number; released: number }> {
  const graceMs = sweepGraceMs(env);
  const hooks = await stuckWebhooks(env.DB, now, graceMs);
  let resent = 0;
  let released = 0;
  const calls = await Promise.allSettled(hooks.map((id) => sequencer(env, id).reconcile(id, now, graceMs)));
  calls.forEach((c, i) => {
    if (c.status === "fulfilled") {
      resent += c.value.resent;
      released += c.value.released;
    } else console.error(JSON.stringify({ msg: "sweeper reconcile failed", webhook_id: hooks[i], error: String(c.reason) }));
  });
  if (hooks.length) console.log(JSON.stringify({ msg: "sweep", webhooks: hooks.length, resent, released }));
  return { webhooks: hooks.length, resent, released };
}
