// Exports of the delivery log to R2, as NDJSON or CSV. A job pages through D1 by seq and uploads in
// multipart parts of ≥ 5 MiB, so an export of any size never holds more than one part in memory.
// Rows are delivery objects only: never request headers, bodies, secrets or header values.
import type { DeliveryFilter, Env } from "../env";
import { pageForExport, run } from "../db/delivery-queries";
import { deliveryView, type DeliveryRow } from "./delivery-view";
import { fromBase64, timingSafeEqual, toHex } from "../domain/crypto";

export const EXPORT_TTL_MS = 7 * 24 * 3600_000;
const PAGE_ROWS = 1000;
const PART_BYTES = 5 * 1024 * 1024; // R2's minimum for every part but the last

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

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let s = String(value);
  // A cell a spreadsheet would run as a formula is defused.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatRow(format: "ndjson" | "csv", view: ReturnType<typeof deliveryView>): string {
  if (format === "ndjson") return JSON.stringify(view) + "\n";
  return CSV_COLUMNS.map((c) => csvCell(view[c])).join(",") + "\r\n";
}

interface ExportRow {
  id: string;
  site_id: string;
  filter: string;
  format: "ndjson" | "csv";
  status: string;
}

export async function runExport(env: Env, exportId: string): Promise<void> {
  const job = await env.DB.prepare("SELECT id, site_id, filter, format, status FROM exports WHERE id = ?")
    .bind(exportId)
    .first<ExportRow>();
  if (!job || job.status === "complete" || job.status === "expired") return;
  await env.DB.prepare("UPDATE exports SET status = 'running' WHERE id = ?").bind(exportId).run();
  const key = `exports/${job.site_id}/${job.id}.${job.format}`;
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
      const { results } = await run(env.DB, pageForExport(job.site_id, filter, after, PAGE_ROWS)).all<DeliveryRow>();
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
    await env.DB.prepare(
      "UPDATE exports SET status = 'complete', object_key = ?, rows = ?, bytes = ?, completed_at = ?, error = NULL WHERE id = ?",
    )
      .bind(key, rows, bytes, Date.now(), exportId)
      .run();
  } catch (err) {
    await upload.abort().catch(() => undefined);
    await env.DB.prepare("UPDATE exports SET status = 'failed', error = ? WHERE id = ?")
      .bind(String(err).slice(0, 500), exportId)
      .run();
    throw err;
  }
}

/** The cron's pass: queue jobs that never started or stalled, and remove what has expired. */
export async function runPendingExports(env: Env, now: number): Promise<number> {
  const { results } = await env.DB.prepare(
    `SELECT id FROM exports WHERE (status = 'pending' AND created_at < ?) OR (status = 'running' AND created_at < ?) LIMIT 20`,
  )
    .bind(now - 120_000, now - 30 * 60_000)
    .all<{ id: string }>();
  for (const r of results) await env.DELIVERIES.send({ kind: "export", export_id: r.id });
  return results.length;
}

export async function expireExports(env: Env, now: number): Promise<number> {
  const { results } = await env.DB.prepare(
    "SELECT id, object_key FROM exports WHERE status IN ('complete', 'failed', 'pending', 'running') AND expires_at < ? LIMIT 100",
  )
    .bind(now)
    .all<{ id: string; object_key: string | null }>();
  for (const r of results) {
    if (r.object_key) await env.EXPORTS.delete(r.object_key);
    await env.DB.prepare("UPDATE exports SET status = 'expired' WHERE id = ?").bind(r.id).run();
  }
  return results.length;
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
