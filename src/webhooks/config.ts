// A webhook's configuration: create, read, change, delete. The REST API, the console and settings-as-code all go
// through here, so a rule (defaults, the SSRF guard, header rules, known event types, secret rotation) is written
// once. Every change is written with its audit entry in one atomic batch. The building blocks (the checks, the row
// of a new webhook, the columns of a change) are exported for settings.ts, which puts many changes in one batch.
import type { Env } from "../env";
import { validateCustomHeaders } from "../domain/custom-headers";
import { applyHeaderEdit, type HeaderEdit } from "../domain/custom-headers";
import {
  destinationHost,
  unknownEventTypes,
  type DeliveryPolicyInput,
  type NewWebhookInput,
  type WebhookConfig,
  type WebhookPatchInput,
} from "../domain/webhook-input";
import { webhookDefaults, statusAfterSubscribing } from "../domain/webhook-defaults";
import { resolveRetryPolicy } from "../domain/retry-policy";
import type { AutoPause } from "../domain/flow-control";
import { activeSecrets, rotateSecrets } from "../domain/secret-rotation";
import { generateSecret } from "../domain/signing";
import { secretProblem } from "../domain/secret-rules";
import { newId } from "../domain/ids";
import { InvalidInput, NotFound, QuotaExceeded, type FieldError } from "../domain/problems";
import { pageOf, readCursor } from "../domain/cursor";
import type { Actor } from "../domain/actor";
import { auditStatement, type AuditEntry } from "../db/audit";
import {
  findWebhook,
  insertWebhookStatement,
  isWebhookQuotaError,
  listWebhooks,
  updateWebhookStatement,
  webhookQuotaGuardStatement,
  webhookSortKey,
  type WebhookRow,
  type WebhookSort,
} from "../db/webhooks";
import { webhookConfigChanged } from "../sequencer/client";
import { customTypeNames } from "./event-types";
import { openHeaders, openSecrets, sealHeaders, sealSecrets } from "./sealed-columns";
import { CannotDecrypt } from "../domain/sealed";
import { log } from "../log";
import { devDestinationHosts, headerPrefix, webhooksPerSite } from "../config";

/** For a value that is about to be replaced: unreadable means nothing to keep. */
function unreadable(err: unknown): [] {
  if (!(err instanceof CannotDecrypt)) throw err;
  log("warn", "a stored value no key opens is replaced", { webhook_id: err.binding.row, what: err.binding.purpose });
  return [];
}

export async function getWebhook(env: Env, siteId: string, id: string): Promise<WebhookRow> {
  const row = await findWebhook(env.DB, siteId, id);
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
  const after = readCursor(cursor, ["number", "string"]);
  const rows = await listWebhooks(env.DB, siteId, sort, after as [number, string] | null, limit + 1);
  return pageOf(rows, limit, (row) => webhookSortKey(row, sort));
}

// ---- The rules, as field errors (paths relative to the webhook: url, headers.X-Team, events.2) ----

function invalid(errors: FieldError[]): never {
  throw new InvalidInput(errors, errors.map((e) => `${e.path} ${e.message}`).join("; "));
}

/** What the address rules say of a URL (https only, no internal address), as field errors. */
export function urlErrors(env: Env, url: string): FieldError[] {
  const verdict = destinationHost(url, devDestinationHosts(env));
  return "error" in verdict ? [verdict.error] : [];
}

/** The URL's host, when the address rules allow it. */
export function checkedHost(env: Env, url: string): string {
  const verdict = destinationHost(url, devDestinationHosts(env));
  if ("error" in verdict) invalid([verdict.error]);
  return verdict.host;
}

export function headerErrors(env: Env, headers: Record<string, string>): FieldError[] {
  return validateCustomHeaders(headers, headerPrefix(env));
}

/** A user-supplied secret's length and whsec_ rules (secret-rules.ts), as field errors. */
export function secretErrors(secret: string | null | undefined): FieldError[] {
  const problem = secret === null || secret === undefined ? null : secretProblem(secret);
  return problem ? [{ path: "secret", message: problem }] : [];
}

/** Event types must be in the catalog or the site's own (`custom`). */
export function eventErrors(events: readonly string[], custom: ReadonlySet<string>): FieldError[] {
  return unknownEventTypes(events, custom).map((u) => ({
    path: `events.${u.index}`,
    message: `unknown event type ${u.type} (see GET /v1/sites/{site}/event-types)`,
  }));
}

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

// ---- Building blocks: a new webhook's row, a change's statements ----

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
  return [
    insertWebhookStatement(env.DB, row),
    auditStatement(env.DB, { ...audit, siteId: row.siteId, targetType: "webhook", targetId: row.id }),
  ];
}

/** The change and its audit entry, for one atomic batch. */
export function changeStatements(
  env: Env,
  row: WebhookRow,
  set: Partial<WebhookRow>,
  audit: { actor: Actor; action: string; changes: unknown; at: number },
): D1PreparedStatement[] {
  return [
    updateWebhookStatement(env.DB, row.id, { ...set, updatedAt: audit.at }),
    auditStatement(env.DB, { ...audit, siteId: row.siteId, targetType: "webhook", targetId: row.id }),
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
  const limit = webhooksPerSite(env);
  try {
    return await env.DB.batch([...statements, webhookQuotaGuardStatement(env.DB, siteId, limit)]);
  } catch (err) {
    if (isWebhookQuotaError(err)) throw webhookQuotaExceeded(limit);
    throw err;
  }
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
  await env.DB.batch(changeStatements(env, row, set, { actor, action, changes, at: now }));
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
  if (lineChanged(row, set)) await webhookConfigChanged(env, row.id);
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
  if (lineChanged(row, set)) await webhookConfigChanged(env, row.id);
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
  await webhookConfigChanged(env, row.id);
}
