// The per-webhook line end to end inside workerd: ingest → sequencer → real local queue → consumer → a
// receiver spy. A delivery is kept in flight by failing it (it retries after 1 s); what reaches the
// receiver, and in which order, is the assertion.
import { env } from "cloudflare:workers";
import { abortAllDurableObjects } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { acceptEvents } from "../../src/delivery/ingest";
import { sweep } from "../../src/delivery/sweeper";
import { stuckWebhooks } from "../../src/db/delivery-line";
import { webhookConfigChanged, sequencer } from "../../src/sequencer/client";
import { insertDelivery, insertHook, insertSite } from "../pipeline-fixtures";
import { spyReceiver } from "../receiver-spy";

let receiver: ReturnType<typeof spyReceiver>;
beforeEach(() => {
  receiver = spyReceiver();
});
afterEach(() => vi.restoreAllMocks());

const WAIT = { timeout: 15_000, interval: 50 };
const event = (n: number, target: { type: string; id: number } = { type: "post", id: n }) => ({
  event_type: "post.published",
  event_id: `evt_order_${n}_${crypto.randomUUID().slice(0, 8)}`,
  target,
});

async function states(webhookId: string) {
  const { results } = await env.DB.prepare("SELECT state FROM deliveries WHERE webhook_id = ? ORDER BY seq")
    .bind(webhookId)
    .all<{ state: string }>();
  return results.map((r) => r.state);
}

/** Fails the first attempt of the given event ids, answers 200 to everything else. */
function failFirstAttemptOf(...eventIds: string[]) {
  receiver.set((call) =>
    eventIds.includes(call.json.event_id) && call.headers["x-sgen-delivery-attempt"] === "1"
      ? new Response("busy", { status: 500 })
      : new Response("ok"),
  );
}

