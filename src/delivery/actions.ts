// An operator's actions on one delivery: attempt it now, replay it as a new delivery, or mark it resolved. Each is
// written with its audit entry in one atomic batch.
import type { Env } from "../env";
import { Conflict, NotFound } from "../domain/problems";
import type { DeliveryState } from "../domain/delivery-state";
import type { Actor } from "../domain/actor";
import {
  deliveryState,
  findReplaySource,
  resolveFailedStatements,
  scheduleAttemptNowStatement,
  type ReplaySource,
} from "../db/deliveries";
import { clearSettledAlertStatement } from "../db/webhooks";
import { auditStatement, previousStatementChanged, type AuditEntry } from "../db/audit";
import { deliveriesQueue } from "./messages";
import { replay } from "./replay";
import { databaseFor } from "../db/route";

export interface ActionResult {
  id: string;
  state: DeliveryState;
  next_attempt_at: number | null;
  replay_of: string | null;
}

async function findDelivery(env: Env, siteId: string, id: string): Promise<ReplaySource & { state: DeliveryState }> {
  const db = databaseFor(env, siteId);
  const row = await findReplaySource(db, siteId, id);
  if (!row) throw new NotFound("Delivery");
  return row;
}

const entry = (d: ReplaySource, actor: Actor, action: string, at: number, changes?: unknown): AuditEntry => ({
  siteId: d.site_id,
  actor,
  action,
  targetType: "delivery",
  targetId: d.id,
  changes,
  at,
});

/**
 * A retrying delivery skips the rest of its wait; a failed one gets one more attempt. It goes out even while the
 * webhook is paused. Held and pending deliveries go out in order and cannot be jumped ahead.
 */
export async function retryNow(env: Env, siteId: string, id: string, actor: Actor, now = Date.now()) {
  const db = databaseFor(env, siteId);
  const d = await findDelivery(env, siteId, id);
  const [changed] = await db.batch([
    scheduleAttemptNowStatement(db, id, now),
    auditStatement(db, entry(d, actor, "delivery.retried", now, { state: d.state }), previousStatementChanged),
  ]);
  if (!changed!.meta.changes) {
    throw new Conflict(`A ${d.state} delivery cannot be retried now: only retrying and failed ones can`);
  }
  await deliveriesQueue(env).send({ delivery_id: id, webhook_id: d.webhook_id, site_id: siteId, manual: true });
  return { id, state: "retrying", next_attempt_at: now, replay_of: null } satisfies ActionResult;
}

/** A new delivery of the same event, at the end of the webhook's line; the original is left as it is. */
export async function replayOne(env: Env, siteId: string, id: string, actor: Actor, now = Date.now()) {
  const db = databaseFor(env, siteId);
  const d = await findDelivery(env, siteId, id);
  const made = (
    await replay(
      env,
      siteId,
      [d],
      {
        inPlace: false,
        resolveOriginals: false,
        then: [auditStatement(db, entry(d, actor, "delivery.replayed", now), previousStatementChanged)],
      },
      now,
    )
  ).replayed[0];
  if (!made) throw new Conflict("The delivery's webhook was deleted: there is nothing to replay it to");
  const row = await deliveryState(db, made.delivery_id);
  return {
    id: made.delivery_id,
    state: row!.state,
    next_attempt_at: row!.next_attempt_at,
    replay_of: id,
  } satisfies ActionResult;
}

/** failed → resolved; the webhook's alert clears once none of its deliveries is failed and unresolved. */
export async function resolveOne(env: Env, siteId: string, id: string, actor: Actor, now = Date.now()) {
  const db = databaseFor(env, siteId);
  const d = await findDelivery(env, siteId, id);
  const [changed] = await db.batch([
    ...resolveFailedStatements(db, [id], now),
    auditStatement(db, entry(d, actor, "delivery.resolved", now), previousStatementChanged),
    clearSettledAlertStatement(db, d.webhook_id, now),
  ]);
  if (!changed!.meta.changes) throw new Conflict(`A ${d.state} delivery cannot be resolved: only failed ones can`);
  return { id, state: "resolved", next_attempt_at: null, replay_of: null } satisfies ActionResult;
}
