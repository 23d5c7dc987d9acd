// Flow control inside workerd, with the real consumer, sequencer (and its alarms), queue and D1: a throttle spends
// no attempt, a rate-limited line sends one request at a time and never faster, auto-pause and the automatic
// disable, and the operational events they raise (never to the webhook they are about, never in a loop).
import { env } from "cloudflare:workers";
import { abortAllDurableObjects } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { acceptEvents } from "../../src/delivery/ingest";
import { flushOutbox } from "../../src/delivery/operational";
import { sequencer } from "../../src/sequencer/client";
import { alertStatements } from "../../src/webhooks/alerts";
import { webhookEvent } from "../../src/domain/webhook-reaction";
import { MAX_THROTTLE_WAIT_MS } from "../../src/domain/retry-policy";
import { api, json } from "../helpers";
import {
  attemptRows,
  deliveryRow,
  insertDelivery,
  insertHook,
  insertKey,
  insertSite,
  makeDue,
  runConsumer,
  webhookRow,
} from "../pipeline-fixtures";
import { spyReceiver, type ReceivedCall } from "../receiver-spy";

let receiver: ReturnType<typeof spyReceiver>;
beforeEach(() => {
  receiver = spyReceiver();
});
afterEach(() => vi.restoreAllMocks());

const WAIT = { timeout: 20_000, interval: 50 };
let n = 0;
const event = (target = ++n, type = "post.published") => ({
  event_type: type,
  event_id: `evt_flow_${target}_${crypto.randomUUID().slice(0, 8)}`,
  target: { type: "post", id: target, title: `Post ${target}`, url: `https://example.com/p/${target}` },
});

async function states(webhookId: string) {
  const { results } = await env.DB.prepare("SELECT state FROM deliveries WHERE webhook_id = ? ORDER BY seq")
    .bind(webhookId)
    .all<{ state: string }>();
  return results.map((r) => r.state);
}

const to = (hook: { url: string }) => (c: ReceivedCall) => c.url === hook.url;

describe("a 429 is a throttle", () => {
  it("spends no attempt: the delivery waits Retry-After and goes again, and the log records the throttle", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { delays: [] });
    const d = await insertDelivery(site, hook);
    receiver.set(() => new Response("slow down", { status: 429, headers: { "retry-after": "2" } }));

    const run = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    expect(run.retryMessages).toEqual([{ msgId: run.ids[0], delaySeconds: 2 }]);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({
      state: "retrying",
      attempts: 0,
      throttles: 1,
      throttled_ms: 2000,
      response_status: 429,
      last_error: "throttled",
    });
    const [throttled] = await attemptRows(d.deliveryId);
    expect(throttled).toMatchObject({ n: 1, response_status: 429, error: "throttled", throttle_ms: 2000 });

    receiver.set(() => new Response("ok"));
    await makeDue(d.deliveryId);
    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "delivered", attempts: 1, throttles: 1 });
    expect(receiver.calls.map((c) => c.headers["x-sgen-delivery-attempt"])).toEqual(["1", "2"]);
    expect((await webhookRow(hook.id))!.alert).toBeNull();
  });

  it("waits a JSON body's retry_after (Discord's, fractional), the queue's delay rounded up to a whole second", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id);
    const d = await insertDelivery(site, hook);
    receiver.set(() => Response.json({ message: "You are being rate limited.", retry_after: 0.4 }, { status: 429 }));

    const before = Date.now();
    const run = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    expect(run.retryMessages).toEqual([{ msgId: run.ids[0], delaySeconds: 1 }]);
    const row = await deliveryRow(d.deliveryId);
    expect(row).toMatchObject({ attempts: 0, throttles: 1, throttled_ms: 400 });
    expect(row!.next_attempt_at).toBeGreaterThanOrEqual(before + 400);
  });

  it("gives up after 24 h of throttle waits in all: failed for good, with an alert", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id);
    const d = await insertDelivery(site, hook);
    await env.DB.prepare("UPDATE deliveries SET throttles = 50, throttled_ms = ? WHERE id = ?")
      .bind(MAX_THROTTLE_WAIT_MS - 500, d.deliveryId)
      .run();
    receiver.set(() => new Response("slow down", { status: 429, headers: { "retry-after": "1" } }));

    const run = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    expect(run.explicitAcks).toEqual(run.ids);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "failed", attempts: 0, last_error: "throttled" });
    const [attempt] = await attemptRows(d.deliveryId);
    expect(attempt!.n).toBe(51);
    expect(attempt!.error_message).toMatch(/giving up \(at most 24 h\)/);
    expect(JSON.parse((await webhookRow(hook.id))!.alert)).toMatchObject({ kind: "delivery_failed" });
  });
});

