// The per-webhook line end to end inside workerd: ingest (the API) → sequencer → real local queue → consumer
// → a receiver spy. A delivery is kept in flight by failing its first attempt with a retry ten minutes
// away, so the states in between are stable, not a window to catch; the operator's retry then sends it now.
import { env } from "cloudflare:workers";
import { abortAllDurableObjects } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, runCron } from "../helpers";
import { sequencer } from "../../src/sequencer/client";
import { stuckWebhooks } from "../../src/db/delivery-line";
import { insertDelivery, insertHook, insertSite } from "../pipeline-fixtures";
import { spyReceiver } from "../receiver-spy";

let receiver: ReturnType<typeof spyReceiver>;
beforeEach(() => {
  receiver = spyReceiver();
});
afterEach(() => vi.restoreAllMocks());

const WAIT = { timeout: 30_000, interval: 50 };
/** A retry far enough away that it never comes during a test: the operator's retry stands in for it. */
const LATER = [600];
const event = (n: number, target: { type: string; id: number } = { type: "post", id: n }) => ({
  event_type: "post.published",
  event_id: `evt_order_${n}_${crypto.randomUUID().slice(0, 8)}`,
  target,
});

async function send(siteId: string, events: ReturnType<typeof event>[]) {
  const res = await api("POST", `/v1/sites/${siteId}/events/batch`, { events });
  expect(res.status).toBe(202);
}

async function rows(webhookId: string) {
  const { results } = await env.DB.prepare("SELECT id, state FROM deliveries WHERE webhook_id = ? ORDER BY seq")
    .bind(webhookId)
    .all<{ id: string; state: string }>();
  return results;
}
const states = async (webhookId: string) => (await rows(webhookId)).map((r) => r.state);

/** Fails the first attempt of the given event ids, answers 200 to everything else. */
function failFirstAttemptOf(...eventIds: string[]) {
  receiver.set((call) =>
    eventIds.includes(call.json.event_id) && call.headers["x-sgen-delivery-attempt"] === "1"
      ? new Response("busy", { status: 500 })
      : new Response("ok"),
  );
}

async function retryNow(siteId: string, deliveryId: string) {
  expect((await api("POST", `/v1/sites/${siteId}/deliveries/${deliveryId}/retry`)).status).toBe(202);
}

