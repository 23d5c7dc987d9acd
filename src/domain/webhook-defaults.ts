// What a new webhook starts with, and how subscribing moves it out of draft.
import { RETRY_PRESETS, type RetryPolicy } from "./retry-policy";
import type { FailureMode, WebhookStatus } from "./line";

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface WebhookDefaults {
  status: "draft";
  events: string[];
  includeDetail: boolean;
  timeoutMs: number;
  retryPolicy: RetryPolicy;
  failureMode: FailureMode;
}

/** A webhook is created as a draft subscribed to nothing, with a 10 s timeout, the default retries and continue. */
export function webhookDefaults(): WebhookDefaults {
  return {
    status: "draft",
    events: [],
    includeDetail: false,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    retryPolicy: { name: "default", delays_s: [...RETRY_PRESETS.default] },
    failureMode: "continue",
  };
}

/** A draft with at least one event becomes active; every other status stays as it is (a paused one stays paused). */
export function statusAfterSubscribing(status: WebhookStatus, events: readonly string[]): WebhookStatus {
  return status === "draft" && events.length > 0 ? "active" : status;
}
