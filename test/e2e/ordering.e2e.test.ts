// Failure modes and ordering end to end, through a real runtime and a real receiver. Each test has its own
// webhook and the receiver's behaviour for that webhook's path alone; failures are counted or held until
// the test lets go, never timed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../scripts/receiver-lib.mjs";
import { createWebhookAtOwnPath, event, pathOf, setupSite, startEdgehooks, type Edgehooks } from "./harness";

let eh: Edgehooks;
let receiver: Receiver;

beforeAll(async () => {
  [eh, receiver] = await Promise.all([startEdgehooks(), startReceiver()]);
});
afterAll(async () => {
  await Promise.all([eh?.stop(), receiver?.close()]);
});

const fromHook = (hook: string) => receiver.received.filter((r) => r.path === pathOf(hook));
const okIds = (hook: string) =>
  fromHook(hook)
    .filter((r) => r.respondedStatus === 200)
    .map((r) => r.json.event_id as string);

async function deliveries(s: { base: string; ops: string }, query: string) {
  return (await eh.api("GET", `${s.base}/deliveries?limit=200&${query}`, undefined, s.ops)).body.data as any[];
}

describe("pause mode", () => {
  it("rides out a receiver outage: eight events in order, nothing overtakes the failing head", async () => {
    const s = await setupSite(eh, "outage");
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, {
      failure_mode: "pause",
      retry_policy: { delays_s: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1] },
    });
    // Down for the first three requests, whatever the machine's speed; the batch is accepted as a whole
    // before any delivery goes out, so all eight wait behind the head.
    receiver.route(pathOf(hook), { failCount: 3, failStatus: 503 });
    const events = Array.from({ length: 8 }, (_, i) => event(100 + i));
    expect((await eh.api("POST", `${s.base}/events/batch`, { events }, s.cms)).status).toBe(202);

    await eh.until(
      () => deliveries(s, `webhook_id=${hook}`),
      (d) => d.length === 8 && d.every((x) => x.state === "delivered"),
      60_000,
    );
    const arrivals = fromHook(hook);
    expect(arrivals.slice(0, 3).map((r) => [r.json.event_id, r.respondedStatus])).toEqual(
      Array(3).fill([events[0]!.event_id, 503]),
    );
    expect(okIds(hook)).toEqual(events.map((e) => e.event_id));
    expect(arrivals).toHaveLength(11);
  });

  it("pauses on a permanent failure, holds what follows, and resume with replay_failed delivers all in order", async () => {
    const s = await setupSite(eh, "permanent");
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, {
      failure_mode: "pause",
      retry_policy: { delays_s: [1] },
    });
    const events = Array.from({ length: 4 }, (_, i) => event(200 + i));
    receiver.route(pathOf(hook), { failEvents: [events[0]!.event_id] });
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

    receiver.route(pathOf(hook), {});
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
    // A failed first attempt waits ten minutes for its retry: a1 stays in flight until the operator's retry.
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, { retry_policy: { delays_s: [600] } });
    const a1 = event({ type: "post", id: 1 });
    const a2 = event({ type: "post", id: 1 });
    const b = [event({ type: "post", id: 2 }), event({ type: "post", id: 3 }), event({ type: "page", id: 1 })];
    receiver.route(pathOf(hook), { failEvents: [a1.event_id] });
    for (const e of [a1, a2, ...b]) await eh.api("POST", `${s.base}/events`, e, s.cms);

    // The other targets are delivered while a1 waits to retry and a2 waits behind it.
    await eh.until(
      () => deliveries(s, `webhook_id=${hook}&state=delivered`),
      (d) => d.length === 3,
    );
    const held = await deliveries(s, `webhook_id=${hook}&state=held`);
    expect(held.map((d) => d.event_id)).toEqual([a2.event_id]);
    const [retrying] = await deliveries(s, `webhook_id=${hook}&state=retrying`);
    expect(retrying).toMatchObject({ event_id: a1.event_id, attempts: 1 });
    expect(okIds(hook)).not.toContain(a2.event_id);

    receiver.route(pathOf(hook), {});
    expect((await eh.api("POST", `${s.base}/deliveries/${retrying.id}/retry`, undefined, s.ops)).status).toBe(202);
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
    receiver.route(pathOf(hook), { failEvents: events.map((e) => e.event_id) });
    for (const e of events) await eh.api("POST", `${s.base}/events`, e, s.cms);
    const failed = await eh.until(
      () => deliveries(s, `webhook_id=${hook}&state=failed`),
      (d) => d.length === 3,
    );
    receiver.route(pathOf(hook), {});
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
