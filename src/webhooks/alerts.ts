// The one place a webhook's alert is set: by an outcome's reaction (a delivery failed for good, a 410, days of
// failures; from the consumer) or by auto-pause (from the webhook's sequencer). The same statements write the alert,
// the new status and the operational events the reaction raises, in the caller's atomic batch: an event is raised
// exactly when its alert is set. The events wait in the outbox until raiseOperationalEvents makes them into events
// delivered like any other (the cron makes any left behind).
import type { Env } from "../env";
import { newId } from "../domain/ids";
import type { Reaction } from "../domain/webhook-reaction";
import { alertStatement } from "../db/webhooks";
import { insertOutboxStatement } from "../db/outbox";
import { fanOutOperational } from "../delivery/operational";

/**
 * The webhook statuses under which each event is raised, read before the batch's status change: webhook.paused
 * only when an active webhook pauses, webhook.disabled when an active or paused one is disabled (so neither is
 * raised again while the webhook stays so); delivery.failed always.
 */
const WHEN_STATUS = {
  "webhook.paused": ["active"],
  "webhook.disabled": ["active", "paused"],
  "delivery.failed": null,
} as const;

/** The reaction's outbox rows (first: they look at the status before it changes), then its alert and status. */
export function alertStatements(
  d1: D1Database,
  hook: { id: string; siteId: string },
  reaction: Reaction,
  now: number,
): { statements: D1PreparedStatement[]; outboxIds: string[] } {
  const rows = reaction.events.map((e) => ({
    id: newId("evt"),
    site_id: hook.siteId,
    event_type: e.type,
    about_webhook_id: e.aboutWebhookId,
    target: JSON.stringify(e.target),
    detail: JSON.stringify(e.detail),
    created_at: now,
    when: WHEN_STATUS[e.type],
  }));
  const statements = rows.map(({ when, ...row }) => insertOutboxStatement(d1, row, when ? [...when] : null));
  if (reaction.alert) statements.push(alertStatement(d1, hook.id, JSON.stringify(reaction.alert), reaction.status));
  return { statements, outboxIds: rows.map((r) => r.id) };
}

/** Makes the raised events (those written: a condition may have left some out) into events and deliveries. */
export function raiseOperationalEvents(env: Env, db: D1Database, outboxIds: string[]): Promise<void> {
  return fanOutOperational(env, db, outboxIds);
}
