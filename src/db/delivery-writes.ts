// Set-based writes on the delivery path. Rows travel as one JSON parameter through json_each, so one
// statement carries many rows without meeting D1's 100-bound-parameter limit.
import { chunk } from "./sql";

export interface NewEventRow {
  site_id: string;
  id: string;
  event_type: string;
  body: string;
  detail: string | null;
  actor_email: string | null;
  target_key: string;
  deliveries: number;
  received_at: number;
}

export interface NewDeliveryRow {
  id: string;
  site_id: string;
  webhook_id: string;
  webhook_name: string;
  event_id: string;
  event_type: string;
  destination_host: string;
  target_key: string;
  include_detail: 0 | 1;
  retry_delays: string;
  state: "pending" | "held";
  next_attempt_at: number | null;
  order_key: number | null;
  replay_of: string | null;
  actor_email: string | null;
  created_at: number;
}

/** What a new delivery takes from its webhook: name, host, status, and the retry policy as it is now. */
export interface DeliveryHook {
  id: string;
  name: string;
  status: string;
  destinationHost: string;
  retryPolicy: string;
}

/**
 * A new delivery of an event to a webhook. It keeps the webhook's current retry policy for good, and starts
 * `held` when the webhook is paused or disabled (never dropped).
 */
export function newDeliveryRow(
  hook: DeliveryHook,
  event: Pick<
    NewDeliveryRow,
    | "id"
    | "site_id"
    | "event_id"
    | "event_type"
    | "target_key"
    | "include_detail"
    | "actor_email"
    | "order_key"
    | "replay_of"
  >,
  now: number,
): NewDeliveryRow {
  return {
    ...event,
    webhook_id: hook.id,
    webhook_name: hook.name,
    destination_host: hook.destinationHost,
    retry_delays: JSON.stringify((JSON.parse(hook.retryPolicy) as { delays_s: number[] }).delays_s),
    state: hook.status === "active" ? "pending" : "held",
    next_attempt_at: now,
    created_at: now,
  };
}

const ROWS_PER_STATEMENT = 200;

export function insertEvents(db: D1Database, rows: NewEventRow[]): D1PreparedStatement[] {
  return chunk(rows, ROWS_PER_STATEMENT).map((part) =>
    db
      .prepare(
        `INSERT INTO events (site_id, id, event_type, body, detail, actor_email, target_key, deliveries, received_at)
         SELECT j.value->>'site_id', j.value->>'id', j.value->>'event_type', j.value->>'body', j.value->>'detail',
                j.value->>'actor_email', j.value->>'target_key', j.value->>'deliveries', j.value->>'received_at'
         FROM json_each(?) j ORDER BY j.key`,
      )
      .bind(JSON.stringify(part)),
  );
}

/** Inserts in array order, so seq follows event order. RETURNING gives each new row's seq. */
export function insertDeliveries(db: D1Database, rows: NewDeliveryRow[]): D1PreparedStatement[] {
  return chunk(rows, ROWS_PER_STATEMENT).map((part) =>
    db
      .prepare(
        `INSERT INTO deliveries (id, site_id, webhook_id, webhook_name, event_id, event_type, destination_host,
                                 target_key, include_detail, retry_delays, state, attempts, next_attempt_at,
                                 order_key, replay_of, actor_email, created_at, updated_at)
         SELECT j.value->>'id', j.value->>'site_id', j.value->>'webhook_id', j.value->>'webhook_name',
                j.value->>'event_id', j.value->>'event_type', j.value->>'destination_host', j.value->>'target_key',
                j.value->>'include_detail', j.value->>'retry_delays', j.value->>'state', 0, j.value->>'next_attempt_at',
                j.value->>'order_key', j.value->>'replay_of', j.value->>'actor_email', j.value->>'created_at',
                j.value->>'created_at'
         FROM json_each(?) j ORDER BY j.key
         RETURNING id, seq`,
      )
      .bind(JSON.stringify(part)),
  );
}

export function seqsOf(results: D1Result[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of results)
    for (const row of (r.results ?? []) as { id: string; seq: number }[]) out.set(row.id, row.seq);
  return out;
}
