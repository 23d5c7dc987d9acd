// What a webhook listens to and how it delivers: subscriptions, and the delivery policy.
import { createRoute } from "@hono/zod-openapi";
import { newRouter, actorOf } from "../router";
import { requireSite } from "../middleware/auth";
import { bearer, json, problems, siteAndId } from "../openapi-common";
import { getWebhook, setDeliveryPolicy, setEvents } from "../../webhooks/config";
import { webhookView } from "../../webhooks/view";
import { PutDelivery, PutEvents, WebhookSchema } from "./schemas";

export const policyRoutes = newRouter();

policyRoutes.openapi(
  createRoute({
    method: "put",
    path: "/sites/{site}/webhooks/{id}/events",
    operationId: "setWebhookEvents",
    tags: ["Webhooks"],
    summary: "Set the subscribed event types",
    description:
      "Types of the catalog or the site's own (GET /v1/sites/{site}/event-types). A draft with at least one event " +
      "becomes `active`. `include_detail` adds the event's `detail` to the body.",
    security: bearer,
    request: { params: siteAndId, body: { content: { "application/json": { schema: PutEvents } }, required: true } },
    responses: { 200: json(WebhookSchema, "Updated"), ...problems(400, 401, 403, 404, 415, 422) },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "manage");
    const body = c.req.valid("json");
    const row = await getWebhook(c.env, site, id);
    const next = await setEvents(c.env, row, body.events, body.include_detail, actorOf(c.get("auth")));
    return c.json(webhookView(next, "full"), 200);
  },
);

policyRoutes.openapi(
  createRoute({
    method: "put",
    path: "/sites/{site}/webhooks/{id}/delivery",
    operationId: "setWebhookDeliveryPolicy",
    tags: ["Webhooks"],
    summary: "Set the delivery policy",
    description:
      "timeout_ms 1000…30000; retry_policy a preset or 1–10 custom delays; retry_on any|server_errors; " +
      "failure_mode continue|pause; rate_limit_per_s 0.1…1000 or null; auto_pause {failure_rate, min_attempts, " +
      "window_s} or null. A delivery keeps the retry policy and retry_on it started with; the failure mode, rate " +
      "limit and auto-pause rule apply to the webhook's line at once.",
    security: bearer,
    request: { params: siteAndId, body: { content: { "application/json": { schema: PutDelivery } }, required: true } },
    responses: { 200: json(WebhookSchema, "Updated"), ...problems(400, 401, 403, 404, 415, 422) },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "manage");
    const row = await getWebhook(c.env, site, id);
    const next = await setDeliveryPolicy(c.env, row, c.req.valid("json"), actorOf(c.get("auth")));
    return c.json(webhookView(next, "full"), 200);
  },
);
