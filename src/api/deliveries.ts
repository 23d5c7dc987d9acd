// The delivery log (contract §3, issue 5): filtered list, one delivery with every attempt, and a webhook's
// health signals. Viewers and integrations-admin keys read it.
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter } from "./router";
import { requireSite } from "./middleware/auth";
import { ProblemError, notFound } from "./problem";
import { bearer, decodeCursor, encodeCursor, problems, siteAndId, siteParam } from "./openapi-common";
import { deliveryStates } from "../db/schema";
import {
  attemptsOf,
  listDeliveries,
  oneDelivery,
  run,
  statsCounts,
  statsHourly,
  statsLatencies,
} from "../db/delivery-queries";
import { attemptView, deliveryView, type AttemptRecord, type DeliveryRow } from "../logs/delivery-view";
import { summarize } from "../logs/stats";
import type { DeliveryFilter } from "../env";

export const deliveriesRouter = newRouter();

export const DeliverySchema = z
  .object({
    id: z.string(),
    webhook_id: z.string(),
    webhook_name: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    destination_host: z.string(),
    state: z.enum(deliveryStates),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable(),
    response_status: z.number().int().nullable(),
    latency_ms: z.number().int().nullable(),
    last_error: z.string().nullable().openapi({
      description:
        "Why the last attempt failed: timeout, dns, connection, tls, http_status, redirect, blocked, gone, webhook_deleted",
    }),
    created_at: z.string(),
    delivered_at: z.string().nullable(),
    replay_of: z.string().nullable(),
    actor_email: z.string().nullable(),
  })
  .openapi("Delivery");

const AttemptSchema = z
  .object({
    n: z.number().int(),
    started_at: z.string(),
    request: z.object({ url: z.string(), headers: z.record(z.string(), z.string()), body: z.string().nullable() }),
    response: z.object({ status: z.number().int(), body: z.string().nullable(), truncated: z.boolean() }).nullable(),
    error: z.string().nullable(),
    error_message: z.string().nullable(),
    timing: z.object({
      prepared_ms: z.number().int(),
      sent_at: z.string(),
      response_at: z.string().nullable(),
      total_ms: z.number().int(),
    }),
  })
  .openapi("Attempt");

const rfc3339 = z.string().datetime({ offset: true, message: "must be an RFC 3339 date-time" });

/** The filter every log call shares: state, event_type, webhook_id, and from/to over when it was triggered. */
export const FilterQuery = z.object({
  state: z.enum(deliveryStates).optional(),
  event_type: z.string().min(1).max(100).optional(),
  webhook_id: z.string().min(1).max(100).optional(),
  from: rfc3339.optional().openapi({ example: "2026-05-22T00:00:00Z" }),
  to: rfc3339.optional(),
});

export function toFilter(q: z.infer<typeof FilterQuery>): DeliveryFilter {
  const from = q.from ? Date.parse(q.from) : undefined;
  const to = q.to ? Date.parse(q.to) : undefined;
  if (from !== undefined && to !== undefined && from >= to)
    throw new ProblemError(422, "Validation failed", "from must be before to", [
      { path: "from", message: "must be before to" },
    ]);
  return {
    ...(q.state && { state: q.state }),
    ...(q.event_type && { event_type: q.event_type }),
    ...(q.webhook_id && { webhook_id: q.webhook_id }),
    ...(from !== undefined && { from }),
    ...(to !== undefined && { to }),
  };
}

const ListQuery = FilterQuery.extend({
  limit: z.coerce.number().int().min(1).max(200).optional().openapi({ example: 50 }),
  cursor: z.string().max(200).optional(),
});

