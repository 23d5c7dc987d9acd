// Exports of the delivery log: an asynchronous job writes NDJSON or CSV to R2; the result is fetched through a
// signed link valid 7 days, which needs no token.
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter, actorOf } from "./router";
import { requireSite } from "./middleware/auth";
import { ProblemError, problemResponse } from "./problem";
import { FilterQuery, bearer, filterFromQuery, json, noAuth, problems, siteAndId, siteParam } from "./openapi-common";
import { NotFound } from "../domain/problems";
import { findExport, findExportAnywhere } from "../db/exports";
import { databaseFor } from "../db/route";
import { createExport, exportView, linkIsValid } from "../logs/exports";

export const exportsRouter = newRouter();
export const exportDownloads = newRouter();

const ExportSchema = z
  .object({
    id: z.string(),
    status: z.enum(["pending", "running", "complete", "failed", "expired"]),
    format: z.enum(["ndjson", "csv"]),
    filter: z.record(z.string(), z.unknown()),
    rows: z.number().int().nullable(),
    bytes: z.number().int().nullable(),
    created_at: z.string(),
    completed_at: z.string().nullable(),
    expires_at: z.string(),
    download_url: z.string().nullable().openapi({ description: "Signed; valid until expires_at; no token needed" }),
    error: z.string().nullable(),
  })
  .openapi("Export");

const CreateExport = FilterQuery.extend({ format: z.enum(["ndjson", "csv"]) })
  .strict()
  .openapi("CreateExport", {
    example: { state: "failed", webhook_id: "wh_8f2k4m6p9r1t3v5x", from: "2026-05-22T00:00:00Z", format: "csv" },
  });

exportsRouter.openapi(
  createRoute({
    method: "post",
    path: "/sites/{site}/exports",
    operationId: "createExport",
    tags: ["Exports"],
    summary: "Export the delivery log (NDJSON or CSV)",
    description:
      "Starts an asynchronous job over the same filters as the log. Poll GET …/exports/{id} for the signed " +
      "download link, valid 7 days. At most 2 exports run per site at once (409 names them).",
    security: bearer,
    request: { params: siteParam, body: { content: { "application/json": { schema: CreateExport } }, required: true } },
    responses: { 202: json(ExportSchema, "Started"), ...problems(400, 401, 403, 404, 409, 415, 422) },
  }),
  async (c) => {
    const { site } = c.req.valid("param");
    await requireSite(c, site, "read");
    const { format, ...q } = c.req.valid("json");
    const row = await createExport(c.env, site, filterFromQuery(q), format, actorOf(c.get("auth")));
    return c.json(await exportView(c.env, new URL(c.req.url).origin, row), 202);
  },
);

exportsRouter.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}/exports/{id}",
    operationId: "getExport",
    tags: ["Exports"],
    summary: "An export's status and download link",
    security: bearer,
    request: { params: siteAndId },
    responses: { 200: json(ExportSchema, "The export"), ...problems(401, 403, 404) },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "read");
    const e = await findExport(databaseFor(c.env, site), site, id);
    if (!e) throw new NotFound("Export");
    return c.json(await exportView(c.env, new URL(c.req.url).origin, e), 200);
  },
);

exportDownloads.openapi(
  createRoute({
    method: "get",
    path: "/exports/{id}/download",
    operationId: "downloadExport",
    tags: ["Exports"],
    summary: "Download an export (signed link, no token)",
    security: noAuth,
    request: {
      params: z.object({ id: z.string().max(100) }),
      query: z.object({ expires: z.string().max(20).optional(), signature: z.string().max(128).optional() }),
    },
    responses: {
      200: {
        description: "The file (NDJSON or CSV)",
        content: { "application/x-ndjson": { schema: z.string() }, "text/csv": { schema: z.string() } },
      },
      ...problems(403, 404),
    },
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const { expires, signature } = c.req.valid("query");
    if (!(await linkIsValid(c.env, id, expires, signature, Date.now()))) {
      throw new ProblemError(403, "Forbidden", "The link is invalid or has expired");
    }
    const e = await findExportAnywhere(c.env, id);
    const object = e?.status === "complete" && e.objectKey ? await c.env.EXPORTS.get(e.objectKey) : null;
    if (!e || !object) return problemResponse(404, "Not found", "The export is gone");
    return new Response(object.body, {
      headers: {
        "content-type": object.httpMetadata?.contentType ?? "application/octet-stream",
        "content-disposition": `attachment; filename="${e.id}.${e.format}"`,
        "content-length": String(object.size),
      },
    }) as never;
  },
);
