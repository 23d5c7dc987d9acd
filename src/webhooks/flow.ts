// Pausing and resuming a webhook's flow, and its test event. Pause: nothing new goes out (an attempt already under
// way finishes) and the rest is held. Resume: clears the alert and releases the held deliveries in order; with
// replay_failed, the failed ones are first re-sent, oldest first, in their original places.
import type { Env } from "../env";
import { Conflict } from "../domain/problems";
import type { WebhookStatus } from "../domain/line";
import type { Actor } from "../domain/actor";
import { auditStatement } from "../db/audit";
import { pauseStatement, resumeStatement, type WebhookRow } from "../db/webhooks";
import { failedDeliveriesPage, heldCount } from "../db/deliveries";
import type { SiteRef } from "../db/sites";
import { replay } from "../delivery/replay";
import { sendTestEvent } from "../delivery/ingest";
import { webhookConfigChanged } from "../sequencer/client";
import { databaseFor } from "../db/route";

/** Failed deliveries are re-sent a page at a time, so a long outage never loads them all at once. */
const REPLAY_PAGE = 200;

export interface FlowResult {
  id: string;
  status: Exclude<WebhookStatus, "deleted">;
  /** Deliveries waiting in the webhook's line. */
  held: number;
  /** Failed deliveries re-sent by this resume. */
  replayed: number;
}

function requireFlow(row: WebhookRow) {
  if (row.status === "draft") throw new Conflict("A draft webhook has no flow: subscribe it to events first");
}

export async function pauseWebhook(env: Env, row: WebhookRow, actor: Actor): Promise<FlowResult> {
  const db = databaseFor(env, row.siteId);
  requireFlow(row);
  const now = Date.now();
  if (row.status === "active") {
    await db.batch([
      pauseStatement(db, row.id, now),
      auditStatement(db, {
        siteId: row.siteId,
        actor,
        action: "webhook.paused",
        targetType: "webhook",
        targetId: row.id,
        changes: { status: ["active", "paused"] },
        at: now,
      }),
    ]);
    await webhookConfigChanged(env, row.siteId, row.id);
  }
  const status = row.status === "active" ? "paused" : row.status;
  return { id: row.id, status, held: await heldCount(db, row.id), replayed: 0 };
}

export async function resumeWebhook(
  env: Env,
  row: WebhookRow,
  replayFailed: boolean,
  actor: Actor,
): Promise<FlowResult> {
  const db = databaseFor(env, row.siteId);
  requireFlow(row);
  const now = Date.now();
  let replayed = 0;
  if (replayFailed) {
    // In place: each re-send takes its original's position, so together they go out before anything held.
    for (let after = 0; ;) {
      const failed = await failedDeliveriesPage(db, row.id, after, REPLAY_PAGE);
      if (!failed.length) break;
      replayed += (await replay(env, row.siteId, failed, { inPlace: true, resolveOriginals: true }, now)).replayed
        .length;
      after = failed[failed.length - 1]!.seq;
    }
  }
  await db.batch([
    resumeStatement(db, row.id, now),
    auditStatement(db, {
      siteId: row.siteId,
      actor,
      action: "webhook.resumed",
      targetType: "webhook",
      targetId: row.id,
      changes: { status: "active", replay_failed: replayFailed, replayed },
      at: now,
    }),
  ]);
  await webhookConfigChanged(env, row.siteId, row.id);
  return { id: row.id, status: "active", held: await heldCount(db, row.id), replayed };
}

/** A `webhook.test` event to this webhook alone (drafts too); it skips the line. */
export function testWebhook(env: Env, site: SiteRef, row: WebhookRow, actor: Actor) {
  return sendTestEvent(env, site, row, actor);
}
