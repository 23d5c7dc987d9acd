// Webhooks: configuration (secrets and header values encrypted), status, alert and the last-delivery summary.
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { database } from "./client";
import { webhooks } from "./schema";
import { chunk, PARAM_CHUNK, placeholders, statement } from "./sql";
import { OPEN_STATES } from "./partial-indexes";
import type { WebhookStatus } from "../domain/line";
import type { FormatName } from "../domain/formats";
import type { RetryOn } from "../domain/retry-policy";

export type WebhookRow = typeof webhooks.$inferSelect;

/** A webhook of this site that has not been deleted. */
export function findWebhook(d1: D1Database, siteId: string, id: string): Promise<WebhookRow | undefined> {
  return database(d1)
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.siteId, siteId), eq(webhooks.id, id), isNull(webhooks.deletedAt)))
    .get();
}

/** Whether the site ever had this webhook (deleted ones keep their log and stats). */
export async function webhookEverExisted(d1: D1Database, siteId: string, id: string): Promise<boolean> {
  const row = await d1.prepare("SELECT 1 AS one FROM webhooks WHERE site_id = ? AND id = ?").bind(siteId, id).first();
  return row !== null;
}

export type WebhookSort = "created_at" | "last_delivery_at";

/**
 * One page of the index, newest first, or most recently delivering first (never-delivered last). `after` is the
 * cursor: the last row's sort key and id.
 */
export function listWebhooks(
  d1: D1Database,
  siteId: string,
  sort: WebhookSort,
  after: [number, string] | null,
  limit: number,
): Promise<WebhookRow[]> {
  const key = sort === "created_at" ? sql`${webhooks.createdAt}` : sql`COALESCE(${webhooks.lastDeliveryAt}, -1)`;
  const page = after
    ? sql`(${key} < ${after[0]} OR (${key} = ${after[0]} AND ${webhooks.id} < ${after[1]}))`
    : undefined;
  return database(d1)
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.siteId, siteId), isNull(webhooks.deletedAt), page))
    .orderBy(desc(key), desc(webhooks.id))
    .limit(limit);
}

/** The cursor position of a row in a list sorted by `sort`. */
export function webhookSortKey(row: WebhookRow, sort: WebhookSort): [number, string] {
  return [sort === "created_at" ? row.createdAt : (row.lastDeliveryAt ?? -1), row.id];
}

/** A site's live webhooks, oldest first (the settings document's order). */
export function liveWebhooks(d1: D1Database, siteId: string): Promise<WebhookRow[]> {
  return database(d1)
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.siteId, siteId), isNull(webhooks.deletedAt)))
    .orderBy(webhooks.createdAt, webhooks.id);
}

/** What `unchangedSinceStatement` compares: how many live webhooks the site has, and the sum of their updated_at. */
export function webhooksFingerprint(rows: readonly Pick<WebhookRow, "updatedAt">[]): string {
  return `${rows.length}:${rows.reduce((sum, r) => sum + r.updatedAt, 0)}`;
}

/**
 * Put first in a batch, it makes the whole batch fail (and so change nothing) when the site's live webhooks are no
 * longer as they were read: any create, change or delete since moves the fingerprint. It fails by inserting an
 * audit row without an actor (NOT NULL); `isStaleWebhooksError` recognises the error.
 */
export function unchangedSinceStatement(d1: D1Database, siteId: string, fingerprint: string): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO audit_log (site_id, actor, action, target_type, target_id, created_at)
       SELECT ?1, NULL, 'settings.stale', 'settings', ?1, 0
       WHERE (SELECT COUNT(*) || ':' || COALESCE(SUM(updated_at), 0) FROM webhooks
              WHERE site_id = ?1 AND deleted_at IS NULL) IS NOT ?2`,
    )
    .bind(siteId, fingerprint);
}

export function isStaleWebhooksError(err: unknown): boolean {
  return String(err).includes("NOT NULL constraint failed: audit_log.actor");
}

/**
 * Last in a batch that may add webhooks to a site: undoes the whole batch when the site then has more than `limit`
 * live webhooks, by failing the `webhooks_per_site` CHECK of batch_guards (see schema.ts). Counted inside the batch,
 * at write time, so two concurrent creates can never both take the last place.
 */
export function webhookQuotaGuardStatement(d1: D1Database, siteId: string, limit: number): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO batch_guards (guard) SELECT 'webhooks_per_site'
       WHERE (SELECT COUNT(*) FROM webhooks WHERE site_id = ? AND deleted_at IS NULL) > ?`,
    )
    .bind(siteId, limit);
}

