// Exports of the delivery log to R2, as NDJSON or CSV. A job pages through D1 by seq and uploads in
// multipart parts of ≥ 5 MiB, so an export of any size never holds more than one part in memory.
// Rows are delivery objects only: never request headers, bodies, secrets or header values.
import type { Env } from "../env";
import type { DeliveryFilter } from "../domain/filter";
import { csvCell } from "../domain/csv";
import { fromBase64, timingSafeEqual, toHex } from "../domain/crypto";
import { newId } from "../domain/ids";
import { iso } from "../domain/time";
import { pageForExport, run, type DeliveryRow } from "../db/delivery-log";
import {
  expiredExports,
  findExportById,
  insertExportStatement,
  recentExportsStatement,
  stalledExports,
  updateExport,
  type ExportRow,
} from "../db/exports";
import { webhookChoicesStatement } from "../db/webhooks";
import { rowsOf } from "../db/sql";
import { deliveryView } from "./delivery-view";

export const EXPORT_TTL_MS = 7 * 24 * 3600_000;
const PAGE_ROWS = 1000;
const PART_BYTES = 5 * 1024 * 1024; // R2's minimum for every part but the last

export type ExportFormat = ExportRow["format"];

export const CSV_COLUMNS = [
  "id",
  "webhook_id",
  "webhook_name",
  "event_id",
  "event_type",
  "destination_host",
  "state",
  "attempts",
  "next_attempt_at",
  "response_status",
  "latency_ms",
  "last_error",
  "created_at",
  "delivered_at",
  "replay_of",
  "actor_email",
] as const;

export function formatRow(format: ExportFormat, view: ReturnType<typeof deliveryView>): string {
  if (format === "ndjson") return JSON.stringify(view) + "\n";
  return CSV_COLUMNS.map((c) => csvCell(view[c])).join(",") + "\r\n";
}

/** Records a pending export job and queues it; the link is valid EXPORT_TTL_MS from now. */
export async function createExport(
  env: Env,
  siteId: string,
  filter: DeliveryFilter,
  format: ExportFormat,
  actor: string,
  now = Date.now(),
): Promise<ExportRow> {
  const row: ExportRow = {
    id: newId("exp"),
    siteId,
    filter: JSON.stringify(filter),
    format,
    status: "pending",
    objectKey: null,
    rows: null,
    bytes: null,
    error: null,
    createdBy: actor,
    createdAt: now,
    completedAt: null,
    expiresAt: now + EXPORT_TTL_MS,
  };
  await insertExportStatement(env.DB, row).run();
  await env.DELIVERIES.send({ kind: "export", export_id: row.id });
  return row;
}

/** The filter as the request gave it: times as RFC 3339. */
function filterView(f: DeliveryFilter): Record<string, unknown> {
  return { ...f, ...(f.from !== undefined && { from: iso(f.from) }), ...(f.to !== undefined && { to: iso(f.to) }) };
}

/** An export as operators see it, with its signed download link once complete. */
export async function exportView(env: Env, origin: string, e: ExportRow) {
  return {
    id: e.id,
    status: e.status,
    format: e.format,
    filter: filterView(JSON.parse(e.filter) as DeliveryFilter),
    rows: e.rows,
    bytes: e.bytes,
    created_at: iso(e.createdAt)!,
    completed_at: iso(e.completedAt),
    expires_at: iso(e.expiresAt)!,
    download_url: e.status === "complete" ? await downloadUrl(env, origin, e.id, e.expiresAt) : null,
    error: e.error,
  };
}

