// Operator actions in workerd, through the API: pause, resume (with replay_failed), retry, replay, resolve,
// bulk replay. The receiver is a fetch spy; the real local queue and sequencer carry the deliveries.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, json } from "../helpers";
import { insertHook, insertKey, insertSite, webhookRow } from "../pipeline-fixtures";
import { spyReceiver } from "../receiver-spy";

let receiver: ReturnType<typeof spyReceiver>;
beforeEach(() => {
  receiver = spyReceiver();
});
afterEach(() => vi.restoreAllMocks());

const WAIT = { timeout: 30_000, interval: 50 };
let n = 0;
const event = (target = ++n) => ({
  event_type: "post.published",
  event_id: `evt_act_${++n}_${crypto.randomUUID().slice(0, 6)}`,
  target: { type: "post", id: target },
});

/** Ingest through the API (root token), as the CMS would: one batch, item order kept. */
async function acceptEvents(siteId: string, events: ReturnType<typeof event>[]) {
  const res = await api("POST", `/v1/sites/${siteId}/events/batch`, { events });
  expect(res.status).toBe(202);
}

async function rows(webhookId: string) {
  const { results } = await env.DB.prepare(
    "SELECT id, event_id, state, replay_of FROM deliveries WHERE webhook_id = ? ORDER BY seq",
  )
    .bind(webhookId)
    .all<{ id: string; event_id: string; state: string; replay_of: string | null }>();
  return results;
}
const statesOf = async (id: string) => (await rows(id)).map((r) => r.state);

async function setup(opts: Parameters<typeof insertHook>[1] = {}) {
  const site = await insertSite();
  const admin = await insertKey(site.id, "integrations-admin");
  const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/hook", ...opts });
  return { site, admin, hook, base: `/v1/sites/${site.id}` };
}