describe("a rate-limited line", () => {
  /** Answers after `ms`, and records when each request started and when its answer went back. */
  function timedReceiver(ms: number, status = (_c: ReceivedCall) => 200) {
    const log: { started: number; answered: number }[] = [];
    let inFlight = 0;
    let most = 0;
    receiver.set(async (call) => {
      const started = Date.now();
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, ms));
      inFlight--;
      log.push({ started, answered: Date.now() });
      return new Response("ok", { status: status(call) });
    });
    return { log, most: () => most };
  }

  it("sends one request at a time, each at least 1/rate after the previous one's answer", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { rate_limit_per_s: 10, url: "http://127.0.0.1:9/paced" });
    const t = timedReceiver(20);
    const events = Array.from({ length: 6 }, () => event());
    await acceptEvents(env, site.id, events);
    // Released one at a time: the rest wait, held, for the rate.
    const snap = await sequencer(env, hook.id).snapshot({ webhookId: hook.id, siteId: site.id });
    expect(snap.rate).toBe(10);
    expect(snap.entries.filter((e) => e.phase === "inflight")).toHaveLength(1);
    expect(snap.pace.outstanding).not.toBeNull();

    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(Array(6).fill("delivered")), WAIT);
    expect(t.most()).toBe(1);
    const sorted = [...t.log].sort((a, b) => a.started - b.started);
    for (let i = 1; i < sorted.length; i++)
      expect(sorted[i]!.started - sorted[i - 1]!.answered).toBeGreaterThanOrEqual(100);
    expect(receiver.calls.map((c) => c.json.event_id)).toEqual(events.map((e) => e.event_id));
  });

  it("takes back its retries and throttles from the consumer (nothing waits on the queue) and paces them too", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { rate_limit_per_s: 20, delays: [1] });
    const d = await insertDelivery(site, hook);
    receiver.set(() => new Response("down", { status: 503 }));

    const run = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id, paced: true }]);
    expect(run.retryMessages).toEqual([]);
    expect(run.explicitAcks).toEqual(run.ids);
    const row = await deliveryRow(d.deliveryId);
    expect(row).toMatchObject({ state: "retrying", attempts: 1 });
    const entry = (await sequencer(env, hook.id).snapshot({ webhookId: hook.id, siteId: site.id })).entries.find(
      (e) => e.id === d.deliveryId,
    )!;
    expect(entry).toMatchObject({ phase: "inflight", dueAt: row!.next_attempt_at });

    // When it comes due, the sequencer's alarm releases it.
    receiver.set(() => new Response("ok"));
    await vi.waitFor(async () => expect((await deliveryRow(d.deliveryId))!.state).toBe("delivered"), WAIT);
    expect(receiver.calls).toHaveLength(2);
  });

  it("a throttle holds the whole line for as long as the receiver asked", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { rate_limit_per_s: 1000, url: "http://127.0.0.1:9/throttling" });
    let throttled = false;
    const times: number[] = [];
    receiver.set(() => {
      times.push(Date.now());
      if (throttled) return new Response("ok");
      throttled = true;
      return new Response("slow down", { status: 429, headers: { "retry-after": "1" } });
    });
    await acceptEvents(env, site.id, [event(), event(), event()]);
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(Array(3).fill("delivered")), WAIT);
    expect(times).toHaveLength(4);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1000);
  });

  it("keeps its pacing across a restart of the object", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { rate_limit_per_s: 10, url: "http://127.0.0.1:9/restart" });
    const t = timedReceiver(5);
    await acceptEvents(env, site.id, [event(), event(), event(), event()]);
    await vi.waitFor(() => expect(receiver.calls.length).toBeGreaterThanOrEqual(1), WAIT);
    await abortAllDurableObjects();
    const snap = await sequencer(env, hook.id).snapshot({ webhookId: hook.id, siteId: site.id });
    expect(snap.pace.nextAt + snap.entries.length).toBeGreaterThan(0);
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(Array(4).fill("delivered")), WAIT);
    expect(t.most()).toBe(1);
  });
});

