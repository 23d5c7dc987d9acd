// A webhook's configuration: create, read, change, delete. The REST API, the console and settings-as-code all go
// through here, so a rule (defaults, the SSRF guard, header rules, secret rotation) is written once. Every change
// is written with its audit entry in one atomic batch.
import type { Env } from "../env";
import { encryptJson, decryptJson } from "../domain/crypto";
import { applyHeaderEdit, validateCustomHeaders, type HeaderEdit } from "../domain/custom-headers";
import {
  destinationHost,
  unknownEventTypes,
  type DeliveryPolicyInput,
  type NewWebhookInput,
  type WebhookPatchInput,
} from "../domain/webhook-input";
import { webhookDefaults, statusAfterSubscribing } from "../domain/webhook-defaults";
import { resolveRetryPolicy } from "../domain/retry-policy";
import { rotateSecrets, type StoredSecret } from "../domain/secret-rotation";
import { generateSecret } from "../domain/signing";
import { secretProblem } from "../domain/secret-rules";
import { newId } from "../domain/ids";
import { InvalidInput, NotFound } from "../domain/problems";
import { pageOf, readCursor } from "../domain/cursor";
import { auditStatement } from "../db/audit";
import {
  findWebhook,
  insertWebhookStatement,
  listWebhooks,
  updateWebhookStatement,
  webhookSortKey,
  type WebhookRow,
  type WebhookSort,
} from "../db/webhooks";
import { webhookConfigChanged } from "../sequencer/client";
import { devDestinationHosts, headerPrefix } from "../config";

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

function checkedHost(env: Env, url: string): string {
  const verdict = destinationHost(url, devDestinationHosts(env));
  if ("error" in verdict) throw new InvalidInput([verdict.error], `url ${verdict.error.message}`);
  return verdict.host;
}

function checkSecret(secret: string | undefined) {
  const problem = secret === undefined ? null : secretProblem(secret);
  if (problem) throw new InvalidInput([{ path: "secret", message: problem }], `secret ${problem}`);
}

function checkHeaders(env: Env, headers: Record<string, string>) {
  const errors = validateCustomHeaders(headers, headerPrefix(env));
  if (errors.length) throw new InvalidInput(errors, errors.map((e) => e.message).join("; "));
}

async function encryptedHeaders(env: Env, headers: Record<string, string>) {
  return Object.keys(headers).length ? encryptJson(env.ENCRYPTION_KEY, headers) : null;
}

/** A draft subscribed to nothing, with the defaults. */
export async function createWebhook(env: Env, siteId: string, input: NewWebhookInput, actor: string, now = Date.now()) {
  const host = checkedHost(env, input.url);
  checkSecret(input.secret);
  if (input.headers) checkHeaders(env, input.headers);
  const defaults = webhookDefaults();
  const row: WebhookRow = {
    id: newId("wh"),
    siteId,
    name: input.name,
    description: input.description ?? null,
    url: input.url,
    destinationHost: host,
    status: defaults.status,
    events: JSON.stringify(defaults.events),
    includeDetail: defaults.includeDetail,
    timeoutMs: defaults.timeoutMs,
    retryPolicy: JSON.stringify(defaults.retryPolicy),
    failureMode: defaults.failureMode,
    headerNames: JSON.stringify(Object.keys(input.headers ?? {})),
    headersEnc: await encryptedHeaders(env, input.headers ?? {}),
    secretsEnc: input.secret
      ? await encryptJson(env.ENCRYPTION_KEY, rotateSecrets([], input.secret, 0, now).entries)
      : null,
    secretRotatedAt: input.secret ? now : null,
    previousExpiresAt: null,
    alert: null,
    lastDeliveryAt: null,
    lastDeliveryState: null,
    lastDeliveryStatus: null,
    createdBy: actor,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  };
  await env.DB.batch([
    insertWebhookStatement(env.DB, row),
    auditStatement(env.DB, {
      siteId,
      actor,
      action: "webhook.created",
      targetType: "webhook",
      targetId: row.id,
      changes: {
        name: row.name,
        url: row.url,
        headers: Object.keys(input.headers ?? {}),
        secret_set: Boolean(input.secret),
      },
      at: now,
    }),
  ]);
  return row;
}