describe("pause and resume", () => {
  it("pause mode: a permanent failure pauses, later events are held, resume with replay_failed delivers all in order", async () => {
    const { site, admin, hook, base } = await setup({ failure_mode: "pause", delays: [] });
    receiver.set(() => new Response("down", { status: 500 }));
    const events = [event(1), event(2), event(3)];
    await acceptEvents(site.id, events);

    await vi.waitFor(async () => expect(await statesOf(hook.id)).toEqual(["failed", "held", "held"]), WAIT);
    expect((await webhookRow(hook.id))!.status).toBe("paused");
    const later = event(4);
    await acceptEvents(site.id, [later]);
    expect(await statesOf(hook.id)).toEqual(["failed", "held", "held", "held"]);

    receiver.set(() => new Response("ok"));
    const res = await api("POST", `${base}/webhooks/${hook.id}/resume`, { replay_failed: true }, admin);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ status: "active", replayed: 1 });

    await vi.waitFor(
      async () =>
        expect(await statesOf(hook.id)).toEqual(["resolved", "delivered", "delivered", "delivered", "delivered"]),
      WAIT,
    );
    const received = receiver.eventIds(site.id).slice(1); // the first call was the failed attempt
    expect(received).toEqual([...events, later].map((e) => e.event_id));
    const w = await webhookRow(hook.id);
    expect(w).toMatchObject({ status: "active", alert: null });
    const replayRow = (await rows(hook.id))[4]!;
    expect(replayRow.replay_of).toBe((await rows(hook.id))[0]!.id);
  });

  it("resume with replay_failed re-sends several failures oldest first, each in its place ahead of what is held", async () => {
    const { site, admin, hook, base } = await setup({ failure_mode: "pause", delays: [] });
    receiver.set(() => new Response("down", { status: 500 }));
    const events = [event(1), event(2), event(3), event(4)];
    await acceptEvents(site.id, events);
    // Three permanent failures in a row: each pauses the webhook, and a plain resume lets the next one fail.
    for (let failed = 1; failed <= 3; failed++) {
      await vi.waitFor(
        async () => expect((await statesOf(hook.id)).filter((s) => s === "failed")).toHaveLength(failed),
        WAIT,
      );
      await vi.waitFor(async () => expect((await webhookRow(hook.id))!.status).toBe("paused"), WAIT);
      if (failed < 3) await api("POST", `${base}/webhooks/${hook.id}/resume`, {}, admin);
    }
    expect(await statesOf(hook.id)).toEqual(["failed", "failed", "failed", "held"]);
    const originals = (await rows(hook.id)).slice(0, 3);

    receiver.set(() => new Response("ok"));
    const res = await api("POST", `${base}/webhooks/${hook.id}/resume`, { replay_failed: true }, admin);
    expect(await json(res)).toMatchObject({ status: "active", replayed: 3 });
    await vi.waitFor(
      async () => expect((await statesOf(hook.id)).filter((s) => s === "delivered")).toHaveLength(4),
      WAIT,
    );

    const ok = receiver.eventIds(site.id).slice(3); // the first three calls were the failures
    expect(ok).toEqual(events.map((e) => e.event_id));
    const all = await rows(hook.id);
    expect(all.slice(0, 3).map((r) => r.state)).toEqual(["resolved", "resolved", "resolved"]);
    expect(all.slice(4).map((r) => r.replay_of)).toEqual(originals.map((r) => r.id));
  });

  it("manual pause holds new deliveries; resume releases them in order", async () => {
    const { site, admin, hook, base } = await setup({ failure_mode: "pause" });
    const paused = await api("POST", `${base}/webhooks/${hook.id}/pause`, undefined, admin);
    expect(paused.status).toBe(200);
    expect(await json(paused)).toMatchObject({ status: "paused" });

    const events = [event(1), event(2)];
    await acceptEvents(site.id, events);
    expect(await statesOf(hook.id)).toEqual(["held", "held"]);
    expect(receiver.forSite(site.id)).toHaveLength(0);

    const resumed = await api("POST", `${base}/webhooks/${hook.id}/resume`, {}, admin);
    expect(await json(resumed)).toMatchObject({ status: "active", replayed: 0 });
    await vi.waitFor(async () => expect(await statesOf(hook.id)).toEqual(["delivered", "delivered"]), WAIT);
    expect(receiver.eventIds(site.id)).toEqual(events.map((e) => e.event_id));
  });

  it("a 410 disables the webhook; its new deliveries are held until resume", async () => {
    const { site, admin, hook, base } = await setup({ delays: [5] });
    receiver.set(() => new Response("gone", { status: 410 }));
    await acceptEvents(site.id, [event(1)]);
    await vi.waitFor(async () => expect((await webhookRow(hook.id))!.status).toBe("disabled"), WAIT);

    receiver.set(() => new Response("ok"));
    await acceptEvents(site.id, [event(2)]);
    expect(await statesOf(hook.id)).toEqual(["failed", "held"]);

    await api("POST", `${base}/webhooks/${hook.id}/resume`, {}, admin);
    await vi.waitFor(async () => expect(await statesOf(hook.id)).toEqual(["failed", "delivered"]), WAIT);
  });

  it("only integrations-admin keys (or root) pause and resume; another site's key gets 404", async () => {
    const { site, hook, base } = await setup();
    const viewer = await insertKey(site.id, "viewer");
    const other = await insertSite();
    const otherAdmin = await insertKey(other.id, "integrations-admin");
    expect((await api("POST", `${base}/webhooks/${hook.id}/pause`, undefined, viewer)).status).toBe(403);
    expect((await api("POST", `${base}/webhooks/${hook.id}/pause`, undefined, otherAdmin)).status).toBe(404);
    expect((await api("POST", `${base}/webhooks/wh_missing/pause`)).status).toBe(404);
    expect((await api("POST", `${base}/webhooks/${hook.id}/resume`, { replay_failed: "yes" })).status).toBe(422);
  });
});

