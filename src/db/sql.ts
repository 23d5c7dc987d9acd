// Small helpers for D1 statements. D1 allows at most 100 bound parameters per statement, so id lists are cut into
// chunks of PARAM_CHUNK (leaving room for a statement's other parameters); many-row writes travel as one JSON
// parameter through json_each, JSON_ROWS_PER_STATEMENT rows at a time.
export const PARAM_CHUNK = 90;
export const JSON_ROWS_PER_STATEMENT = 200;

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(",");
}

/**
 * A drizzle query as a plain D1 statement, so it can share one atomic `d1.batch` with the raw statements of the
 * hot paths and with the audit writer.
 */
export function statement(d1: D1Database, query: { toSQL(): { sql: string; params: unknown[] } }): D1PreparedStatement {
  const { sql, params } = query.toSQL();
  return d1.prepare(sql).bind(...params);
}

/** The rows of one result of a batch. */
export function rowsOf<T>(result: D1Result | undefined): T[] {
  return (result?.results ?? []) as T[];
}
