// Operator actions on deliveries: retry now, replay as a new delivery, resolve, and bulk replay by filter.
// Role integrations-admin (or root).
import { createRoute, z } from "@hono/zod-openapi";
import { actorOf, newRouter } from "./router";
import { requireSite } from "./middleware/auth";
import { FilterQuery, bearer, filterFromQuery, json, problems, siteAndId, siteParam } from "./openapi-common";
import { deliveryStates } from "../domain/delivery-state";
import { iso } from "../domain/time";
import { replayOne, resolveOne, retryNow, type ActionResult } from "../delivery/actions";
import { countMatching, startBulkReplay } from "../delivery/bulk-replay";

export const deliveryActionsRouter = newRouter();

const errors = problems(401, 403, 404, 409);

const params = siteAndId.extend({ id: z.string().min(1).max(100).openapi({ example: "dlv_4k2m9x7c1q8r3t5v" }) });

const ActionResultSchema = z
  .object({
    id: z.string(),
    state: z.enum(deliveryStates),
    next_attempt_at: z.string().nullable(),
    replay_of: z.string().nullable(),
  })
  .openapi("DeliveryActionResult");

const view = (r: ActionResult) => ({ ...r, next_attempt_at: iso(r.next_attempt_at) });

deliveryActionsRouter.openapi(
  createRoute({
    method: "post",
    path: "/sites/{site}/deliveries/{id}/retry",
    operationId: "retryDelivery",
    tags: ["Deliveries"],
    summary: "Attempt a delivery now",
    description:
      "For a `retrying` delivery, skips the rest of its wait; for a `failed` one, makes one more attempt " +
      "(if it fails, it is `failed` again). The attempt goes out even while the webhook is paused. Held and" +
      " pending deliveries go out in order and cannot be jumped ahead (409).",
    security: bearer,
    request: { params },
    responses: { 202: json(ActionResultSchema, "Queued for an attempt now"), ...errors },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "manage");
    return c.json(view(await retryNow(c.env, site, id, actorOf(c.get("auth")))), 202);
  },
);

deliveryActionsRouter.openapi(
  createRoute({
    method: "post",
    path: "/sites/{site}/deliveries/{id}/replay",
    operationId: "replayDelivery",
    tags: ["Deliveries"],
    summary: "Re-send as a new delivery",
    description:
      "A new delivery with the original payload and event id (receivers deduplicate on it), `replay_of` " +
      "set, the webhook's current policy, at the end of the webhook's line. The original row is unchanged.",
    security: bearer,
    request: { params },
    responses: { 202: json(ActionResultSchema, "The new delivery"), ...errors },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "manage");
    return c.json(view(await replayOne(c.env, site, id, actorOf(c.get("auth")))), 202);
  },
);

deliveryActionsRouter.openapi(
  createRoute({
    method: "post",
    path: "/sites/{site}/deliveries/{id}/resolve",
    operationId: "resolveDelivery",
    tags: ["Deliveries"],
    summary: "Mark a failed delivery resolved",
    description:
      "`failed` → `resolved`. The webhook's alert clears once none of its deliveries is failed and unresolved.",
    security: bearer,
    request: { params },
    responses: { 200: json(ActionResultSchema, "Resolved"), ...errors },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "manage");
    return c.json(view(await resolveOne(c.env, site, id, actorOf(c.get("auth")))), 200);
  },
);

const BulkReplay = FilterQuery.extend({ dry_run: z.boolean().optional() })
  .strict()
  .openapi("BulkReplay", { example: { state: "failed", webhook_id: "wh_8f2k4m6p9r1t3v5x", dry_run: true } });

deliveryActionsRouter.openapi(
  createRoute({
    method: "post",
    path: "/sites/{site}/deliveries/replay",
    operationId: "bulkReplayDeliveries",
    tags: ["Deliveries"],
    summary: "Bulk replay by filter",
    description:
      "Replays every original delivery that matches now (state, event_type, webhook_id, from/to over the time " +
      "it was triggered), oldest first, each as a new delivery. Replays never match, so running it again does " +
      "not double the work. `dry_run` only counts. No cap: a job pages through the jobs queue. At most one runs " +
      "per site (409 names the running job).",
    security: bearer,
    request: { params: siteParam, body: { content: { "application/json": { schema: BulkReplay } }, required: true } },
    responses: {
      200: json(z.object({ count: z.number().int(), dry_run: z.literal(true) }), "Dry run: how many would be replayed"),
      202: json(
        z.object({
          count: z.number().int(),
          dry_run: z.literal(false),
          job_id: z
            .string()
            .nullable()
            .openapi({ description: "The bulk replay job (rpl_…); null when nothing matched" }),
        }),
        "Replay started",
      ),
      ...problems(400, 401, 403, 404, 409, 415, 422),
    },
  }),
  async (c) => {
    const { site } = c.req.valid("param");
    await requireSite(c, site, "manage");
    const { dry_run, ...q } = c.req.valid("json");
    const filter = filterFromQuery(q);
    if (dry_run)
      return c.json({ count: (await countMatching(c.env, site, filter)).count, dry_run: true as const }, 200);
    const { count, job_id } = await startBulkReplay(c.env, site, filter, actorOf(c.get("auth")));
    return c.json({ count, dry_run: false as const, job_id }, 202);
  },
);
