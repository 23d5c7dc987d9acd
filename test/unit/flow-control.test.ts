// Flow control's pure rules: pacing a rate-limited line, auto-pause over a rolling window, the automatic disable,
// and the operational events a reaction raises (never about themselves, never in a loop).
import { describe, expect, it } from "vitest";
import {
  autoDisableDays,
  autoPauseMessage,
  autoPauseSchema,
  autoPauseTripped,
  bucketMsFor,
  emptyWindow,
  failingTooLong,
  nextSendAt,
  rateLimitSchema,
  recordOutcome,
  spacingMs,
  windowCounts,
  type AutoPause,
  type OutcomeWindow,
} from "../../src/domain/flow-control";
import { combineReactions, reactToOutcome, type OutcomeFacts } from "../../src/domain/webhook-reaction";

describe("the rate limit", () => {
  it("is 0.1 to 1000 requests per second", () => {
    for (const ok of [0.1, 0.5, 1, 2, 1000]) expect(rateLimitSchema.safeParse(ok).success).toBe(true);
    for (const bad of [0, 0.05, 1001, -1, "1"]) expect(rateLimitSchema.safeParse(bad).success).toBe(false);
  });

  it("spaces requests by 1/rate, rounded up to whole milliseconds", () => {
    expect(spacingMs(1)).toBe(1000);
    expect(spacingMs(2)).toBe(500);
    expect(spacingMs(0.5)).toBe(2000);
    expect(spacingMs(3)).toBe(334);
    expect(spacingMs(1000)).toBe(1);
  });

  it("lets the next request start 1/rate after the previous one's answer, or when a throttle ends", () => {
    expect(nextSendAt(10_000, 2)).toBe(10_500);
    expect(nextSendAt(10_000, 2, 12_000)).toBe(12_000);
    expect(nextSendAt(10_000, 2, 9_000)).toBe(10_500);
  });

  it("never lets a receiver see more than the rate in any window, however late each request is sent", () => {
    // The receiver gets a request somewhere between its send and its answer; the next send waits for the rate
    // from that answer. Whatever the delays, arrivals are at least 1/rate apart.
    const rate = 2;
    let answeredAt = 0;
    const arrivals: number[] = [];
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647) * 300;
    for (let i = 0; i < 200; i++) {
      const releasedAt = i === 0 ? 0 : nextSendAt(answeredAt, rate);
      const sentAt = releasedAt + random(); // queue and claim delays
      const arrivedAt = sentAt + random(); // the network, in either direction
      answeredAt = arrivedAt + random();
      arrivals.push(arrivedAt);
    }
    for (let i = 0; i < arrivals.length; i++) {
      const inWindow = arrivals.filter((a) => a >= arrivals[i]! && a < arrivals[i]! + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(rate);
    }
  });
});

describe("auto-pause", () => {
  const rule: AutoPause = { failure_rate: 0.5, min_attempts: 10, window_s: 300 };
  const record = (w: OutcomeWindow, at: number, ...failed: boolean[]) =>
    failed.reduce((acc, f) => recordOutcome(acc, rule, at, f), w);

  it("takes a failure rate above 0 up to 1, at least one attempt, and a window of 10 s to 24 h", () => {
    expect(autoPauseSchema.safeParse(rule).success).toBe(true);
    for (const bad of [
      { ...rule, failure_rate: 0 },
      { ...rule, failure_rate: 1.5 },
      { ...rule, min_attempts: 0 },
      { ...rule, window_s: 5 },
      { ...rule, window_s: 86_401 },
      { ...rule, extra: 1 },
    ])
      expect(autoPauseSchema.safeParse(bad).success).toBe(false);
  });

  it("trips once at least min_attempts ended in the window and the failed share reaches the rate", () => {
    expect(autoPauseTripped({ attempts: 9, failed: 9 }, rule)).toBe(false);
    expect(autoPauseTripped({ attempts: 10, failed: 4 }, rule)).toBe(false);
    expect(autoPauseTripped({ attempts: 10, failed: 5 }, rule)).toBe(true);
    expect(autoPauseTripped({ attempts: 100, failed: 60 }, rule)).toBe(true);
  });

  it("keeps a small rolling window: at most 60 buckets, old ones dropped", () => {
    expect(bucketMsFor(rule)).toBe(5000);
    expect(bucketMsFor({ ...rule, window_s: 10 })).toBe(1000);
    let w = emptyWindow(rule);
    for (let t = 0; t < 3600_000; t += 1000) w = recordOutcome(w, rule, t, t % 2000 === 0);
    expect(w.buckets.length).toBeLessThanOrEqual(62);
    expect(windowCounts(w, rule, 3600_000)).toEqual({ attempts: 300, failed: 150 });
  });

  it("counts only attempts that ended within the window: an old failure never pauses a webhook", () => {
    const t0 = 1_000_000_000;
    let w = record(emptyWindow(rule), t0, true, true, true, true, true, true);
    w = record(w, t0 + 301_000, false, false, false, false);
    expect(windowCounts(w, rule, t0 + 301_000)).toEqual({ attempts: 4, failed: 0 });
    w = record(w, t0 + 302_000, true, true, true, true, true, true);
    expect(windowCounts(w, rule, t0 + 302_000)).toEqual({ attempts: 10, failed: 6 });
  });

  it("starts afresh when the rule's window changes", () => {
    const w = record(emptyWindow(rule), 0, true);
    const other = { ...rule, window_s: 60 };
    expect(recordOutcome(w, other, 0, false)).toEqual({ bucketMs: 1000, buckets: [[0, 1, 0]] });
  });

  it("alerts with the rate seen and the window", () => {
    expect(autoPauseMessage({ attempts: 10, failed: 6 }, rule)).toBe(
      "Paused automatically: 6 of 10 attempts (60%) failed in the last 5 min, at or above the auto-pause rate of " +
        "50% (at least 10 attempts). Resume once the receiver is fixed.",
    );
  });
});