export async function runExport(env: Env, exportId: string): Promise<void> {
  const job = await findExportById(env.DB, exportId);
  if (!job || job.status === "complete" || job.status === "expired") return;
  await updateExport(env.DB, exportId, { status: "running" });
  const key = `exports/${job.siteId}/${job.id}.${job.format}`;
  const upload = await env.EXPORTS.createMultipartUpload(key, {
    httpMetadata: { contentType: job.format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson" },
  });
  const encoder = new TextEncoder();
  const parts: R2UploadedPart[] = [];
  let chunks: Uint8Array[] = job.format === "csv" ? [encoder.encode(CSV_COLUMNS.join(",") + "\r\n")] : [];
  let buffered = chunks.reduce((n, c) => n + c.byteLength, 0);
  let bytes = 0;
  let rows = 0;
  /** Uploads exactly PART_BYTES (or everything left, for the last part): R2 wants equal parts but the last. */
  const flush = async (last: boolean) => {
    const all = new Uint8Array(buffered);
    let o = 0;
    for (const c of chunks) (all.set(c, o), (o += c.byteLength));
    const size = last ? buffered : PART_BYTES;
    parts.push(await upload.uploadPart(parts.length + 1, all.slice(0, size)));
    bytes += size;
    chunks = size < buffered ? [all.slice(size)] : [];
    buffered -= size;
  };
  try {
    const filter = JSON.parse(job.filter) as DeliveryFilter;
    for (let after = 0; ;) {
      const { results } = await run(env.DB, pageForExport(job.siteId, filter, after, PAGE_ROWS)).all<DeliveryRow>();
      for (const r of results) {
        const line = encoder.encode(formatRow(job.format, deliveryView(r)));
        chunks.push(line);
        buffered += line.byteLength;
      }
      rows += results.length;
      while (buffered >= PART_BYTES) await flush(false);
      if (results.length < PAGE_ROWS) break;
      after = results[results.length - 1]!.seq;
    }
    if (buffered > 0 || parts.length === 0) await flush(true);
    await upload.complete(parts);
    await updateExport(env.DB, exportId, {
      status: "complete",
      objectKey: key,
      rows,
      bytes,
      completedAt: Date.now(),
      error: null,
    });
  } catch (err) {
    await upload.abort().catch(() => undefined);
    await updateExport(env.DB, exportId, { status: "failed", error: String(err).slice(0, 500) });
    throw err;
  }
}

/** The cron's pass: queue jobs that never started or stalled. */
export async function runPendingExports(env: Env, now: number): Promise<number> {
  const ids = await stalledExports(env.DB, now, 20);
  for (const id of ids) await env.DELIVERIES.send({ kind: "export", export_id: id });
  return ids.length;
}

/** Removes the files of exports whose link has expired. */
export async function expireExports(env: Env, now: number): Promise<number> {
  const rows = await expiredExports(env.DB, now, 100);
  for (const r of rows) {
    if (r.objectKey) await env.EXPORTS.delete(r.objectKey);
    await updateExport(env.DB, r.id, { status: "expired" });
  }
  return rows.length;
}

// Download links are signed with a key derived from ENCRYPTION_KEY, so no extra secret is needed.
async function linkKey(env: Env): Promise<CryptoKey> {
  const master = await crypto.subtle.importKey(
    "raw",
    fromBase64(env.ENCRYPTION_KEY),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const derived = await crypto.subtle.sign("HMAC", master, new TextEncoder().encode("edgehooks export links v1"));
  return crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

export async function signLink(env: Env, exportId: string, expiresAt: number): Promise<string> {
  return toHex(
    await crypto.subtle.sign("HMAC", await linkKey(env), new TextEncoder().encode(`${exportId}.${expiresAt}`)),
  );
}

export async function downloadUrl(env: Env, origin: string, exportId: string, expiresAt: number): Promise<string> {
  return `${origin}/exports/${exportId}/download?expires=${expiresAt}&signature=${await signLink(env, exportId, expiresAt)}`;
}

export async function linkIsValid(
  env: Env,
  exportId: string,
  expires: string | undefined,
  signature: string | undefined,
  now: number,
): Promise<boolean> {
  const at = Number(expires);
  if (!Number.isInteger(at) || !signature || at < now) return false;
  return timingSafeEqual(signature, await signLink(env, exportId, at));
}

/** The site's latest exports with their links, and its webhooks' names: what the delivery log page shows beside
 * the log, read in one round trip. */
export async function logPageContext(env: Env, origin: string, siteId: string, exportsShown = 10) {
  const [choices, recent] = await env.DB.batch([
    webhookChoicesStatement(env.DB, siteId),
    recentExportsStatement(env.DB, siteId, exportsShown),
  ]);
  return {
    webhooks: rowsOf<{ id: string; name: string }>(choices),
    exports: await Promise.all(rowsOf<ExportRow>(recent).map((e) => exportView(env, origin, e))),
  };
}

export type ExportView = Awaited<ReturnType<typeof exportView>>;
