// The migration to the seeds' catalog, run on a database that holds subscriptions to types that left it: every
// such subscription keeps working, as a type of its site's own (family Custom), and nothing is dropped silently.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createKey, json, sampleEvent } from "../helpers";
import { applyTheRest, databaseBefore } from "../migrations";
import { BUILT_IN_EVENT_TYPES } from "../../src/domain/catalog";

const NOW = Date.now();

/** A webhook as the old schema stores it: no format, no retry_on. */
async function oldWebhook(id: string, siteId: string, events: string[], deletedAt: number | null = null) {
  await env.DB.prepare(
    `INSERT INTO webhooks (id, site_id, name, url, destination_host, status, events, include_detail, timeout_ms,
                           retry_policy, failure_mode, header_names, created_by, created_at, updated_at, deleted_at)
     VALUES (?, ?, ?, ?, 'hooks.example.com', 'active', ?, 0, 10000, ?, 'continue', '[]', 'root', ?, ?, ?)`,
  )
    .bind(
      id,
      siteId,
      `old ${id}`,
      `http://127.0.0.1:9/${id}`,
      JSON.stringify(events),
      JSON.stringify({ name: "default", delays_s: [30, 120, 600, 3600, 21600] }),
      NOW,
      NOW,
      deletedAt,
    )
    .run();
}

beforeAll(async () => {
  await databaseBefore("CREATE TABLE `event_types`");
  for (const site of ["site_old_a", "site_old_b"])
    await env.DB.prepare("INSERT INTO sites (id, slug, host, name, created_at) VALUES (?, ?, ?, ?, ?)")
      .bind(site, site.replaceAll("_", "-"), `${site}.example.com`, site, NOW)
      .run();
  await oldWebhook("wh_old_1", "site_old_a", ["post.published", "post.scheduled", "media.uploaded"]);
  await oldWebhook("wh_old_2", "site_old_a", ["site.settings_updated", "post.scheduled"]);
  await oldWebhook("wh_old_gone", "site_old_a", ["comment.created"], NOW);
  await oldWebhook("wh_old_3", "site_old_b", ["user.updated", "order.paid"]);
  await env.DB.prepare(
    `INSERT INTO deliveries (id, site_id, webhook_id, webhook_name, event_id, event_type, destination_host, target_key,
                             include_detail, retry_delays, state, attempts, next_attempt_at, created_at, updated_at)
     VALUES ('dlv_old', 'site_old_a', 'wh_old_1', 'old', 'evt_old', 'post.scheduled', 'hooks.example.com', 'post:1',
             0, '[30]', 'retrying', 1, ?, ?, ?)`,
  )
    .bind(NOW + 30_000, NOW, NOW)
    .run();

  await applyTheRest();
});

describe("migrating to the seeds' catalog", () => {
  it("makes each subscribed type that left the catalog a type of its site's own, with its old description", async () => {
    const { results } = await env.DB.prepare(
      "SELECT site_id, type, description, created_by FROM event_types ORDER BY site_id, type",
    ).all();
    expect(results).toEqual([
      {
        site_id: "site_old_a",
        type: "media.uploaded",
        description: "A file was added to the media library.",
        created_by: "system",
      },
      {
        site_id: "site_old_a",
        type: "post.scheduled",
        description: "A post was scheduled to publish later.",
        created_by: "system",
      },
      {
        site_id: "site_old_a",
        type: "site.settings_updated",
        description: "Site-wide settings changed (domain, theme, SEO).",
        created_by: "system",
      },
      {
        site_id: "site_old_b",
        type: "user.updated",
        description: "A user's profile or role changed.",
        created_by: "system",
      },
    ]);
  });

  it("says so in each site's audit log, one entry per type", async () => {
    const audit = (await json(await api("GET", "/v1/sites/site_old_a/audit-log"))).data;
    expect(audit.map((e: any) => [e.actor.kind, e.action, e.target_id]).sort()).toEqual([
      ["system", "event_type.created", "media.uploaded"],
      ["system", "event_type.created", "post.scheduled"],
      ["system", "event_type.created", "site.settings_updated"],
    ]);
  });

  it("leaves every subscription as it was, and lists the kept types after the catalog, family Custom", async () => {
    const hooks = (await json(await api("GET", "/v1/sites/site_old_a/webhooks"))).data;
    expect(Object.fromEntries(hooks.map((h: any) => [h.id, h.events]))).toEqual({
      wh_old_1: ["post.published", "post.scheduled", "media.uploaded"],
      wh_old_2: ["site.settings_updated", "post.scheduled"],
    });
    for (const h of hooks) expect(h).toMatchObject({ format: "sgen", retry_on: "any" });
    const listing = (await json(await api("GET", "/v1/sites/site_old_a/event-types"))).data;
    expect(listing.slice(0, 29)).toEqual(BUILT_IN_EVENT_TYPES);
    expect(listing.slice(29).map((t: any) => [t.type, t.family])).toEqual([
      ["media.uploaded", "Custom"],
      ["post.scheduled", "Custom"],
      ["site.settings_updated", "Custom"],
    ]);
  });

  it("goes on accepting the old types from the site's producers, for every webhook subscribed", async () => {
    const cms = (await createKey("site_old_a", "ingest")).token;
    const sent = await api("POST", "/v1/sites/site_old_a/events", sampleEvent({ event_type: "post.scheduled" }), cms);
    expect(sent.status).toBe(202);
    expect((await json(sent)).deliveries).toBe(2);
    // A type only a deleted webhook had is not kept: nothing subscribes to it.
    const gone = await api("POST", "/v1/sites/site_old_a/events", sampleEvent({ event_type: "comment.created" }), cms);
    expect(gone.status).toBe(422);
    const otherCms = (await createKey("site_old_b", "ingest")).token;
    const b = await api("POST", "/v1/sites/site_old_b/events", sampleEvent({ event_type: "user.updated" }), otherCms);
    expect((await json(b)).deliveries).toBe(1);
  });

  it("keeps deliveries made before it as they were sent: sgen, retried on any failure", async () => {
    const row = await env.DB.prepare("SELECT format, retry_on, state FROM deliveries WHERE id = 'dlv_old'").first();
    expect(row).toEqual({ format: "sgen", retry_on: "any", state: "retrying" });
  });

  it("round-trips the migrated webhooks through the settings document unchanged", async () => {
    const doc = await json(await api("GET", "/v1/sites/site_old_a/settings"));
    const plan = await json(await api("PUT", "/v1/sites/site_old_a/settings", doc));
    expect(plan).toMatchObject({ created: [], updated: [], deleted: [] });
    expect(plan.unchanged.map((w: any) => w.id).sort()).toEqual(["wh_old_1", "wh_old_2"]);
  });
});
