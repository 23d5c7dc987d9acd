// Issue 4 end to end: failure modes and ordering through a real runtime and a real receiver.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../scripts/receiver-lib.mjs";
import { createWebhookAtOwnPath, event, setupSite, startEdgehooks, type Edgehooks } from "./harness";

let eh: Edgehooks;
let receiver: Receiver;

beforeAll(async () => {
  [eh, receiver] = await Promise.all([startEdgehooks(), startReceiver()]);
});
afterAll(async () => {
  await Promise.all([eh?.stop(), receiver?.close()]);
});

const fromHook = (hook: string) => receiver.received.filter((r) => r.url === `/hook/${hook}`);
const okIds = (hook: string) =>
  fromHook(hook)
    .filter((r) => r.respondedStatus === 200)
    .map((r) => r.json.event_id as string);

async function deliveries(s: { base: string; ops: string }, query: string) {
  return (await eh.api("GET", `${s.base}/deliveries?limit=200&${query}`, undefined, s.ops)).body.data as any[];
}

describe("pause mode", () => {
  it("rides out an outage: eight events in order, nothing overtakes the failing head", async () => {
    const s = await setupSite(eh, "outage");
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, {
      failure_mode: "pause",
      retry_policy: { delays_s: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1] },
    });
    receiver.setBehaviour({ downUntil: Date.now() + 3000, failStatus: 503 });
    const events = Array.from({ length: 8 }, (_, i) => event(100 + i));
    for (const e of events) expect((await eh.api("POST", `${s.base}/events`, e, s.cms)).status).toBe(202);

    await eh.until(
      () => deliveries(s, `webhook_id=${hook}`),
      (d) => d.length === 8 && d.every((x) => x.state === "delivered"),
      60_000,
    );
    const arrivals = fromHook(hook).map((r) => r.json.event_id);
    // Every attempt during the outage was the head; afterwards all eight arrived in order.
    const firstOk = arrivals.findIndex((_, i) => fromHook(hook)[i]!.respondedStatus === 200);
    expect(new Set(arrivals.slice(0, firstOk))).toEqual(new Set([events[0]!.event_id]));
    expect(okIds(hook)).toEqual(events.map((e) => e.event_id));
    receiver.setBehaviour({});
  });

  it("pauses on a permanent failure, holds what follows, and resume with replay_failed delivers all in order", async () => {
    const s = await setupSite(eh, "permanent");
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, {
      failure_mode: "pause",
      retry_policy: { delays_s: [1] },
    });
    const events = Array.from({ length: 4 }, (_, i) => event(200 + i));
    receiver.setBehaviour({ failEvents: [events[0]!.event_id] });
    for (const e of events) await eh.api("POST", `${s.base}/events`, e, s.cms);

    const paused = await eh.until(
      () => eh.api("GET", `${s.base}/webhooks/${hook}`, undefined, s.ops),
      (r) => r.body.status === "paused",
    );
    expect(paused.body.alert).toMatchObject({ kind: "paused_on_failure" });
    const late = event(299);
    await eh.api("POST", `${s.base}/events`, late, s.cms);
    const held = await deliveries(s, `webhook_id=${hook}&state=held`);
    expect(held.map((d) => d.event_id).reverse()).toEqual([...events.slice(1), late].map((e) => e.event_id));
    expect((await deliveries(s, `webhook_id=${hook}&state=failed`)).map((d) => d.event_id)).toEqual([
      events[0]!.event_id,
    ]);

    receiver.setBehaviour({});
    const resumed = await eh.api("POST", `${s.base}/webhooks/${hook}/resume`, { replay_failed: true }, s.ops);
    expect(resumed.body).toMatchObject({ status: "active", replayed: 1, held: 4 });
    await eh.until(
      () => deliveries(s, `webhook_id=${hook}&state=delivered`),
      (d) => d.length === 5,
      60_000,
    );
    expect(okIds(hook)).toEqual([...events, late].map((e) => e.event_id));
    const webhook = (await eh.api("GET", `${s.base}/webhooks/${hook}`, undefined, s.ops)).body;
    expect(webhook).toMatchObject({ status: "active", alert: null });
  });
});

