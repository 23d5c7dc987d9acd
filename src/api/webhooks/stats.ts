// A webhook's health signals over 24 h or 7 d.
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter } from "../router";
import { requireSite } from "../middleware/auth";
import { bearer, json, problems, siteAndId } from "../openapi-common";
import { webhookStats } from "../../logs/delivery-log";
import { WebhookStats } from "./schemas";

export const statsRoutes = newRouter();

statsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}/webhooks/{id}/stats",
    operationId: "getWebhookStats",
    tags: ["Webhooks"],
    summary: "Health signals of a webhook",
    description:
      "Over the window: counts by state, success rate (delivered / (delivered + failed)), p50/p95 latency " +
      "of delivered ones, and deliveries per hour (the steady-cadence signal to watch).",
    security: bearer,
    request: { params: siteAndId, query: z.object({ window: z.enum(["24h", "7d"]).optional() }) },
    responses: { 200: json(WebhookStats, "Stats"), ...problems(401, 403, 404, 422) },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "read");
    return c.json(await webhookStats(c.env, site, id, c.req.valid("query").window ?? "24h"), 200);
  },
);
