// Flow control, as pure rules: a webhook's rate limit (its line never sends faster), auto-pause on a high failure
// rate over a rolling window, and the automatic disable after days of nothing but failures. The sequencer (its
// Durable Object) applies the first two; the consumer's reaction to an outcome the third.
import { z } from "zod";

// ---- The rate limit -------------------------------------------------------------------------------------------

export const MIN_RATE_PER_S = 0.1;
export const MAX_RATE_PER_S = 1000;

export const rateLimitSchema = z
  .number()
  .min(MIN_RATE_PER_S, `must be at least ${MIN_RATE_PER_S} (one request every 10 s)`)
  .max(MAX_RATE_PER_S, `must be at most ${MAX_RATE_PER_S}`);

/** The least time between two requests of a line: 1/rate, in whole milliseconds (rounded up, never faster). */
export function spacingMs(ratePerS: number): number {
  return Math.ceil(1000 / ratePerS);
}

/**
 * When a rate-limited line may start its next request. The previous request's answer (or its timeout, or its
 * error) came back at `previousEndedAt`, so the receiver got that request no later than then; starting the next one
 * at least 1/rate later means the receiver never sees two requests closer than 1/rate, however long the request
 * travelled, so never more than the rate in any window. A throttle (429) of the line pushes it further.
 */
export function nextSendAt(previousEndedAt: number, ratePerS: number, throttledUntil = 0): number {
  return Math.max(previousEndedAt + spacingMs(ratePerS), throttledUntil);
}

// ---- Auto-pause -----------------------------------------------------------------------------------------------

export const autoPauseSchema = z
  .object({
    failure_rate: z.number().gt(0, "must be more than 0").max(1, "must be at most 1 (100%)"),
    min_attempts: z.number().int().min(1).max(10_000),
    window_s: z.number().int().min(10).max(86_400),
  })
  .strict();

export type AutoPause = z.infer<typeof autoPauseSchema>;

/** Attempts that ended in a window: the window keeps them in at most this many buckets. */
const BUCKETS = 60;

/**
 * A webhook's recent attempt outcomes, as counts per time bucket (a bucket is 1/60 of the rule's window, at
 * least 1 s): small and fixed in size, whatever the traffic. Throttles are neither attempts nor failures.
 */
export interface OutcomeWindow {
  bucketMs: number;
  /** [bucket start (ms), attempts, failed], oldest first. */
  buckets: [number, number, number][];
}

export function bucketMsFor(rule: AutoPause): number {
  return Math.max(1000, Math.ceil((rule.window_s * 1000) / BUCKETS));
}

export function emptyWindow(rule: AutoPause): OutcomeWindow {
  return { bucketMs: bucketMsFor(rule), buckets: [] };
}

/** The window with one more outcome at `at`; buckets older than the rule's window are dropped. */
export function recordOutcome(w: OutcomeWindow, rule: AutoPause, at: number, failed: boolean): OutcomeWindow {
  const base = w.bucketMs === bucketMsFor(rule) ? w : emptyWindow(rule);
  const start = at - (at % base.bucketMs);
  const horizon = at - rule.window_s * 1000 - base.bucketMs;
  const buckets = base.buckets.filter(([s]) => s > horizon).map((b) => [...b] as [number, number, number]);
  const last = buckets[buckets.length - 1];
  if (last && last[0] === start) {
    last[1] += 1;
    last[2] += failed ? 1 : 0;
  } else {
    buckets.push([start, 1, failed ? 1 : 0]);
    buckets.sort((a, b) => a[0] - b[0]);
  }
  return { bucketMs: base.bucketMs, buckets };
}

/**
 * Attempts and failures that ended in the last `window_s` seconds before `now`. Only whole buckets inside the
 * window count: the window may look up to one bucket shorter than asked, never longer, so an old failure never
 * pauses a webhook.
 */
export function windowCounts(w: OutcomeWindow, rule: AutoPause, now: number): { attempts: number; failed: number } {
  const from = now - rule.window_s * 1000;
  let attempts = 0;
  let failed = 0;
  for (const [start, n, f] of w.buckets) {
    if (start < from || start > now) continue;
    attempts += n;
    failed += f;
  }
  return { attempts, failed };
}

/** Whether at least min_attempts attempts ended in the window and the failed share reached failure_rate. */
export function autoPauseTripped(counts: { attempts: number; failed: number }, rule: AutoPause): boolean {
  return counts.attempts >= rule.min_attempts && counts.failed / counts.attempts >= rule.failure_rate;
}

const percent = (x: number) => `${Math.round(x * 1000) / 10}%`;

export function windowText(s: number): string {
  if (s % 3600 === 0) return `${s / 3600} h`;
  if (s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}

/** The alert: the rate seen and the window, against the rule's threshold. */
export function autoPauseMessage(counts: { attempts: number; failed: number }, rule: AutoPause): string {
  return (
    `Paused automatically: ${counts.failed} of ${counts.attempts} attempts (${percent(counts.failed / counts.attempts)}) ` +
    `failed in the last ${windowText(rule.window_s)}, at or above the auto-pause rate of ${percent(rule.failure_rate)} ` +
    `(at least ${rule.min_attempts} attempts). Resume once the receiver is fixed.`
  );
}

// ---- Automatic disable ----------------------------------------------------------------------------------------

export const DEFAULT_AUTO_DISABLE_DAYS = 5;

/** AUTO_DISABLE_DAYS as a number of days: a positive number, else the default. */
export function autoDisableDays(value: string | undefined): number {
  const days = Number(value || DEFAULT_AUTO_DISABLE_DAYS);
  return Number.isFinite(days) && days > 0 ? days : DEFAULT_AUTO_DISABLE_DAYS;
}

/**
 * Whether a webhook has been failing long enough to be disabled: every attempt since `failingSince` (the first
 * failure after its last success, or null when its last attempt succeeded) failed, for at least `days`.
 */
export function failingTooLong(failingSince: number | null, now: number, days: number): boolean {
  return failingSince !== null && now - failingSince >= days * 86_400_000;
}