describe("sequencer", () => {
  it("pause mode: nothing overtakes a failing head; the rest are held, then go out in order", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { failure_mode: "pause", delays: LATER, url: "http://127.0.0.1:9/hook" });
    const events = [1, 2, 3].map((n) => event(n));
    failFirstAttemptOf(events[0]!.event_id);

    await send(site.id, events);

    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["retrying", "held", "held"]), WAIT);
    expect(receiver.eventIds(site.id)).toEqual([events[0]!.event_id]);
    await retryNow(site.id, (await rows(hook.id))[0]!.id);
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["delivered", "delivered", "delivered"]), WAIT);
    expect(receiver.eventIds(site.id)).toEqual([events[0]!.event_id, ...events.map((e) => e.event_id)]);
  });

  it("continue mode: another target flows past a failing one; the same target keeps its order", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { delays: LATER, url: "http://127.0.0.1:9/hook" });
    const a1 = event(1, { type: "post", id: 1 });
    const a2 = event(2, { type: "post", id: 1 });
    const b1 = event(3, { type: "post", id: 2 });
    failFirstAttemptOf(a1.event_id);

    await send(site.id, [a1, a2, b1]);

    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["retrying", "held", "delivered"]), WAIT);
    expect(receiver.eventIds(site.id)).not.toContain(a2.event_id);
    await retryNow(site.id, (await rows(hook.id))[0]!.id);
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["delivered", "delivered", "delivered"]), WAIT);
    const sameTarget = receiver.eventIds(site.id).filter((id) => id !== b1.event_id);
    expect(sameTarget).toEqual([a1.event_id, a1.event_id, a2.event_id]);
  });

  it("rebuilds the line from D1 alone after the object is reset", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { failure_mode: "pause", delays: LATER, url: "http://127.0.0.1:9/hook" });
    const events = [event(1), event(2)];
    failFirstAttemptOf(events[0]!.event_id);
    await send(site.id, events);
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["retrying", "held"]), WAIT);

    await abortAllDurableObjects();
    const snap = await sequencer(env, hook.id).snapshot({ webhookId: hook.id, siteId: site.id });
    expect(snap).toMatchObject({ status: "active", mode: "pause" });
    expect(snap.entries.map((e) => [e.phase, e.held])).toEqual([
      ["inflight", false],
      ["waiting", true],
    ]);

    await retryNow(site.id, (await rows(hook.id))[0]!.id);
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["delivered", "delivered"]), WAIT);
    expect(receiver.eventIds(site.id)).toEqual([events[0]!.event_id, ...events.map((e) => e.event_id)]);
  });

  it("the cron's sweeper re-drives an overdue delivery that no sequencer or queue message knows of, once overdue", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/hook" });
    const d = await insertDelivery(site, hook); // in D1 only: no sequencer call, no queue message
    const due = Date.now() - 120_000;
    await env.DB.prepare("UPDATE deliveries SET next_attempt_at = ? WHERE id = ?").bind(due, d.deliveryId).run();
    const row = () =>
      env.DB.prepare("SELECT state, next_attempt_at FROM deliveries WHERE id = ?")
        .bind(d.deliveryId)
        .first<{ state: string; next_attempt_at: number }>();

    // A sweep from before it was overdue by the grace period (60 s) leaves it alone: not re-driven, not stamped.
    await runCron(due);
    expect(await row()).toEqual({ state: "pending", next_attempt_at: due });

    await runCron(Date.now());
    await vi.waitFor(async () => expect((await row())!.state).toBe("delivered"), WAIT);
    expect(receiver.forSite(site.id)).toHaveLength(1);
  });

  it("a released delivery whose message is merely late is not released again", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/hook" });
    const d = await insertDelivery(site, hook);
    const grace = 60_000;
    // A consumer is mid-send (its lease is live for the whole test) on a delivery whose sequencer has just started.
    await env.DB.prepare("UPDATE deliveries SET next_attempt_at = ?, lease_until = ? WHERE id = ?")
      .bind(Date.now() - 5 * grace, Date.now() + 5 * grace, d.deliveryId)
      .run();
    const line = sequencer(env, hook.id);

    expect(await line.reconcile({ webhookId: hook.id, siteId: site.id }, Date.now(), grace)).toEqual({
      released: 1,
      resent: 0,
    });
    expect(await line.reconcile({ webhookId: hook.id, siteId: site.id }, Date.now(), grace)).toEqual({
      released: 0,
      resent: 0,
    });
  });

  it("an overdue delivery with no live lease (its message lost) is re-sent exactly once per grace period", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/hook" });
    const d = await insertDelivery(site, hook);
    const grace = 60_000;
    // Attempted once; its retry's queue message was lost, and the consumer that held it is long gone.
    await env.DB.prepare(
      "UPDATE deliveries SET state = 'retrying', attempts = 1, next_attempt_at = ?, lease_until = ? WHERE id = ?",
    )
      .bind(Date.now() - 5 * grace, Date.now() - 1, d.deliveryId)
      .run();
    // The queue keeps what the line sends, so no consumer changes the row between the two sweeps.
    const sent: unknown[] = [];
    vi.spyOn(env.DELIVERIES, "sendBatch").mockImplementation(async (messages) => {
      sent.push(...[...messages].map((m) => m.body));
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as unknown as QueueSendBatchResponse;
    });
    const line = sequencer(env, hook.id);

    expect(await line.reconcile({ webhookId: hook.id, siteId: site.id }, Date.now(), grace)).toEqual({
      released: 0,
      resent: 1,
    });
    // The re-send stamped it: a sweep within the grace period leaves it to its new message.
    expect(await line.reconcile({ webhookId: hook.id, siteId: site.id }, Date.now() + grace / 2, grace)).toEqual({
      released: 0,
      resent: 0,
    });
    expect(sent).toEqual([{ delivery_id: d.deliveryId, webhook_id: hook.id, site_id: site.id }]);
    // A grace period later, with that message lost too, it is re-sent once more.
    expect(await line.reconcile({ webhookId: hook.id, siteId: site.id }, Date.now() + 2 * grace, grace)).toEqual({
      released: 0,
      resent: 1,
    });
    expect(sent).toHaveLength(2);
  });

  it("the sweeper leaves a delivery held behind an in-flight one of its line alone, and releases it once nothing is ahead", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { failure_mode: "pause", url: "http://127.0.0.1:9/hook" });
    const head = await insertDelivery(site, hook, { target: { type: "post", id: 1 } });
    const next = await insertDelivery(site, hook, { target: { type: "post", id: 2 } });
    const long = Date.now() - 3_600_000;
    await env.DB.prepare("UPDATE deliveries SET state = 'retrying', attempts = 1, next_attempt_at = ? WHERE id = ?")
      .bind(Date.now() + 3_600_000, head.deliveryId)
      .run();
    await env.DB.prepare("UPDATE deliveries SET state = 'held', next_attempt_at = ? WHERE id = ?")
      .bind(long, next.deliveryId)
      .run();

    await runCron(Date.now());
    expect(await states(hook.id)).toEqual(["retrying", "held"]);

    // The head settled, but the call telling the sequencer was lost: the next sweep releases what was held.
    await env.DB.prepare("UPDATE deliveries SET state = 'delivered', next_attempt_at = NULL WHERE id = ?")
      .bind(head.deliveryId)
      .run();
    await runCron(Date.now());
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["delivered", "delivered"]), WAIT);
    expect(receiver.forSite(site.id).map((c) => c.headers["x-sgen-delivery"])).toEqual([next.deliveryId]);
  });

  it("the sweeper lets sites take turns: one site's many stuck webhooks never crowd out another's", async () => {
    const busy = await insertSite();
    const quiet = [await insertSite(), await insertSite()];
    const stuckAt = Date.now() - 10 * 60_000;
    const make = async (site: Awaited<ReturnType<typeof insertSite>>) => {
      const hook = await insertHook(site.id);
      const d = await insertDelivery(site, hook);
      await env.DB.prepare("UPDATE deliveries SET next_attempt_at = ? WHERE id = ?").bind(stuckAt, d.deliveryId).run();
      return hook.id;
    };
    for (let i = 0; i < 12; i++) await make(busy);
    const quietHooks = [await make(quiet[0]!), await make(quiet[1]!)];
    // Earlier tests of this file may have left stuck webhooks of their own: count every site that has one, and
    // ask for exactly that many, far fewer than the busy site's twelve.
    const all = await stuckWebhooks(env.DB, Date.now(), 60_000, 10_000);
    const sites = new Set(all.map((h) => h.siteId)).size;
    expect(sites).toBeLessThan(12);
    const picked = (await stuckWebhooks(env.DB, Date.now(), 60_000, sites)).map((h) => h.webhookId);
    for (const id of quietHooks) expect(picked).toContain(id);
  });
});
