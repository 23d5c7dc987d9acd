// Accepting events: record the event and one delivery per subscribed webhook in D1 (atomically, before the
// producer hears 202), then hand each webhook's new deliveries to its sequencer in one call.
import type { Env } from "../env";
import type { sites, webhooks } from "../db/schema";
import { envelopeBody, targetKey } from "../domain/envelope";
import type { EventInput } from "../domain/event-input";
import { TEST_EVENT_TYPE } from "../domain/catalog";
import { newId } from "../domain/ids";
import { isoSeconds } from "../domain/time";
import { chunk, placeholders } from "../db/sql";
import {
  insertDeliveries,
  insertEvents,
  newDeliveryRow,
  seqsOf,
  type NewDeliveryRow,
  type NewEventRow,
} from "../db/delivery-writes";
import { enqueueDeliveries } from "../sequencer/client";

export type SiteRow = typeof sites.$inferSelect;
export type WebhookRow = typeof webhooks.$inferSelect;

export interface AcceptedEvent {
  event_id: string;
  deliveries: number;
  duplicate: boolean;
}

type Subscriber = Pick<
  WebhookRow,
  "id" | "name" | "status" | "events" | "includeDetail" | "retryPolicy" | "destinationHost"
>;

/** Thrown when the site does not exist (the caller answers 404). */
export class UnknownSite extends Error {}

export async function acceptEvents(
  env: Env,
  siteId: string,
  inputs: EventInput[],
  now = Date.now(),
): Promise<AcceptedEvent[]> {
  const ids = inputs.map((e) => e.event_id ?? newId("evt"));
  try {
    return await acceptOnce(env, siteId, inputs, ids, now);
  } catch (err) {
    // A concurrent request recorded one of these event ids between our check and our insert: the batch
    // rolled back as a whole, so the second pass sees it as a duplicate.
    if (!String(err).includes("UNIQUE constraint failed")) throw err;
    return acceptOnce(env, siteId, inputs, ids, now);
  }
}

async function acceptOnce(
  env: Env,
  siteId: string,
  inputs: EventInput[],
  ids: string[],
  now: number,
): Promise<AcceptedEvent[]> {
  const { site, known, subscribers } = await loadIngestContext(env.DB, siteId, ids);
  const results: AcceptedEvent[] = [];
  const eventRows: NewEventRow[] = [];
  const deliveryRows: NewDeliveryRow[] = [];
  inputs.forEach((input, i) => {
    const eventId = ids[i]!;
    const seen = known.get(eventId);
    if (seen !== undefined) {
      results.push({ event_id: eventId, deliveries: seen, duplicate: true });
      return;
    }
    const hooks = subscribers.filter((h) => (JSON.parse(h.events) as string[]).includes(input.event_type));
    const event = eventRow(site, input, eventId, hooks.length, now);
    eventRows.push(event);
    for (const hook of hooks) deliveryRows.push(deliveryRow(event, hook, now));
    known.set(eventId, hooks.length);
    results.push({ event_id: eventId, deliveries: hooks.length, duplicate: false });
  });
  if (eventRows.length) {
    const done = await env.DB.batch([...insertEvents(env.DB, eventRows), ...insertDeliveries(env.DB, deliveryRows)]);
    await handToSequencers(env, deliveryRows, seqsOf(done));
  }
  return results;
}

/** POST …/test: a `webhook.test` event for this webhook alone, also a draft. It skips the line. */
export async function sendTestEvent(
  env: Env,
  site: SiteRow,
  webhook: WebhookRow,
  actor: string,
  now = Date.now(),
): Promise<{ event_id: string; delivery_id: string }> {
  const input: EventInput = {
    event_type: TEST_EVENT_TYPE,
    actor: null,
    target: { type: "webhook", id: webhook.id, title: webhook.name },
    detail: { message: `Test event sent by ${actor}` },
  };
  const event = eventRow(site, input, newId("evt"), 1, now);
  const delivery = deliveryRow(event, webhook, now);
  await env.DB.batch([
    ...insertEvents(env.DB, [event]),
    ...insertDeliveries(env.DB, [{ ...delivery, state: "pending", include_detail: 1 }]),
  ]);
  await env.DELIVERIES.send({ delivery_id: delivery.id, webhook_id: webhook.id });
  return { event_id: event.id, delivery_id: delivery.id };
}

