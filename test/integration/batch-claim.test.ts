// The consumer claims a whole batch in one D1 round trip. A delivery's outcome is recorded with its webhook's share of
// the batch, so its lease allows for the sends up to the share's last; and one whose lease would not cover its send is
// not sent.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { claimForSending, LEASE_MARGIN_MS } from "../../src/db/sending";
import { SEND_LANES } from "../../src/delivery/consumer";
import { leaseRounds } from "../../src/delivery/webhook-shares";
import { deliveryRow, insertDelivery, insertHook, insertSite, runConsumer } from "../pipeline-fixtures";
import { spyReceiver } from "../receiver-spy";

let receiver: ReturnType<typeof spyReceiver>;
beforeEach(() => {
  receiver = spyReceiver();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("claiming a batch", () => {
  it("leases each delivery until its webhook's share of the batch is sent (the batch's longest timeout a round), in one claim", async () => {
    const site = await insertSite();
    const quick = await insertHook(site.id, { timeout_ms: 5_000 });
    const slow = await insertHook(site.id, { timeout_ms: 20_000 });
    const ds = [];
    for (let i = 0; i < 2 * SEND_LANES + 1; i++)
      ds.push(await insertDelivery(site, i === 3 ? slow : quick, { target: { type: "post", id: i } }));
    const now = Date.now() + 1_000;
    const rounds = leaseRounds(
      ds.map((_, p) => (p === 3 ? slow.id : quick.id)),
      SEND_LANES,
    );
    // The slow webhook's one delivery is recorded after the first round; the quick one's, after the last.
    expect(rounds[3]).toBe(0);
    expect(rounds.filter((_, p) => p !== 3)).toEqual(Array(2 * SEND_LANES).fill(2));
    const r = await claimForSending(
      env.DB,
      ds.map((d, p) => ({ id: d.deliveryId, round: rounds[p]! })),
      now,
    );
    const lease = new Map(r.claimed.map((c) => [c.id, c.lease_until]));
    expect(lease.size).toBe(ds.length);
    ds.forEach((d, p) =>
      expect(lease.get(d.deliveryId), `position ${p}`).toBe(now + LEASE_MARGIN_MS + (1 + rounds[p]!) * 20_000),
    );
    // Claimed: a second claim while the leases hold takes none of them.
    const again = await claimForSending(
      env.DB,
      [ds[0]!, ds[12]!].map((d) => ({ id: d.deliveryId, round: 0 })),
      now + 1,
    );
    expect(again.claimed).toEqual([]);
    expect(again.unclaimed.get(ds[12]!.deliveryId)).toMatchObject({ state: "pending" });
  });

  it("does not send a delivery whose lease ran short while it waited for a lane: it comes back when the lease is over", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.UTC(2030, 0, 1, 12, 0, 0);
    vi.setSystemTime(start);
    const site = await insertSite();
    const hook = await insertHook(site.id, { timeout_ms: 10_000 });
    const ds = [];
    for (let i = 0; i < SEND_LANES + 1; i++)
      ds.push(await insertDelivery(site, hook, { target: { type: "post", id: i } }));
    // The first answers come back (as far as the clock says) ten minutes later: longer than any lease here.
    receiver.set(() => {
      vi.setSystemTime(start + 600_000);
      return new Response("ok");
    });

    const run = await runConsumer(ds.map((d) => ({ delivery_id: d.deliveryId, webhook_id: hook.id })));

    expect(receiver.calls).toHaveLength(SEND_LANES);
    const last = ds[SEND_LANES]!.deliveryId;
    expect(run.retryMessages).toEqual([{ msgId: run.ids[SEND_LANES], delaySeconds: 1 }]);
    expect(await deliveryRow(last)).toMatchObject({ state: "pending", attempts: 0 });
    // Once its lease is over, its message claims it afresh and sends it.
    const again = await runConsumer([{ delivery_id: last, webhook_id: hook.id }]);
    expect(again.explicitAcks).toEqual(again.ids);
    expect(await deliveryRow(last)).toMatchObject({ state: "delivered", attempts: 1 });
  });
});