describe("continue mode", () => {
  it("lets another target flow past a failing one, and keeps the same target in order", async () => {
    const s = await setupSite(eh, "flow");
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, { retry_policy: { delays_s: [1, 1, 1] } });
    const a1 = event({ type: "post", id: 1 });
    const a2 = event({ type: "post", id: 1 });
    const b = [event({ type: "post", id: 2 }), event({ type: "post", id: 3 }), event({ type: "page", id: 1 })];
    receiver.setBehaviour({ failEvents: [a1.event_id] });
    for (const e of [a1, a2, ...b]) await eh.api("POST", `${s.base}/events`, e, s.cms);

    // The other targets are delivered while a1 keeps failing and a2 waits behind it.
    await eh.until(
      () => deliveries(s, `webhook_id=${hook}&state=delivered`),
      (d) => d.length === 3,
    );
    const held = await deliveries(s, `webhook_id=${hook}&state=held`);
    expect(held.map((d) => d.event_id)).toEqual([a2.event_id]);
    expect(okIds(hook)).not.toContain(a2.event_id);

    receiver.setBehaviour({});
    await eh.until(
      () => deliveries(s, `webhook_id=${hook}&state=delivered`),
      (d) => d.length === 5,
      30_000,
    );
    const order = okIds(hook).filter((id) => id === a1.event_id || id === a2.event_id);
    expect(order).toEqual([a1.event_id, a2.event_id]);
  });
});

describe("operator actions", () => {
  it("retry, replay, resolve and bulk replay are each visible in the log", async () => {
    const s = await setupSite(eh, "actions");
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, { retry_policy: "none" });
    const events = [event(), event(), event()];
    receiver.setBehaviour({ failEvents: events.map((e) => e.event_id) });
    for (const e of events) await eh.api("POST", `${s.base}/events`, e, s.cms);
    const failed = await eh.until(
      () => deliveries(s, `webhook_id=${hook}&state=failed`),
      (d) => d.length === 3,
    );
    receiver.setBehaviour({});
    const [f3, f2, f1] = failed;

    expect((await eh.api("POST", `${s.base}/deliveries/${f1.id}/retry`, undefined, s.ops)).status).toBe(202);
    const retried = await eh.until(
      () => eh.api("GET", `${s.base}/deliveries/${f1.id}`, undefined, s.ops),
      (r) => r.body.state === "delivered",
    );
    expect(retried.body.attempts_detail.map((a: any) => a.response.status)).toEqual([500, 200]);

    const replay = await eh.api("POST", `${s.base}/deliveries/${f2.id}/replay`, undefined, s.ops);
    expect(replay.status).toBe(202);
    const copy = await eh.until(
      () => eh.api("GET", `${s.base}/deliveries/${replay.body.id}`, undefined, s.ops),
      (r) => r.body.state === "delivered",
    );
    expect(copy.body).toMatchObject({ replay_of: f2.id, event_id: f2.event_id });
    expect((await eh.api("GET", `${s.base}/deliveries/${f2.id}`, undefined, s.ops)).body.state).toBe("failed");

    expect((await eh.api("POST", `${s.base}/deliveries/${f2.id}/resolve`, undefined, s.ops)).body.state).toBe(
      "resolved",
    );
    expect((await deliveries(s, `webhook_id=${hook}&state=resolved`)).map((d) => d.id)).toEqual([f2.id]);

    const dry = await eh.api(
      "POST",
      `${s.base}/deliveries/replay`,
      { webhook_id: hook, state: "failed", dry_run: true },
      s.ops,
    );
    expect(dry.body).toEqual({ count: 1, dry_run: true });
    const bulk = await eh.api("POST", `${s.base}/deliveries/replay`, { webhook_id: hook, state: "failed" }, s.ops);
    expect(bulk).toEqual({ status: 202, body: { count: 1, dry_run: false, job_id: expect.stringMatching(/^rpl_/) } });
    const replays = await eh.until(
      () => deliveries(s, `webhook_id=${hook}`),
      (d) => d.some((x) => x.replay_of === f3.id && x.state === "delivered"),
    );
    expect(
      replays
        .filter((d) => d.replay_of)
        .map((d) => d.replay_of)
        .sort(),
    ).toEqual([f2.id, f3.id].sort());
  });
});
