// A webhook's configuration: create, read, change, delete. The REST API, the console and settings-as-code all go
// through here, so a rule (defaults, the SSRF guard, header rules, known event types, secret rotation) is written
// once. Every change is written with its audit entry in one atomic batch. The checks (field-errors.ts) and the
// building blocks (webhook-rows.ts: a new webhook's row, a change's columns) are shared with settings.ts, which puts
// many changes in one batch.
import type { Env } from "../env";
import { applyHeaderEdit, type HeaderEdit } from "../domain/custom-headers";
import { type DeliveryPolicyInput, type NewWebhookInput, type WebhookPatchInput } from "../domain/webhook-input";
import { webhookDefaults, statusAfterSubscribing } from "../domain/webhook-defaults";
import { resolveRetryPolicy } from "../domain/retry-policy";
import { rotateSecrets } from "../domain/secret-rotation";
import { generateSecret } from "../domain/signing";
import { NotFound } from "../domain/problems";
import { pageOf, readCursor } from "../domain/cursor";
import type { Actor } from "../domain/actor";
import { findWebhook, listWebhooks, webhookSortKey, type WebhookRow, type WebhookSort } from "../db/webhooks";
import { webhookConfigChanged } from "../sequencer/client";
import { customTypeNames } from "./event-types";
import { openSecrets, sealHeaders, sealSecrets } from "./sealed-columns";
import { CannotDecrypt } from "../domain/sealed";
import { log } from "../log";

import { checkedHost, eventErrors, headerErrors, invalid, secretErrors } from "./field-errors";
import {
  autoPauseColumn,
  batchWithinWebhookQuota,
  changeStatements,
  createdChanges,
  headerValues,
  insertStatements,
  lineChanged,
  newWebhookRow,
} from "./webhook-rows";
import { databaseFor } from "../db/route";

/** For a value that is about to be replaced: unreadable means nothing to keep. */
function unreadable(err: unknown): [] {
  if (!(err instanceof CannotDecrypt)) throw err;
  log("warn", "a stored value no key opens is replaced", { webhook_id: err.binding.row, what: err.binding.purpose });
  return [];
}

export async function getWebhook(env: Env, siteId: string, id: string): Promise<WebhookRow> {
  const db = databaseFor(env, siteId);
  const row = await findWebhook(db, siteId, id);
  if (!row) throw new NotFound("Webhook");
  return row;
}

/** One page of the index; `cursor` is what the previous page returned. */
export async function listWebhookPage(
  env: Env,
  siteId: string,
  sort: WebhookSort,
  cursor: string | undefined,
  limit: number,
) {
  const db = databaseFor(env, siteId);
  const after = readCursor(cursor, ["number", "string"]);
  const rows = await listWebhooks(db, siteId, sort, after as [number, string] | null, limit + 1);
  return pageOf(rows, limit, (row) => webhookSortKey(row, sort));
}

// ---- The operations of the REST API and the console ----

/** A draft subscribed to nothing, with the defaults of its format; within the site's quota (409 past it). */
export async function createWebhook(env: Env, siteId: string, input: NewWebhookInput, actor: Actor, now = Date.now()) {
  checkedHost(env, input.url);
  const errors = [...secretErrors(input.secret), ...headerErrors(env, input.headers ?? {})];
  if (errors.length) invalid(errors);
  const defaults = webhookDefaults(input.format);
  const row = await newWebhookRow(
    env,
    siteId,
    {
      ...defaults,
      name: input.name,
      description: input.description ?? null,
      url: input.url,
      headers: input.headers ?? {},
      secret: input.secret ?? null,
      messageTemplate: input.message_template ?? null,
    },
    actor,
    now,
  );
  await batchWithinWebhookQuota(
    env,
    siteId,
    insertStatements(env, row, {
      actor,
      action: "webhook.created",
      changes: createdChanges(row, Boolean(input.secret)),
      at: now,
    }),
  );
  return row;
}

/** Writes the change and its audit entry in one atomic batch, and returns the webhook as it now is. */
async function applyChange(
  env: Env,
  row: WebhookRow,
  set: Partial<WebhookRow>,
  actor: Actor,
  action: string,
  changes: unknown,
  now = Date.now(),
): Promise<WebhookRow> {
  const db = databaseFor(env, row.siteId);
  await db.batch(changeStatements(env, row, set, { actor, action, changes, at: now }));
  return { ...row, ...set, updatedAt: now };
}

/** A changed URL applies from the next attempt, also for deliveries already retrying. */
export async function updateWebhook(env: Env, row: WebhookRow, patch: WebhookPatchInput, actor: Actor) {
  const set: Partial<WebhookRow> = {};
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.format !== undefined) set.format = patch.format;
  if (patch.message_template !== undefined) set.messageTemplate = patch.message_template;
  if (patch.url !== undefined) {
    set.destinationHost = checkedHost(env, patch.url);
    set.url = patch.url;
  }
  if (patch.headers !== undefined) {
    const errors = headerErrors(env, patch.headers);
    if (errors.length) invalid(errors);
    set.headerNames = JSON.stringify(Object.keys(patch.headers));
    set.headersEnc = await sealHeaders(env, row.id, patch.headers);
  }
  const fields = Object.keys(patch);
  if (!fields.length) return row;
  return applyChange(env, row, set, actor, "webhook.updated", { fields });
}

