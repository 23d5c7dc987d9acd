// Accepting events: record the event and one delivery per subscribed webhook in D1 (atomically, before the
// producer hears 202), then hand each webhook's new deliveries to its sequencer in one call.
//
// D1 round trips: the site's context (site, subscribers, own event types) normally comes with the caller's key
// lookup (api/middleware/auth.ts), so accepting is one write batch: it inserts only the event ids the site does not
// have yet, atomically (a retried event costs one more read, for its stored delivery count). Nothing is cached between requests: each one reads D1 afresh.
import type { Env } from "../env";
import { envelopeBody, targetKey } from "../domain/envelope";
import type { EventInput } from "../domain/event-input";
import { isOperationalEventType, TEST_EVENT_TYPE } from "../domain/catalog";
import { isSiteEventType } from "../domain/custom-event-types";
import { InvalidInput } from "../domain/problems";
import type { Actor } from "../domain/actor";
import { newId } from "../domain/ids";
import { isoSeconds } from "../domain/time";
import type { SiteRef } from "../db/sites";
import type { Subscriber, WebhookRow } from "../db/webhooks";
import {
  insertEventsStatements,
  knownEventsStatements,
  insertedEventIds,
  NEW_EVENTS_ONLY,
  parseKnownEvents,
  type NewEventRow,
} from "../db/events";
import { insertDeliveriesStatements, newDeliveryRow, seqsOf, type NewDeliveryRow } from "../db/deliveries";
import { loadIngestContext, type IngestContext } from "../db/ingest";
import { databaseFor } from "../db/route";
import { auditStatement } from "../db/audit";
import { handToSequencers } from "../sequencer/client";
import { deliveriesQueue } from "./messages";

export interface AcceptedEvent {
  event_id: string;
  deliveries: number;
  duplicate: boolean;
}

/** Thrown when the site does not exist (the caller answers 404). */
export class UnknownSite extends Error {}

/** An operational event raised by Edgehooks itself (delivery/operational.ts), not sent by a producer. */
export interface OperationalIngest {
  /** The webhook it is about: it never gets it. */
  aboutWebhookId: string;
  /** Statements for the same atomic batch (removing the outbox row), run even when the event is a duplicate. */
  then: D1PreparedStatement[];
}

interface IngestOptions {
  batch: boolean;
  operational: OperationalIngest | null;
  /** The site's context, read in this request's earlier batch; else acceptEvents reads it (one round trip). */
  context: IngestContext | null;
}

/**
 * `batch`: the inputs came as `events` of a batch, so a field error names `events.<i>.<field>`. An event type that
 * is neither in the catalog nor one of the site's own is a 422 (InvalidInput), and nothing is stored; so is an
 * operational type, which only Edgehooks raises (`operational`).
 */
export async function acceptEvents(
  env: Env,
  siteId: string,
  inputs: EventInput[],
  opts: { batch?: boolean; now?: number; operational?: OperationalIngest; context?: IngestContext } = {},
): Promise<AcceptedEvent[]> {
  const now = opts.now ?? Date.now();
  const ids = inputs.map((e) => e.event_id ?? newId("evt"));
  const context = opts.context?.siteId === siteId ? opts.context : null;
  const options = { batch: opts.batch ?? false, operational: opts.operational ?? null, context };
  try {
    return await acceptOnce(env, siteId, inputs, ids, now, options);
  } catch (err) {
    // The write batch skips stored event ids itself; this is a last resort should a UNIQUE constraint still fail
    // (the batch rolled back as a whole): the second pass reads the context afresh and sees a duplicate.
    if (!String(err).includes("UNIQUE constraint failed")) throw err;
    return acceptOnce(env, siteId, inputs, ids, now, { ...options, context: null });
  }
}

/** Why a producer may not send this type to the site, or null. */
function typeProblem(type: string, customTypes: ReadonlySet<string>, siteId: string): string | null {
  if (isSiteEventType(type, customTypes)) return null;
  if (isOperationalEventType(type)) return `${type} is an operational event type: only Edgehooks sends it`;
  return `unknown event type ${type}: not in the catalog nor one of the site's own (see GET /v1/sites/${siteId}/event-types)`;
}

