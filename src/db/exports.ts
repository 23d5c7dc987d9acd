// Export jobs of the delivery log: their status, where the file is in R2, and when the link expires.
import { and, eq, inArray, lt, or } from "drizzle-orm";
import { database } from "./client";
import { exportsTable } from "./schema";
import { statement } from "./sql";

export type ExportRow = typeof exportsTable.$inferSelect;
export type ExportStatus = ExportRow["status"];

export function insertExportStatement(d1: D1Database, row: ExportRow): D1PreparedStatement {
  return statement(d1, database(d1).insert(exportsTable).values(row));
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

export async function updateExport(d1: D1Database, id: string, set: Partial<ExportRow>): Promise<void> {
  await database(d1).update(exportsTable).set(set).where(eq(exportsTable.id, id)).run();
}

/** Jobs that never started (pending for 2 min) or stalled (running for 30 min), to queue again. */
export async function stalledExports(d1: D1Database, now: number, limit: number): Promise<string[]> {
  const rows = await database(d1)
    .select({ id: exportsTable.id })
    .from(exportsTable)
    .where(
      or(
        and(eq(exportsTable.status, "pending"), lt(exportsTable.createdAt, now - 120_000)),
        and(eq(exportsTable.status, "running"), lt(exportsTable.createdAt, now - 30 * 60_000)),
      ),
    )
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Jobs whose link has expired and whose file may still be in R2. */
export function expiredExports(d1: D1Database, now: number, limit: number) {
  return database(d1)
    .select({ id: exportsTable.id, objectKey: exportsTable.objectKey })
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