export function isWebhookQuotaError(err: unknown): boolean {
  return String(err).includes("CHECK constraint failed: webhooks_per_site");
}

export function insertWebhookStatement(d1: D1Database, row: WebhookRow): D1PreparedStatement {
  return statement(d1, database(d1).insert(webhooks).values(row));
}

export function updateWebhookStatement(d1: D1Database, id: string, set: Partial<WebhookRow>): D1PreparedStatement {
  return statement(d1, database(d1).update(webhooks).set(set).where(eq(webhooks.id, id)));
}

/** Pause stops an active webhook only: a disabled or draft one keeps its status. */
export function pauseStatement(d1: D1Database, id: string, now: number): D1PreparedStatement {
  return d1
    .prepare("UPDATE webhooks SET status = 'paused', updated_at = ? WHERE id = ? AND status = 'active'")
    .bind(now, id);
}

/**
 * Resume clears the alert and makes a paused or disabled webhook active again (never a draft). The automatic
 * disable's clock starts again too: the receiver has been fixed.
 */
export function resumeStatement(d1: D1Database, id: string, now: number): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE webhooks SET status = 'active', alert = NULL, failing_since = NULL, updated_at = ?
       WHERE id = ? AND status IN ('active', 'paused', 'disabled')`,
    )
    .bind(now, id);
}

/** Clears the alert once none of the webhook's deliveries is failed and unresolved. */
export function clearSettledAlertStatement(d1: D1Database, id: string, now: number): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE webhooks SET alert = NULL, updated_at = ?
       WHERE id = ? AND alert IS NOT NULL AND NOT EXISTS (SELECT 1 FROM deliveries WHERE webhook_id = ? AND state = 'failed'
                                                                     AND ${OPEN_STATES})`,
    )
    .bind(now, id, id);
}

/** What ingest needs of a site's live, subscribed webhooks, as one statement of its batch. */
export interface Subscriber {
  id: string;
  name: string;
  status: string;
  events: string;
  includeDetail: boolean;
  retryPolicy: string;
  retryOn: RetryOn;
  format: FormatName;
  messageTemplate: string | null;
  destinationHost: string;
}

export function subscribersStatement(d1: D1Database, siteId: string): D1PreparedStatement {
  return d1
    .prepare(
      `SELECT id, name, status, events, include_detail AS includeDetail, retry_policy AS retryPolicy,
              retry_on AS retryOn, format, message_template AS messageTemplate, destination_host AS destinationHost
       FROM webhooks WHERE site_id = ? AND deleted_at IS NULL AND status != 'draft'`,
    )
    .bind(siteId);
}

export function parseSubscribers(result: D1Result | undefined): Subscriber[] {
  return ((result?.results ?? []) as (Omit<Subscriber, "includeDetail"> & { includeDetail: number })[]).map((h) => ({
    ...h,
    includeDetail: Boolean(h.includeDetail),
  }));
}

/** What a replay takes from each webhook (deleted ones included, so the caller can skip them). */
export interface HookForReplay {
  id: string;
  name: string;
  status: string;
  destination_host: string;
  retry_policy: string;
  retry_on: RetryOn;
  format: FormatName;
  message_template: string | null;
  deleted_at: number | null;
}