async function acceptOnce(
  env: Env,
  siteId: string,
  inputs: EventInput[],
  ids: string[],
  now: number,
  { batch, operational, context }: IngestOptions,
) {
  const db = databaseFor(env, siteId);
  const { site, subscribers, customTypes } = context ?? (await loadIngestContext(db, siteId));
  if (!site) throw new UnknownSite(siteId);
  const problems = inputs.map((e) => (operational ? null : typeProblem(e.event_type, customTypes, siteId)));
  if (problems.some((p) => p !== null)) {
    throw new InvalidInput(
      problems.flatMap((message, i) =>
        message === null ? [] : [{ path: batch ? `events.${i}.event_type` : "event_type", message }],
      ),
    );
  }
  // The rows every event would need if it is new; which ones are new, the write batch itself decides (below).
  const planned = new Map<string, { event: NewEventRow; deliveries: NewDeliveryRow[] }>();
  inputs.forEach((input, i) => {
    const eventId = ids[i]!;
    if (planned.has(eventId)) return; // the same id twice in one batch: the first one counts
    const hooks = subscribers.filter(
      (h) => (JSON.parse(h.events) as string[]).includes(input.event_type) && h.id !== operational?.aboutWebhookId,
    );
    const event = eventRow(site, input, eventId, hooks.length, now);
    planned.set(eventId, { event, deliveries: hooks.map((hook) => deliveryRow(event, hook, now)) });
  });
  const plans = [...planned.values()];
  // One atomic batch: the inserts skip the event ids the site already has (deliveries first, so that both inserts
  // see the events as they were); the events' RETURNING names the ones that are new.
  const deliveryInserts = insertDeliveriesStatements(
    db,
    plans.flatMap((p) => p.deliveries),
    NEW_EVENTS_ONLY,
  );
  const eventInserts = insertEventsStatements(
    db,
    plans.map((p) => p.event),
  );
  const done = await db.batch([...deliveryInserts, ...eventInserts, ...(operational?.then ?? [])]);
  const seqs = seqsOf(done.slice(0, deliveryInserts.length));
  const inserted = insertedEventIds(done.slice(deliveryInserts.length, deliveryInserts.length + eventInserts.length));
  const fresh = plans.filter((p) => inserted.has(p.event.id));
  if (fresh.length) {
    await handToSequencers(
      env,
      fresh.flatMap((p) => p.deliveries),
      seqs,
    );
  }
  // A duplicate answers with its stored delivery count: read only when there are duplicates (a retrying producer).
  const stale = [...planned.keys()].filter((id) => !inserted.has(id));
  const stored = stale.length ? parseKnownEvents(await db.batch(knownEventsStatements(db, siteId, stale))) : new Map();
  const seen = new Set<string>();
  return ids.map((eventId): AcceptedEvent => {
    const duplicate = !inserted.has(eventId) || seen.has(eventId);
    seen.add(eventId);
    const deliveries = stored.get(eventId) ?? planned.get(eventId)!.event.deliveries;
    return { event_id: eventId, deliveries, duplicate };
  });
}

/** POST …/test: a `webhook.test` event for this webhook alone, also a draft, audited. It skips the line. */
export async function sendTestEvent(
  env: Env,
  site: SiteRef,
  webhook: WebhookRow,
  actor: Actor,
  now = Date.now(),
): Promise<{ event_id: string; delivery_id: string }> {
  const input: EventInput = {
    event_type: TEST_EVENT_TYPE,
    actor: null,
    target: { type: "webhook", id: webhook.id, title: webhook.name },
    detail: { message: `Test event sent by ${actor.name}` },
  };
  const event = eventRow(site, input, newId("evt"), 1, now);
  const delivery = deliveryRow(event, webhook, now);
  const db = databaseFor(env, site.id);
  // The delivery first, then its event (which counts it in `live`), as ingest writes them.
  await db.batch([
    ...insertDeliveriesStatements(db, [{ ...delivery, state: "pending", include_detail: 1 }]),
    ...insertEventsStatements(db, [event]),
    auditStatement(db, {
      siteId: site.id,
      actor,
      action: "webhook.test_sent",
      targetType: "webhook",
      targetId: webhook.id,
      changes: { event_id: event.id, delivery_id: delivery.id },
      at: now,
    }),
  ]);
  await deliveriesQueue(env).send({ delivery_id: delivery.id, webhook_id: webhook.id, site_id: site.id });
  return { event_id: event.id, delivery_id: delivery.id };
}

function eventRow(site: SiteRef, input: EventInput, eventId: string, deliveries: number, now: number): NewEventRow {
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
    live: deliveries, // inserted before it, in the same batch (acceptOnce, sendTestEvent)
    received_at: now,
  };
}

function deliveryRow(
  event: NewEventRow,
  hook: Pick<
    Subscriber,
    | "id"
    | "name"
    | "status"
    | "destinationHost"
    | "retryPolicy"
    | "retryOn"
    | "format"
    | "messageTemplate"
    | "includeDetail"
  >,
  now: number,
): NewDeliveryRow {
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
