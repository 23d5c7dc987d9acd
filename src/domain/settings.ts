// Settings as code: a site's webhooks as one declarative document, keyed by url. Pure: what the document says
// (with each format's defaults), how it compares with what the site has, and the plan that makes them match.
//
// A field left out of an entry takes its default, for a new webhook and an existing one alike, so the document is
// the whole truth. Two exceptions, because their values are write-only (GET never shows them):
//   - `secret` left out keeps the webhook's current secret (none for a new one); `null` removes it.
//   - a header given as `null` keeps that header's current value (GET lists each header name with null).
import { z } from "zod";
import { timingSafeEqual } from "./crypto";
import { formatSchema } from "./formats";
import type { WebhookStatus } from "./line";
import type { FieldError } from "./problems";
import {
  resolveRetryPolicy,
  retryOnSchema,
  retryPolicyInputSchema,
  type RetryPolicy,
  type RetryPolicyInput,
} from "./retry-policy";
import { statusAfterSubscribing, webhookDefaults } from "./webhook-defaults";
import type { AutoPause } from "./flow-control";
import { webhookFields, type WebhookConfig } from "./webhook-input";

/** A document lists at most this many webhooks (and stays within the 64 KiB every admin body may have). */
export const MAX_SETTINGS_WEBHOOKS = 200;

export const settingsEntrySchema = z
  .object({
    url: webhookFields.url,
    events: webhookFields.events,
    secret: webhookFields.secret.nullable().optional(),
    name: webhookFields.name.optional(),
    description: webhookFields.description.nullable().optional(),
    format: formatSchema.optional(),
    headers: z.record(z.string(), z.string().nullable()).optional(),
    include_detail: z.boolean().optional(),
    timeout_ms: webhookFields.timeout_ms.optional(),
    retry_policy: retryPolicyInputSchema.optional(),
    retry_on: retryOnSchema.optional(),
    failure_mode: webhookFields.failure_mode.optional(),
    message_template: webhookFields.message_template.nullable().optional(),
    rate_limit_per_s: webhookFields.rate_limit_per_s.nullable().optional(),
    auto_pause: webhookFields.auto_pause.nullable().optional(),
  })
  .strict();

export const settingsDocumentSchema = z
  .object({ webhooks: z.array(settingsEntrySchema).max(MAX_SETTINGS_WEBHOOKS) })
  .strict();

export type SettingsEntry = z.infer<typeof settingsEntrySchema>;
export type SettingsDocument = z.infer<typeof settingsDocumentSchema>;

/** A webhook as the site has it (secret and header values decrypted). */
export interface CurrentWebhook extends WebhookConfig {
  id: string;
  status: Exclude<WebhookStatus, "deleted">;
  /** The newest valid secret, or null. */
  secret: string | null;
}

/** A webhook as a document wants it, its format's defaults filled in. */
export interface DesiredWebhook extends WebhookConfig {
  /** undefined: keep the current secret (none for a new webhook); null: none. */
  secret: string | null | undefined;
}

/** The settings fields, by their names in the document, in the order a plan lists them. */
export type SettingsField =
  | "name"
  | "description"
  | "format"
  | "events"
  | "include_detail"
  | "timeout_ms"
  | "retry_policy"
  | "retry_on"
  | "failure_mode"
  | "message_template"
  | "rate_limit_per_s"
  | "auto_pause"
  | "headers"
  | "secret";

