// A webhook's lifecycle: create (a draft), the index, read, change, delete.
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter, actorOf } from "../router";
import { audienceOf, requireSite } from "../middleware/auth";
import { bearer, cursorQuery, json, listOf, problems, siteAndId, siteParam } from "../openapi-common";
import { createWebhook, deleteWebhook, getWebhook, listWebhookPage, updateWebhook } from "../../webhooks/config";
import { webhookView } from "../../webhooks/view";
import { CreateWebhook, UpdateWebhook, WebhookSchema } from "./schemas";

export const crudRoutes = newRouter();

crudRoutes.openapi(
  createRoute({
    method: "post",
    path: "/sites/{site}/webhooks",
    operationId: "createWebhook",
    tags: ["Webhooks"],
    summary: "Create a webhook (a draft, subscribed to nothing)",
    description:
      "`format` (sgen by default) decides the body and signature its deliveries get; a webhook created with " +
      "`pagegun` starts with PageGun's delivery guarantees, one created with `slack`, `discord` or `teams` with " +
      "the platform's rate limit and retry_on server_errors (see the format field). `message_template` sets a " +
      "chat format's main text. A site has at most `WEBHOOKS_PER_SITE` webhooks (100 unless the deployment says " +
      "otherwise): one more is a 409 (Quota exceeded).",
    security: bearer,
    request: {
      params: siteParam,
      body: { content: { "application/json": { schema: CreateWebhook } }, required: true },
    },
    responses: { 201: json(WebhookSchema, "Created"), ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
  }),
  async (c) => {
    const { site } = c.req.valid("param");
    await requireSite(c, site, "manage");
    const row = await createWebhook(c.env, site, c.req.valid("json"), actorOf(c.get("auth")));
    return c.json(webhookView(row, "full"), 201);
  },
);

const ListQuery = cursorQuery.extend({ sort: z.enum(["created_at", "last_delivery_at"]).optional() });

crudRoutes.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}/webhooks",
    operationId: "listWebhooks",
    tags: ["Webhooks"],
    summary: "The webhook index",
    description:
      "Newest first, or `sort=last_delivery_at` for the most recently delivering first (never-delivered last).",
    security: bearer,
    request: { params: siteParam, query: ListQuery },
    responses: {
      200: json(listOf(WebhookSchema), "One page"),
      ...problems(401, 403, 404, 422),
    },
  }),
  async (c) => {
    const { site } = c.req.valid("param");
    await requireSite(c, site, "read");
    const { limit = 50, cursor, sort = "created_at" } = c.req.valid("query");
    const { page, nextCursor } = await listWebhookPage(c.env, site, sort, cursor, limit);
    return c.json(
      { data: page.map((w) => webhookView(w, audienceOf(c.get("auth"), site))), next_cursor: nextCursor },
      200,
    );
  },
);

crudRoutes.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}/webhooks/{id}",
    operationId: "getWebhook",
    tags: ["Webhooks"],
    summary: "One webhook",
    security: bearer,
    request: { params: siteAndId },
    responses: { 200: json(WebhookSchema, "The webhook"), ...problems(401, 403, 404) },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "read");
    return c.json(webhookView(await getWebhook(c.env, site, id), audienceOf(c.get("auth"), site)), 200);
  },
);

crudRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/sites/{site}/webhooks/{id}",
    operationId: "updateWebhook",
    tags: ["Webhooks"],
    summary: "Change name, description, url, headers, format or message_template",
    description:
      "A changed URL applies from the next attempt, also for deliveries already retrying. `headers` " +
      "replaces the whole set (`{}` clears it). A changed `format` or `message_template` applies to deliveries " +
      "made from now on (a delivery keeps the ones it started with); a new format changes no other field.",
    security: bearer,
    request: {
      params: siteAndId,
      body: { content: { "application/json": { schema: UpdateWebhook } }, required: true },
    },
    responses: { 200: json(WebhookSchema, "Updated"), ...problems(400, 401, 403, 404, 413, 415, 422) },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "manage");
    const row = await getWebhook(c.env, site, id);
    const next = await updateWebhook(c.env, row, c.req.valid("json"), actorOf(c.get("auth")));
    return c.json(webhookView(next, "full"), 200);
  },
);

crudRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/sites/{site}/webhooks/{id}",
    operationId: "deleteWebhook",
    tags: ["Webhooks"],
    summary: "Delete a webhook (its delivery log stays readable)",
    description: "Deliveries still waiting for it end `failed` (webhook_deleted); none is silently dropped.",
    security: bearer,
    request: { params: siteAndId },
    responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "manage");
    await deleteWebhook(c.env, await getWebhook(c.env, site, id), actorOf(c.get("auth")));
    return c.body(null, 204);
  },
);
