// Exports of the delivery log to R2, as NDJSON or CSV: created here, written in steps by export-writer.ts on the
// jobs queue, fetched through a signed link. At most MAX_RUNNING_EXPORTS run per site at once.
// Rows are delivery objects only: never request headers, bodies, secrets or header values.
import type { Env } from "../env";
import type { DeliveryFilter } from "../domain/filter";
import { csvCell } from "../domain/csv";
import { timingSafeEqual, toHex } from "../domain/crypto";
import { derivedHmacKey } from "../domain/key-derivation";
import { encryptionKeyring } from "../config";
import { newId } from "../domain/ids";
import { Conflict } from "../domain/problems";
import type { Actor } from "../domain/actor";
import { iso } from "../domain/time";
import { auditStatement } from "../db/audit";
import {
  expiredExports,
  exportExists,
  insertExportIfRoomStatement,
  recentExportsStatement,
  runningExports,
  stalledExports,
  updateExport,
  type ExportRow,
} from "../db/exports";
import { webhookChoicesStatement } from "../db/webhooks";
import { rowsOf } from "../db/sql";
import { deliveryView } from "./delivery-view";
import { jobsQueue } from "../delivery/messages";
import { allDatabases, databaseFor } from "../db/route";

export const EXPORT_TTL_MS = 7 * 24 * 3600_000;
/** Exports a site may have pending or running at once. */
export const MAX_RUNNING_EXPORTS = 2;

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

/** Records a pending export job (audited) and queues it; the link is valid EXPORT_TTL_MS from now. */
export async function createExport(
  env: Env,
  siteId: string,
  filter: DeliveryFilter,
  format: ExportFormat,
  actor: Actor,
  now = Date.now(),
): Promise<ExportRow> {
  const db = databaseFor(env, siteId);
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
    createdBy: actor.name,
    createdAt: now,
    completedAt: null,
    expiresAt: now + EXPORT_TTL_MS,
    uploadId: null,
    parts: null,
    afterSeq: 0,
    carry: null,
    leaseUntil: null,
    updatedAt: now,
  };
  const [inserted] = await db.batch([
    insertExportIfRoomStatement(db, row, MAX_RUNNING_EXPORTS),
    auditStatement(
      db,
      {
        siteId,
        actor,
        action: "export.created",
        targetType: "export",
        targetId: row.id,
        changes: { format, filter },
        at: now,
      },
      exportExists(row.id),
    ),
  ]);
  if (!inserted!.meta.changes) {
    const running = await runningExports(db, siteId);
    throw new Conflict(
      `A site may run ${MAX_RUNNING_EXPORTS} exports at once; these are still running: ${running.join(", ")}`,
    );
  }
  await jobsQueue(env).send({ kind: "export", export_id: row.id, site_id: siteId });
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

/** The cron's pass: queue again the exports that never started or stopped moving (their message was lost). */
export async function requeueStalledExports(env: Env, now: number): Promise<number> {
  let n = 0;
  for (const db of allDatabases(env)) {
    const stalled = await stalledExports(db, now, 20);
    for (const e of stalled) await jobsQueue(env).send({ kind: "export", export_id: e.id, site_id: e.siteId });
    n += stalled.length;
  }
  return n;
}

/** Removes the files of exports whose link has expired, and abandons an upload that never finished. */
export async function expireExports(env: Env, now: number): Promise<number> {
  let n = 0;
  for (const db of allDatabases(env)) n += await expireIn(env, db, now);
  return n;
}

async function expireIn(env: Env, db: D1Database, now: number): Promise<number> {
  const rows = await expiredExports(db, now, 100);
  for (const r of rows) {
    if (r.objectKey) await env.EXPORTS.delete(r.objectKey);
    else if (r.uploadId) {
      await env.EXPORTS.resumeMultipartUpload(`exports/${r.siteId}/${r.id}.${r.format}`, r.uploadId)
        .abort()
        .catch(() => undefined);
    }
    await updateExport(db, r.id, { status: "expired", carry: null });
  }
  return rows.length;
}

// Download links are signed with their own HKDF subkey of ENCRYPTION_KEY (key-derivation.ts), so no extra secret is
// needed and that key can do nothing else. During a rotation a link signed under ENCRYPTION_KEY_PREVIOUS still works.
async function linkSignature(master: string, exportId: string, expiresAt: number): Promise<string> {
  const key = await derivedHmacKey(master, "export-link-v1");
  return toHex(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${exportId}.${expiresAt}`)));
}

export function signLink(env: Env, exportId: string, expiresAt: number): Promise<string> {
  return linkSignature(encryptionKeyring(env).current, exportId, expiresAt);
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
  const { current, previous } = encryptionKeyring(env);
  for (const master of previous ? [current, previous] : [current]) {
    if (timingSafeEqual(signature, await linkSignature(master, exportId, at))) return true;
  }
  return false;
}

/** The site's latest exports with their links, and its webhooks' names: what the delivery log page shows beside
 * the log, read in one round trip. */
export async function logPageContext(env: Env, origin: string, siteId: string, exportsShown = 10) {
  const db = databaseFor(env, siteId);
  const [choices, recent] = await db.batch([
    webhookChoicesStatement(db, siteId),
    recentExportsStatement(db, siteId, exportsShown),
  ]);
  return {
    webhooks: rowsOf<{ id: string; name: string }>(choices),
    exports: await Promise.all(rowsOf<ExportRow>(recent).map((e) => exportView(env, origin, e))),
  };
}

export type ExportView = Awaited<ReturnType<typeof exportView>>;
