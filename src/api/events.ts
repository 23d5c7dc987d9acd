// Ingest: POST /v1/sites/{site}/events and …/events/batch, with role ingest.
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter } from "./router";
import { requireAccess } from "./middleware/auth";
import { tooLarge } from "./middleware/body";
import { bearer, named, problems } from "./openapi-common";
import { ProblemError } from "./problem";
import { NotFound } from "../domain/problems";
import { acceptEvents, UnknownSite } from "../delivery/ingest";
import {
  EVENT_INPUT_EXAMPLE,
  eventInputSchema,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_EVENT_BYTES,
} from "../domain/event-input";

export const eventsRouter = newRouter();

const errors = problems(400, 401, 403, 404, 413, 415, 422);

async function accept(...args: Parameters<typeof acceptEvents>) {
  try {
    return await acceptEvents(...args);
  } catch (err) {
    if (err instanceof UnknownSite) throw new NotFound("Site");
    throw err;
  }
}

const accepted = z
  .object({ event_id: z.string(), deliveries: z.number().int(), duplicate: z.boolean() })
  .openapi("EventAccepted", { example: { event_id: "evt_2026_05_22_a4b1c9d2", deliveries: 2, duplicate: false } });

const siteParam = z.object({ site: z.string().openapi({ example: "site_yoursite" }) });

const EventInput = named(eventInputSchema, "EventInput", { example: EVENT_INPUT_EXAMPLE });
const EventBatch = z
  .object({ events: z.array(EventInput).min(1).max(MAX_BATCH_EVENTS) })
  .strict()
  .openapi("EventBatch");

const ingestOne = createRoute({
  method: "post",
  path: "/sites/{site}/events",
  operationId: "sendEvent",
  tags: ["Events"],
  summary: "Send an event",
  description:
    "Records the event and its deliveries durably before answering. The same event_id again is a " +
    "duplicate: 200, nothing new is sent.",
  security: bearer,
  middleware: [tooLarge(MAX_EVENT_BYTES)] as const,
  request: {
    params: siteParam,
    body: { content: { "application/json": { schema: EventInput } }, required: true },
  },
  responses: {
    202: { content: { "application/json": { schema: accepted } }, description: "Accepted" },
    200: { content: { "application/json": { schema: accepted } }, description: "Duplicate event_id: nothing new sent" },
    ...errors,
  },
});

eventsRouter.openapi(ingestOne, async (c) => {
  const { site } = c.req.valid("param");
  requireAccess(c, site, "ingest");
  const [result] = await accept(c.env, site, [c.req.valid("json")], { context: c.get("ingestContext") });
  return c.json(result!, result!.duplicate ? 200 : 202);
});

const ingestBatch = createRoute({
  method: "post",
  path: "/sites/{site}/events/batch",
  operationId: "sendEventBatch",
  tags: ["Events"],
  summary: "Send up to 100 events",
  description:
    `One result per item, in order. Each event at most ${MAX_EVENT_BYTES / 1024} KiB, ` +
    `the whole body at most ${MAX_BATCH_BYTES / 1024} KiB. ` +
    "An invalid item rejects the whole batch (422 naming events.N.field) and nothing is stored.",
  security: bearer,
  middleware: [tooLarge(MAX_BATCH_BYTES)] as const,
  request: {
    params: siteParam,
    body: { content: { "application/json": { schema: EventBatch } }, required: true },
  },
  responses: {
    202: {
      content: {
        "application/json": { schema: z.object({ results: z.array(accepted) }).openapi("EventBatchAccepted") },
      },
      description: "Accepted (duplicates flagged per item)",
    },
    ...errors,
  },
});

eventsRouter.openapi(ingestBatch, async (c) => {
  const { site } = c.req.valid("param");
  requireAccess(c, site, "ingest");
  const { events } = c.req.valid("json");
  const oversized = events.findIndex((e) => new TextEncoder().encode(JSON.stringify(e)).byteLength > MAX_EVENT_BYTES);
  if (oversized >= 0) {
    throw new ProblemError(413, "Payload too large", `Event ${oversized} exceeds ${MAX_EVENT_BYTES / 1024} KiB`, [
      { path: `events.${oversized}`, message: `larger than ${MAX_EVENT_BYTES / 1024} KiB` },
    ]);
  }
  const context = c.get("ingestContext");
  return c.json({ results: await accept(c.env, site, events, { batch: true, context }) }, 202);
});
