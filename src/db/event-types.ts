// A site's own event types (family Custom). The primary key (site_id, type) serves every query here.
import type { CustomEventType } from "../domain/custom-event-types";
import { auditStatement, type AuditEntry } from "./audit";

export function customTypesStatement(d1: D1Database, siteId: string): D1PreparedStatement {
  return d1
    .prepare("SELECT type, description, created_by, created_at FROM event_types WHERE site_id = ? ORDER BY type")
    .bind(siteId);
}

export function parseCustomTypes(result: D1Result | undefined): CustomEventType[] {
  return (result?.results ?? []) as unknown as CustomEventType[];
}

export async function listCustomTypes(d1: D1Database, siteId: string): Promise<CustomEventType[]> {
  return parseCustomTypes(await customTypesStatement(d1, siteId).all());
}

/** The type and its audit entry, atomically. A type the site already has fails the batch (UNIQUE). */
export function insertCustomTypeStatements(
  d1: D1Database,
  siteId: string,
  t: CustomEventType,
  audit: AuditEntry,
): D1PreparedStatement[] {
  return [
    d1
      .prepare("INSERT INTO event_types (site_id, type, description, created_by, created_at) VALUES (?, ?, ?, ?, ?)")
      .bind(siteId, t.type, t.description, t.created_by, t.created_at),
    auditStatement(d1, audit),
  ];
}

/** The site's live webhooks subscribed to `type`. */
export async function subscribedWebhooks(d1: D1Database, siteId: string, type: string) {
  const { results } = await d1
    .prepare(
      `SELECT w.id, w.name FROM webhooks w, json_each(w.events) j
       WHERE w.site_id = ? AND w.deleted_at IS NULL AND j.value = ? ORDER BY w.created_at`,
    )
    .bind(siteId, type)
    .all<{ id: string; name: string }>();
  return results;
}

/**
 * Deletes the type only while no live webhook of the site subscribes to it (checked in the same statement, so a
 * subscription made meanwhile is never left pointing at a type that is gone), and audits it only once it is gone.
 * The first result's `meta.changes` says whether it went.
 */
export function deleteCustomTypeStatements(
  d1: D1Database,
  siteId: string,
  type: string,
  audit: AuditEntry,
): D1PreparedStatement[] {
  return [
    d1
      .prepare(
        `DELETE FROM event_types WHERE site_id = ?1 AND type = ?2
           AND NOT EXISTS (SELECT 1 FROM webhooks w, json_each(w.events) j
                           WHERE w.site_id = ?1 AND w.deleted_at IS NULL AND j.value = ?2)`,
      )
      .bind(siteId, type),
    auditStatement(d1, audit, {
      sql: "NOT EXISTS (SELECT 1 FROM event_types WHERE site_id = ? AND type = ?)",
      params: [siteId, type],
    }),
  ];
}
