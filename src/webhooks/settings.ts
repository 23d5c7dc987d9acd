// Settings as code: GET answers a site's webhooks as one document; PUT makes the site match a document, keyed by
// url, and answers the plan. All or nothing: a bad entry changes nothing; the changes and their audit entries (one
// per webhook created, updated or deleted, by the caller) are one atomic batch; a dry run only plans.
// The rules come from config.ts, as for every other surface; the comparison and the plan from domain/settings.ts.
import type { Env } from "../env";
import { Conflict, InvalidInput, type FieldError } from "../domain/problems";
import type { RetryPolicy } from "../domain/retry-policy";
import type { Actor } from "../domain/actor";
import { redactUrl, type Audience } from "../domain/redaction";
import {
  desiredWebhook,
  planSettings,
  repeatedUrls,
  settingsEntryOf,
  type CurrentWebhook,
  type DesiredWebhook,
  type SettingsDocument,
  type SettingsPlan,
} from "../domain/settings";
import {
  isStaleWebhooksError,
  isWebhookQuotaError,
  liveWebhooks,
  unchangedSinceStatement,
  webhookQuotaGuardStatement,
  webhooksFingerprint,
  type WebhookRow,
} from "../db/webhooks";
import { webhookConfigChanged } from "../sequencer/client";
import { eventErrors, headerErrors, secretErrors, urlErrors } from "./field-errors";
import {
  autoPauseOf,
  changeStatements,
  createdChanges,
  currentSecret,
  headerValues,
  insertStatements,
  lineChanged,
  newWebhookRow,
  setupColumns,
  webhookQuotaExceeded,
} from "./webhook-rows";
import { webhooksPerSite } from "../config";
import { customTypeNames } from "./event-types";
import { databaseFor } from "../db/route";

/** A webhook row as settings sees it, without its write-only values. */
function configOf(row: WebhookRow) {
  return {
    url: row.url,
    name: row.name,
    description: row.description,
    format: row.format,
    events: JSON.parse(row.events) as string[],
    includeDetail: row.includeDetail,
    timeoutMs: row.timeoutMs,
    retryPolicy: JSON.parse(row.retryPolicy) as RetryPolicy,
    retryOn: row.retryOn,
    failureMode: row.failureMode,
    messageTemplate: row.messageTemplate,
    rateLimitPerS: row.rateLimitPerS,
    autoPause: autoPauseOf(row),
    headerNames: JSON.parse(row.headerNames) as string[],
  };
}

/**
 * The site's webhooks as a document PUT accepts as it stands: secrets left out, header values as null. A reader who
 * may not manage the site (and so never PUTs it) gets each url with its path and query redacted.
 */
export async function readSettings(env: Env, siteId: string, audience: Audience) {
  const db = databaseFor(env, siteId);
  const rows = await liveWebhooks(db, siteId);
  const url = (u: string) => (audience === "full" ? u : redactUrl(u));
  return { webhooks: rows.map((r) => settingsEntryOf({ ...configOf(r), url: url(r.url) })) };
}

async function current(env: Env, row: WebhookRow, now: number): Promise<CurrentWebhook> {
  const { headerNames: _names, ...config } = configOf(row);
  return {
    ...config,
    id: row.id,
    status: row.status,
    headers: await headerValues(env, row),
    secret: await currentSecret(env, row, now),
  };
}

/** An entry's path as the document has it: `webhooks[2].url`, `webhooks[0].events[3]`, `webhooks[1].headers.X`. */
function entryPath(index: number, path: string): string {
  return `webhooks[${index}].${path.replace(/^events\.(\d+)/, "events[$1]")}`;
}

/** Every entry checked against every rule; the errors of all entries at once, each naming its entry. */
function desiredWebhooks(
  env: Env,
  doc: SettingsDocument,
  currentByUrl: Map<string, CurrentWebhook>,
  custom: ReadonlySet<string>,
): DesiredWebhook[] {
  const errors: FieldError[] = repeatedUrls(doc.webhooks).map(({ index, error }) => ({
    path: entryPath(index, error.path),
    message: error.message,
  }));
  const desired: DesiredWebhook[] = [];
  doc.webhooks.forEach((entry, i) => {
    const own = [...urlErrors(env, entry.url), ...eventErrors(entry.events, custom), ...secretErrors(entry.secret)];
    const made = desiredWebhook(entry, currentByUrl.get(entry.url));
    if ("errors" in made) own.push(...made.errors);
    else {
      own.push(...headerErrors(env, made.desired.headers));
      desired.push(made.desired);
    }
    errors.push(...own.map((e) => ({ path: entryPath(i, e.path), message: e.message })));
  });
  if (errors.length) throw new InvalidInput(errors);
  return desired;
}

