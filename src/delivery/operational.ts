// Operational events (webhook.paused, webhook.disabled, delivery.failed) become events here: each outbox row (see
// webhooks/alerts.ts) is accepted like a producer's event, through the same ingest, and delivered to the site's
// webhooks subscribed to its type, never to the webhook it is about. The row is removed in the same batch as the
// event is written, and its id is the event's id, so making it twice finds the event already there.
import type { Env } from "../env";
import type { EventInput } from "../domain/event-input";
import { deleteOutboxStatement, leftoverOutboxRows, outboxRows, type OutboxRow } from "../db/outbox";
import { allDatabases, databaseFor } from "../db/route";
import { log } from "../log";
import { acceptEvents, UnknownSite } from "./ingest";

/** The cron makes rows older than this into events: younger ones are still being made by their raiser. */
const LEFTOVER_AFTER_MS = 30_000;
const LEFTOVERS_PER_RUN = 100;

/** `db`: the database the raiser wrote the outbox rows to (its site's). */
export async function fanOutOperational(env: Env, db: D1Database, ids: string[]): Promise<void> {
  if (ids.length) await fanOut(env, await outboxRows(db, ids));
}

/** The cron's step: rows whose raiser did not get to make them into events (it stopped, or a call failed). */
export async function flushOutbox(env: Env, now: number): Promise<number> {
  let n = 0;
  for (const db of allDatabases(env)) {
    const rows = await leftoverOutboxRows(db, now - LEFTOVER_AFTER_MS, LEFTOVERS_PER_RUN);
    await fanOut(env, rows);
    n += rows.length;
  }
  return n;
}

async function fanOut(env: Env, rows: OutboxRow[]) {
  for (const row of rows) {
    const db = databaseFor(env, row.site_id);
    const input: EventInput = {
      event_type: row.event_type,
      event_id: row.id,
      fired_at: new Date(row.created_at).toISOString(),
      actor: null,
      target: JSON.parse(row.target) as EventInput["target"],
      detail: JSON.parse(row.detail) as Record<string, unknown>,
    };
    try {
      await acceptEvents(env, row.site_id, [input], {
        operational: { aboutWebhookId: row.about_webhook_id, then: [deleteOutboxStatement(db, row.id)] },
      });
    } catch (err) {
      if (err instanceof UnknownSite) {
        await deleteOutboxStatement(db, row.id).run();
        continue;
      }
      // The row stays: the cron makes it later.
      log("error", "operational event not raised yet; the cron will", { id: row.id, error: String(err) });
    }
  }
}