describe("sequencer", () => {
  it("pause mode: nothing overtakes a failing head; the rest are held, then go out in order", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { failure_mode: "pause", delays: [1, 1], url: "http://127.0.0.1:9/hook" });
    const events = [1, 2, 3].map((n) => event(n));
    failFirstAttemptOf(events[0]!.event_id);

    await acceptEvents(env, site.id, events);

    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["retrying", "held", "held"]), WAIT);
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["delivered", "delivered", "delivered"]), WAIT);
    expect(receiver.eventIds()).toEqual([events[0]!.event_id, ...events.map((e) => e.event_id)]);
  });

  it("continue mode: another target flows past a failing one; the same target keeps its order", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { delays: [1, 1], url: "http://127.0.0.1:9/hook" });
    const a1 = event(1, { type: "post", id: 1 });
    const a2 = event(2, { type: "post", id: 1 });
    const b1 = event(3, { type: "post", id: 2 });
    failFirstAttemptOf(a1.event_id);

    await acceptEvents(env, site.id, [a1, a2, b1]);

    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["retrying", "held", "delivered"]), WAIT);
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["delivered", "delivered", "delivered"]), WAIT);
    const sameTarget = receiver.eventIds().filter((id) => id !== b1.event_id);
    expect(sameTarget).toEqual([a1.event_id, a1.event_id, a2.event_id]);
  });

  it("a paused webhook holds new deliveries and releases them when it becomes active", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { status: "paused", url: "http://127.0.0.1:9/hook" });
    const [res] = await acceptEvents(env, site.id, [event(1)]);
    expect(res!.deliveries).toBe(1);
    expect(await states(hook.id)).toEqual(["held"]);
    expect((await sequencer(env, hook.id).snapshot(hook.id)).entries).toHaveLength(1);

    await env.DB.prepare("UPDATE webhooks SET status = 'active' WHERE id = ?").bind(hook.id).run();
    await webhookConfigChanged(env, hook.id);
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["delivered"]), WAIT);
    expect(receiver.calls).toHaveLength(1);
  });

  it("rebuilds the line from D1 alone after the object is reset", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { failure_mode: "pause", delays: [1, 1], url: "http://127.0.0.1:9/hook" });
    const events = [event(1), event(2)];
    failFirstAttemptOf(events[0]!.event_id);
    await acceptEvents(env, site.id, events);
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["retrying", "held"]), WAIT);

    await abortAllDurableObjects();
    const snap = await sequencer(env, hook.id).snapshot(hook.id);
    expect(snap).toMatchObject({ status: "active", mode: "pause" });
    expect(snap.entries.map((e) => [e.phase, e.held])).toEqual([
      ["inflight", false],
      ["waiting", true],
    ]);

    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["delivered", "delivered"]), WAIT);
    expect(receiver.eventIds().slice(1)).toEqual(events.map((e) => e.event_id));
  });

  it("the sweeper re-drives an overdue delivery that no sequencer or queue message knows of", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/hook" });
    const d = await insertDelivery(site, hook); // in D1 only: no sequencer call, no queue message
    await env.DB.prepare("UPDATE deliveries SET next_attempt_at = ? WHERE id = ?")
      .bind(Date.now() - 120_000, d.deliveryId)
      .run();

    expect(await sweep(env, Date.now() - 200_000)).toMatchObject({ webhooks: 0 }); // not yet overdue then
    const result = await sweep(env, Date.now());

    expect(result.webhooks).toBe(1);
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["delivered"]), WAIT);
    expect(receiver.calls).toHaveLength(1);
  });

  it("a released delivery whose message is merely late is not released again; an overdue one is re-sent once per grace period", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/hook" });
    const d = await insertDelivery(site, hook);
    const grace = 60_000;
    const setRow = (next: number, lease: number | null) =>
      env.DB.prepare("UPDATE deliveries SET next_attempt_at = ?, lease_until = ? WHERE id = ?")
        .bind(next, lease, d.deliveryId)
        .run();
    const line = sequencer(env, hook.id);
    // A consumer is mid-send (live lease) on a delivery whose sequencer has just started.
    await setRow(Date.now() - 5 * grace, Date.now() + 5 * grace);

    expect(await line.reconcile(hook.id, Date.now(), grace)).toEqual({ released: 1, resent: 0 });
    expect(await line.reconcile(hook.id, Date.now(), grace)).toEqual({ released: 0, resent: 0 });

    // The consumer died: its lease ran out, and the delivery is overdue. It is re-sent at most once (the
    // message from the first release may still get there first), and the next sweep leaves it alone.
    await setRow(Date.now() - 5 * grace, Date.now() - 1);
    const third = await line.reconcile(hook.id, Date.now(), grace);
    const fourth = await line.reconcile(hook.id, Date.now(), grace);
    expect(third.released + fourth.released).toBe(0);
    expect(third.resent).toBeLessThanOrEqual(1);
    expect(fourth.resent).toBe(0);
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["delivered"]), WAIT);
    expect(receiver.calls).toHaveLength(1);
  });

  it("the sweeper leaves a delivery held behind an in-flight one of its line alone, and finds it once nothing is ahead", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { failure_mode: "pause", url: "http://127.0.0.1:9/hook" });
    const head = await insertDelivery(site, hook, { target: { type: "post", id: 1 } });
    const next = await insertDelivery(site, hook, { target: { type: "post", id: 2 } });
    const long = Date.now() - 3_600_000;
    await env.DB.prepare("UPDATE deliveries SET state = 'retrying', next_attempt_at = ? WHERE id = ?")
      .bind(Date.now() + 3_600_000, head.deliveryId)
      .run();
    await env.DB.prepare("UPDATE deliveries SET state = 'held', next_attempt_at = ? WHERE id = ?")
      .bind(long, next.deliveryId)
      .run();

    expect(await stuckWebhooks(env.DB, Date.now(), 60_000, 200)).not.toContain(hook.id);

    // The head settled, but the call telling the sequencer was lost.
    await env.DB.prepare("UPDATE deliveries SET state = 'delivered', next_attempt_at = NULL WHERE id = ?")
      .bind(head.deliveryId)
      .run();
    expect(await stuckWebhooks(env.DB, Date.now(), 60_000, 200)).toContain(hook.id);
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
    const sites = await env.DB.prepare(
      `SELECT COUNT(DISTINCT site_id) AS n FROM webhooks WHERE id IN (${all.map(() => "?").join(",")})`,
    )
      .bind(...all)
      .first<{ n: number }>();
    expect(sites!.n).toBeLessThan(12);
    const picked = await stuckWebhooks(env.DB, Date.now(), 60_000, sites!.n);
    for (const id of quietHooks) expect(picked).toContain(id);
  });
});