describe("auto-pause", () => {
  const rule = { failure_rate: 0.5, min_attempts: 4, window_s: 60 };

  it("pauses the webhook once the failed share of the window reaches the rule, and tells subscribers, not itself", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, {
      url: "http://127.0.0.1:9/failing",
      delays: [],
      auto_pause: rule,
      events: ["post.published", "webhook.paused"],
    });
    const ops = await insertHook(site.id, { url: "http://127.0.0.1:9/ops", events: ["webhook.paused"] });
    receiver.set((c) => new Response("x", { status: c.url === hook.url ? 500 : 200 }));

    await acceptEvents(env, site.id, [event(), event(), event(), event()]);
    await vi.waitFor(async () => expect((await webhookRow(hook.id))!.status).toBe("paused"), WAIT);
    const alert = JSON.parse((await webhookRow(hook.id))!.alert);
    expect(alert).toMatchObject({ kind: "auto_paused", delivery_id: null });
    expect(alert.message).toContain("4 of 4 attempts (100%) failed in the last 1 min");
    expect(alert.message).toContain("auto-pause rate of 50%");

    await vi.waitFor(() => expect(receiver.calls.filter(to(ops))).toHaveLength(1), WAIT);
    const told = receiver.calls.find(to(ops))!;
    expect(told.json).toMatchObject({
      event_type: "webhook.paused",
      actor: null,
      target: { type: "webhook", id: hook.id },
    });
    expect(told.json.target.title).toContain("Paused automatically");
    expect(receiver.calls.filter((c) => to(hook)(c) && c.json.event_type === "webhook.paused")).toEqual([]);
    const own = await env.DB.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE webhook_id = ? AND event_type = ?")
      .bind(hook.id, "webhook.paused")
      .first<{ n: number }>();
    expect(own!.n).toBe(0);
    expect((await env.DB.prepare("SELECT COUNT(*) AS n FROM event_outbox").first<{ n: number }>())!.n).toBe(0);

    // Resume clears the alert and starts the window afresh: one more failure does not pause it again.
    const admin = await insertKey(site.id, "integrations-admin");
    const resumed = await api("POST", `/v1/sites/${site.id}/webhooks/${hook.id}/resume`, {}, admin);
    expect(resumed.status).toBe(200);
    expect((await webhookRow(hook.id))!.alert).toBeNull();
    await acceptEvents(env, site.id, [event()]);
    await vi.waitFor(async () => expect((await states(hook.id)).at(-1)).toBe("failed"), WAIT);
    expect((await webhookRow(hook.id))!.status).toBe("active");
  });

  it("counts throttles as neither attempts nor failures", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/busy", auto_pause: rule });
    let calls = 0;
    receiver.set(() =>
      ++calls <= 6 ? new Response("busy", { status: 429, headers: { "retry-after": "0" } }) : new Response("ok"),
    );
    await acceptEvents(env, site.id, [event()]);
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["delivered"]), WAIT);
    expect((await webhookRow(hook.id))!.status).toBe("active");
  });
});

