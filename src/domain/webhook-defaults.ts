// What a new webhook starts with, and how subscribing moves it out of draft.
import { RETRY_PRESETS, type RetryOn, type RetryPolicy } from "./retry-policy";
import type { FailureMode, WebhookStatus } from "./line";
import { DEFAULT_FORMAT, FORMATS, type FormatName } from "./formats";
import type { AutoPause } from "./flow-control";

export const DEFAULT_TIMEOUT_MS = 10_000;
export const MIN_TIMEOUT_MS = 1_000;
export const MAX_TIMEOUT_MS = 30_000;

export interface WebhookDefaults {
  status: "draft";
  format: FormatName;
  events: string[];
  includeDetail: boolean;
  timeoutMs: number;
  retryPolicy: RetryPolicy;
  retryOn: RetryOn;
  failureMode: FailureMode;
  /** Chat formats' main text; null: the format's own. */
  messageTemplate: string | null;
  /** Requests per second the line may send; null: no limit. */
  rateLimitPerS: number | null;
  /** Pause on a high failure rate; null: only as the failure mode says. */
  autoPause: AutoPause | null;
}

/**
 * A webhook is created as a draft subscribed to nothing, with a 10 s timeout, the default retries on any failure,
 * continue, no rate limit and no auto-pause; its format may change some of that (pagegun: 30 s, three retries, 4xx
 * stops, detail included; the chat formats: 4xx stops, and the platform's rate, 1/s or 0.5/s for discord).
 */
export function webhookDefaults(format: FormatName = DEFAULT_FORMAT): WebhookDefaults {
  const own = FORMATS[format].defaults;
  return {
    status: "draft",
    format,
    events: [],
    includeDetail: own.includeDetail ?? false,
    timeoutMs: own.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retryPolicy: own.retryPolicy
      ? { name: own.retryPolicy.name, delays_s: [...own.retryPolicy.delays_s] }
      : { name: "default", delays_s: [...RETRY_PRESETS.default] },
    retryOn: own.retryOn ?? "any",
    failureMode: "continue",
    messageTemplate: null,
    rateLimitPerS: own.rateLimitPerS ?? null,
    autoPause: null,
  };
}

/** A draft with at least one event becomes active; every other status stays as it is (a paused one stays paused). */
export function statusAfterSubscribing(status: WebhookStatus, events: readonly string[]): WebhookStatus {
  return status === "draft" && events.length > 0 ? "active" : status;
}