export interface PlanView {
  dry_run: boolean;
  /** `id` is null in a dry run: the webhook does not exist yet. */
  created: { id: string | null; url: string }[];
  updated: { id: string; url: string; fields: string[] }[];
  deleted: { id: string; url: string }[];
  unchanged: { id: string; url: string }[];
}

function planView(plan: SettingsPlan, createdIds: (string | null)[], dryRun: boolean): PlanView {
  return {
    dry_run: dryRun,
    created: plan.create.map((d, i) => ({ id: createdIds[i] ?? null, url: d.url })),
    updated: plan.update.map((u) => ({ id: u.current.id, url: u.current.url, fields: u.fields })),
    deleted: plan.delete.map((w) => ({ id: w.id, url: w.url })),
    unchanged: plan.unchanged.map((w) => ({ id: w.id, url: w.url })),
  };
}

/**
 * Makes the site's webhooks match `doc` (or, with `dryRun`, only says how). Applying the same document again
 * changes nothing. Webhooks the document does not list are deleted, as DELETE …/webhooks/{id} does it.
 */
export async function applySettings(
  env: Env,
  siteId: string,
  doc: SettingsDocument,
  opts: { actor: Actor; dryRun: boolean; now?: number },
): Promise<PlanView> {
  const db = databaseFor(env, siteId);
  const now = opts.now ?? Date.now();
  const [rows, custom] = await Promise.all([liveWebhooks(db, siteId), customTypeNames(env, siteId)]);
  const currents = await Promise.all(rows.map((r) => current(env, r, now)));
  const currentByUrl = new Map<string, CurrentWebhook>();
  for (const c of currents) if (!currentByUrl.has(c.url)) currentByUrl.set(c.url, c);
  const plan = planSettings(currents, desiredWebhooks(env, doc, currentByUrl, custom));
  // The quota, judged on the plan (a dry run says so too) and again inside the batch, against a concurrent create.
  const limit = webhooksPerSite(env);
  if (plan.create.length && rows.length - plan.delete.length + plan.create.length > limit) {
    throw webhookQuotaExceeded(limit);
  }
  if (opts.dryRun) return planView(plan, [], true);

  const rowById = new Map(rows.map((r) => [r.id, r]));
  const audit = (action: string, changes: unknown) => ({ actor: opts.actor, action, changes, at: now });
  const statements = [unchangedSinceStatement(db, siteId, webhooksFingerprint(rows))];
  const createdIds: string[] = [];
  const sequencersToTell: string[] = [];
  for (const d of plan.create) {
    const row = await newWebhookRow(env, siteId, { ...d, secret: d.secret ?? null }, opts.actor, now);
    createdIds.push(row.id);
    const changes = { ...createdChanges(row, Boolean(d.secret), { via: "settings" }), events: d.events };
    statements.push(...insertStatements(env, row, audit("webhook.created", changes)));
  }
  for (const u of plan.update) {
    const row = rowById.get(u.current.id)!;
    const setup = { ...u.desired, secret: u.desired.secret ?? null, secretChanged: u.fields.includes("secret") };
    const set = await setupColumns(env, row, setup, u.fields, now);
    statements.push(
      ...changeStatements(env, row, set, audit("webhook.updated", { via: "settings", fields: u.fields })),
    );
    if (lineChanged(row, set)) sequencersToTell.push(row.id);
  }
  for (const w of plan.delete) {
    const row = rowById.get(w.id)!;
    statements.push(
      ...changeStatements(env, row, { deletedAt: now }, audit("webhook.deleted", { via: "settings", name: w.name })),
    );
    sequencersToTell.push(row.id);
  }
  if (plan.create.length) statements.push(webhookQuotaGuardStatement(db, siteId, limit));
  if (statements.length > 1) {
    try {
      await db.batch(statements);
    } catch (err) {
      if (isWebhookQuotaError(err)) throw webhookQuotaExceeded(limit);
      if (!isStaleWebhooksError(err)) throw err;
      throw new Conflict(
        "The site's webhooks changed while this document was applied; nothing was changed. Send it again.",
      );
    }
  }
  for (const id of sequencersToTell) await webhookConfigChanged(env, siteId, id);
  return planView(plan, createdIds, false);
}