/**
 * The full header set after `edit`, checked by the same rules as any header change (a field error otherwise).
 * Values stay write-only: the current ones are decrypted here and never leave the service.
 */
export async function planHeaderEdit(env: Env, row: WebhookRow, edit: HeaderEdit): Promise<Record<string, string>> {
  const next = applyHeaderEdit(await headerValues(env, row), edit);
  const errors = headerErrors(env, next);
  if (errors.length) invalid(errors);
  return next;
}

/** Subscriptions: types of the catalog or the site's own. A draft with at least one event becomes active. */
export async function setEvents(
  env: Env,
  row: WebhookRow,
  events: string[],
  includeDetail: boolean | undefined,
  actor: Actor,
) {
  const errors = eventErrors(events, await customTypeNames(env, row.siteId));
  if (errors.length) invalid(errors);
  const unique = [...new Set(events)];
  const set: Partial<WebhookRow> = { events: JSON.stringify(unique) };
  if (includeDetail !== undefined) set.includeDetail = includeDetail;
  const status = statusAfterSubscribing(row.status, unique);
  if (status !== row.status) set.status = status as WebhookRow["status"];
  const next = await applyChange(env, row, set, actor, "webhook.events_changed", {
    events: unique,
    include_detail: set.includeDetail ?? row.includeDetail,
  });
  if (lineChanged(row, set)) await webhookConfigChanged(env, row.siteId, row.id);
  return next;
}

/**
 * The retry policy and retry_on apply to deliveries created from now on (a delivery keeps the ones it started
 * with); the failure mode, rate limit and auto-pause rule to the webhook's line at once.
 */
export async function setDeliveryPolicy(env: Env, row: WebhookRow, input: DeliveryPolicyInput, actor: Actor) {
  const set: Partial<WebhookRow> = {};
  if (input.timeout_ms !== undefined) set.timeoutMs = input.timeout_ms;
  if (input.retry_policy !== undefined) set.retryPolicy = JSON.stringify(resolveRetryPolicy(input.retry_policy));
  if (input.retry_on !== undefined) set.retryOn = input.retry_on;
  if (input.failure_mode !== undefined) set.failureMode = input.failure_mode;
  if (input.rate_limit_per_s !== undefined) set.rateLimitPerS = input.rate_limit_per_s;
  if (input.auto_pause !== undefined) set.autoPause = autoPauseColumn(input.auto_pause);
  if (!Object.keys(set).length) return row;
  const next = await applyChange(env, row, set, actor, "webhook.policy_changed", {
    fields: Object.keys(input),
    timeout_ms: set.timeoutMs,
    retry_policy: set.retryPolicy ? JSON.parse(set.retryPolicy) : undefined,
    retry_on: set.retryOn,
    failure_mode: set.failureMode,
    rate_limit_per_s: set.rateLimitPerS,
    auto_pause: input.auto_pause,
  });
  if (lineChanged(row, set)) await webhookConfigChanged(env, row.siteId, row.id);
  return next;
}

/**
 * Sets, replaces or (without `secret`) generates the signing secret. The value is returned once, here. With an
 * overlap, the previous secret stays valid until then.
 */
export async function setSecret(
  env: Env,
  row: WebhookRow,
  input: { secret?: string; overlap_seconds?: number },
  actor: Actor,
  now = Date.now(),
) {
  const errors = secretErrors(input.secret);
  if (errors.length) invalid(errors);
  const secret = input.secret ?? generateSecret();
  const overlap = input.overlap_seconds ?? 0;
  // A stored secret no key opens any more is simply replaced (no overlap is possible): this is how it is set again.
  const current = row.secretsEnc ? await openSecrets(env, row.id, row.secretsEnc).catch(unreadable) : [];
  const rotation = rotateSecrets(current, secret, overlap, now);
  await applyChange(
    env,
    row,
    {
      secretsEnc: await sealSecrets(env, row.id, rotation.entries),
      secretRotatedAt: now,
      previousExpiresAt: rotation.previousExpiresAt,
    },
    actor,
    current.length ? "webhook.secret_rotated" : "webhook.secret_set",
    { generated: input.secret === undefined, overlap_seconds: overlap },
    now,
  );
  return { secret, rotatedAt: now, previousExpiresAt: rotation.previousExpiresAt };
}

/** Deliveries still waiting for it end `failed` (webhook_deleted); its log stays readable. */
export async function deleteWebhook(env: Env, row: WebhookRow, actor: Actor) {
  await applyChange(env, row, { deletedAt: Date.now() }, actor, "webhook.deleted", { name: row.name });
  await webhookConfigChanged(env, row.siteId, row.id);
}
