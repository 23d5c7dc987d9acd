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

export type AttemptVerdict =
  { kind: "delivered" } | { kind: "retry"; delaySeconds: number } | { kind: "failed" } | { kind: "gone" };

/**
 * `attemptsMade` counts the attempt just made; `status` is null when there was no response (timeout,
 * network). A 2xx is delivered; 410 stops for good; with `retryOn: "server_errors"` another 4xx (not 408 or 429)
 * fails at once; anything else retries while the policy has delays, no sooner than a 429/503's Retry-After asks.
 */
export function decideAfterAttempt(input: {
  delays: readonly number[];
  attemptsMade: number;
  status: number | null;
  retryAfterSeconds: number | null;
  retryOn?: RetryOn;
}): AttemptVerdict {
  const { delays, attemptsMade, status, retryAfterSeconds, retryOn = "any" } = input;
  if (status !== null && status >= 200 && status < 300) return { kind: "delivered" };
  if (status === 410) return { kind: "gone" };
  if (refusedForGood(status, retryOn)) return { kind: "failed" };
  const delay = delays[attemptsMade - 1];
  if (delay === undefined) return { kind: "failed" };
  const asked = (status === 429 || status === 503) && retryAfterSeconds !== null ? retryAfterSeconds : 0;
  return { kind: "retry", delaySeconds: Math.min(Math.max(delay, asked), MAX_DELAY_SECONDS) };
}
