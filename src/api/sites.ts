// Sites: created with the root token; read by any key of the site.
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter, actorOf } from "./router";
import { requireRoot, requireSite } from "./middleware/auth";
import { ProblemError } from "./problem";
import { bearer, problems, siteParam } from "./openapi-common";
import { findSiteClashAnywhere, insertSiteStatement, type SiteRow } from "../db/sites";
import { databaseFor } from "../db/route";
import { auditStatement } from "../db/audit";
import { newId } from "../domain/ids";
import { iso } from "../domain/time";

export const sitesRouter = newRouter();

const SiteSchema = z
  .object({ id: z.string(), slug: z.string(), host: z.string(), name: z.string().nullable(), created_at: z.string() })
  .openapi("Site", {
    example: {
      id: "site_yoursite",
      slug: "yoursite",
      host: "yoursite.com",
      name: "Your site",
      created_at: "2026-05-22T14:03:18.000Z",
    },
  });

const CreateSite = z
  .object({
    id: z
      .string()
      .regex(/^site_[a-z0-9_-]{1,60}$/, "must be site_ followed by up to 60 of a-z 0-9 _ -")
      .optional(),
    slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be lowercase letters, digits and dashes"),
    host: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9.-]+(:\d+)?$/, "must be a host name such as yoursite.com"),
    name: z.string().min(1).max(200).optional(),
  })
  .strict()
  .openapi("CreateSite", {
    example: { id: "site_yoursite", slug: "yoursite", host: "yoursite.com", name: "Your site" },
  });

const view = (s: SiteRow) => ({
  id: s.id,
  slug: s.slug,
  host: s.host,
  name: s.name ?? null,
  created_at: iso(s.createdAt)!,
});

sitesRouter.openapi(
  createRoute({
    method: "post",
    path: "/sites",
    operationId: "createSite",
    tags: ["Sites"],
    summary: "Create a site (root token only)",
    security: bearer,
    request: { body: { content: { "application/json": { schema: CreateSite } }, required: true } },
    responses: {
      201: { content: { "application/json": { schema: SiteSchema } }, description: "Created" },
      ...problems(400, 401, 403, 409, 415, 422),
    },
  }),
  async (c) => {
    requireRoot(c);
    const body = c.req.valid("json");
    const id = body.id ?? newId("site");
    const clash = await findSiteClashAnywhere(c.env, id, body.slug);
    if (clash) {
      const field = clash.id === id ? "id" : "slug";
      throw new ProblemError(409, "Conflict", `A site with this ${field} exists`, [
        { path: field, message: "already taken" },
      ]);
    }
    const row: SiteRow = {
      id,
      slug: body.slug,
      host: body.host.toLowerCase(),
      name: body.name ?? null,
      createdAt: Date.now(),
    };
    const db = databaseFor(c.env, id);
    await db.batch([
      insertSiteStatement(db, row),
      auditStatement(db, {
        siteId: id,
        actor: actorOf(c.get("auth")),
        action: "site.created",
        targetType: "site",
        targetId: id,
        at: row.createdAt,
      }),
    ]);
    return c.json(view(row), 201);
  },
);

sitesRouter.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}",
    operationId: "getSite",
    tags: ["Sites"],
    summary: "A site",
    security: bearer,
    request: { params: siteParam },
    responses: {
      200: { content: { "application/json": { schema: SiteSchema } }, description: "The site" },
      ...problems(401, 403, 404),
    },
  }),
  async (c) => {
    const site = await requireSite(c, c.req.valid("param").site, "read");
    return c.json(view(site), 200);
  },
);
