// Export jobs of the delivery log: their status, where the file is in R2, and when the link expires.
import { and, eq, gt, inArray, lt, sql } from "drizzle-orm";
import { database } from "./client";
import { exportsTable } from "./schema";
import { allDatabases, type DatabaseBindings } from "./route";

export type ExportRow = typeof exportsTable.$inferSelect;
export type ExportStatus = ExportRow["status"];

/**
 * Inserts the export only while the site has fewer than `max` pending or running: one statement, so two requests
 * at once cannot both squeeze in. `meta.changes` is 0 when there was no room.
 */
export function insertExportIfRoomStatement(d1: D1Database, row: ExportRow, max: number): D1PreparedStatement {
  const { sql, params } = database(d1).insert(exportsTable).values(row).toSQL();
  const columns = sql.slice(sql.indexOf("("), sql.indexOf(")") + 1);
  return d1
    .prepare(
      `INSERT INTO exports ${columns} SELECT ${params.map(() => "?").join(", ")}
       WHERE (SELECT COUNT(*) FROM exports WHERE site_id = ? AND status IN ('pending', 'running')) < ?`,
    )
    .bind(...params, row.siteId, max);
}

/** The condition "this export was inserted", for writing its audit entry in the same batch. */
export const exportExists = (id: string) => ({ sql: "EXISTS (SELECT 1 FROM exports WHERE id = ?)", params: [id] });

export async function runningExports(d1: D1Database, siteId: string): Promise<string[]> {
  const rows = await database(d1)
    .select({ id: exportsTable.id })
    .from(exportsTable)
    .where(and(eq(exportsTable.siteId, siteId), inArray(exportsTable.status, ["pending", "running"])));
  return rows.map((r) => r.id);
}

export function findExport(d1: D1Database, siteId: string, id: string): Promise<ExportRow | undefined> {
  return database(d1)
    .select()
    .from(exportsTable)
    .where(and(eq(exportsTable.siteId, siteId), eq(exportsTable.id, id)))
    .get();
}

/** For the signed download link, which carries no site. */
export function findExportById(d1: D1Database, id: string): Promise<ExportRow | undefined> {
  return database(d1).select().from(exportsTable).where(eq(exportsTable.id, id)).get();
}

/** An export by id alone, in whichever database holds it: a download link names the export, not its site. */
export async function findExportAnywhere(env: DatabaseBindings, id: string): Promise<ExportRow | undefined> {
  const found = await Promise.all(allDatabases(env).map((db) => findExportById(db, id)));
  return found.find((e) => e !== undefined);
}

/** Takes the export for one step; false while another step holds it. */
export async function claimExportStep(d1: D1Database, id: string, now: number, until: number): Promise<boolean> {
  const { meta } = await d1
    .prepare(
      `UPDATE exports SET lease_until = ? WHERE id = ? AND status IN ('pending', 'running')
         AND (lease_until IS NULL OR lease_until < ?)`,
    )
    .bind(until, id, now)
    .run();
  return (meta.changes ?? 0) > 0;
}

export async function updateExport(d1: D1Database, id: string, set: Partial<ExportRow>): Promise<void> {
  await database(d1).update(exportsTable).set(set).where(eq(exportsTable.id, id)).run();
}

/** Exports whose last step is long past (10 min): their message was lost or dead-lettered. */
export async function stalledExports(
  d1: D1Database,
  now: number,
  limit: number,
): Promise<{ id: string; siteId: string }[]> {
  return database(d1)
    .select({ id: exportsTable.id, siteId: exportsTable.siteId })
    .from(exportsTable)
    .where(
      and(
        inArray(exportsTable.status, ["pending", "running"]),
        lt(sql`COALESCE(${exportsTable.updatedAt}, ${exportsTable.createdAt})`, now - 10 * 60_000),
        gt(exportsTable.expiresAt, now),
      ),
    )
    .limit(limit);
}

/** Jobs whose link has expired and whose file may still be in R2. */
export function expiredExports(d1: D1Database, now: number, limit: number) {
  return database(d1)
    .select({
      id: exportsTable.id,
      siteId: exportsTable.siteId,
      format: exportsTable.format,
      objectKey: exportsTable.objectKey,
      uploadId: exportsTable.uploadId,
    })
    .from(exportsTable)
    .where(
      and(inArray(exportsTable.status, ["complete", "failed", "pending", "running"]), lt(exportsTable.expiresAt, now)),
    )
    .limit(limit);
}

/** A site's latest exports, newest first, as one statement of a batch (rows shaped as ExportRow). */
export function recentExportsStatement(d1: D1Database, siteId: string, limit: number): D1PreparedStatement {
  return d1
    .prepare(
      `SELECT id, site_id AS siteId, filter, format, status, object_key AS objectKey, rows, bytes, error,
              created_by AS createdBy, created_at AS createdAt, completed_at AS completedAt, expires_at AS expiresAt
       FROM exports WHERE site_id = ? ORDER BY created_at DESC LIMIT ?`,
    )
    .bind(siteId, limit);
}
