// Retry schedules and the verdict after each attempt.
import { z } from "zod";

/** Queues cap a message delay at 12 h; so do we, for policies and for Retry-After. */
export const MAX_DELAY_SECONDS = 43200;

export type RetryPresetName = "default" | "aggressive" | "none";

export const RETRY_PRESETS: Record<RetryPresetName, readonly number[]> = {
  default: [30, 120, 600, 3600, 21600],
  aggressive: [30, 30, 30],
  none: [],
};

export interface RetryPolicy {
  name: RetryPresetName | "custom";
  delays_s: number[];
}

export const retryPolicyInputSchema = z.union([
  z.enum(["default", "aggressive", "none"]),
  z
    .object({
      delays_s: z.array(z.number().int().min(1).max(MAX_DELAY_SECONDS)).min(1).max(10),
    })
    .strict(),
]);

export type RetryPolicyInput = z.infer<typeof retryPolicyInputSchema>;

/**
 * Which failed attempts are retried: `any` (every failure), or `server_errors`, where the receiver's 4xx other
 * than 408 (it timed out reading) and 429 (it is busy) means "do not send this again" and fails the delivery at
 * once, as PageGun's receivers expect ("return 5xx to retry, 4xx to stop").
 */
export const RETRY_ON = ["any", "server_errors"] as const;
export type RetryOn = (typeof RETRY_ON)[number];
export const retryOnSchema = z.enum(RETRY_ON);

/** Whether a receiver's answer refuses the delivery for good under `retryOn`. */
export function refusedForGood(status: number | null, retryOn: RetryOn): boolean {
  return (
    retryOn === "server_errors" && status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429
  );
}

export function resolveRetryPolicy(input: RetryPolicyInput): RetryPolicy {
  if (typeof input === "string") return { name: input, delays_s: [...RETRY_PRESETS[input]] };
  return { name: "custom", delays_s: [...input.delays_s] };
}

/** Attempts in all under a policy's delays: the first, then one per delay. */
export function maxAttempts(delays: readonly number[]): number {
  return delays.length + 1;
}

/** Retry-After as delta-seconds or an HTTP-date → seconds from now, capped at 12 h; null when absent or invalid. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v), MAX_DELAY_SECONDS);
  const at = Date.parse(v);
  if (Number.isNaN(at) || !/[a-z]/i.test(v)) return null;
  return Math.min(Math.max(0, Math.ceil((at - nowMs) / 1000)), MAX_DELAY_SECONDS);
}

/** The most a delivery waits on throttles in all, before it gives up (fails for good). */
export const MAX_THROTTLE_WAIT_MS = 24 * 3600_000;
/** A 429 that names no wait waits this long. */
export const DEFAULT_THROTTLE_WAIT_MS = 1000;

/**
 * How long a 429 asks to wait, in ms: its Retry-After (seconds, fractions allowed, or an HTTP date), else a JSON
 * body's `retry_after` in seconds (Discord's, fractional), else 1 s; never more than 12 h at once.
 */
export function throttleWaitMs(retryAfter: string | null, body: string | null, nowMs: number): number {
  const header = retryAfter === null ? null : parseRetryAfterSeconds(retryAfter, nowMs);
  const asked = header ?? retryAfterInBody(body);
  const ms = asked === null ? DEFAULT_THROTTLE_WAIT_MS : Math.ceil(asked * 1000);
  return Math.min(ms, MAX_DELAY_SECONDS * 1000);
}

/** Retry-After as (possibly fractional) seconds or an HTTP date → seconds from now; null when invalid. */
function parseRetryAfterSeconds(value: string, nowMs: number): number | null {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const at = Date.parse(v);
  if (Number.isNaN(at) || !/[a-z]/i.test(v)) return null;
  return Math.max(0, (at - nowMs) / 1000);
}

/** A JSON body's non-negative `retry_after`, in seconds (as Discord answers a 429); null otherwise. */
export function retryAfterInBody(body: string | null): number | null {
  if (body === null || !body.trimStart().startsWith("{")) return null;
  try {
    const v = (JSON.parse(body) as { retry_after?: unknown }).retry_after;
    return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : null;
  } catch {
    return null;
  }
}

export type AttemptVerdict =
  | { kind: "delivered" }
  | { kind: "retry"; delaySeconds: number }
  | { kind: "throttled"; waitMs: number }
  | { kind: "failed" }
  | { kind: "gone" };

/**
 * `attemptsMade` counts the attempts that spent the policy, the one just made included (a throttled one never
 * does); `status` is null when there was no response (timeout, network). A 2xx is delivered; a 429 is a throttle:
 * wait as asked and go again without spending a retry, until `throttledMs` (waited so far) would pass 24 h; 410
 * stops for good; with `retryOn: "server_errors"` another 4xx (not 408) fails at once; anything else retries
 * while the policy has delays, no sooner than a 503's Retry-After asks.
 */
export function decideAfterAttempt(input: {
  delays: readonly number[];
  attemptsMade: number;
  status: number | null;
  retryAfterSeconds: number | null;
  retryOn?: RetryOn;
  /** For a 429: the wait it asks for (throttleWaitMs), and the delivery's throttle waits so far. */
  throttle?: { waitMs: number; throttledMs: number };
}): AttemptVerdict {
  const { delays, attemptsMade, status, retryAfterSeconds, retryOn = "any" } = input;
  if (status !== null && status >= 200 && status < 300) return { kind: "delivered" };
  if (status === 429) {
    const t = input.throttle ?? { waitMs: DEFAULT_THROTTLE_WAIT_MS, throttledMs: 0 };
    return t.throttledMs + t.waitMs > MAX_THROTTLE_WAIT_MS
      ? { kind: "failed" }
      : { kind: "throttled", waitMs: t.waitMs };
  }
  if (status === 410) return { kind: "gone" };
  if (refusedForGood(status, retryOn)) return { kind: "failed" };
  const delay = delays[attemptsMade - 1];
  if (delay === undefined) return { kind: "failed" };
  const asked = status === 503 && retryAfterSeconds !== null ? retryAfterSeconds : 0;
  return { kind: "retry", delaySeconds: Math.min(Math.max(delay, asked), MAX_DELAY_SECONDS) };
}
