// A webhook's signing secret: set, replace, or generate one; the value is shown once.
import { createRoute, type z } from "@hono/zod-openapi";
import { newRouter, actorOf } from "../router";
import { requireSite } from "../middleware/auth";
import { bearer, json, problems, siteAndId } from "../openapi-common";
import { getWebhook, setSecret } from "../../webhooks/config";
import { iso } from "../../domain/time";
import { SecretResult, SetSecret } from "./schemas";

export const secretRoutes = newRouter();

secretRoutes.openapi(
  createRoute({
    method: "post",
    path: "/sites/{site}/webhooks/{id}/secret",
    operationId: "setWebhookSecret",
    tags: ["Webhooks"],
    summary: "Set, replace or generate the signing secret",
    description:
      "Without `secret`, generates `whsec_` + base64 of 32 random bytes. The value is shown once, in this " +
      "response. With `overlap_seconds` (up to 7 days) the previous secret stays valid until then: every " +
      "request carries one `v1=` per valid secret, newest first.",
    security: bearer,
    request: { params: siteAndId, body: { content: { "application/json": { schema: SetSecret } }, required: false } },
    responses: { 200: json(SecretResult, "The new secret, shown once"), ...problems(400, 401, 403, 404, 415, 422) },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "manage");
    const body = (c.req.valid("json") as z.infer<typeof SetSecret> | undefined) ?? {};
    const row = await getWebhook(c.env, site, id);
    const made = await setSecret(c.env, row, body, actorOf(c.get("auth")));
    return c.json(
      { secret: made.secret, rotated_at: iso(made.rotatedAt)!, previous_expires_at: iso(made.previousExpiresAt) },
      200,
    );
  },
);
