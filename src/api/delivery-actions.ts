// Operator actions on deliveries (contract §3, issue 4): retry now, replay as a new delivery, resolve, and
// bulk replay by filter. Role integrations-admin (or root).
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter } from "./router";
import { requireSite } from "./middleware/auth";
import { problems } from "./openapi-common";
import { ProblemError, notFound } from "./problem";
import { REPLAY_SOURCE_COLUMNS, replay, type ReplaySource } from "../delivery/replay";
import { countMatching, startBulkReplay } from "../delivery/bulk-replay";
import { deliveryStates as STATES } from "../db/schema";
import { iso } from "../domain/time";
import type { DeliveryFilter } from "../env";

export const deliveryActionsRouter = newRouter();

const errors = problems(401, 403, 404, 409);

const params = z.object({
  site: z.string().openapi({ example: "site_yoursite" }),
  id: z.string().openapi({ example: "dlv_4k2m9x7c1q8r3t5v" }),
});
const actionResult = z
  .object({
    id: z.string(),
    state: z.enum(STATES),
    next_attempt_at: z.string().nullable(),
    replay_of: z.string().nullable(),
  })
  .openapi("DeliveryActionResult");

async function findDelivery(db: D1Database, siteId: string, id: string) {
  const row = await db
    .prepare(`SELECT ${REPLAY_SOURCE_COLUMNS}, state FROM deliveries WHERE site_id = ? AND id = ?`)
    .bind(siteId, id)
    .first<ReplaySource & { state: string }>();
  if (!row) throw notFound("Delivery");
  return row;
}

const retryRoute = createRoute({
  method: "post",
  path: "/sites/{site}/deliveries/{id}/retry",
  tags: ["Deliveries"],
  summary: "Attempt a delivery now",
  description:
    "For a `retrying` delivery, skips the rest of its wait; for a `failed` one, makes one more attempt (if it fails, it is `failed` again). The attempt goes out even while the webhook is paused. Held and pending deliveries go out in order and cannot be jumped ahead (409).",
  security: [{ bearer: [] }],
  request: { params },
  responses: {
    202: { content: { "application/json": { schema: actionResult } }, description: "Queued for an attempt now" },
    ...errors,
  },
});

deliveryActionsRouter.openapi(retryRoute, async (c) => {
  const { site, id } = c.req.valid("param");
  await requireSite(c, site, "manage");
  const d = await findDelivery(c.env.DB, site, id);
  const now = Date.now();
  const changed = await c.env.DB.prepare(
    `UPDATE deliveries SET state = 'retrying', next_attempt_at = ?, updated_at = ?
     WHERE id = ? AND state IN ('retrying', 'failed') AND (lease_until IS NULL OR lease_until < ?)`,
  )
    .bind(now, now, id, now)
    .run();
  if (!changed.meta.changes) {
    throw new ProblemError(
      409,
      "Conflict",
      `A ${d.state} delivery cannot be retried now: only retrying and failed ones can`,
    );
  }
  await c.env.DELIVERIES.send({ delivery_id: id, webhook_id: d.webhook_id, manual: true });
  return c.json({ id, state: "retrying" as const, next_attempt_at: iso(now), replay_of: null }, 202);
});

const replayRoute = createRoute({
  method: "post",
  path: "/sites/{site}/deliveries/{id}/replay",
  tags: ["Deliveries"],
  summary: "Re-send as a new delivery",
  description:
    "A new delivery with the original payload and event id (receivers deduplicate on it), `replay_of` set, the webhook's current policy, at the end of the webhook's line. The original row is unchanged.",
  security: [{ bearer: [] }],
  request: { params },
  responses: {
    202: { content: { "application/json": { schema: actionResult } }, description: "The new delivery" },
    ...errors,
  },
});

deliveryActionsRouter.openapi(replayRoute, async (c) => {
  const { site, id } = c.req.valid("param");
  await requireSite(c, site, "manage");
  const d = await findDelivery(c.env.DB, site, id);
  const result = await replay(c.env, [d], { inPlace: false, resolveOriginals: false });
  const made = result.replayed[0];
  if (!made)
    throw new ProblemError(409, "Conflict", "The delivery's webhook was deleted: there is nothing to replay it to");
  const row = await c.env.DB.prepare("SELECT state, next_attempt_at FROM deliveries WHERE id = ?")
    .bind(made.delivery_id)
    .first<{ state: (typeof STATES)[number]; next_attempt_at: number | null }>();
  return c.json(
    { id: made.delivery_id, state: row!.state, next_attempt_at: iso(row!.next_attempt_at), replay_of: id },
    202,
  );
});

