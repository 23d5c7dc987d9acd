// The migration to counted event references, run on a database that holds events and deliveries from before it:
// each event's count starts as the deliveries that refer to it, and from then on follows inserts and deletes.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { applyTheRest, databaseBefore } from "../migrations";
import { purgeOrphanEvents } from "../../src/db/events";
import { purgeChunk } from "../../src/db/delivery-log";

const NOW = Date.now();

async function oldEvent(id: string) {
  await env.DB.prepare(
    `INSERT INTO events (site_id, id, event_type, body, target_key, deliveries, received_at)
     VALUES ('site_old', ?, 'post.published', '{}', 'post:1', 0, ?)`,
  )
    .bind(id, NOW)
    .run();
}

async function oldDelivery(id: string, eventId: string) {
  await env.DB.prepare(
    `INSERT INTO deliveries (id, site_id, webhook_id, webhook_name, event_id, event_type, destination_host, target_key,
                             include_detail, retry_delays, state, attempts, created_at, updated_at)
     VALUES (?, 'site_old', 'wh_old', 'old', ?, 'post.published', 'hooks.example.com', 'post:1', 0, '[30]',
             'delivered', 1, ?, ?)`,
  )
    .bind(id, eventId, NOW, NOW)
    .run();
}

const live = async (id: string) =>
  (await env.DB.prepare("SELECT live FROM events WHERE site_id = 'site_old' AND id = ?").bind(id).first<{
    live: number | null;
  }>())!.live;

beforeAll(async () => {
  await databaseBefore("ALTER TABLE `events` ADD `live`");
  await oldEvent("evt_two");
  await oldEvent("evt_none");
  await oldDelivery("dlv_a", "evt_two");
  await oldDelivery("dlv_b", "evt_two");
  await applyTheRest();
});

describe("migrating to counted event references", () => {
  it("counts the deliveries that already refer to each event", async () => {
    expect(await live("evt_two")).toBe(2);
    expect(await live("evt_none")).toBe(0);
  });

  it("counts each delivery inserted after its event from then on", async () => {
    await oldDelivery("dlv_c", "evt_none");
    expect(await live("evt_none")).toBe(1);
  });

  it("never removes an event the previous version writes during the upgrade (it has no count)", async () => {
    await oldDelivery("dlv_late", "evt_late"); // as the previous version wrote them: the deliveries first
    await oldEvent("evt_late");
    expect(await live("evt_late")).toBeNull();
    await env.DB.prepare("UPDATE events SET received_at = 0 WHERE id = 'evt_late'").run();
    expect(await purgeOrphanEvents(env.DB, 1, 500)).toBe(0);
    await env.DB.prepare("UPDATE deliveries SET created_at = 0 WHERE id = 'dlv_late'").run();
    expect(await purgeChunk(env.DB, "site_old", 1, 500)).toBe(1);
    expect(await live("evt_late")).toBeNull();
  });

  it("leaves no index of deliveries by event, nor of every event by time", async () => {
    const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all<{
      name: string;
    }>();
    const names = results.map((r) => r.name);
    expect(names).not.toContain("deliveries_site_event");
    expect(names).not.toContain("events_received");
    expect(names).toContain("events_unreferenced");
  });
});