function eventRow(
  site: Pick<SiteRow, "id" | "slug" | "host">,
  input: EventInput,
  eventId: string,
  deliveries: number,
  now: number,
): NewEventRow {
  const firedAt = input.fired_at ? isoSeconds(Date.parse(input.fired_at)) : isoSeconds(now);
  const actor = input.actor ?? null;
  return {
    site_id: site.id,
    id: eventId,
    event_type: input.event_type,
    body: envelopeBody({
      event_id: eventId,
      event_type: input.event_type,
      fired_at: firedAt,
      site: { id: site.id, slug: site.slug, host: site.host },
      actor,
      target: input.target,
    }),
    detail: input.detail === undefined ? null : JSON.stringify(input.detail),
    actor_email: actor?.email ?? null,
    target_key: targetKey(input.target),
    deliveries,
    received_at: now,
  };
}

function deliveryRow(event: NewEventRow, hook: Subscriber, now: number): NewDeliveryRow {
  return newDeliveryRow(
    hook,
    {
      id: newId("dlv"),
      site_id: event.site_id,
      event_id: event.id,
      event_type: event.event_type,
      target_key: event.target_key,
      include_detail: hook.includeDetail ? 1 : 0,
      actor_email: event.actor_email,
      order_key: null,
      replay_of: null,
    },
    now,
  );
}

/** The site, which of these event ids it already has, and its subscribers: one round trip to D1. */
async function loadIngestContext(db: D1Database, siteId: string, ids: string[]) {
  const parts = chunk([...new Set(ids)], 90);
  const results = await db.batch([
    db.prepare("SELECT id, slug, host FROM sites WHERE id = ?").bind(siteId),
    db
      .prepare(
        `SELECT id, name, status, events, include_detail AS includeDetail, retry_policy AS retryPolicy,
                destination_host AS destinationHost
         FROM webhooks WHERE site_id = ? AND deleted_at IS NULL AND status != 'draft'`,
      )
      .bind(siteId),
    ...parts.map((part) =>
      db
        .prepare(`SELECT id, deliveries FROM events WHERE site_id = ? AND id IN (${placeholders(part.length)})`)
        .bind(siteId, ...part),
    ),
  ]);
  const site = results[0]!.results[0] as Pick<SiteRow, "id" | "slug" | "host"> | undefined;
  if (!site) throw new UnknownSite(siteId);
  const subscribers = (results[1]!.results as unknown as Subscriber[]).map((h) => ({
    ...h,
    includeDetail: Boolean(h.includeDetail),
  }));
  const known = new Map<string, number>();
  for (const r of results.slice(2))
    for (const e of r.results as { id: string; deliveries: number }[]) known.set(e.id, e.deliveries);
  return { site, known, subscribers };
}

/**
 * One sequencer call per webhook per request, awaited so that a producer that waits for our 202 before
 * sending its next event gets that order. A failed call loses nothing: the rows are in D1 and the sweeper
 * hands them over once they are overdue.
 */
async function handToSequencers(env: Env, rows: NewDeliveryRow[], seqs: Map<string, number>) {
  const byHook = new Map<string, { id: string; order: number; target: string }[]>();
  for (const row of rows) {
    const items = byHook.get(row.webhook_id) ?? [];
    items.push({ id: row.id, order: seqs.get(row.id) ?? Number.MAX_SAFE_INTEGER, target: row.target_key });
    byHook.set(row.webhook_id, items);
  }
  const calls = await Promise.allSettled([...byHook].map(([hookId, items]) => enqueueDeliveries(env, hookId, items)));
  calls.forEach((c, i) => {
    if (c.status === "rejected") {
      console.error(
        JSON.stringify({
          msg: "sequencer enqueue failed; the sweeper will re-drive",
          webhook_id: [...byHook.keys()][i],
          error: String(c.reason),
        }),
      );
    }
  });
}