deliveriesRouter.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}/deliveries",
    tags: ["Deliveries"],
    summary: "The delivery log",
    description:
      "Newest first. Filters combine. `next_cursor` pages back in time and stays stable while new deliveries arrive. `limit` ≤ 200.",
    security: bearer,
    request: { params: siteParam, query: ListQuery },
    responses: {
      200: {
        content: {
          "application/json": {
            schema: z.object({ data: z.array(DeliverySchema), next_cursor: z.string().nullable() }),
          },
        },
        description: "One page",
      },
      ...problems(401, 403, 404, 422),
    },
  }),
  async (c) => {
    const { site } = c.req.valid("param");
    await requireSite(c, site, "read");
    const q = c.req.valid("query");
    const limit = q.limit ?? 50;
    const cursor = decodeCursor(q.cursor);
    if (q.cursor && (!cursor || typeof cursor[0] !== "number"))
      throw new ProblemError(422, "Validation failed", "cursor is not one we gave out", [
        { path: "query.cursor", message: "unknown cursor" },
      ]);
    const { results } = await run(
      c.env.DB,
      listDeliveries(site, toFilter(q), cursor ? Number(cursor[0]) : null, limit + 1),
    ).all<DeliveryRow>();
    const page = results.slice(0, limit);
    return c.json(
      {
        data: page.map(deliveryView),
        next_cursor: results.length > limit ? encodeCursor([page[page.length - 1]!.seq]) : null,
      },
      200,
    );
  },
);

deliveriesRouter.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}/deliveries/{id}",
    tags: ["Deliveries"],
    summary: "One delivery with every attempt",
    description:
      "Each attempt: the request (signatures shown, custom header values masked, the body sent), the response (body kept up to 16 KiB, `truncated` beyond), the error class and the timing.",
    security: bearer,
    request: { params: siteAndId },
    responses: {
      200: {
        content: {
          "application/json": {
            schema: DeliverySchema.extend({ attempts_detail: z.array(AttemptSchema) }).openapi("DeliveryDetail"),
          },
        },
        description: "The delivery",
      },
      ...problems(401, 403, 404),
    },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "read");
    const d = await run(c.env.DB, oneDelivery(site, id)).first<DeliveryRow>();
    if (!d) throw notFound("Delivery");
    const [attempts, event] = await c.env.DB.batch([
      run(c.env.DB, attemptsOf(id)),
      c.env.DB.prepare("SELECT body, detail FROM events WHERE site_id = ? AND id = ?").bind(site, d.event_id),
    ]);
    const ev = (event!.results[0] as { body: string; detail: string | null } | undefined) ?? null;
    return c.json(
      {
        ...deliveryView(d),
        attempts_detail: (attempts!.results as unknown as AttemptRecord[]).map((a) =>
          attemptView(a, ev, d.include_detail === 1),
        ),
      },
      200,
    );
  },
);

const WINDOWS = { "24h": 24 * 3600_000, "7d": 7 * 24 * 3600_000 } as const;

deliveriesRouter.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}/webhooks/{id}/stats",
    tags: ["Webhooks"],
    summary: "Health signals of a webhook",
    description:
      "Over the window: counts by state, success rate (delivered / (delivered + failed)), p50/p95 latency of delivered ones, and deliveries per hour (the steady-cadence signal to watch).",
    security: bearer,
    request: { params: siteAndId, query: z.object({ window: z.enum(["24h", "7d"]).optional() }) },
    responses: {
      200: {
        content: {
          "application/json": {
            schema: z
              .object({
                window: z.string(),
                counts: z.record(z.string(), z.number().int()),
                success_rate: z.number().nullable(),
                latency_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
                per_hour: z.array(z.object({ hour: z.string(), deliveries: z.number().int() })),
              })
              .openapi("WebhookStats"),
          },
        },
        description: "Stats",
      },
      ...problems(401, 403, 404, 422),
    },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "read");
    const hook = await c.env.DB.prepare("SELECT id FROM webhooks WHERE site_id = ? AND id = ?").bind(site, id).first();
    if (!hook) throw notFound("Webhook");
    const window = c.req.valid("query").window ?? "24h";
    const now = Date.now();
    const since = now - WINDOWS[window];
    const [counts, latencies, hourly] = await c.env.DB.batch([
      run(c.env.DB, statsCounts(site, id, since)),
      run(c.env.DB, statsLatencies(site, id, since)),
      run(c.env.DB, statsHourly(site, id, since)),
    ]);
    return c.json(
      {
        window,
        ...summarize(
          counts!.results as { state: string; n: number }[],
          (latencies!.results as { latency_ms: number }[]).map((r) => r.latency_ms),
          hourly!.results as { hour: number; n: number }[],
          since,
          now,
        ),
      },
      200,
    );
  },
);
