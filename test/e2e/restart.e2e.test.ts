// A hard restart mid-delivery: SIGKILL to the dev server's process group, then a start on the same local
// state. Queue messages in flight die with the runtime; D1 and the sweeper bring every delivery home.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../scripts/receiver-lib.mjs";
import { createWebhookAtOwnPath, event, pathOf, setupSite, startEdgehooks, type Edgehooks } from "./harness";

let eh: Edgehooks;
let receiver: Receiver;

beforeAll(async () => {
  [eh, receiver] = await Promise.all([startEdgehooks({ SWEEP_GRACE_SECONDS: "1" }), startReceiver()]);
});
afterAll(async () => {
  await Promise.all([eh?.stop(), receiver?.close()]);
});

it("after a hard restart during a retry, a pause line still delivers every event once, in order", async () => {
  const s = await setupSite(eh, "restart");
  const hook = await createWebhookAtOwnPath(eh, s, receiver.url, {
    failure_mode: "pause",
    retry_policy: { delays_s: [3, 3, 3] },
  });
  const events = Array.from({ length: 4 }, (_, i) => event(300 + i));
  // The head fails until the runtime has been killed: whatever reached the receiver before, it is the
  // attempt after the restart that delivers it.
  let killed = false;
  receiver.route(pathOf(hook), {
    respond: (r) => (r.json?.event_id === events[0]!.event_id && !killed ? { status: 503 } : { status: 200 }),
  });
  for (const e of events) expect((await eh.api("POST", `${s.base}/events`, e, s.cms)).status).toBe(202);
  const list = async () =>
    (await eh.api("GET", `${s.base}/deliveries?webhook_id=${hook}&limit=10`, undefined, s.ops)).body.data as any[];
  await eh.until(
    list,
    (d) =>
      d
        .map((x) => x.state)
        .sort()
        .join() === "held,held,held,retrying",
  );

  await eh.kill();
  killed = true;
  const seqAtKill = receiver.received.length ? receiver.received[receiver.received.length - 1]!.seq : 0;
  await eh.start();

  // Cron does not fire under wrangler dev: run the sweeper as the cron would.
  const delivered = await eh.until(
    async () => {
      await eh.runScheduled();
      return list();
    },
    (d) => d.length === 4 && d.every((x) => x.state === "delivered"),
    60_000,
  );
  const arrivals = receiver.received.filter((r) => r.path === pathOf(hook));
  const before = arrivals.filter((r) => r.seq <= seqAtKill);
  const after = arrivals.filter((r) => r.seq > seqAtKill);
  // Before the kill: only the head, only failures. After: the head's retry first, then the rest, once each.
  expect(before.length).toBeGreaterThanOrEqual(1);
  expect(before.map((r) => [r.json.event_id, r.respondedStatus])).toEqual(before.map(() => [events[0]!.event_id, 503]));
  expect(after.map((r) => [r.json.event_id, r.respondedStatus])).toEqual(events.map((e) => [e.event_id, 200]));
  expect(delivered.find((d) => d.event_id === events[0]!.event_id).attempts).toBeGreaterThanOrEqual(2);
});
