// Attempts: one row per HTTP attempt of a delivery, for the log's attempt detail.
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