describe("operational events", () => {
  it("an operational delivery's failure pauses its own webhook but raises nothing further: no loops", async () => {
    const site = await insertSite();
    const crm = await insertHook(site.id, { url: "http://127.0.0.1:9/crm", delays: [], failure_mode: "pause" });
    const ops = await insertHook(site.id, {
      url: "http://127.0.0.1:9/ops-down",
      delays: [],
      failure_mode: "pause",
      events: ["webhook.paused", "delivery.failed"],
    });
    const other = await insertHook(site.id, { url: "http://127.0.0.1:9/other", events: ["webhook.paused"] });
    receiver.set((c) => new Response("x", { status: c.url === other.url ? 200 : 500 }));

    await acceptEvents(env, site.id, [event()]);
    await vi.waitFor(async () => expect((await webhookRow(ops.id))!.status).toBe("paused"), WAIT);
    expect((await webhookRow(crm.id))!.status).toBe("paused");
    expect(JSON.parse((await webhookRow(ops.id))!.alert)).toMatchObject({ kind: "paused_on_failure" });
    // The ops webhook heard of the CRM (webhook.paused and delivery.failed), and failed; nothing was raised about it.
    await vi.waitFor(() => expect(receiver.calls.filter(to(other))).toHaveLength(1), WAIT);
    const aboutOps = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM events WHERE site_id = ? AND event_type LIKE 'webhook.%' AND body LIKE ?",
    )
      .bind(site.id, `%"id":"${ops.id}"%`)
      .first<{ n: number }>();
    expect(aboutOps!.n).toBe(0);
    expect(receiver.calls.find(to(other))!.json.target.id).toBe(crm.id);
  });

  it("five days of nothing but failures disable a webhook, with an alert and webhook.disabled", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/dead", delays: [60] });
    const ops = await insertHook(site.id, { url: "http://127.0.0.1:9/ops-ok", events: ["webhook.disabled"] });
    await env.DB.prepare("UPDATE webhooks SET failing_since = ? WHERE id = ?")
      .bind(Date.now() - 5 * 86_400_000 - 1000, hook.id)
      .run();
    receiver.set((c) => new Response("x", { status: c.url === ops.url ? 200 : 500 }));

    const d = await insertDelivery(site, hook);
    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    const w = await webhookRow(hook.id);
    expect(w!.status).toBe("disabled");
    expect(JSON.parse(w!.alert)).toMatchObject({ kind: "failing_too_long" });
    expect(JSON.parse(w!.alert).message).toMatch(/Every attempt has failed since .* \(5 days\)/);
    await vi.waitFor(() => expect(receiver.calls.filter(to(ops))).toHaveLength(1), WAIT);
    expect(receiver.calls.find(to(ops))!.json).toMatchObject({
      event_type: "webhook.disabled",
      target: { id: hook.id },
    });
  });

  it("a success resets the clock; the first failure after it starts it", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/flaky", delays: [60, 60] });
    receiver.set(() => new Response("x", { status: 500 }));
    const a = await insertDelivery(site, hook);
    await runConsumer([{ delivery_id: a.deliveryId, webhook_id: hook.id }]);
    const since = (await webhookRow(hook.id))!.failing_since;
    expect(since).toBeGreaterThan(0);
    await makeDue(a.deliveryId);
    await runConsumer([{ delivery_id: a.deliveryId, webhook_id: hook.id }]);
    expect((await webhookRow(hook.id))!.failing_since).toBe(since);
    receiver.set(() => new Response("ok"));
    await makeDue(a.deliveryId);
    await runConsumer([{ delivery_id: a.deliveryId, webhook_id: hook.id }]);
    expect((await webhookRow(hook.id))!.failing_since).toBeNull();
  });

  it("an event left in the outbox is made by the cron, once", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/gone-quiet", status: "active" });
    const ops = await insertHook(site.id, { url: "http://127.0.0.1:9/ops-cron", events: ["webhook.paused"] });
    const alert = {
      kind: "paused_on_failure" as const,
      since: new Date().toISOString(),
      delivery_id: null,
      message: "x",
    };
    const { statements, outboxIds } = alertStatements(
      env.DB,
      { id: hook.id, siteId: site.id },
      {
        alert,
        status: "paused",
        events: [webhookEvent("webhook.paused", { webhookId: hook.id, webhookName: "h" }, alert)],
      },
      Date.now(),
    );
    await env.DB.batch(statements);
    expect(outboxIds).toHaveLength(1);
    expect((await webhookRow(hook.id))!.status).toBe("paused");

    expect(await flushOutbox(env, Date.now())).toBe(0); // too young: its raiser is still on it
    expect(await flushOutbox(env, Date.now() + 60_000)).toBe(1);
    expect(await flushOutbox(env, Date.now() + 60_000)).toBe(0);
    await vi.waitFor(() => expect(receiver.calls.filter(to(ops))).toHaveLength(1), WAIT);
    expect(receiver.calls.find(to(ops))!.json.event_id).toBe(outboxIds[0]);
  });
});