describe("delivery actions", () => {
  it("retry attempts a failed delivery now; resolve clears the alert; both refuse other states", async () => {
    const { site, admin, hook, base } = await setup({ delays: [] });
    receiver.set(() => new Response("no", { status: 500 }));
    await acceptEvents(site.id, [event(1), event(2)]);
    await vi.waitFor(async () => expect(await statesOf(hook.id)).toEqual(["failed", "failed"]), WAIT);
    const [first, second] = await rows(hook.id);
    expect((await webhookRow(hook.id))!.alert).not.toBeNull();

    receiver.set(() => new Response("ok"));
    const retried = await api("POST", `${base}/deliveries/${first!.id}/retry`, undefined, admin);
    expect(retried.status).toBe(202);
    await vi.waitFor(async () => expect(await statesOf(hook.id)).toEqual(["delivered", "failed"]), WAIT);
    expect((await api("POST", `${base}/deliveries/${first!.id}/retry`, undefined, admin)).status).toBe(409);
    expect((await api("POST", `${base}/deliveries/${first!.id}/resolve`, undefined, admin)).status).toBe(409);

    const resolved = await api("POST", `${base}/deliveries/${second!.id}/resolve`, undefined, admin);
    expect(resolved.status).toBe(200);
    expect(await json(resolved)).toMatchObject({ id: second!.id, state: "resolved" });
    expect((await webhookRow(hook.id))!.alert).toBeNull();
  });

  it("retry attempts a failed delivery now even while the webhook is paused, and releases nothing else", async () => {
    const { site, admin, hook, base } = await setup({ failure_mode: "pause", delays: [] });
    receiver.set(() => new Response("down", { status: 500 }));
    await acceptEvents(site.id, [event(1), event(2)]);
    await vi.waitFor(async () => expect(await statesOf(hook.id)).toEqual(["failed", "held"]), WAIT);
    await vi.waitFor(async () => expect((await webhookRow(hook.id))!.status).toBe("paused"), WAIT);
    const [head, next] = await rows(hook.id);

    receiver.set(() => new Response("ok"));
    expect((await api("POST", `${base}/deliveries/${head!.id}/retry`, undefined, admin)).status).toBe(202);
    await vi.waitFor(async () => expect(await statesOf(hook.id)).toEqual(["delivered", "held"]), WAIT);

    expect((await webhookRow(hook.id))!.status).toBe("paused");
    expect(receiver.forSite(site.id).map((c) => c.headers["x-sgen-delivery"])).toEqual([head!.id, head!.id]);
    expect(receiver.forSite(site.id).map((c) => c.headers["x-sgen-delivery"])).not.toContain(next!.id);
  });

  it("retry sends a retrying delivery now instead of after the rest of its wait", async () => {
    const { site, admin, hook, base } = await setup({ delays: [3600] });
    receiver.set((_, calls) => new Response(null, { status: calls.length === 1 ? 500 : 200 }));
    await acceptEvents(site.id, [event(1)]);
    await vi.waitFor(async () => expect(await statesOf(hook.id)).toEqual(["retrying"]), WAIT);
    const [d] = await rows(hook.id);
    const waiting = await env.DB.prepare("SELECT next_attempt_at FROM deliveries WHERE id = ?")
      .bind(d!.id)
      .first<{ next_attempt_at: number }>();
    expect(waiting!.next_attempt_at).toBeGreaterThan(Date.now() + 3_000_000); // an hour away

    const retried = await api("POST", `${base}/deliveries/${d!.id}/retry`, undefined, admin);
    expect(retried.status).toBe(202);
    await vi.waitFor(async () => expect(await statesOf(hook.id)).toEqual(["delivered"]), WAIT);
    expect(receiver.forSite(site.id).map((c) => c.headers["x-sgen-delivery-attempt"])).toEqual(["1", "2"]);
  });

  it("replay makes a new delivery of the same event and leaves the original as it was", async () => {
    const { site, admin, hook, base } = await setup();
    await acceptEvents(site.id, [event(1)]);
    await vi.waitFor(async () => expect(await statesOf(hook.id)).toEqual(["delivered"]), WAIT);
    const [original] = await rows(hook.id);

    const res = await api("POST", `${base}/deliveries/${original!.id}/replay`, undefined, admin);
    expect(res.status).toBe(202);
    const made = await json(res);
    expect(made).toMatchObject({ replay_of: original!.id });
    await vi.waitFor(async () => expect(await statesOf(hook.id)).toEqual(["delivered", "delivered"]), WAIT);
    const [again, copy] = await rows(hook.id);
    expect(again).toEqual(original);
    expect(copy).toMatchObject({ id: made.id, event_id: original!.event_id, replay_of: original!.id });
    expect(receiver.forSite(site.id)[0]!.body).toBe(receiver.forSite(site.id)[1]!.body);
    expect(receiver.forSite(site.id)[1]!.headers["x-sgen-event-id"]).toBe(original!.event_id);
    expect(receiver.forSite(site.id)[1]!.headers["x-sgen-delivery"]).toBe(made.id);
  });

  it("bulk replay counts on dry_run, then replays every match oldest first, past one page", async () => {
    const { site, admin, hook, base } = await setup();
    const events = Array.from({ length: 130 }, (_, i) => event(1000 + i));
    await acceptEvents(site.id, events.slice(0, 100));
    await acceptEvents(site.id, events.slice(100));
    await vi.waitFor(
      async () => expect((await statesOf(hook.id)).filter((s) => s === "delivered")).toHaveLength(130),
      WAIT,
    );

    const dry = await api(
      "POST",
      `${base}/deliveries/replay`,
      { webhook_id: hook.id, state: "delivered", dry_run: true },
      admin,
    );
    expect(await json(dry)).toEqual({ count: 130, dry_run: true });
    expect(await rows(hook.id)).toHaveLength(130);

    const go = await api("POST", `${base}/deliveries/replay`, { webhook_id: hook.id, state: "delivered" }, admin);
    expect(go.status).toBe(202);
    const started = await json(go);
    expect(started).toEqual({ count: 130, dry_run: false, job_id: expect.stringMatching(/^rpl_/) });
    await vi.waitFor(
      async () => expect((await statesOf(hook.id)).filter((s) => s === "delivered")).toHaveLength(260),
      WAIT,
    );
    const all = await rows(hook.id);
    expect(all.slice(130).map((r) => r.event_id)).toEqual(events.map((e) => e.event_id));
    expect(new Set(all.slice(130).map((r) => r.replay_of))).toEqual(new Set(all.slice(0, 130).map((r) => r.id)));

    // Replays never match a bulk replay: running it again takes the 130 originals, not 260.
    await vi.waitFor(async () => {
      const job = await env.DB.prepare("SELECT status, replayed FROM bulk_replays WHERE id = ?")
        .bind(started.job_id)
        .first<{ status: string; replayed: number }>();
      expect(job).toEqual({ status: "complete", replayed: 130 });
    }, WAIT);
    const again = await api("POST", `${base}/deliveries/replay`, { webhook_id: hook.id, dry_run: true }, admin);
    expect(await json(again)).toEqual({ count: 130, dry_run: true });
    const audit = await json(api("GET", `${base}/audit-log`, undefined, admin));
    expect(audit.data.map((e: { action: string }) => e.action)).toContain("deliveries.bulk_replay_started");
  });

  it("runs at most one bulk replay per site: a second start names the running job (409)", async () => {
    const { site, admin, base } = await setup();
    await acceptEvents(site.id, [event(5000), event(5001)]);
    // A running job that is not moving (its message is not processed here): the site's one slot is taken.
    await env.DB.prepare(
      `INSERT INTO bulk_replays (id, site_id, filter, status, after_seq, max_seq, matched, replayed, created_by, created_at, updated_at)
       VALUES ('rpl_running', ?, '{}', 'running', 0, 1, 1, 0, 'root', ?, ?)`,
    )
      .bind(site.id, Date.now(), Date.now())
      .run();
    const res = await api("POST", `${base}/deliveries/replay`, {}, admin);
    expect(res.status).toBe(409);
    expect((await json(res)).detail).toContain("rpl_running");
    const jobs = await env.DB.prepare("SELECT COUNT(*) AS n FROM bulk_replays WHERE site_id = ?").bind(site.id).first();
    expect(jobs).toEqual({ n: 1 });
  });

  it("refuses a bad bulk filter with 422 naming it", async () => {
    const { base, admin } = await setup();
    const res = await api("POST", `${base}/deliveries/replay`, { state: "lost" }, admin);
    expect(res.status).toBe(422);
    expect((await json(res)).errors[0].path).toBe("state");
  });
});
