// The per-webhook line end to end inside workerd: ingest → sequencer → real local queue → consumer → a
// receiver that can hold responses open. What reaches the receiver, and in which order, is the assertion.
import { env } from "cloudflare:workers";
import { abortAllDurableObjects } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { acceptEvents } from "../../src/delivery/ingest";
import { sweep } from "../../src/delivery/sweeper";
import { webhookConfigChanged, sequencer } from "../../src/sequencer/client";
import { insertHook, insertSite } from "../pipeline-fixtures";
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
  const { results } = await env.DB.prepare("SELECT event_id, state FROM deliveries WHERE webhook_id = ? ORDER BY seq")
    .bind(webhookId)
    .all<{ event_id: string; state: string }>();
  return results.map((r) => r.state);
}

describe("sequencer", () => {
  it("pause mode: one in flight, the rest held in order, released one by one", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { failure_mode: "pause", url: "http://127.0.0.1:9/hook" });
    receiver.set(() => "hold");
    const events = [1, 2, 3].map((n) => event(n));
    await acceptEvents(env, site as any, events);

    await vi.waitFor(() => expect(receiver.calls).toHaveLength(1), WAIT);
    expect(await states(hook.id)).toEqual(["pending", "held", "held"]);
    receiver.calls[0]!.answer(new Response("ok"));
    await vi.waitFor(() => expect(receiver.calls).toHaveLength(2), WAIT);
    receiver.calls[1]!.answer(new Response("ok"));
    await vi.waitFor(() => expect(receiver.calls).toHaveLength(3), WAIT);
    receiver.calls[2]!.answer(new Response("ok"));
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["delivered", "delivered", "delivered"]), WAIT);
    expect(receiver.eventIds()).toEqual(events.map((e) => e.event_id));
  });

  it("continue mode: other targets flow past a busy one; the same target keeps its order", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/hook" });
    receiver.set(() => "hold");
    const a1 = event(1, { type: "post", id: 1 });
    const a2 = event(2, { type: "post", id: 1 });
    const b1 = event(3, { type: "post", id: 2 });
    await acceptEvents(env, site as any, [a1, a2, b1]);

    await vi.waitFor(() => expect(receiver.calls).toHaveLength(2), WAIT);
    expect(new Set(receiver.eventIds())).toEqual(new Set([a1.event_id, b1.event_id]));
    expect(await states(hook.id)).toEqual(["pending", "held", "pending"]);
    receiver.calls.find((c) => c.json.event_id === a1.event_id)!.answer(new Response("ok"));
    await vi.waitFor(() => expect(receiver.calls).toHaveLength(3), WAIT);
    expect(receiver.calls[2]!.json.event_id).toBe(a2.event_id);
    for (const c of receiver.calls) c.answer(new Response("ok"));
  });

  it("a paused webhook holds new deliveries and releases them when it becomes active", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { status: "paused", url: "http://127.0.0.1:9/hook" });
    const [res] = await acceptEvents(env, site as any, [event(1)]);
    expect(res!.deliveries).toBe(1);
    expect(await states(hook.id)).toEqual(["held"]);

    await env.DB.prepare("UPDATE webhooks SET status = 'active' WHERE id = ?").bind(hook.id).run();
    await webhookConfigChanged(env, hook.id);
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["delivered"]), WAIT);
    expect(receiver.calls).toHaveLength(1);
  });

  it("rebuilds the line from D1 after the object's memory is lost, and the sweeper re-drives", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { failure_mode: "pause", url: "http://127.0.0.1:9/hook" });
    receiver.set(() => "hold");
    await acceptEvents(env, site as any, [event(1), event(2)]);
    await vi.waitFor(() => expect(receiver.calls).toHaveLength(1), WAIT);

    // The object forgets everything; its line must come back from D1 alone.
    await abortAllDurableObjects();
    const snap = await sequencer(env, hook.id).snapshot(hook.id);
    expect(snap.entries.map((e) => e.held)).toEqual([false, true]);

    receiver.set(() => new Response("ok"));
    receiver.calls[0]!.answer(new Response("ok"));
    // The settle reached a fresh object, which reloaded from D1: the second goes out next.
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["delivered", "delivered"]), WAIT);
  });

  it("the sweeper re-drives a pending delivery whose sequencer never heard of it", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/hook" });
    const { insertDelivery } = await import("../pipeline-fixtures");
    const d = await insertDelivery(site, hook); // in D1 only: no sequencer call, no queue message
    await env.DB.prepare("UPDATE deliveries SET next_attempt_at = ? WHERE id = ?").bind(Date.now() - 120_000, d.deliveryId).run();

    const result = await sweep(env, Date.now());

    expect(result.webhooks).toBe(1);
    await vi.waitFor(async () => expect(await states(hook.id)).toEqual(["delivered"]), WAIT);
    expect(receiver.calls).toHaveLength(1);
  });
});