/** A new webhook's name when the entry gives none: its destination without the scheme, as PageGun's have none. */
export function nameFromUrl(url: string): string {
  let name = url;
  try {
    const u = new URL(url);
    name = `${u.host}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    // An invalid URL is reported on `url`; the name does not matter then.
  }
  return name.slice(0, 100) || "webhook";
}

/**
 * What an entry asks for, with the defaults of its format filled in. `current` is the webhook at the same url, if
 * any: a header given as null keeps its value there (a header it does not have is an error).
 */
export function desiredWebhook(
  entry: SettingsEntry,
  current: CurrentWebhook | undefined,
): { desired: DesiredWebhook } | { errors: FieldError[] } {
  const format = entry.format ?? "sgen";
  const defaults = webhookDefaults(format);
  const headers: Record<string, string> = {};
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(entry.headers ?? {})) {
    if (value !== null) headers[name] = value;
    else if (current?.headers[name] !== undefined) headers[name] = current.headers[name]!;
    else errors.push({ path: `headers.${name}`, message: "null keeps the current value, and there is none" });
  }
  if (errors.length) return { errors };
  return {
    desired: {
      url: entry.url,
      name: entry.name ?? nameFromUrl(entry.url),
      description: entry.description ?? null,
      format,
      events: [...new Set(entry.events)],
      includeDetail: entry.include_detail ?? defaults.includeDetail,
      timeoutMs: entry.timeout_ms ?? defaults.timeoutMs,
      retryPolicy: entry.retry_policy === undefined ? defaults.retryPolicy : resolveRetryPolicy(entry.retry_policy),
      retryOn: entry.retry_on ?? defaults.retryOn,
      failureMode: entry.failure_mode ?? defaults.failureMode,
      // null and left out alike: none (for the rate limit, left out is the format's).
      messageTemplate: entry.message_template ?? defaults.messageTemplate,
      rateLimitPerS: entry.rate_limit_per_s === undefined ? defaults.rateLimitPerS : entry.rate_limit_per_s,
      autoPause: entry.auto_pause ?? defaults.autoPause,
      headers,
      secret: entry.secret,
    },
  };
}

/** Entries after the first with the same url (the document's key), as errors on their `url`. */
export function repeatedUrls(entries: readonly { url: string }[]): { index: number; error: FieldError }[] {
  const first = new Map<string, number>();
  const out: { index: number; error: FieldError }[] = [];
  entries.forEach((e, index) => {
    const earlier = first.get(e.url);
    if (earlier === undefined) first.set(e.url, index);
    else out.push({ index, error: { path: "url", message: `is listed already, as webhooks[${earlier}]` } });
  });
  return out;
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && new Set([...a, ...b]).size === new Set(a).size;

const sameRecord = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/** The fields that differ, in document order. Events compare as a set: their order changes nothing. */
export function changedFields(current: CurrentWebhook, desired: DesiredWebhook): SettingsField[] {
  const changed: SettingsField[] = [];
  if (current.name !== desired.name) changed.push("name");
  if (current.description !== desired.description) changed.push("description");
  if (current.format !== desired.format) changed.push("format");
  if (!sameSet(current.events, desired.events)) changed.push("events");
  if (current.includeDetail !== desired.includeDetail) changed.push("include_detail");
  if (current.timeoutMs !== desired.timeoutMs) changed.push("timeout_ms");
  if (
    current.retryPolicy.name !== desired.retryPolicy.name ||
    current.retryPolicy.delays_s.join() !== desired.retryPolicy.delays_s.join()
  )
    changed.push("retry_policy");
  if (current.retryOn !== desired.retryOn) changed.push("retry_on");
  if (current.failureMode !== desired.failureMode) changed.push("failure_mode");
  if (current.messageTemplate !== desired.messageTemplate) changed.push("message_template");
  if (current.rateLimitPerS !== desired.rateLimitPerS) changed.push("rate_limit_per_s");
  if (!sameAutoPause(current.autoPause, desired.autoPause)) changed.push("auto_pause");
  if (!sameRecord(current.headers, desired.headers)) changed.push("headers");
  if (desired.secret !== undefined && !sameSecret(current.secret, desired.secret)) changed.push("secret");
  return changed;
}

function sameAutoPause(a: AutoPause | null, b: AutoPause | null): boolean {
  if (a === null || b === null) return a === b;
  return a.failure_rate === b.failure_rate && a.min_attempts === b.min_attempts && a.window_s === b.window_s;
}

function sameSecret(current: string | null, desired: string | null): boolean {
  if (current === null || desired === null) return current === desired;
  return timingSafeEqual(current, desired);
}

export interface SettingsPlan {
  create: DesiredWebhook[];
  update: { current: CurrentWebhook; desired: DesiredWebhook; fields: SettingsField[] }[];
  unchanged: CurrentWebhook[];
  /** Webhooks the document does not list, and any second webhook at a url it lists (the key is the url). */
  delete: CurrentWebhook[];
}

/** `current` oldest first: when the site has two webhooks at one url, the oldest is the one the entry describes. */
export function planSettings(current: readonly CurrentWebhook[], desired: readonly DesiredWebhook[]): SettingsPlan {
  const byUrl = new Map<string, CurrentWebhook>();
  for (const w of current) if (!byUrl.has(w.url)) byUrl.set(w.url, w);
  const plan: SettingsPlan = { create: [], update: [], unchanged: [], delete: [] };
  const kept = new Set<string>();
  for (const d of desired) {
    const match = byUrl.get(d.url);
    if (!match) {
      plan.create.push(d);
      continue;
    }
    kept.add(match.id);
    const fields = changedFields(match, d);
    if (fields.length) plan.update.push({ current: match, desired: d, fields });
    else plan.unchanged.push(match);
  }
  plan.delete = current.filter((w) => !kept.has(w.id));
  return plan;
}

/** The status a webhook has after the plan: a new one with events is active; a draft given events becomes active. */
export function statusAfterSettings(current: CurrentWebhook | undefined, desired: DesiredWebhook): WebhookStatus {
  return statusAfterSubscribing(current?.status ?? "draft", desired.events);
}

/** The retry policy as a document writes it: a preset's name, or its delays. */
export function retryPolicyInput(policy: RetryPolicy): RetryPolicyInput {
  return policy.name === "custom" ? { delays_s: [...policy.delays_s] } : policy.name;
}

/** An entry of the document GET answers: every field but the secret; header values as null (write-only). */
export type ReadEntry = Required<Omit<SettingsEntry, "secret" | "headers">> & { headers: Record<string, null> };

export function settingsEntryOf(w: Omit<WebhookConfig, "headers"> & { headerNames: readonly string[] }): ReadEntry {
  return {
    url: w.url,
    events: [...w.events],
    name: w.name,
    description: w.description,
    format: w.format,
    include_detail: w.includeDetail,
    timeout_ms: w.timeoutMs,
    retry_policy: retryPolicyInput(w.retryPolicy),
    retry_on: w.retryOn,
    failure_mode: w.failureMode,
    message_template: w.messageTemplate,
    rate_limit_per_s: w.rateLimitPerS,
    auto_pause: w.autoPause && { ...w.autoPause },
    headers: Object.fromEntries(w.headerNames.map((name) => [name, null])),
  };
}