export async function hooksForReplay(d1: D1Database, ids: string[]): Promise<Map<string, HookForReplay>> {
  const out = new Map<string, HookForReplay>();
  for (const part of chunk(ids, PARAM_CHUNK)) {
    const { results } = await d1
      .prepare(
        `SELECT id, name, status, destination_host, retry_policy, retry_on, format, message_template, deleted_at FROM webhooks
         WHERE id IN (${placeholders(part.length)})`,
      )
      .bind(...part)
      .all<HookForReplay>();
    for (const h of results) out.set(h.id, h);
  }
  return out;
}

/** What a webhook's sequencer needs to know of it. */
export interface LineConfig {
  site_id: string;
  name: string;
  status: WebhookStatus;
  failure_mode: "continue" | "pause";
  deleted_at: number | null;
  rate_limit_per_s: number | null;
  /** JSON AutoPause or null. */
  auto_pause: string | null;
}

export function lineConfigStatement(d1: D1Database, id: string): D1PreparedStatement {
  return d1
    .prepare(
      "SELECT site_id, name, status, failure_mode, deleted_at, rate_limit_per_s, auto_pause FROM webhooks WHERE id = ?",
    )
    .bind(id);
}

/** The last-delivery summary a batch of outcomes leaves on a webhook. */
export interface WebhookSummary {
  id: string;
  last_delivery_at: number;
  last_delivery_state: string;
  last_delivery_status: number | null;
  /** The batch's last attempt failed (true) or succeeded (false); null for a throttle, which is neither. */
  failed: boolean | null;
}

/** last_delivery is refreshed at most this often while nothing about it changes (a steady stream of 2xx). */
export const LAST_DELIVERY_REFRESH_MS = 10_000;

/**
 * last_delivery, and failing_since: set at the first failed attempt after a success, cleared by a success. The
 * write is skipped (D1 bills rows written) when only the time moved, by less than the refresh period, and
 * failing_since already says the right thing.
 */
export function summaryStatements(d1: D1Database, rows: WebhookSummary[]): D1PreparedStatement[] {
  return rows.map((w) => {
    const failed = w.failed === null ? null : w.failed ? 1 : 0;
    return d1
      .prepare(
        `UPDATE webhooks SET last_delivery_at = ?1, last_delivery_state = ?2, last_delivery_status = ?3,
                failing_since = CASE ?4 WHEN 1 THEN COALESCE(failing_since, ?1) WHEN 0 THEN NULL ELSE failing_since END
         WHERE id = ?5 AND (last_delivery_at IS NULL OR last_delivery_at < ?6 OR last_delivery_state IS NOT ?2
                            OR last_delivery_status IS NOT ?3
                            OR (?4 = 1 AND failing_since IS NULL) OR (?4 = 0 AND failing_since IS NOT NULL))`,
      )
      .bind(
        w.last_delivery_at,
        w.last_delivery_state,
        w.last_delivery_status,
        failed,
        w.id,
        w.last_delivery_at - LAST_DELIVERY_REFRESH_MS,
      );
  });
}

/**
 * A webhook's new alert, and its new status when the reaction pauses or disables it: a paused or active webhook
 * may become paused or disabled; a disabled one stays disabled (until resumed), a draft a draft.
 */
export function alertStatement(
  d1: D1Database,
  id: string,
  alert: string,
  status: Extract<WebhookStatus, "paused" | "disabled"> | null,
): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE webhooks SET alert = ?, status = CASE WHEN ? IS NOT NULL AND status IN ('active', 'paused') THEN ? ELSE status END
       WHERE id = ?`,
    )
    .bind(alert, status, status, id);
}

/** The id and name of each of a site's webhooks (deleted ones excluded), for a filter's choices. */
export function webhookChoicesStatement(d1: D1Database, siteId: string): D1PreparedStatement {
  return d1
    .prepare(
      "SELECT id, name FROM webhooks WHERE site_id = ? AND deleted_at IS NULL ORDER BY created_at DESC LIMIT 500",
    )
    .bind(siteId);
}
