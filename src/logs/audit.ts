// Reading the audit log: who changed what, when; newest first, a page at a time. Shared by the REST API and the
// console.
import type { Env } from "../env";
import { pageOf, readCursor } from "../domain/cursor";
import { iso } from "../domain/time";
import { listAudit, type AuditRecord } from "../db/audit";
import { redactUrlsDeep, type Audience } from "../domain/redaction";
import { databaseFor } from "../db/route";

/** Who did it: kind and id say it for sure (a key's name can never pass for root), the name is for people. */
export interface AuditActorView {
  kind: "root" | "key" | "system" | "unknown";
  id: string | null;
  name: string;
}

/** An entry; for a reader who may not manage the site, any URL in `changes` has its path and query redacted. */
export function auditEntryView(r: AuditRecord, audience: Audience) {
  const changes = r.changes === null ? null : (JSON.parse(r.changes) as unknown);
  return {
    id: r.id,
    actor: { kind: r.actor_kind, id: r.actor_id, name: r.actor } as AuditActorView,
    action: r.action,
    target_type: r.target_type,
    target_id: r.target_id,
    changes: audience === "full" ? changes : redactUrlsDeep(changes),
    created_at: iso(r.created_at)!,
  };
}

export async function auditPage(
  env: Env,
  siteId: string,
  cursor: string | undefined,
  limit: number,
  audience: Audience,
) {
  const db = databaseFor(env, siteId);
  const after = readCursor(cursor, ["number"]);
  const rows = await listAudit(db, siteId, after ? (after[0] as number) : null, limit + 1);
  const { page, nextCursor } = pageOf(rows, limit, (r) => [r.id]);
  return { data: page.map((r) => auditEntryView(r, audience)), next_cursor: nextCursor };
}

export type AuditPage = Awaited<ReturnType<typeof auditPage>>;
