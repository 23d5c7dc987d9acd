// What accepting an event reads of its site, as statements that ride in a batch the caller already sends (the
// bearer token's key lookup: see api/middleware/auth.ts), so ingest needs no round trip of its own to read them.
import { rowsOf } from "./sql";
import { siteRefStatement, type SiteRef } from "./sites";
import { parseSubscribers, subscribersStatement, type Subscriber } from "./webhooks";
import { customTypesStatement, parseCustomTypes } from "./event-types";

export interface IngestContext {
  siteId: string;
  /** Undefined when the site does not exist. */
  site: SiteRef | undefined;
  subscribers: Subscriber[];
  customTypes: ReadonlySet<string>;
}

/** Three statements: the site, its live non-draft webhooks and its own event types (see parseIngestContext). */
export function ingestContextStatements(d1: D1Database, siteId: string): D1PreparedStatement[] {
  return [siteRefStatement(d1, siteId), subscribersStatement(d1, siteId), customTypesStatement(d1, siteId)];
}

export function parseIngestContext(siteId: string, results: D1Result[]): IngestContext {
  return {
    siteId,
    site: rowsOf<SiteRef>(results[0])[0],
    subscribers: parseSubscribers(results[1]),
    customTypes: new Set(parseCustomTypes(results[2]).map((t) => t.type)),
  };
}

export async function loadIngestContext(d1: D1Database, siteId: string): Promise<IngestContext> {
  return parseIngestContext(siteId, await d1.batch(ingestContextStatements(d1, siteId)));
}