const resolveRoute = createRoute({
  method: "post",
  path: "/sites/{site}/deliveries/{id}/resolve",
  tags: ["Deliveries"],
  summary: "Mark a failed delivery resolved",
  description:
    "`failed` → `resolved`. The webhook's alert clears once none of its deliveries is failed and unresolved.",
  security: [{ bearer: [] }],
  request: { params },
  responses: { 200: { content: { "application/json": { schema: actionResult } }, description: "Resolved" }, ...errors },
});

deliveryActionsRouter.openapi(resolveRoute, async (c) => {
  const { site, id } = c.req.valid("param");
  await requireSite(c, site, "manage");
  const d = await findDelivery(c.env.DB, site, id);
  const now = Date.now();
  const [changed] = await c.env.DB.batch([
    c.env.DB.prepare("UPDATE deliveries SET state = 'resolved', updated_at = ? WHERE id = ? AND state = 'failed'").bind(
      now,
      id,
    ),
    c.env.DB.prepare(
      `UPDATE webhooks SET alert = NULL, updated_at = ?
       WHERE id = ? AND alert IS NOT NULL AND NOT EXISTS (SELECT 1 FROM deliveries WHERE webhook_id = ? AND state = 'failed')`,
    ).bind(now, d.webhook_id, d.webhook_id),
  ]);
  if (!changed!.meta.changes)
    throw new ProblemError(409, "Conflict", `A ${d.state} delivery cannot be resolved: only failed ones can`);
  return c.json({ id, state: "resolved" as const, next_attempt_at: null, replay_of: null }, 200);
});

const bulkBody = z
  .object({
    state: z.enum(STATES).optional(),
    event_type: z.string().min(1).max(100).optional(),
    webhook_id: z.string().min(1).max(100).optional(),
    from: z.string().datetime({ offset: true }).optional(),
    to: z.string().datetime({ offset: true }).optional(),
    dry_run: z.boolean().optional(),
  })
  .strict()
  .openapi("BulkReplay", { example: { state: "failed", webhook_id: "wh_8f2k4m6p9r1t3v5x", dry_run: true } });

const bulkRoute = createRoute({
  method: "post",
  path: "/sites/{site}/deliveries/replay",
  tags: ["Deliveries"],
  summary: "Bulk replay by filter",
  description:
    "Replays every delivery that matches now (state, event_type, webhook_id, from/to over the time it was triggered), oldest first, each as a new delivery. `dry_run` only counts. No cap: the work is paged through the queue.",
  security: [{ bearer: [] }],
  request: {
    params: params.pick({ site: true }),
    body: { content: { "application/json": { schema: bulkBody } }, required: true },
  },
  responses: {
    200: {
      content: { "application/json": { schema: z.object({ count: z.number().int(), dry_run: z.literal(true) }) } },
      description: "Dry run: how many would be replayed",
    },
    202: {
      content: { "application/json": { schema: z.object({ count: z.number().int(), dry_run: z.literal(false) }) } },
      description: "Replay started",
    },
    ...problems(400, 401, 403, 404, 415, 422),
  },
});

deliveryActionsRouter.openapi(bulkRoute, async (c) => {
  const { site } = c.req.valid("param");
  await requireSite(c, site, "manage");
  const body = c.req.valid("json");
  const filter: DeliveryFilter = {
    ...(body.state ? { state: body.state } : {}),
    ...(body.event_type ? { event_type: body.event_type } : {}),
    ...(body.webhook_id ? { webhook_id: body.webhook_id } : {}),
    ...(body.from ? { from: Date.parse(body.from) } : {}),
    ...(body.to ? { to: Date.parse(body.to) } : {}),
  };
  if (body.dry_run)
    return c.json({ count: (await countMatching(c.env.DB, site, filter)).count, dry_run: true as const }, 200);
  const { count } = await startBulkReplay(c.env, site, filter);
  return c.json({ count, dry_run: false as const }, 202);
});
