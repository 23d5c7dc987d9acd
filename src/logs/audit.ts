// Reading the audit log: who changed what, when; newest first, a page at a time. Shared by the REST API and the
// console.
import type { Env } from "../env";
import { pageOf, readCursor } from "../domain/cursor";
import { iso } from "../domain/time";
import { listAudit } from "../db/audit";

export async function auditPage(env: Env, siteId: string, cursor: string | undefined, limit: number) {
  const after = readCursor(cursor, ["number"]);
  const rows = await listAudit(env.DB, siteId, after ? (after[0] as number) : null, limit + 1);
  const { page, nextCursor } = pageOf(rows, limit, (r) => [r.id]);
  return {
    data: page.map((r) => ({
      ...r,
      changes: r.changes === null ? null : (JSON.parse(r.changes) as unknown),
      created_at: iso(r.created_at)!,
    })),
    next_cursor: nextCursor,
  };
}

export type AuditPage = Awaited<ReturnType<typeof auditPage>>;
