// A webhook's actions: pause, resume (optionally replaying its failed deliveries first), and the test event.
import { createRoute, type z } from "@hono/zod-openapi";
import { newRouter, actorOf } from "../router";
import { requireSite } from "../middleware/auth";
import { bearer, json, problems, siteAndId } from "../openapi-common";
import { getWebhook } from "../../webhooks/config";
import { pauseWebhook, resumeWebhook, testWebhook } from "../../webhooks/flow";
import { FlowResult, Resume, TestSent } from "./schemas";

export const flowRoutes = newRouter();

const errors = problems(401, 403, 404, 409, 415, 422);

flowRoutes.openapi(
  createRoute({
    method: "post",
    path: "/sites/{site}/webhooks/{id}/pause",
    operationId: "pauseWebhook",
    tags: ["Webhooks"],
    summary: "Pause a webhook",
    description:
      "Nothing new goes out; an attempt already under way finishes; every other delivery is held, never dropped.",
    security: bearer,
    request: { params: siteAndId },
    responses: { 200: json(FlowResult, "Paused"), ...errors },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "manage");
    return c.json(await pauseWebhook(c.env, await getWebhook(c.env, site, id), actorOf(c.get("auth"))), 200);
  },
);

flowRoutes.openapi(
  createRoute({
    method: "post",
    path: "/sites/{site}/webhooks/{id}/resume",
    operationId: "resumeWebhook",
    tags: ["Webhooks"],
    summary: "Resume a paused or disabled webhook",
    description:
      "Clears the alert and releases held deliveries in order. With `replay_failed: true`, failed " +
      "deliveries of this webhook are first re-sent as new deliveries, oldest first, ahead of the held " +
      "ones; the failed originals become `resolved`.",
    security: bearer,
    request: { params: siteAndId, body: { content: { "application/json": { schema: Resume } }, required: false } },
    responses: { 200: json(FlowResult, "Resumed"), ...errors },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "manage");
    const row = await getWebhook(c.env, site, id);
    const replayFailed = (c.req.valid("json") as z.infer<typeof Resume> | undefined)?.replay_failed === true;
    return c.json(await resumeWebhook(c.env, row, replayFailed, actorOf(c.get("auth"))), 200);
  },
);

flowRoutes.openapi(
  createRoute({
    method: "post",
    path: "/sites/{site}/webhooks/{id}/test",
    operationId: "sendWebhookTest",
    tags: ["Webhooks"],
    summary: "Send a webhook.test event to this webhook alone",
    description: "Works for drafts too. The delivery skips the webhook's line and appears in the log like any other.",
    security: bearer,
    request: { params: siteAndId },
    responses: { 202: json(TestSent, "Queued"), ...problems(401, 403, 404) },
  }),
  async (c) => {
    const { site: siteId, id } = c.req.valid("param");
    const site = await requireSite(c, siteId, "manage");
    const row = await getWebhook(c.env, siteId, id);
    return c.json(await testWebhook(c.env, site, row, actorOf(c.get("auth"))), 202);
  },
);
