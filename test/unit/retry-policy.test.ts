import { describe, expect, it } from "vitest";
import {
  decideAfterAttempt,
  MAX_THROTTLE_WAIT_MS,
  parseRetryAfter,
  resolveRetryPolicy,
  retryAfterInBody,
  retryPolicyInputSchema,
  RETRY_PRESETS,
  throttleWaitMs,
} from "../../src/domain/retry-policy";

const after = (
  delays: readonly number[],
  attemptsMade: number,
  status: number | null,
  retryAfterSeconds: number | null = null,
) => decideAfterAttempt({ delays, attemptsMade, status, retryAfterSeconds });

describe("retry_on", () => {
  const decide = (status: number | null, retryOn: "any" | "server_errors", attemptsMade = 1) =>
    decideAfterAttempt({ delays: [60, 300, 1500], attemptsMade, status, retryAfterSeconds: null, retryOn }).kind;

  it("server_errors: a 4xx other than 408 and 429 fails the delivery at once; everything else is retried", () => {
    for (const status of [400, 401, 403, 404, 422]) expect(decide(status, "server_errors")).toBe("failed");
    for (const status of [408, 500, 502, 503, 302, null]) expect(decide(status, "server_errors")).toBe("retry");
    expect(decide(429, "server_errors")).toBe("throttled");
    expect(decide(410, "server_errors")).toBe("gone");
    expect(decide(204, "server_errors")).toBe("delivered");
  });

  it("any (the default): a 4xx is retried like any failure", () => {
    for (const status of [400, 401, 404, 422]) expect(decide(status, "any")).toBe("retry");
    expect(decideAfterAttempt({ delays: [1], attemptsMade: 1, status: 400, retryAfterSeconds: null }).kind).toBe(
      "retry",
    );
  });
});

describe("retry policy", () => {
  it("default: retries after 30 s, 2 m, 10 m, 1 h, 6 h, then fails (6 attempts in all)", () => {
    const delays = resolveRetryPolicy("default").delays_s;
    const schedule = [1, 2, 3, 4, 5, 6].map((n) => after(delays, n, 500));
    expect(schedule).toEqual([
      { kind: "retry", delaySeconds: 30 },
      { kind: "retry", delaySeconds: 120 },
      { kind: "retry", delaySeconds: 600 },
      { kind: "retry", delaySeconds: 3600 },
      { kind: "retry", delaySeconds: 21600 },
      { kind: "failed" },
    ]);
  });

  it("aggressive is three retries 30 s apart; none never retries", () => {
    expect(resolveRetryPolicy("aggressive")).toEqual({ name: "aggressive", delays_s: [30, 30, 30] });
    expect(after(RETRY_PRESETS.aggressive, 3, null)).toEqual({ kind: "retry", delaySeconds: 30 });
    expect(after(RETRY_PRESETS.aggressive, 4, null)).toEqual({ kind: "failed" });
    expect(after(RETRY_PRESETS.none, 1, 500)).toEqual({ kind: "failed" });
  });

  it("custom delays: 1 to 10 of 1…43200 s", () => {
    expect(resolveRetryPolicy({ delays_s: [1, 1] })).toEqual({ name: "custom", delays_s: [1, 1] });
    for (const bad of [
      { delays_s: [] },
      { delays_s: [0] },
      { delays_s: [43201] },
      { delays_s: Array(11).fill(1) },
      { delays_s: [1.5] },
      "fast",
      { delays_s: [1], x: 1 },
    ]) {
      expect(retryPolicyInputSchema.safeParse(bad).success).toBe(false);
    }
  });

  it("a 2xx is delivered; 3xx, 4xx, 5xx and no response are failed attempts; 410 stops", () => {
    expect(after([5], 1, 200)).toEqual({ kind: "delivered" });
    expect(after([5], 1, 299)).toEqual({ kind: "delivered" });
    for (const status of [301, 400, 404, 500, null])
      expect(after([5], 1, status)).toEqual({ kind: "retry", delaySeconds: 5 });
    expect(after([5, 5], 1, 410)).toEqual({ kind: "gone" });
  });

  it("503 with Retry-After waits no less than asked, capped at 12 h", () => {
    expect(after([5], 1, 503, 120)).toEqual({ kind: "retry", delaySeconds: 120 });
    expect(after([600], 1, 503, 120)).toEqual({ kind: "retry", delaySeconds: 600 });
    expect(after([5], 1, 500, 120)).toEqual({ kind: "retry", delaySeconds: 5 });
    expect(after([5], 1, 503, 99999)).toEqual({ kind: "retry", delaySeconds: 43200 });
    expect(after([5], 2, 503, 120)).toEqual({ kind: "failed" });
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-05-22T14:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter("Fri, 22 May 2026 14:02:00 GMT", now)).toBe(120);
    expect(parseRetryAfter("999999", now)).toBe(43200);
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter("-5", now)).toBeNull();
  });
});

describe("a 429 is a throttle, not a failure", () => {
  const throttled = (waitMs: number, throttledMs: number, attemptsMade = 1, delays: number[] = []) =>
    decideAfterAttempt({
      delays,
      attemptsMade,
      status: 429,
      retryAfterSeconds: null,
      throttle: { waitMs, throttledMs },
    });

  it("waits as asked and spends no attempt, even when the policy has none left", () => {
    expect(throttled(400, 0)).toEqual({ kind: "throttled", waitMs: 400 });
    expect(throttled(1000, 0, 6, RETRY_PRESETS.default as number[])).toEqual({ kind: "throttled", waitMs: 1000 });
    expect(decideAfterAttempt({ delays: [], attemptsMade: 1, status: 429, retryAfterSeconds: null })).toEqual({
      kind: "throttled",
      waitMs: 1000,
    });
  });

  it("gives up after 24 h of waiting in all", () => {
    expect(throttled(3600_000, MAX_THROTTLE_WAIT_MS - 3600_000)).toEqual({ kind: "throttled", waitMs: 3600_000 });
    expect(throttled(1000, MAX_THROTTLE_WAIT_MS - 999)).toEqual({ kind: "failed" });
  });

  it("waits Retry-After (seconds, fractions, a date), else a JSON body's retry_after, else 1 s", () => {
    const now = Date.parse("2026-05-22T14:00:00Z");
    expect(throttleWaitMs("1", null, now)).toBe(1000);
    expect(throttleWaitMs("0.25", null, now)).toBe(250);
    expect(throttleWaitMs("Fri, 22 May 2026 14:00:30 GMT", null, now)).toBe(30_000);
    expect(
      throttleWaitMs(null, '{"message":"You are being rate limited.","retry_after":0.4,"global":false}', now),
    ).toBe(400);
    expect(throttleWaitMs("2", '{"retry_after":0.4}', now)).toBe(2000);
    expect(throttleWaitMs(null, null, now)).toBe(1000);
    expect(throttleWaitMs("soon", "busy", now)).toBe(1000);
    expect(throttleWaitMs("999999", null, now)).toBe(43_200_000);
  });

  it("reads retry_after only from a JSON object with a non-negative number", () => {
    expect(retryAfterInBody('{"retry_after": 1.5}')).toBe(1.5);
    for (const body of [null, "", "retry_after=1", '{"retry_after":"1"}', '{"retry_after":-1}', "{bad json", "[1]"])
      expect(retryAfterInBody(body)).toBeNull();
  });
});
