// Exports of the delivery log (contract §3, issue 5): an asynchronous job writes NDJSON or CSV to R2; the
// result is fetched through a signed link valid 7 days, which needs no token.
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter, actorName } from "./router";
import { requireSite } from "./middleware/auth";
import { ProblemError, notFound, problemResponse } from "./problem";
import { bearer, problems, siteAndId, siteParam } from "./openapi-common";
import { FilterQuery, toFilter } from "./deliveries";
import { newId } from "../domain/ids";
import { iso } from "../domain/time";
import { EXPORT_TTL_MS, downloadUrl, linkIsValid } from "../logs/exports";

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

interface ExportRecord {
  id: string;
  site_id: string;
  status: "pending" | "running" | "complete" | "failed" | "expired";
  format: "ndjson" | "csv";
  filter: string;
  rows: number | null;
  bytes: number | null;
  error: string | null;
  created_at: number;
  completed_at: number | null;
  expires_at: number;
  object_key: string | null;
}

async function view(env: Parameters<typeof downloadUrl>[0], origin: string, e: ExportRecord) {
  return {
    id: e.id,
    status: e.status,
    format: e.format,
    filter: JSON.parse(e.filter) as Record<string, unknown>,
    rows: e.rows,
    bytes: e.bytes,
    created_at: iso(e.created_at)!,
    completed_at: iso(e.completed_at),
    expires_at: iso(e.expires_at)!,
    download_url: e.status === "complete" ? await downloadUrl(env, origin, e.id, e.expires_at) : null,
    error: e.error,
  };
}

exportsRouter.openapi(
  createRoute({
    method: "post",
    path: "/sites/{site}/exports",
    tags: ["Exports"],
    summary: "Export the delivery log (NDJSON or CSV)",
    description:
      "Starts an asynchronous job over the same filters as the log. Poll GET …/exports/{id} for the signed download link, valid 7 days.",
    security: bearer,
    request: { params: siteParam, body: { content: { "application/json": { schema: CreateExport } }, required: true } },
    responses: {
      202: { content: { "application/json": { schema: ExportSchema } }, description: "Started" },
      ...problems(400, 401, 403, 404, 415, 422),
    },
  }),
  async (c) => {
    const { site } = c.req.valid("param");
    await requireSite(c, site, "read");
    const { format, ...q } = c.req.valid("json");
    const filter = toFilter(q);
    const now = Date.now();
    const record: ExportRecord = {
      id: newId("exp"),
      site_id: site,
      status: "pending",
      format,
      filter: JSON.stringify({ ...q }),
      rows: null,
      bytes: null,
      error: null,
      created_at: now,
      completed_at: null,
      expires_at: now + EXPORT_TTL_MS,
      object_key: null,
    };
    await c.env.DB.prepare(
      "INSERT INTO exports (id, site_id, filter, format, status, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
    )
      .bind(record.id, site, JSON.stringify(filter), format, actorName(c.get("auth")), now, record.expires_at)
      .run();
    await c.env.DELIVERIES.send({ kind: "export", export_id: record.id });
    return c.json(await view(c.env, new URL(c.req.url).origin, record), 202);
  },
);

exportsRouter.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}/exports/{id}",
    tags: ["Exports"],
    summary: "An export's status and download link",
    security: bearer,
    request: { params: siteAndId },
    responses: {
      200: { content: { "application/json": { schema: ExportSchema } }, description: "The export" },
      ...problems(401, 403, 404),
    },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "read");
    const e = await c.env.DB.prepare("SELECT * FROM exports WHERE site_id = ? AND id = ?")
      .bind(site, id)
      .first<ExportRecord>();
    if (!e) throw notFound("Export");
    return c.json(await view(c.env, new URL(c.req.url).origin, e), 200);
  },
);

exportDownloads.openapi(
  createRoute({
    method: "get",
    path: "/exports/{id}/download",
    tags: ["Exports"],
    summary: "Download an export (signed link, no token)",
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
    const e = await c.env.DB.prepare("SELECT * FROM exports WHERE id = ?").bind(id).first<ExportRecord>();
    const object = e?.status === "complete" && e.object_key ? await c.env.EXPORTS.get(e.object_key) : null;
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
