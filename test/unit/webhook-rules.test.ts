// The pure rules behind a webhook's configuration and its reaction to outcomes.
import { describe, expect, it } from "vitest";
import { statusAfterSubscribing, webhookDefaults } from "../../src/domain/webhook-defaults";
import { activeSecrets, MAX_OVERLAP_SECONDS, rotateSecrets } from "../../src/domain/secret-rotation";
import { combineReactions, NO_REACTION, reactToOutcome, type OutcomeFacts } from "../../src/domain/webhook-reaction";
import { toDeliveryFilter } from "../../src/domain/filter";

describe("webhook defaults", () => {
  it("a new webhook is a draft on nothing, 10 s timeout, default retries (30 s … 6 h) on any failure, continue", () => {
    expect(webhookDefaults()).toEqual({
      status: "draft",
      format: "sgen",
      events: [],
      includeDetail: false,
      timeoutMs: 10_000,
      retryPolicy: { name: "default", delays_s: [30, 120, 600, 3600, 21600] },
      retryOn: "any",
      failureMode: "continue",
      messageTemplate: null,
      rateLimitPerS: null,
      autoPause: null,
    });
  });

  it("a pagegun webhook starts with PageGun's guarantees: 30 s, three retries with exponential backoff, 4xx stops", () => {
    expect(webhookDefaults("pagegun")).toEqual({
      status: "draft",
      format: "pagegun",
      events: [],
      includeDetail: true,
      timeoutMs: 30_000,
      retryPolicy: { name: "custom", delays_s: [60, 300, 1500] },
      retryOn: "server_errors",
      failureMode: "continue",
      messageTemplate: null,
      rateLimitPerS: null,
      autoPause: null,
    });
    const { delays_s } = webhookDefaults("pagegun").retryPolicy;
    expect(delays_s).toHaveLength(3);
    for (let i = 1; i < delays_s.length; i++) expect(delays_s[i]! / delays_s[i - 1]!).toBe(5);
  });

  it("a chat webhook starts with its platform's rate (slack and teams 1/s, discord 0.5/s) and stops on a 4xx", () => {
    expect(webhookDefaults("slack")).toMatchObject({ rateLimitPerS: 1, retryOn: "server_errors", timeoutMs: 10_000 });
    expect(webhookDefaults("teams")).toMatchObject({ rateLimitPerS: 1, retryOn: "server_errors" });
    expect(webhookDefaults("discord")).toMatchObject({ rateLimitPerS: 0.5, retryOn: "server_errors" });
  });

  it("each call gets its own copy of the delays", () => {
    webhookDefaults().retryPolicy.delays_s.push(1);
    expect(webhookDefaults().retryPolicy.delays_s).toHaveLength(5);
    webhookDefaults("pagegun").retryPolicy.delays_s.push(1);
    expect(webhookDefaults("pagegun").retryPolicy.delays_s).toHaveLength(3);
  });

  it("only a draft with events becomes active", () => {
    expect(statusAfterSubscribing("draft", ["post.published"])).toBe("active");
    expect(statusAfterSubscribing("draft", [])).toBe("draft");
    expect(statusAfterSubscribing("paused", ["post.published"])).toBe("paused");
    expect(statusAfterSubscribing("active", [])).toBe("active");
  });
});

describe("secret rotation", () => {
  const now = 1_000_000;

  it("a first secret, or a rotation without overlap, keeps just the new one", () => {
    expect(rotateSecrets([], "s1", 3600, now)).toEqual({
      entries: [{ secret: "s1", expires_at: null }],
      previousExpiresAt: null,
    });
    const current = [{ secret: "s1", expires_at: null }];
    expect(rotateSecrets(current, "s2", 0, now)).toEqual({
      entries: [{ secret: "s2", expires_at: null }],
      previousExpiresAt: null,
    });
  });

  it("with an overlap, the secret current until now stays valid until now + overlap, newest first", () => {
    const r = rotateSecrets([{ secret: "s1", expires_at: null }], "s2", 60, now);
    expect(r.entries).toEqual([
      { secret: "s2", expires_at: null },
      { secret: "s1", expires_at: now + 60_000 },
    ]);
    expect(r.previousExpiresAt).toBe(now + 60_000);
  });

  it("a second rotation keeps one previous secret: the one current until then", () => {
    const first = rotateSecrets([{ secret: "s1", expires_at: null }], "s2", 60, now);
    expect(rotateSecrets(first.entries, "s3", 60, now + 1).entries.map((e) => e.secret)).toEqual(["s3", "s2"]);
  });

  it("signs with the secrets still valid, newest first", () => {
    const entries = [
      { secret: "new", expires_at: null },
      { secret: "old", expires_at: now + 1 },
    ];
    expect(activeSecrets(entries, now)).toEqual(["new", "old"]);
    expect(activeSecrets(entries, now + 1)).toEqual(["new"]);
  });

  it("caps the overlap at 7 days", () => {
    expect(MAX_OVERLAP_SECONDS).toBe(604_800);
  });
});

