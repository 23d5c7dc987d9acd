// The building blocks of a webhook change: a new webhook's row, a change's columns and statements, its sealed
// values, and the quota judged inside the write. config.ts puts them together one change at a time; settings.ts puts
// many in one batch.
import type { Env } from "../env";
import { checkedHost } from "./field-errors";
import { type WebhookConfig } from "../domain/webhook-input";
import { statusAfterSubscribing } from "../domain/webhook-defaults";
import type { AutoPause } from "../domain/flow-control";
import { activeSecrets, rotateSecrets } from "../domain/secret-rotation";
import { newId } from "../domain/ids";
import { QuotaExceeded } from "../domain/problems";
import type { Actor } from "../domain/actor";
import { auditStatement, type AuditEntry } from "../db/audit";
import {
  insertWebhookStatement,
  isWebhookQuotaError,
  updateWebhookStatement,
  webhookQuotaGuardStatement,
  type WebhookRow,
} from "../db/webhooks";
import { openHeaders, openSecrets, sealHeaders, sealSecrets } from "./sealed-columns";
import { webhooksPerSite } from "../config";
import { databaseFor } from "../db/route";

/** The header values, decrypted (settings-as-code compares them; they never leave the Worker). */
export async function headerValues(env: Env, row: WebhookRow): Promise<Record<string, string>> {
  return row.headersEnc ? openHeaders(env, row.id, row.headersEnc) : {};
}

/** The newest valid secret, decrypted, or null. */
export async function currentSecret(env: Env, row: WebhookRow, now = Date.now()): Promise<string | null> {
  if (!row.secretsEnc) return null;
  return activeSecrets(await openSecrets(env, row.id, row.secretsEnc), now)[0] ?? null;
}

/** The secret columns after `secret` replaces the current one (null removes it); the old one stops at once. */
async function secretColumns(env: Env, webhookId: string, secret: string | null, now: number) {
  if (secret === null) return { secretsEnc: null, secretRotatedAt: null, previousExpiresAt: null };
  return {
    secretsEnc: await sealSecrets(env, webhookId, rotateSecrets([], secret, 0, now).entries),
    secretRotatedAt: now,
    previousExpiresAt: null,
  };
}

/** auto_pause as stored: JSON with its keys in one order (so settings compare it), or null. */
export function autoPauseColumn(rule: AutoPause | null): string | null {
  return (
    rule &&
    JSON.stringify({ failure_rate: rule.failure_rate, min_attempts: rule.min_attempts, window_s: rule.window_s })
  );
}

export function autoPauseOf(row: Pick<WebhookRow, "autoPause">): AutoPause | null {
  return row.autoPause ? (JSON.parse(row.autoPause) as AutoPause) : null;
}

/** Everything a webhook is configured with, its secret included (in clear, before encryption). */
export type WebhookSetup = WebhookConfig & { secret: string | null };

/** The row of a new webhook (checked by the caller): active when it has events, else a draft. */
export async function newWebhookRow(env: Env, siteId: string, setup: WebhookSetup, actor: Actor, now: number) {
  // The id first: each encrypted column is bound to it.
  const id = newId("wh");
  const row: WebhookRow = {
    id,
    siteId,
    name: setup.name,
    description: setup.description,
    url: setup.url,
    destinationHost: checkedHost(env, setup.url),
    status: statusAfterSubscribing("draft", setup.events) as WebhookRow["status"],
    format: setup.format,
    events: JSON.stringify(setup.events),
    includeDetail: setup.includeDetail,
    timeoutMs: setup.timeoutMs,
    retryPolicy: JSON.stringify(setup.retryPolicy),
    retryOn: setup.retryOn,
    failureMode: setup.failureMode,
    messageTemplate: setup.messageTemplate,
    rateLimitPerS: setup.rateLimitPerS,
    autoPause: autoPauseColumn(setup.autoPause),
    failingSince: null,
    headerNames: JSON.stringify(Object.keys(setup.headers)),
    headersEnc: await sealHeaders(env, id, setup.headers),
    alert: null,
    lastDeliveryAt: null,
    lastDeliveryState: null,
    lastDeliveryStatus: null,
    createdBy: actor.name,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
    ...(await secretColumns(env, id, setup.secret, now)),
  };
  return row;
}

/** What the audit log says of a new webhook (never a secret or a header value). */
export function createdChanges(row: WebhookRow, secretSet: boolean, extra: Record<string, unknown> = {}) {
  return {
    ...extra,
    name: row.name,
    url: row.url,
    format: row.format,
    headers: JSON.parse(row.headerNames) as string[],
    secret_set: secretSet,
  };
}

