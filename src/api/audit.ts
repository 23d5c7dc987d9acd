// GET /v1/sites/{site}/audit-log: who changed what, when; newest first, cursor-paged.
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter } from "./router";
import { audienceOf, requireSite } from "./middleware/auth";
import { bearer, cursorQuery, json, listOf, problems, siteParam } from "./openapi-common";
import { auditPage } from "../logs/audit";

export const auditRouter = newRouter();

const AuditEntrySchema = z
  .object({
    id: z.number().int(),
    actor: z
      .object({
        kind: z.enum(["root", "key", "system", "unknown"]).openapi({
          description:
            "root (the root token), key (a site key), system (Edgehooks itself). unknown only for entries written " +
            "before actors were recorded by kind, whose name matched no single key",
        }),
        id: z
          .string()
          .nullable()
          .openapi({ description: "root, system, or the key's id (key_…); null only when kind is unknown" }),
        name: z.string().openapi({ description: "For people: the key's name at the time, root, or system" }),
      })
      .openapi("AuditActor", { description: "Who did it. kind and id are what the token was; a name proves nothing" }),
    action: z.string(),
    target_type: z.string(),
    target_id: z.string(),
    changes: z.unknown().nullable(),
    created_at: z.string(),
  })
  .openapi("AuditEntry", {
    example: {
      id: 12,
      actor: { kind: "key", id: "key_3h7k9m2p4r6t8v0x", name: "ops admin" },
      action: "webhook.updated",
      target_type: "webhook",
      target_id: "wh_8f2k4m6p9r1t3v5x",
      changes: { fields: ["url"] },
      created_at: "2026-05-22T14:03:18.000Z",
    },
  });

auditRouter.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}/audit-log",
    operationId: "listAuditLog",
    tags: ["Audit"],
    summary: "The audit log",
    security: bearer,
    request: { params: siteParam, query: cursorQuery },
    responses: {
      200: json(listOf(AuditEntrySchema), "Newest first"),
      ...problems(401, 403, 404, 422),
    },
  }),
  async (c) => {
    const { site } = c.req.valid("param");
    await requireSite(c, site, "read");
    const { limit = 50, cursor } = c.req.valid("query");
    return c.json(await auditPage(c.env, site, cursor, limit, audienceOf(c.get("auth"), site)), 200);
  },
);
