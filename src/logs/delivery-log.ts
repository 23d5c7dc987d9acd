// Reading the delivery log: a filtered page, one delivery with every attempt, and a webhook's health signals.
import type { Env } from "../env";
import type { DeliveryFilter } from "../domain/filter";
import { pageOf, readCursor } from "../domain/cursor";
import { NotFound } from "../domain/problems";
import { summarize } from "../domain/stats";
import { rowsOf } from "../db/sql";
import {
  attemptsOf,
  listDeliveries,
  oneDelivery,
  run,
  statsCounts,
  statsHourly,
  statsLatencyPercentiles,
  type DeliveryRow,
} from "../db/delivery-log";
import type { AttemptRecord } from "../db/attempts";
import { eventPayloadStatement, type EventPayload } from "../db/events";
import { webhookEverExisted } from "../db/webhooks";
import { databaseFor } from "../db/route";
import type { Audience } from "../domain/redaction";
import { attemptView, deliveryView, logRowView, sentBody } from "./delivery-view";

type PageArgs = [env: Env, siteId: string, filter: DeliveryFilter, cursor: string | undefined, limit: number];

/** Newest first; `cursor` pages back in time and stays stable while new deliveries arrive. */
export const deliveryPage = (...args: PageArgs) => logPage(deliveryView, ...args);

/** The same page as the console shows it: each row also says how many attempts its policy allows. */
export const deliveryLogPage = (...args: PageArgs) => logPage(logRowView, ...args);

/** One row of the console's log, as it is now (after an action on it). */
export async function deliveryLogRow(env: Env, siteId: string, id: string) {
  const db = databaseFor(env, siteId);
  const d = await run(db, oneDelivery(siteId, id)).first<DeliveryRow>();
  if (!d) throw new NotFound("Delivery");
  return logRowView(d);
}

async function logPage<T>(view: (d: DeliveryRow) => T, ...[env, siteId, filter, cursor, limit]: PageArgs) {
  const before = readCursor(cursor, ["number"]);
  const { results } = await run(
    databaseFor(env, siteId),
    listDeliveries(siteId, filter, before ? (before[0] as number) : null, limit + 1),
  ).all<DeliveryRow>();
  const { page, nextCursor } = pageOf(results, limit, (d) => [d.seq]);
  return { data: page.map(view), next_cursor: nextCursor };
}

/** One delivery with every attempt, each with the body that was sent (signatures and URLs as `audience` may see). */
export async function deliveryDetail(env: Env, siteId: string, id: string, audience: Audience) {
  const db = databaseFor(env, siteId);
  const d = await run(db, oneDelivery(siteId, id)).first<DeliveryRow>();
  if (!d) throw new NotFound("Delivery");
  const [attempts, event] = await db.batch([run(db, attemptsOf(id)), eventPayloadStatement(db, siteId, d.event_id)]);
  const body = sentBody(d, rowsOf<EventPayload>(event)[0] ?? null);
  return {
    ...deliveryView(d),
    format: d.format,
    retry_on: d.retry_on,
    message_template: d.message_template,
    attempts_detail: rowsOf<AttemptRecord>(attempts).map((a) => attemptView(a, body, audience)),
  };
}

export const STATS_WINDOWS = { "24h": 24 * 3600_000, "7d": 7 * 24 * 3600_000 } as const;
export type StatsWindow = keyof typeof STATS_WINDOWS;

/** Counts by state, success rate, p50/p95 latency and deliveries per hour over the window. */
export async function webhookStats(env: Env, siteId: string, webhookId: string, window: StatsWindow, now = Date.now()) {
  const db = databaseFor(env, siteId);
  if (!(await webhookEverExisted(db, siteId, webhookId))) throw new NotFound("Webhook");
  return statsOf(env, siteId, webhookId, window, now);
}

/** The stats of a webhook the caller has already loaded (one round trip). */
export async function statsOf(env: Env, siteId: string, webhookId: string, window: StatsWindow, now = Date.now()) {
  const db = databaseFor(env, siteId);
  const since = now - STATS_WINDOWS[window];
  const [counts, latencies, hourly] = await db.batch([
    run(db, statsCounts(siteId, webhookId, since)),
    run(db, statsLatencyPercentiles(siteId, webhookId, since)),
    run(db, statsHourly(siteId, webhookId, since)),
  ]);
  return {
    window,
    ...summarize(
      rowsOf<{ state: string; n: number; attempts: number | null; throttles: number | null }>(counts),
      rowsOf<{ p50: number | null; p95: number | null }>(latencies)[0] ?? { p50: null, p95: null },
      rowsOf<{ hour: number; n: number }>(hourly),
      since,
      now,
    ),
  };
}