export function insertStatements(
  env: Env,
  row: WebhookRow,
  audit: Omit<AuditEntry, "siteId" | "targetType" | "targetId">,
) {
  const db = databaseFor(env, row.siteId);
  return [
    insertWebhookStatement(db, row),
    auditStatement(db, { ...audit, siteId: row.siteId, targetType: "webhook", targetId: row.id }),
  ];
}

/** The change and its audit entry, for one atomic batch. */
export function changeStatements(
  env: Env,
  row: WebhookRow,
  set: Partial<WebhookRow>,
  audit: { actor: Actor; action: string; changes: unknown; at: number },
): D1PreparedStatement[] {
  const db = databaseFor(env, row.siteId);
  return [
    updateWebhookStatement(db, row.id, { ...set, updatedAt: audit.at }),
    auditStatement(db, { ...audit, siteId: row.siteId, targetType: "webhook", targetId: row.id }),
  ];
}

/** The columns that make `row` configured as `setup` for these fields (each in settings' field names). */
export async function setupColumns(
  env: Env,
  row: WebhookRow,
  setup: WebhookSetup & { secretChanged: boolean },
  fields: readonly string[],
  now: number,
): Promise<Partial<WebhookRow>> {
  const set: Partial<WebhookRow> = {};
  const has = (f: string) => fields.includes(f);
  if (has("name")) set.name = setup.name;
  if (has("description")) set.description = setup.description;
  if (has("format")) set.format = setup.format;
  if (has("events")) {
    set.events = JSON.stringify(setup.events);
    const status = statusAfterSubscribing(row.status, setup.events);
    if (status !== row.status) set.status = status as WebhookRow["status"];
  }
  if (has("include_detail")) set.includeDetail = setup.includeDetail;
  if (has("timeout_ms")) set.timeoutMs = setup.timeoutMs;
  if (has("retry_policy")) set.retryPolicy = JSON.stringify(setup.retryPolicy);
  if (has("retry_on")) set.retryOn = setup.retryOn;
  if (has("failure_mode")) set.failureMode = setup.failureMode;
  if (has("message_template")) set.messageTemplate = setup.messageTemplate;
  if (has("rate_limit_per_s")) set.rateLimitPerS = setup.rateLimitPerS;
  if (has("auto_pause")) set.autoPause = autoPauseColumn(setup.autoPause);
  if (has("headers")) {
    set.headerNames = JSON.stringify(Object.keys(setup.headers));
    set.headersEnc = await sealHeaders(env, row.id, setup.headers);
  }
  if (setup.secretChanged) Object.assign(set, await secretColumns(env, row.id, setup.secret, now));
  return set;
}

/**
 * Whether a change needs the webhook's sequencer to look again: its status, failure mode, rate limit, auto-pause
 * rule or existence moved.
 */
export function lineChanged(row: WebhookRow, set: Partial<WebhookRow>): boolean {
  return (
    (set.status !== undefined && set.status !== row.status) ||
    (set.failureMode !== undefined && set.failureMode !== row.failureMode) ||
    (set.rateLimitPerS !== undefined && set.rateLimitPerS !== row.rateLimitPerS) ||
    (set.autoPause !== undefined && set.autoPause !== row.autoPause) ||
    (set.deletedAt !== undefined && set.deletedAt !== null)
  );
}

// ---- The quota: webhooks per site ----

export function webhookQuotaExceeded(limit: number): QuotaExceeded {
  return new QuotaExceeded(
    "WEBHOOKS_PER_SITE",
    limit,
    `A site may have at most ${limit} webhooks (the deployment's WEBHOOKS_PER_SITE); delete one first`,
  );
}

/**
 * Writes a batch that adds webhooks to a site, ended by the quota's guard: the site's count is judged inside the
 * batch, so however many requests race for the last place (REST, console, settings), one takes it.
 */
export async function batchWithinWebhookQuota(env: Env, siteId: string, statements: D1PreparedStatement[]) {
  const db = databaseFor(env, siteId);
  const limit = webhooksPerSite(env);
  try {
    return await db.batch([...statements, webhookQuotaGuardStatement(db, siteId, limit)]);
  } catch (err) {
    if (isWebhookQuotaError(err)) throw webhookQuotaExceeded(limit);
    throw err;
  }
}
