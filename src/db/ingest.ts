// What accepting an event reads of its site, as two statements that ride in a batch the caller already sends (the
// bearer token's key lookup: see api/middleware/auth.ts), so ingest needs no round trip of its own to read them.
import { rowsOf } from "./sql";
import type { SiteRef } from "./sites";
import { parseSubscribers, subscribersStatement, type Subscriber } from "./webhooks";

export interface IngestContext {
  siteId: string;
  /** Undefined when the site does not exist. */
  site: SiteRef | undefined;
  subscribers: Subscriber[];
  customTypes: ReadonlySet<string>;
}

/** Two statements: the site with its own event types (as a JSON array), and its live non-draft webhooks. */
export function ingestContextStatements(d1: D1Database, siteId: string): D1PreparedStatement[] {
  const site = d1
    .prepare(
      `SELECT id, slug, host, (SELECT json_group_array(type) FROM event_types t WHERE t.site_id = s.id) AS types
       FROM sites s WHERE id = ?`,
    )
    .bind(siteId);
  return [site, subscribersStatement(d1, siteId)];
}

export function parseIngestContext(siteId: string, results: D1Result[]): IngestContext {
  const row = rowsOf<SiteRef & { types: string }>(results[0])[0];
  return {
    siteId,
    site: row && { id: row.id, slug: row.slug, host: row.host },
    subscribers: parseSubscribers(results[1]),
    customTypes: new Set(row ? (JSON.parse(row.types) as string[]) : []),
  };
}

export async function loadIngestContext(d1: D1Database, siteId: string): Promise<IngestContext> {
  return parseIngestContext(siteId, await d1.batch(ingestContextStatements(d1, siteId)));
}
