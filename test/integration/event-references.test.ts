// Retention keeps an event while any delivery refers to it, from the event's own count (events.live) rather than an
// index of deliveries by event: the count must follow every path that adds or removes a delivery. Each path here is
// checked against the count itself, COUNT(*) of the deliveries that refer to the event.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { acceptEvents } from "../../src/delivery/ingest";
import { replayOne } from "../../src/delivery/actions";
import { ROOT_ACTOR } from "../../src/domain/actor";
import { purgeOrphanEvents } from "../../src/db/events";
import { insertDelivery, insertHook, insertSite } from "../pipeline-fixtures";
import { api, json, runCron } from "../helpers";
import { spyReceiver } from "../receiver-spy";

const DAY = 86_400_000;

async function live(siteId: string, eventId: string) {
  const row = await env.DB.prepare(
    `SELECT e.live, (SELECT COUNT(*) FROM deliveries d WHERE d.site_id = e.site_id AND d.event_id = e.id) AS referring
     FROM events e WHERE e.site_id = ? AND e.id = ?`,
  )
    .bind(siteId, eventId)
    .first<{ live: number; referring: number }>();
  return row;
}

const event = (id?: string) => ({
  event_type: "post.published",
  ...(id && { event_id: id }),
  actor: null,
  target: { type: "post", id: 1, title: "A post" },
});

async function age(siteId: string, eventId: string, at: number) {
  await env.DB.batch([
    env.DB.prepare("UPDATE events SET received_at = ? WHERE site_id = ? AND id = ?").bind(at, siteId, eventId),
    env.DB.prepare("UPDATE deliveries SET created_at = ?, state = 'delivered' WHERE site_id = ? AND event_id = ?").bind(
      at,
      siteId,
      eventId,
    ),
  ]);
}

describe("an event's count of the deliveries that refer to it", () => {
  it("follows ingest (a repeat of the id adds nothing), a replay, a test event and the fixtures' order", async () => {
    spyReceiver();
    const site = await insertSite();
    const a = await insertHook(site.id);
    await insertHook(site.id);
    const nobody = await insertHook(site.id, { events: ["page.published"] });

    const [accepted] = await acceptEvents(env, site.id, [event("evt_count_1")]);
    expect(accepted).toMatchObject({ deliveries: 2, duplicate: false });
    expect(await live(site.id, "evt_count_1")).toEqual({ live: 2, referring: 2 });
    await acceptEvents(env, site.id, [event("evt_count_1"), event("evt_count_1")]);
    expect(await live(site.id, "evt_count_1")).toEqual({ live: 2, referring: 2 });

    const { id } = (await env.DB.prepare("SELECT id FROM deliveries WHERE event_id = ? AND webhook_id = ?")
      .bind("evt_count_1", a.id)
      .first<{ id: string }>())!;
    await replayOne(env, site.id, id, ROOT_ACTOR);
    expect(await live(site.id, "evt_count_1")).toEqual({ live: 3, referring: 3 });

    const [unsubscribed] = await acceptEvents(env, site.id, [{ ...event("evt_count_0"), event_type: "post.updated" }]);
    expect(unsubscribed!.deliveries).toBe(0);
    expect(await live(site.id, "evt_count_0")).toEqual({ live: 0, referring: 0 });

    const test = await json<{ event_id: string }>(api("POST", `/v1/sites/${site.id}/webhooks/${nobody.id}/test`));
    expect(await live(site.id, test.event_id)).toEqual({ live: 1, referring: 1 });

    const fixture = await insertDelivery(site, a);
    expect(await live(site.id, fixture.eventId)).toEqual({ live: 1, referring: 1 });
  });

  it("lets retention remove an event once nothing refers to it, and not before", async () => {
    spyReceiver();
    const site = await insertSite();
    await insertHook(site.id);
    const old = Date.now() - 40 * DAY;
    await acceptEvents(env, site.id, [event("evt_old_gone"), event("evt_old_replayed")]);
    await acceptEvents(env, site.id, [{ ...event("evt_old_nobody"), event_type: "post.updated" }]);
    await acceptEvents(env, site.id, [{ ...event("evt_new_nobody"), event_type: "post.updated" }]);
    for (const id of ["evt_old_gone", "evt_old_replayed", "evt_old_nobody"]) await age(site.id, id, old);
    // A replay made today of an old event: the event stays while the replay is kept.
    const original = (await env.DB.prepare("SELECT id FROM deliveries WHERE event_id = 'evt_old_replayed'").first<{
      id: string;
    }>())!.id;
    await replayOne(env, site.id, original, ROOT_ACTOR);

    await runCron(Date.now());

    expect(await live(site.id, "evt_old_gone")).toBeNull();
    expect(await live(site.id, "evt_old_nobody")).toBeNull();
    expect(await live(site.id, "evt_old_replayed")).toEqual({ live: 1, referring: 1 });
    expect(await live(site.id, "evt_new_nobody")).toEqual({ live: 0, referring: 0 });
  });

  it("finds the events retention may remove through the partial index, never a scan of events", async () => {
    const { results } = await env.DB.prepare(
      "EXPLAIN QUERY PLAN SELECT rowid FROM events WHERE live = 0 AND received_at < ? LIMIT ?",
    )
      .bind(Date.now(), 500)
      .all<{ detail: string }>();
    expect(results.map((r) => r.detail).join(" | ")).toMatch(/USING (COVERING )?INDEX events_unreferenced/);
    expect(await purgeOrphanEvents(env.DB, 0, 500)).toBe(0);
  });
});
