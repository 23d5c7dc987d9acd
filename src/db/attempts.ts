// Attempts: one row per HTTP attempt of a delivery, for the log's attempt detail; except a first attempt that
// delivered, which is kept on its delivery row (first_attempt), since nothing about it needs debugging and an
// attempts row would cost it two billed rows written.
import { chunk } from "./sql";

export interface AttemptRow {
  delivery_id: string;
  n: number;
  started_at: number;
  url: string;
  request_headers: string;
  response_status: number | null;
  response_body: string | null;
  response_truncated: 0 | 1;
  error: string | null;
  error_message: string | null;
  /** A throttled request (429): how long the delivery waits before its next one. */
  throttle_ms: number | null;
  prepared_ms: number;
  sent_at: number;
  response_at: number | null;
  total_ms: number;
}

/** An attempt as the log reads it back. */
export type AttemptRecord = Omit<AttemptRow, "delivery_id">;

/** INSERT OR IGNORE: a redelivered outcome never writes an attempt twice. */
export function insertAttemptsStatements(d1: D1Database, rows: AttemptRow[]): D1PreparedStatement[] {
  return chunk(rows, 100).map((part) =>
    d1
      .prepare(
        `INSERT OR IGNORE INTO attempts (delivery_id, n, started_at, url, request_headers, response_status, response_body,
                                         response_truncated, error, error_message, throttle_ms, prepared_ms, sent_at,
                                         response_at, total_ms)
         SELECT j.value->>'delivery_id', j.value->>'n', j.value->>'started_at', j.value->>'url', j.value->>'request_headers',
                j.value->>'response_status', j.value->>'response_body', j.value->>'response_truncated', j.value->>'error',
                j.value->>'error_message', j.value->>'throttle_ms', j.value->>'prepared_ms', j.value->>'sent_at', j.value->>'response_at', j.value->>'total_ms'
         FROM json_each(?) j`,
      )
      .bind(JSON.stringify(part)),
  );
}

/** What deliveries.first_attempt holds: the attempt without what its row already says or what is implied. */
type InlineAttempt = Pick<
  AttemptRow,
  | "started_at"
  | "url"
  | "request_headers"
  | "response_body"
  | "response_truncated"
  | "prepared_ms"
  | "sent_at"
  | "response_at"
  | "total_ms"
>;

/**
 * The JSON to keep on the delivery row for a first attempt that delivered, or null when the attempt needs a row of
 * its own. Inline means n = 1 and no error, error message or throttle, and the row's response_status is the
 * attempt's: attemptsOf (db/delivery-log.ts) gives it back exactly as the row would be.
 */
export function inlineFirstAttempt(a: AttemptRow, state: string): string | null {
  if (state !== "delivered" || a.n !== 1 || a.error !== null || a.error_message !== null || a.throttle_ms !== null)
    return null;
  const inline: InlineAttempt = {
    started_at: a.started_at,
    url: a.url,
    request_headers: a.request_headers,
    response_body: a.response_body,
    response_truncated: a.response_truncated,
    prepared_ms: a.prepared_ms,
    sent_at: a.sent_at,
    response_at: a.response_at,
    total_ms: a.total_ms,
  };
  return JSON.stringify(inline);
}

/** An attempt as the log reads it: its row, or a first attempt kept on the delivery (same columns, same types). */
export const ATTEMPT_COLUMNS = `n, started_at, url, request_headers, response_status, response_body, response_truncated,
  error, error_message, throttle_ms, prepared_ms, sent_at, response_at, total_ms`;

export const INLINE_ATTEMPT_COLUMNS = `1 AS n, first_attempt->>'started_at', first_attempt->>'url',
  first_attempt->>'request_headers', response_status, first_attempt->>'response_body',
  first_attempt->>'response_truncated', NULL, NULL, NULL, first_attempt->>'prepared_ms', first_attempt->>'sent_at',
  first_attempt->>'response_at', first_attempt->>'total_ms'`;
