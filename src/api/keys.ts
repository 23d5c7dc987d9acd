// Site keys: one role each; the token is shown once and stored as its SHA-256.
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter, actorOf } from "./router";
import { requireSite } from "./middleware/auth";
import { bearer, cursorQuery, json, listOf, problems, siteAndId, siteParam } from "./openapi-common";
import { findKey, insertKeyStatement, listKeys, revokeKeyStatement, type KeyRow } from "../db/api-keys";
import { auditStatement } from "../db/audit";
import { databaseFor } from "../db/route";
import { sha256Hex } from "../domain/crypto";
import { pageOf, readCursor } from "../domain/cursor";
import { NotFound } from "../domain/problems";
import { newId, randomToken } from "../domain/ids";
import { iso } from "../domain/time";

export const keysRouter = newRouter();

const ROLES = ["ingest", "viewer", "integrations-admin"] as const;
const RESERVED_ACTOR_NAMES = ["root", "system"];

const KeySchema = z
  .object({
    id: z.string(),
    site_id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    token_prefix: z.string(),
    created_by: z.string(),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .openapi("Key");

const NewKeySchema = KeySchema.extend({
  token: z.string().openapi({ description: "Shown once; store it now" }),
}).openapi("NewKey", {
  example: {
    id: "key_3m8q2w6e1r5t9y4u",
    site_id: "site_yoursite",
    name: "CMS ingest",
    role: "ingest",
    token_prefix: "ehk_7k3m",
    created_by: "root",
    created_at: "2026-05-22T14:03:18.000Z",
    revoked_at: null,
    token: "ehk_7k3m…",
  },
});

const CreateKey = z
  .object({
    name: z
      .string()
      .min(1)
      .max(100)
      // The audit log names actors; a key must never pass for the root token or the system.
      .refine((n) => !RESERVED_ACTOR_NAMES.includes(n.trim().toLowerCase()), "root and system are reserved names"),
    role: z.enum(ROLES),
  })
  .strict()
  .openapi("CreateKey", { example: { name: "CMS ingest", role: "ingest" } });

const view = (k: KeyRow) => ({
  id: k.id,
  site_id: k.siteId,
  name: k.name,
  role: k.role,
  token_prefix: k.tokenPrefix,
  created_by: k.createdBy,
  created_at: iso(k.createdAt)!,
  revoked_at: iso(k.revokedAt),
});

keysRouter.openapi(
  createRoute({
    method: "post",
    path: "/sites/{site}/keys",
    operationId: "createKey",
    tags: ["Keys"],
    summary: "Create a key (its token is shown once)",
    security: bearer,
    request: { params: siteParam, body: { content: { "application/json": { schema: CreateKey } }, required: true } },
    responses: {
      201: { content: { "application/json": { schema: NewKeySchema } }, description: "Created" },
      ...problems(400, 401, 403, 404, 415, 422),
    },
  }),
  async (c) => {
    const { site } = c.req.valid("param");
    await requireSite(c, site, "manage");
    const body = c.req.valid("json");
    const token = `ehk_${randomToken(40)}`;
    const row: KeyRow = {
      id: newId("key"),
      siteId: site,
      name: body.name,
      role: body.role,
      tokenHash: await sha256Hex(token),
      tokenPrefix: token.slice(0, 8),
      createdBy: actorOf(c.get("auth")).name,
      createdAt: Date.now(),
      revokedAt: null,
    };
    const db = databaseFor(c.env, site);
    await db.batch([
      insertKeyStatement(db, row),
      auditStatement(db, {
        siteId: site,
        actor: actorOf(c.get("auth")),
        action: "key.created",
        targetType: "key",
        targetId: row.id,
        changes: { name: row.name, role: row.role },
        at: row.createdAt,
      }),
    ]);
    return c.json({ ...view(row), token }, 201);
  },
);

keysRouter.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}/keys",
    operationId: "listKeys",
    tags: ["Keys"],
    summary: "List keys (never their tokens)",
    security: bearer,
    request: { params: siteParam, query: cursorQuery },
    responses: {
      200: json(listOf(KeySchema), "Newest first"),
      ...problems(401, 403, 404, 422),
    },
  }),
  async (c) => {
    const { site } = c.req.valid("param");
    await requireSite(c, site, "read");
    const { limit = 50, cursor } = c.req.valid("query");
    const after = readCursor(cursor, ["number", "string"]) as [number, string] | null;
    const rows = await listKeys(databaseFor(c.env, site), site, after, limit + 1);
    const { page, nextCursor } = pageOf(rows, limit, (k) => [k.createdAt, k.id]);
    return c.json({ data: page.map(view), next_cursor: nextCursor }, 200);
  },
);

keysRouter.openapi(
  createRoute({
    method: "delete",
    path: "/sites/{site}/keys/{id}",
    operationId: "revokeKey",
    tags: ["Keys"],
    summary: "Revoke a key (its token gets 401 at once)",
    security: bearer,
    request: { params: siteAndId },
    responses: {
      200: { content: { "application/json": { schema: KeySchema } }, description: "Revoked" },
      ...problems(401, 403, 404),
    },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "manage");
    const db = databaseFor(c.env, site);
    const key = await findKey(db, site, id);
    if (!key) throw new NotFound("Key");
    if (key.revokedAt === null) {
      key.revokedAt = Date.now();
      await db.batch([
        revokeKeyStatement(db, id, key.revokedAt),
        auditStatement(db, {
          siteId: site,
          actor: actorOf(c.get("auth")),
          action: "key.revoked",
          targetType: "key",
          targetId: id,
          changes: { name: key.name },
          at: key.revokedAt,
        }),
      ]);
    }
    return c.json(view(key), 200);
  },
);
