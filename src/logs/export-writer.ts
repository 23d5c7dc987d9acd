// Writing an export to R2 in steps. A step pages through D1 by seq and uploads multipart parts of exactly
// PART_BYTES (R2 wants every part but the last the same size), so it never holds more than a part and a page in
// memory. After each page that completed a part it records where it stands (the upload, its parts, the last row
// written, the bytes read but not yet in a part), so a failed step resumes there instead of starting over.
import type { Env } from "../env";
import type { DeliveryFilter } from "../domain/filter";
import { fromBase64, toBase64 } from "../domain/crypto";
import { pageForExport, run, type DeliveryRow } from "../db/delivery-log";
import { claimExportStep, findExportById, updateExport } from "../db/exports";
import { databaseFor } from "../db/route";
import { deliveryView } from "./delivery-view";
import { CSV_COLUMNS, formatRow } from "./exports";

const PAGE_ROWS = 200;
export const PART_BYTES = 5 * 1024 * 1024; // R2's minimum for every part but the last
/** Parts one step uploads before it hands over to the next message (about 40 MiB). */
export const PARTS_PER_STEP = 8;

const encoder = new TextEncoder();

/** How long a step may hold an export before another may take over (a step that died mid-way). */
const STEP_LEASE_MS = 5 * 60_000;

export type StepResult = "more" | "done" | "busy";

/**
 * One step of an export: "more" when it stopped to let the next message go on, "done" when nothing is left, and
 * "busy" when another step holds the export right now.
 */
export async function runExportStep(
  env: Env,
  siteId: string | undefined,
  exportId: string,
  maxParts = PARTS_PER_STEP,
): Promise<StepResult> {
  const db = databaseFor(env, siteId);
  const now = Date.now();
  if (!(await claimExportStep(db, exportId, now, now + STEP_LEASE_MS))) {
    const job = await findExportById(db, exportId);
    return job && (job.status === "pending" || job.status === "running") ? "busy" : "done";
  }
  try {
    return await step(env, db, exportId, maxParts);
  } finally {
    await updateExport(db, exportId, { leaseUntil: null }).catch(() => undefined);
  }
}

async function step(env: Env, db: D1Database, exportId: string, maxParts: number): Promise<"more" | "done"> {
  const job = await findExportById(db, exportId);
  if (!job || job.status === "complete" || job.status === "expired" || job.status === "failed") return "done";
  const key = `exports/${job.siteId}/${job.id}.${job.format}`;
  let state = {
    uploadId: job.uploadId,
    parts: job.parts ? (JSON.parse(job.parts) as R2UploadedPart[]) : [],
    afterSeq: job.afterSeq,
    carry: job.carry ? fromBase64(job.carry) : new Uint8Array(0),
    rows: job.rows ?? 0,
    bytes: job.bytes ?? 0,
  };
  if (!state.uploadId) {
    const created = await env.EXPORTS.createMultipartUpload(key, {
      httpMetadata: { contentType: job.format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson" },
    });
    const header = job.format === "csv" ? encoder.encode(CSV_COLUMNS.join(",") + "\r\n") : new Uint8Array(0);
    state = { ...state, uploadId: created.uploadId, carry: header };
    await save(db, exportId, state, { status: "running" });
  }
  const upload = env.EXPORTS.resumeMultipartUpload(key, state.uploadId!);
  const filter = JSON.parse(job.filter) as DeliveryFilter;
  let chunks: Uint8Array[] = [state.carry];
  let buffered = state.carry.byteLength;
  let uploadedThisStep = 0;

  /** Uploads exactly PART_BYTES, or everything left for the last part. */
  const flush = async (last: boolean) => {
    const all = concat(chunks, buffered);
    const size = last ? buffered : PART_BYTES;
    state.parts.push(await upload.uploadPart(state.parts.length + 1, all.slice(0, size)));
    state.bytes += size;
    chunks = size < buffered ? [all.slice(size)] : [];
    buffered -= size;
    uploadedThisStep++;
  };

  try {
    for (;;) {
      const { results } = await run(
        db,
        pageForExport(job.siteId, filter, state.afterSeq, PAGE_ROWS),
      ).all<DeliveryRow>();
      for (const r of results) {
        const line = encoder.encode(formatRow(job.format, deliveryView(r)));
        chunks.push(line);
        buffered += line.byteLength;
      }
      state.rows += results.length;
      if (results.length) state.afterSeq = results[results.length - 1]!.seq;
      const partsBefore = state.parts.length;
      while (buffered >= PART_BYTES) await flush(false);
      if (results.length < PAGE_ROWS) break;
      if (state.parts.length > partsBefore) {
        state.carry = concat(chunks, buffered);
        await save(db, exportId, state);
        if (uploadedThisStep >= maxParts) return "more";
      }
    }
    if (buffered > 0 || state.parts.length === 0) await flush(true);
    await upload.complete(state.parts);
    await updateExport(db, exportId, {
      status: "complete",
      objectKey: key,
      parts: JSON.stringify(state.parts),
      rows: state.rows,
      bytes: state.bytes,
      completedAt: Date.now(),
      updatedAt: Date.now(),
      error: null,
      carry: null,
    });
    return "done";
  } catch (err) {
    // The upload stays open: the next attempt resumes from the last saved part.
    await updateExport(db, exportId, { error: String(err).slice(0, 500), updatedAt: Date.now() }).catch(
      () => undefined,
    );
    throw err;
  }
}

/**
 * Runs an export's steps until it is done, for tests and anything that must not wait for the queue. While another
 * step holds it (the queue's own copy), it waits for that one, within a bounded time.
 */
export async function runExport(env: Env, siteId: string, exportId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await runExportStep(env, siteId, exportId);
    if (result === "done") return;
    if (Date.now() > deadline) throw new Error(`export ${exportId} still ${result} after ${timeoutMs} ms`);
    if (result === "busy") await scheduler.wait(50);
  }
}

async function save(
  db: D1Database,
  id: string,
  state: {
    uploadId: string | null;
    parts: R2UploadedPart[];
    afterSeq: number;
    carry: Uint8Array;
    rows: number;
    bytes: number;
  },
  extra: { status?: "running" } = {},
) {
  await updateExport(db, id, {
    ...extra,
    uploadId: state.uploadId,
    parts: JSON.stringify(state.parts),
    afterSeq: state.afterSeq,
    carry: toBase64(state.carry),
    rows: state.rows,
    bytes: state.bytes,
    updatedAt: Date.now(),
  });
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const all = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.byteLength;
  }
  return all;
}