describe("a webhook's reaction to an outcome", () => {
  const facts: OutcomeFacts = {
    verdict: "failed",
    failureMode: "continue",
    isTest: false,
    isOperational: false,
    webhookId: "wh_1",
    webhookName: "slack-#editorial",
    deliveryId: "dlv_1",
    eventId: "evt_1",
    eventType: "post.published",
    attempts: 6,
    url: "https://hooks.example.com/in",
    error: "HTTP 500",
    at: "2026-05-22T14:03:18.000Z",
  };

  it("delivered and retrying change nothing", () => {
    expect(reactToOutcome({ ...facts, verdict: "delivered" })).toEqual(NO_REACTION);
    expect(reactToOutcome({ ...facts, verdict: "retry" })).toEqual(NO_REACTION);
  });

  it("a permanent failure in continue mode raises an alert and delivery.failed, and leaves the webhook active", () => {
    const message = "post.published delivery dlv_1 failed after 6 attempts: HTTP 500";
    expect(reactToOutcome(facts)).toEqual({
      alert: { kind: "delivery_failed", since: facts.at, delivery_id: "dlv_1", message },
      status: null,
      events: [
        {
          type: "delivery.failed",
          aboutWebhookId: "wh_1",
          target: { type: "delivery", id: "dlv_1", title: `slack-#editorial: ${message}` },
          detail: {
            webhook_id: "wh_1",
            webhook_name: "slack-#editorial",
            delivery_id: "dlv_1",
            event_id: "evt_1",
            event_type: "post.published",
            attempts: 6,
            error: "HTTP 500",
          },
        },
      ],
    });
  });

  it("a permanent failure in pause mode pauses the webhook", () => {
    const r = reactToOutcome({ ...facts, failureMode: "pause", attempts: 1 });
    expect(r.status).toBe("paused");
    expect(r.alert?.kind).toBe("paused_on_failure");
    expect(r.alert?.message).toContain("after 1 attempt:");
  });

  it("410 Gone disables the webhook, in either mode", () => {
    for (const failureMode of ["continue", "pause"] as const) {
      const r = reactToOutcome({ ...facts, verdict: "gone", failureMode });
      expect(r.status).toBe("disabled");
      expect(r.alert?.kind).toBe("endpoint_gone");
    }
  });

  it("a test delivery never changes the webhook", () => {
    expect(reactToOutcome({ ...facts, verdict: "gone", isTest: true })).toEqual(NO_REACTION);
  });

  it("in one batch, the last alert stands and disabled outranks paused", () => {
    const paused = reactToOutcome({ ...facts, failureMode: "pause", deliveryId: "dlv_a" });
    const gone = reactToOutcome({ ...facts, verdict: "gone", deliveryId: "dlv_b" });
    expect(combineReactions(gone, paused).status).toBe("disabled");
    expect(combineReactions(gone, paused).alert?.delivery_id).toBe("dlv_a");
    expect(combineReactions(paused, NO_REACTION)).toEqual(paused);
  });
});

describe("the delivery log's filter", () => {
  it("keeps what was given and turns times into milliseconds", () => {
    expect(
      toDeliveryFilter({ state: "failed", from: "2026-05-22T00:00:00Z", to: "2026-05-23T00:00:00+00:00" }),
    ).toEqual({
      filter: { state: "failed", from: Date.UTC(2026, 4, 22), to: Date.UTC(2026, 4, 23) },
    });
    expect(toDeliveryFilter({})).toEqual({ filter: {} });
  });

  it("names `from` when it is not before `to`", () => {
    expect(toDeliveryFilter({ from: "2026-05-22T00:00:00Z", to: "2026-05-22T00:00:00Z" })).toEqual({
      error: { path: "from", message: "must be before to" },
    });
  });
});