/** Writes the change and its audit entry in one atomic batch, and returns the webhook as it now is. */
async function applyChange(
  env: Env,
  row: WebhookRow,
  set: Partial<WebhookRow>,
  actor: string,
  action: string,
  changes: unknown,
  now = Date.now(),
): Promise<WebhookRow> {
  await env.DB.batch([
    updateWebhookStatement(env.DB, row.id, { ...set, updatedAt: now }),
    auditStatement(env.DB, {
      siteId: row.siteId,
      actor,
      action,
      targetType: "webhook",
      targetId: row.id,
      changes,
      at: now,
    }),
  ]);
  return { ...row, ...set, updatedAt: now };
}

/** A changed URL applies from the next attempt, also for deliveries already retrying. */
export async function updateWebhook(env: Env, row: WebhookRow, patch: WebhookPatchInput, actor: string) {
  const set: Partial<WebhookRow> = {};
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.url !== undefined) {
    set.destinationHost = checkedHost(env, patch.url);
    set.url = patch.url;
  }
  if (patch.headers !== undefined) {
    checkHeaders(env, patch.headers);
    set.headerNames = JSON.stringify(Object.keys(patch.headers));
    set.headersEnc = await encryptedHeaders(env, patch.headers);
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
  const current = row.headersEnc ? await decryptJson<Record<string, string>>(env.ENCRYPTION_KEY, row.headersEnc) : {};
  const next = applyHeaderEdit(current, edit);
  checkHeaders(env, next);
  return next;
}

/** Subscriptions. A draft with at least one event becomes active. */
export async function setEvents(
  env: Env,
  row: WebhookRow,
  events: string[],
  includeDetail: boolean | undefined,
  actor: string,
) {
  const unknown = unknownEventTypes(events);
  if (unknown.length) {
    throw new InvalidInput(
      unknown.map((u) => ({ path: `events.${u.index}`, message: `unknown event type ${u.type}` })),
      `Unknown event types: ${unknown.map((u) => u.type).join(", ")} (see GET /v1/event-types)`,
    );
  }
  const unique = [...new Set(events)];
  const set: Partial<WebhookRow> = { events: JSON.stringify(unique) };
  if (includeDetail !== undefined) set.includeDetail = includeDetail;
  const status = statusAfterSubscribing(row.status, unique);
  if (status !== row.status) set.status = status as WebhookRow["status"];
  const next = await applyChange(env, row, set, actor, "webhook.events_changed", {
    events: unique,
    include_detail: set.includeDetail ?? row.includeDetail,
  });
  if (set.status) await webhookConfigChanged(env, row.id);
  return next;
}

/** Applies to deliveries created from now on: a delivery keeps the policy it started with. */
export async function setDeliveryPolicy(env: Env, row: WebhookRow, input: DeliveryPolicyInput, actor: string) {
  const set: Partial<WebhookRow> = {};
  if (input.timeout_ms !== undefined) set.timeoutMs = input.timeout_ms;
  if (input.retry_policy !== undefined) set.retryPolicy = JSON.stringify(resolveRetryPolicy(input.retry_policy));
  if (input.failure_mode !== undefined) set.failureMode = input.failure_mode;
  if (!Object.keys(set).length) return row;
  const next = await applyChange(env, row, set, actor, "webhook.policy_changed", {
    fields: Object.keys(input),
    timeout_ms: set.timeoutMs,
    retry_policy: set.retryPolicy ? JSON.parse(set.retryPolicy) : undefined,
    failure_mode: set.failureMode,
  });
  if (set.failureMode && set.failureMode !== row.failureMode) await webhookConfigChanged(env, row.id);
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
  actor: string,
  now = Date.now(),
) {
  checkSecret(input.secret);
  const secret = input.secret ?? generateSecret();
  const overlap = input.overlap_seconds ?? 0;
  const current = row.secretsEnc ? await decryptJson<StoredSecret[]>(env.ENCRYPTION_KEY, row.secretsEnc) : [];
  const rotation = rotateSecrets(current, secret, overlap, now);
  await applyChange(
    env,
    row,
    {
      secretsEnc: await encryptJson(env.ENCRYPTION_KEY, rotation.entries),
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
export async function deleteWebhook(env: Env, row: WebhookRow, actor: string) {
  await applyChange(env, row, { deletedAt: Date.now() }, actor, "webhook.deleted", { name: row.name });
  await webhookConfigChanged(env, row.id);
}
