// Events: what a producer sent, stored once and shared by all its deliveries. `body` is the envelope without
// `detail`, exactly as receivers get it.
import { chunk, JSON_ROWS_PER_STATEMENT, PARAM_CHUNK, placeholders } from "./sql";

export interface NewEventRow {
  site_id: string;
  id: string;
  event_type: string;
  body: string;
  detail: string | null;
  actor_email: string | null;
  target_key: string;
  deliveries: number;
  /**
   * The deliveries of it inserted before it in the same batch (ingest writes them first): a delivery inserted while
   * the event is not there yet is not counted by the trigger that keeps events.live (migrations/0008). Zero when its
   * deliveries come after it.
   */
  live: number;
  received_at: number;
}

/**
 * Rows travel as one JSON parameter through json_each, so one statement carries many rows. An event the site
 * already has is skipped, not an error; RETURNING names the events inserted (see insertedEventIds).
 */
export function insertEventsStatements(d1: D1Database, rows: NewEventRow[]): D1PreparedStatement[] {
  return chunk(rows, JSON_ROWS_PER_STATEMENT).map((part) =>
    d1
      .prepare(
        `INSERT INTO events (site_id, id, event_type, body, detail, actor_email, target_key, deliveries, live,
                             received_at)
         SELECT j.value->>'site_id', j.value->>'id', j.value->>'event_type', j.value->>'body', j.value->>'detail',
                j.value->>'actor_email', j.value->>'target_key', j.value->>'deliveries', j.value->>'live',
                j.value->>'received_at'
         FROM json_each(?) j
         WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.site_id = j.value->>'site_id' AND e.id = j.value->>'id')
         ORDER BY j.key
         RETURNING id`,
      )
      .bind(JSON.stringify(part)),
  );
}

/** The ids an insertEventsStatements batch inserted: the others were already stored. */
export function insertedEventIds(results: D1Result[]): Set<string> {
  return new Set(results.flatMap((r) => (r.results ?? []) as { id: string }[]).map((r) => r.id));
}

/**
 * For insertDeliveriesStatements: only the deliveries of events not yet stored. Put that insert before the events'
 * in the same batch, so both see the events as they were before it (an id sent twice writes nothing new).
 */
export const NEW_EVENTS_ONLY = {
  sql: "NOT EXISTS (SELECT 1 FROM events e WHERE e.site_id = j.value->>'site_id' AND e.id = j.value->>'event_id')",
  params: [] as (string | number)[],
};

/** Which of these event ids the site already has, with their delivery counts (idempotent ingest). */
export function knownEventsStatements(d1: D1Database, siteId: string, ids: string[]): D1PreparedStatement[] {
  return chunk([...new Set(ids)], PARAM_CHUNK).map((part) =>
    d1
      .prepare(`SELECT id, deliveries FROM events WHERE site_id = ? AND id IN (${placeholders(part.length)})`)
      .bind(siteId, ...part),
  );
}

export function parseKnownEvents(results: D1Result[]): Map<string, number> {
  const known = new Map<string, number>();
  for (const r of results)
    for (const e of r.results as { id: string; deliveries: number }[]) known.set(e.id, e.deliveries);
  return known;
}

export interface EventPayload {
  body: string;
  detail: string | null;
}

export function eventPayloadStatement(d1: D1Database, siteId: string, eventId: string): D1PreparedStatement {
  return d1.prepare("SELECT body, detail FROM events WHERE site_id = ? AND id = ?").bind(siteId, eventId);
}

/**
 * Retention: events older than the cutoff that no delivery refers to any more (live = 0, the partial index
 * events_unreferenced), `limit` at a time.
 */
export async function purgeOrphanEvents(d1: D1Database, cutoff: number, limit: number): Promise<number> {
  const { meta } = await d1
    .prepare(`DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE live = 0 AND received_at < ? LIMIT ?)`)
    .bind(cutoff, limit)
    .run();
  return meta.changes ?? 0;
}
