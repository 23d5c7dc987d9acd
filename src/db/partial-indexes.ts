// The WHERE terms of the deliveries table's partial indexes, shared by schema.ts and the queries. SQLite uses a
// partial index only when the query's WHERE contains the index's term exactly (a narrower `state = 'held'` does
// not count), so a query meant for one of these indexes repeats the term word for word.

/**
 * Deliveries still in their webhook's line, or failed and not yet resolved: what the sequencer, the sweeper and
 * the operator's resume look for. A delivered row leaves this index (free: D1 bills only the entries written).
 */
export const OPEN_STATES = "state IN ('pending', 'held', 'retrying', 'failed')";

/**
 * The log's rare states, by site. Not `pending`: every delivery starts there, and paying an entry for a state
 * most deliveries leave within a second is what this index avoids. The log's pending filter uses the open index.
 */
export const RARE_STATES = "state IN ('held', 'retrying', 'failed', 'resolved')";

/** A term as a query repeats it, for a table alias when the query has one (`d.state IN (...)`). */
export function term(t: string, alias?: string): string {
  return alias ? `${alias}.${t}` : t;
}
