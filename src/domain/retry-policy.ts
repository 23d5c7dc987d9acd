// STUB (helper "domain" implements): retry schedule.
import { z } from "zod";
export const MAX_DELAY_SECONDS = 43200;
export type RetryPresetName = "default" | "aggressive" | "none";
export const RETRY_PRESETS: Record<RetryPresetName, readonly number[]> = { default: [30, 120, 600, 3600, 21600], aggressive: [30, 30, 30], none: [] };
export interface RetryPolicy { name: RetryPresetName | "custom"; delays_s: number[] }
export const retryPolicyInputSchema = z.union([z.enum(["default", "aggressive", "none"]), z.object({ delays_s: z.array(z.number().int().min(1).max(MAX_DELAY_SECONDS)).min(1).max(10) })]);
export type RetryPolicyInput = z.infer<typeof retryPolicyInputSchema>;
export function resolveRetryPolicy(input: RetryPolicyInput): RetryPolicy { throw new Error("stub"); }
/** Retry-After as delta-seconds or HTTP-date → seconds from now, capped at 12 h; null when absent or invalid. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null { throw new Error("stub"); }
export type AttemptVerdict =
  | { kind: "delivered" }
  | { kind: "retry"; delaySeconds: number }
  | { kind: "failed" }
  | { kind: "gone" };
/** `attemptsMade` counts the attempt just made. `status` null = no response (timeout, network). */
export function decideAfterAttempt(input: { delays: readonly number[]; attemptsMade: number; status: number | null; retryAfterSeconds: number | null }): AttemptVerdict { throw new Error("stub"); }