describe("the automatic disable", () => {
  const day = 86_400_000;

  it("disables after AUTO_DISABLE_DAYS (default 5) of nothing but failures", () => {
    expect(autoDisableDays(undefined)).toBe(5);
    expect(autoDisableDays("2")).toBe(2);
    expect(autoDisableDays("0.5")).toBe(0.5);
    for (const bad of ["", "0", "-1", "soon"]) expect(autoDisableDays(bad)).toBe(5);
    expect(failingTooLong(null, 10 * day, 5)).toBe(false);
    expect(failingTooLong(6 * day, 10 * day, 5)).toBe(false);
    expect(failingTooLong(5 * day, 10 * day, 5)).toBe(true);
  });
});

describe("reactions and the operational events they raise", () => {
  const facts: OutcomeFacts = {
    verdict: "failed",
    failureMode: "pause",
    isTest: false,
    isOperational: false,
    webhookId: "wh_crm",
    webhookName: "crm-contact-mirror",
    deliveryId: "dlv_1",
    eventId: "evt_1",
    eventType: "form.submitted",
    attempts: 6,
    url: "https://crm.example.com/in",
    error: "HTTP 500",
    at: "2026-05-22T14:03:18.000Z",
  };
  const types = (r: ReturnType<typeof reactToOutcome>) => r.events.map((e) => e.type);

  it("a failure in pause mode raises webhook.paused and delivery.failed, about the webhook", () => {
    const r = reactToOutcome(facts);
    expect(types(r)).toEqual(["webhook.paused", "delivery.failed"]);
    expect(r.events.every((e) => e.aboutWebhookId === "wh_crm")).toBe(true);
    expect(r.events[0]!.target).toEqual({
      type: "webhook",
      id: "wh_crm",
      title: `crm-contact-mirror: ${r.alert!.message}`,
    });
    expect(r.events[0]!.detail).toEqual({ webhook_id: "wh_crm", webhook_name: "crm-contact-mirror", alert: r.alert });
  });

  it("a 410 raises webhook.disabled and delivery.failed; a continue-mode failure delivery.failed alone", () => {
    expect(types(reactToOutcome({ ...facts, verdict: "gone" }))).toEqual(["webhook.disabled", "delivery.failed"]);
    expect(types(reactToOutcome({ ...facts, failureMode: "continue" }))).toEqual(["delivery.failed"]);
  });

  it("raises nothing for a delivery, a retry, a throttle or a test", () => {
    for (const verdict of ["delivered", "retry", "throttled"] as const)
      expect(reactToOutcome({ ...facts, verdict }).events).toEqual([]);
    expect(reactToOutcome({ ...facts, isTest: true }).events).toEqual([]);
  });

  it("an operational delivery's failure sets its webhook's alert but raises no further event (no loops)", () => {
    const r = reactToOutcome({ ...facts, isOperational: true, eventType: "webhook.paused" });
    expect(r.status).toBe("paused");
    expect(r.alert?.kind).toBe("paused_on_failure");
    expect(r.events).toEqual([]);
  });

  it("failing for AUTO_DISABLE_DAYS disables the webhook, even on a retry, and raises webhook.disabled", () => {
    const now = Date.parse(facts.at);
    const old = { ...facts, verdict: "retry" as const, now, autoDisableDays: 5, failingSince: now - 5 * 86_400_000 };
    const r = reactToOutcome(old);
    expect(r.status).toBe("disabled");
    expect(r.alert?.kind).toBe("failing_too_long");
    expect(r.alert?.message).toMatch(/^Every attempt has failed since .* \(5 days\)/);
    expect(types(r)).toEqual(["webhook.disabled"]);
    expect(reactToOutcome({ ...old, failingSince: now - 4 * 86_400_000 }).status).toBeNull();
    expect(reactToOutcome({ ...old, verdict: "delivered" }).status).toBeNull();
  });

  it("in one batch: every delivery.failed, and one status event, of the status that stands", () => {
    const continueFail = reactToOutcome({ ...facts, failureMode: "continue", deliveryId: "dlv_a" });
    const paused = reactToOutcome({ ...facts, deliveryId: "dlv_b" });
    const gone = reactToOutcome({ ...facts, verdict: "gone", deliveryId: "dlv_c" });
    const all = [continueFail, paused, gone].reduce(combineReactions);
    expect(all.status).toBe("disabled");
    expect(all.events.map((e) => [e.type, e.target.id])).toEqual([
      ["webhook.disabled", "wh_crm"],
      ["delivery.failed", "dlv_a"],
      ["delivery.failed", "dlv_b"],
      ["delivery.failed", "dlv_c"],
    ]);
  });
});
