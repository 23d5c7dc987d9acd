// Pausing and resuming a webhook's flow (contract §3–4). Pause: nothing new goes out (an attempt already
// under way finishes) and the rest is held. Resume: clears the alert and releases the held deliveries in
// order; with replay_failed, the failed ones are first re-sent, oldest first, in their original places.
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter, actorName } from "./router";
import { requireSite } from "./middleware/auth";
import { problems } from "./openapi-common";
import { ProblemError, notFound } from "./problem";
import { REPLAY_SOURCE_COLUMNS, replay, type ReplaySource } from "../delivery/replay";
import { webhookConfigChanged } from "../sequencer/client";

export const webhookFlowRouter = newRouter();

const errors = problems(401, 403, 404, 409, 415, 422);

const params = z.object({
  site: z.string().openapi({ example: "site_yoursite" }),
  id: z.string().openapi({ example: "wh_8f2k4m6p9r1t3v5x" }),
});
const flowResult = z
  .object({
    id: z.string(),
    status: z.enum(["draft", "active", "paused", "disabled"]),
    held: z.number().int().openapi({ description: "Deliveries waiting in the webhook's line" }),
    replayed: z.number().int().openapi({ description: "Failed deliveries re-sent by this resume" }),
  })
  .openapi("WebhookFlow");

/** Failed deliveries are re-sent a page at a time, so a long outage never loads them all at once. */
const REPLAY_PAGE = 200;

async function findWebhook(db: D1Database, siteId: string, id: string) {
  const row = await db
    .prepare("SELECT id, status FROM webhooks WHERE site_id = ? AND id = ? AND deleted_at IS NULL")
    .bind(siteId, id)
    .first<{ id: string; status: "draft" | "active" | "paused" | "disabled" }>();
  if (!row) throw notFound("Webhook");
  if (row.status === "draft")
    throw new ProblemError(409, "Conflict", "A draft webhook has no flow: subscribe it to events first");
  return row;
}

function audit(
  db: D1Database,
  siteId: string,
  actor: string,
  action: string,
  webhookId: string,
  changes: unknown,
  now: number,
) {
  return db
    .prepare(
      "INSERT INTO audit_log (site_id, actor, action, target_type, target_id, changes, created_at) VALUES (?, ?, ?, 'webhook', ?, ?, ?)",
    )
    .bind(siteId, actor, action, webhookId, JSON.stringify(changes), now);
}

async function heldCount(db: D1Database, webhookId: string) {
  const row = await db
    .prepare("SELECT COUNT(*) AS n FROM deliveries WHERE webhook_id = ? AND state = 'held'")
    .bind(webhookId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

const pauseRoute = createRoute({
  method: "post",
  path: "/sites/{site}/webhooks/{id}/pause",
  tags: ["Webhooks"],
  summary: "Pause a webhook",
  description:
    "Nothing new goes out; an attempt already under way finishes; every other delivery is held, never dropped.",
  security: [{ bearer: [] }],
  request: { params },
  responses: { 200: { content: { "application/json": { schema: flowResult } }, description: "Paused" }, ...errors },
});

webhookFlowRouter.openapi(pauseRoute, async (c) => {
  const { site, id } = c.req.valid("param");
  await requireSite(c, site, "manage");
  const hook = await findWebhook(c.env.DB, site, id);
  const now = Date.now();
  if (hook.status === "active") {
    await c.env.DB.batch([
      c.env.DB.prepare("UPDATE webhooks SET status = 'paused', updated_at = ? WHERE id = ? AND status = 'active'").bind(
        now,
        id,
      ),
      audit(c.env.DB, site, actorName(c.get("auth")), "webhook.paused", id, { status: ["active", "paused"] }, now),
    ]);
    await webhookConfigChanged(c.env, id);
  }
  const status = hook.status === "active" ? "paused" : hook.status;
  return c.json({ id, status, held: await heldCount(c.env.DB, id), replayed: 0 }, 200);
});

const resumeRoute = createRoute({
  method: "post",
  path: "/sites/{site}/webhooks/{id}/resume",
  tags: ["Webhooks"],
  summary: "Resume a paused or disabled webhook",
  description:
    "Clears the alert and releases held deliveries in order. With `replay_failed: true`, failed deliveries of this webhook are first re-sent as new deliveries, oldest first, ahead of the held ones; the failed originals become `resolved`.",
  security: [{ bearer: [] }],
  request: {
    params,
    body: {
      content: {
        "application/json": {
          schema: z
            .object({ replay_failed: z.boolean().optional() })
            .strict()
            .openapi("Resume", { example: { replay_failed: true } }),
        },
      },
      required: false,
    },
  },
  responses: { 200: { content: { "application/json": { schema: flowResult } }, description: "Resumed" }, ...errors },
});

webhookFlowRouter.openapi(resumeRoute, async (c) => {
  const { site, id } = c.req.valid("param");
  await requireSite(c, site, "manage");
  await findWebhook(c.env.DB, site, id);
  const replayFailed = (c.req.valid("json") as { replay_failed?: boolean } | undefined)?.replay_failed === true;
  const now = Date.now();
  let replayed = 0;
  if (replayFailed) {
    // In place: each re-send takes its original's position, so together they go out before anything held.
    for (let after = 0; ;) {
      const { results } = await c.env.DB.prepare(
        `SELECT ${REPLAY_SOURCE_COLUMNS} FROM deliveries WHERE webhook_id = ? AND state = 'failed' AND seq > ? ORDER BY seq LIMIT ?`,
      )
        .bind(id, after, REPLAY_PAGE)
        .all<ReplaySource>();
      if (!results.length) break;
      replayed += (await replay(c.env, results, { inPlace: true, resolveOriginals: true }, now)).replayed.length;
      after = results[results.length - 1]!.seq;
    }
  }
  await c.env.DB.batch([
    c.env.DB.prepare(
      "UPDATE webhooks SET status = 'active', alert = NULL, updated_at = ? WHERE id = ? AND status IN ('active', 'paused', 'disabled')",
    ).bind(now, id),
    audit(
      c.env.DB,
      site,
      actorName(c.get("auth")),
      "webhook.resumed",
      id,
      { status: "active", replay_failed: replayFailed, replayed },
      now,
    ),
  ]);
  await webhookConfigChanged(c.env, id);
  return c.json({ id, status: "active" as const, held: await heldCount(c.env.DB, id), replayed }, 200);
});
