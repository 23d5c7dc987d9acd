// Accepting events: record the event and one delivery per subscribed webhook in D1 (atomically, before the
// producer hears 202), then hand each webhook's new deliveries to its sequencer in one call.
import type { Env } from "../env";
import { envelopeBody, targetKey } from "../domain/envelope";
import type { EventInput } from "../domain/event-input";
import { isOperationalEventType, TEST_EVENT_TYPE } from "../domain/catalog";
import { isSiteEventType } from "../domain/custom-event-types";
import { InvalidInput } from "../domain/problems";
import type { Actor } from "../domain/actor";
import { newId } from "../domain/ids";
import { isoSeconds } from "../domain/time";
import { rowsOf } from "../db/sql";
import { siteRefStatement, type SiteRef } from "../db/sites";
import { parseSubscribers, subscribersStatement, type Subscriber, type WebhookRow } from "../db/webhooks";
import { insertEventsStatements, knownEventsStatements, parseKnownEvents, type NewEventRow } from "../db/events";
import { insertDeliveriesStatements, newDeliveryRow, seqsOf, type NewDeliveryRow } from "../db/deliveries";
import { customTypesStatement, parseCustomTypes } from "../db/event-types";
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
  opts: { batch?: boolean; now?: number; operational?: OperationalIngest } = {},
): Promise<AcceptedEvent[]> {
  const now = opts.now ?? Date.now();
  const ids = inputs.map((e) => e.event_id ?? newId("evt"));
  const options = { batch: opts.batch ?? false, operational: opts.operational ?? null };
  try {
    return await acceptOnce(env, siteId, inputs, ids, now, options);
  } catch (err) {
    // A concurrent request recorded one of these event ids between our check and our insert: the batch
    // rolled back as a whole, so the second pass sees it as a duplicate.
    if (!String(err).includes("UNIQUE constraint failed")) throw err;
    return acceptOnce(env, siteId, inputs, ids, now, options);
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
  { batch, operational }: IngestOptions,
) {
  const { site, known, subscribers, customTypes } = await loadIngestContext(env.DB, siteId, ids);
  const problems = inputs.map((e) => (operational ? null : typeProblem(e.event_type, customTypes, siteId)));
  if (problems.some((p) => p !== null)) {
    throw new InvalidInput(
      problems.flatMap((message, i) =>
        message === null ? [] : [{ path: batch ? `events.${i}.event_type` : "event_type", message }],
      ),
    );
  }
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
    const hooks = subscribers.filter(
      (h) => (JSON.parse(h.events) as string[]).includes(input.event_type) && h.id !== operational?.aboutWebhookId,
    );
    const event = eventRow(site, input, eventId, hooks.length, now);
    eventRows.push(event);
    for (const hook of hooks) deliveryRows.push(deliveryRow(event, hook, now));
    known.set(eventId, hooks.length);
    results.push({ event_id: eventId, deliveries: hooks.length, duplicate: false });
  });
  if (eventRows.length) {
    const done = await env.DB.batch([
      ...insertEventsStatements(env.DB, eventRows),
      ...insertDeliveriesStatements(env.DB, deliveryRows),
      ...(operational?.then ?? []),
    ]);
    await handToSequencers(env, deliveryRows, seqsOf(done));
  } else if (operational?.then.length) await env.DB.batch(operational.then);
  return results;
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
  await env.DB.batch([
    ...insertEventsStatements(env.DB, [event]),
    ...insertDeliveriesStatements(env.DB, [{ ...delivery, state: "pending", include_detail: 1 }]),
    auditStatement(env.DB, {
      siteId: site.id,
      actor,
      action: "webhook.test_sent",
      targetType: "webhook",
      targetId: webhook.id,
      changes: { event_id: event.id, delivery_id: delivery.id },
      at: now,
    }),
  ]);
  await deliveriesQueue(env).send({ delivery_id: delivery.id, webhook_id: webhook.id });
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

/** The site, its own event types, its subscribers and which of these event ids it already has: one round trip. */
async function loadIngestContext(d1: D1Database, siteId: string, ids: string[]) {
  const results = await d1.batch([
    siteRefStatement(d1, siteId),
    subscribersStatement(d1, siteId),
    customTypesStatement(d1, siteId),
    ...knownEventsStatements(d1, siteId, ids),
  ]);
  const site = rowsOf<SiteRef>(results[0])[0];
  if (!site) throw new UnknownSite(siteId);
  return {
    site,
    known: parseKnownEvents(results.slice(3)),
    subscribers: parseSubscribers(results[1]),
    customTypes: new Set(parseCustomTypes(results[2]).map((t) => t.type)),
  };
}