describe("the API's flow-control fields", () => {
  async function world() {
    const site = await insertSite();
    const admin = await insertKey(site.id, "integrations-admin");
    const base = `/v1/sites/${site.id}/webhooks`;
    return { site, admin, base };
  }

  it("a slack webhook starts with 1/s and retry_on server_errors; its template is checked and kept", async () => {
    const { admin, base } = await world();
    const made = await json(
      await api(
        "POST",
        base,
        { name: "slack-#editorial", url: "https://hooks.slack.com/services/T/B/x", format: "slack" },
        admin,
      ),
    );
    expect(made).toMatchObject({
      format: "slack",
      rate_limit_per_s: 1,
      retry_on: "server_errors",
      message_template: null,
    });
    const bad = await api("PATCH", `${base}/${made.id}`, { message_template: "{{target.body}}" }, admin);
    expect(bad.status).toBe(422);
    expect((await json(bad)).errors[0]).toMatchObject({ path: "message_template" });
    const ok = await json(
      await api("PATCH", `${base}/${made.id}`, { message_template: "New: {{target.title}}" }, admin),
    );
    expect(ok.message_template).toBe("New: {{target.title}}");
    expect(
      (await json(await api("PATCH", `${base}/${made.id}`, { message_template: null }, admin))).message_template,
    ).toBeNull();
  });

  it("takes rate_limit_per_s 0.1…1000 or null and auto_pause or null, naming a wrong field", async () => {
    const { admin, base } = await world();
    const hook = await json(await api("POST", base, { name: "h", url: "https://hooks.example.com/in" }, admin));
    const policy = (body: unknown) => api("PUT", `${base}/${hook.id}/delivery`, body, admin);
    for (const [body, path] of [
      [{ rate_limit_per_s: 0 }, "rate_limit_per_s"],
      [{ rate_limit_per_s: 1001 }, "rate_limit_per_s"],
      [{ auto_pause: { failure_rate: 2, min_attempts: 10, window_s: 300 } }, "auto_pause.failure_rate"],
      [{ auto_pause: { failure_rate: 0.5, min_attempts: 10 } }, "auto_pause.window_s"],
    ] as const) {
      const res = await policy(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((await json(res)).errors.map((e: any) => e.path)).toContain(path);
    }
    const rule = { failure_rate: 0.25, min_attempts: 20, window_s: 600 };
    const set = await json(await policy({ rate_limit_per_s: 2.5, auto_pause: rule }));
    expect(set).toMatchObject({ rate_limit_per_s: 2.5, auto_pause: rule });
    expect((await sequencer(env, hook.id).snapshot({ webhookId: hook.id, siteId: hook.site_id })).rate).toBe(2.5);
    expect(await json(await policy({ rate_limit_per_s: null, auto_pause: null }))).toMatchObject({
      rate_limit_per_s: null,
      auto_pause: null,
    });
  });

  it("the log shows the body sent, rendered from the delivery's own template, whatever the webhook's is now", async () => {
    const { site, admin, base } = await world();
    const hook = await json(
      await api(
        "POST",
        base,
        { name: "s", url: "http://127.0.0.1:9/slack", format: "slack", message_template: "One: {{target.title}}" },
        admin,
      ),
    );
    await api("PUT", `${base}/${hook.id}/events`, { events: ["post.published"] }, admin);
    await acceptEvents(env, site.id, [event()]);
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["delivered"]), WAIT);
    await api("PATCH", `${base}/${hook.id}`, { message_template: "Two: {{target.title}}" }, admin);
    const [d] = (await json(await api("GET", `/v1/sites/${site.id}/deliveries`, undefined, admin))).data;
    const detail = await json(await api("GET", `/v1/sites/${site.id}/deliveries/${d.id}`, undefined, admin));
    expect(detail.message_template).toBe("One: {{target.title}}");
    expect(detail.attempts_detail[0].request.body).toBe(receiver.calls[0]!.body);
    expect(JSON.parse(detail.attempts_detail[0].request.body).text).toMatch(/^One: Post \d+$/);
  });
});
