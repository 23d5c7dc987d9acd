// Sites spread over two D1 databases, end to end: vitest.config.ts gives the tests a second database, DB_2, and
// SITE_DATABASES sends site_shard_two (and site_shard_three) there; every other site stays in DB. Everything goes
// through the public API, the console and the real pipeline (sequencer, local queue, consumer, a real HTTP receiver
// on 127.0.0.1, the cron), and the rows are then looked for in both databases: a sharded site's rows are all in
// DB_2 and none in DB, an ordinary site's the other way round.
import { env } from "cloudflare:workers";
import { abortAllDurableObjects } from "cloudflare:test";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { ROOT, api, createKey, createSite, createWebhook, json, runCron, sampleEvent } from "../helpers";
import { consoleSignIn } from "../console-client";
import { envelopeBody, targetKey } from "../../src/domain/envelope";
import { newId } from "../../src/domain/ids";
import { insertEventsStatements } from "../../src/db/events";
import { insertDeliveriesStatements } from "../../src/db/deliveries";
import { keyRotationStatus, reencryptStep } from "../../src/webhooks/key-rotation";
import { getWebhook } from "../../src/webhooks/config";
import { currentSecret, headerValues } from "../../src/webhooks/webhook-rows";
import { currentPrefix } from "../../src/domain/sealed";
import { toBase64 } from "../../src/domain/crypto";
import type { Env } from "../../src/env";
import { insertDelivery, runConsumer, type HookRow } from "../pipeline-fixtures";

const receiver = inject("httpFixture"); // /ok answers 204
const WAIT = { timeout: 30_000, interval: 50 };

/** Named in SITE_DATABASES (vitest.config.ts): lives in DB_2. */
const SHARDED = "site_shard_two";
/** Also named there, and not created before the test that creates it. */
const SHARDED_SPARE = "site_shard_three";

const DATABASES = { DB: env.DB, DB_2: env.DB_2 };
type DatabaseName = keyof typeof DATABASES;

/** Every table that holds a site's rows by site_id. */
const SITE_TABLES = [
  "api_keys",
  "webhooks",
  "event_types",
  "events",
  "deliveries",
  "audit_log",
  "exports",
  "bulk_replays",
  "event_outbox",
] as const;

/** How many rows of `siteId` each table of `db` holds; attempts are counted by the deliveries given. */
async function rowsIn(db: D1Database, siteId: string, deliveryIds: string[] = []) {
  const counts: Record<string, number> = {};
  const one = async (sql: string, ...params: unknown[]) =>
    (await db
      .prepare(sql)
      .bind(...params)
      .first<{ n: number }>())!.n;
  counts.sites = await one("SELECT COUNT(*) AS n FROM sites WHERE id = ?", siteId);
  for (const table of SITE_TABLES)
    counts[table] = await one(`SELECT COUNT(*) AS n FROM ${table} WHERE site_id = ?`, siteId);
  counts.attempts = deliveryIds.length
    ? await one(
        `SELECT COUNT(*) AS n FROM attempts WHERE delivery_id IN (${deliveryIds.map(() => "?").join(",")})`,
        ...deliveryIds,
      )
    : 0;
  return counts;
}

const nothing = () => ({
  sites: 0,
  ...Object.fromEntries(SITE_TABLES.map((t) => [t, 0])),
  attempts: 0,
});

/** The ids of a site's deliveries as the API lists them. */
async function deliveryIdsOf(siteId: string): Promise<string[]> {
  const page = await json(api("GET", `/v1/sites/${siteId}/deliveries?limit=100`));
  return page.data.map((d: { id: string }) => d.id);
}

/** Asserts that every row of `siteId` is in `home` and none in the other database. */
async function expectOnlyIn(home: DatabaseName, siteId: string) {
  const away: DatabaseName = home === "DB" ? "DB_2" : "DB";
  const ids = await deliveryIdsOf(siteId);
  expect(ids.length).toBeGreaterThan(0);
  expect(await rowsIn(DATABASES[away], siteId, ids), `${siteId}'s rows in ${away}`).toEqual(nothing());
  const there = await rowsIn(DATABASES[home], siteId, ids);
  expect(there, `${siteId}'s rows in ${home}`).toMatchObject({ sites: 1, webhooks: expect.any(Number) });
  for (const table of ["api_keys", "webhooks", "events", "deliveries", "audit_log"])
    expect(there[table], `${siteId}'s ${table} in ${home}`).toBeGreaterThan(0);
  return there;
}

interface World {
  id: string;
  slug: string;
  admin: string;
  ingest: string;
  hookId: string;
  eventId: string;
}

/** A site made through the API with a key of each kind and one webhook on the receiver; one event delivered. */
async function world(site: { id: string; slug: string }): Promise<World> {
  const admin = await createKey(site.id, "integrations-admin");
  const ingest = await createKey(site.id, "ingest");
  const hook = await createWebhook(site.id, {
    name: "to the receiver",
    url: `${receiver}/ok`,
    events: ["post.published"],
  });
  expect(hook.status).toBe("active");
  const eventId = `evt_${site.id}_${crypto.randomUUID().slice(0, 8)}`;
  const res = await api("POST", `/v1/sites/${site.id}/events`, sampleEvent({ event_id: eventId }), ingest.token);
  expect(res.status).toBe(202);
  expect(await json(res)).toEqual({ event_id: eventId, deliveries: 1, duplicate: false });
  await vi.waitFor(async () => {
    const page = await json(
      api("GET", `/v1/sites/${site.id}/deliveries?webhook_id=${hook.id}`, undefined, admin.token),
    );
    expect(page.data.map((d: { state: string }) => d.state)).toEqual(["delivered"]);
  }, WAIT);
  return { id: site.id, slug: site.slug, admin: admin.token, ingest: ingest.token, hookId: hook.id, eventId };
}

/** Waits for every delivery of a webhook, read through the API, to be delivered; returns them oldest first. */
async function allDelivered(w: World, hookId: string, n: number) {
  return vi.waitFor(async () => {
    const page = await json(api("GET", `/v1/sites/${w.id}/deliveries?webhook_id=${hookId}`, undefined, w.admin));
    expect(page.data.map((d: { state: string }) => d.state)).toEqual(Array(n).fill("delivered"));
    return [...page.data].reverse() as { id: string; event_id: string; replay_of: string | null }[];
  }, WAIT);
}

/**
 * An event of the sharded site and its delivery to `hookId`, written straight to DB_2 as ingest would write them,
 * with no sequencer told and no queue message: only what D1 holds.
 */
async function writeDelivery(hookId: string, opts: { state: "pending" | "delivered"; at: number }) {
  const db = env.DB_2;
  const eventId = newId("evt");
  const deliveryId = newId("dlv");
  const target = { type: "post", id: 77 };
  await db.batch([
    ...insertEventsStatements(db, [
      {
        site_id: SHARDED,
        id: eventId,
        event_type: "post.published",
        body: envelopeBody({
          event_id: eventId,
          event_type: "post.published",
          fired_at: new Date(opts.at).toISOString(),
          site: { id: SHARDED, slug: "shard-two", host: "shard-two.example.com" },
          actor: null,
          target,
        }),
        detail: null,
        actor_email: null,
        target_key: targetKey(target),
        deliveries: 1,
        live: 0, // its delivery comes after it: the trigger counts it
        received_at: opts.at,
      },
    ]),
    ...insertDeliveriesStatements(db, [
      {
        id: deliveryId,
        site_id: SHARDED,
        webhook_id: hookId,
        webhook_name: "written",
        event_id: eventId,
        event_type: "post.published",
        destination_host: "127.0.0.1",
        target_key: targetKey(target),
        include_detail: 0,
        retry_delays: JSON.stringify([600]),
        retry_on: "any",
        format: "sgen",
        message_template: null,
        state: "pending",
        next_attempt_at: opts.at,
        order_key: null,
        replay_of: null,
        actor_email: null,
        created_at: opts.at,
      },
    ]),
  ]);
  if (opts.state === "delivered") {
    await db
      .prepare(
        "UPDATE deliveries SET state = 'delivered', attempts = 1, next_attempt_at = NULL, delivered_at = ?, updated_at = ? WHERE id = ?",
      )
      .bind(opts.at, opts.at, deliveryId)
      .run();
  }
  return { eventId, deliveryId };
}

let sharded: World;
let ordinary: World;

beforeAll(async () => {
  const created = await api("POST", "/v1/sites", {
    id: SHARDED,
    slug: "shard-two",
    host: "shard-two.example.com",
    name: "Sharded site",
  });
  expect(created.status).toBe(201);
  expect(await json(created)).toMatchObject({ id: SHARDED, slug: "shard-two" });
  sharded = await world({ id: SHARDED, slug: "shard-two" });
  const plain = await createSite();
  expect(plain.id).not.toBe(SHARDED);
  ordinary = await world(plain);
});

describe("a site SITE_DATABASES sends to DB_2", () => {
  it("is stored in DB_2 alone, and an ordinary site in DB alone", async () => {
    const shardedRows = await expectOnlyIn("DB_2", sharded.id);
    expect(shardedRows).toMatchObject({ sites: 1, webhooks: 1, events: 1, deliveries: 1 });
    expect(shardedRows.api_keys).toBe(2);
    const ordinaryRows = await expectOnlyIn("DB", ordinary.id);
    expect(ordinaryRows).toMatchObject({ sites: 1, webhooks: 1, events: 1, deliveries: 1 });
    // DB_2 holds nothing but the sharded site's rows.
    const { results } = await env.DB_2.prepare(
      "SELECT DISTINCT site_id FROM (SELECT id AS site_id FROM sites UNION ALL SELECT site_id FROM deliveries)",
    ).all<{ site_id: string }>();
    expect(results.map((r) => r.site_id)).toEqual([SHARDED]);
  });

  it("shows its delivery and the attempt that delivered it in the delivery log", async () => {
    const list = await json(api("GET", `/v1/sites/${SHARDED}/deliveries`, undefined, sharded.admin));
    expect(list.data).toHaveLength(1);
    const [row] = list.data;
    expect(row).toMatchObject({ webhook_id: sharded.hookId, event_id: sharded.eventId, state: "delivered" });
    const detail = await api("GET", `/v1/sites/${SHARDED}/deliveries/${row.id}`, undefined, sharded.admin);
    expect(detail.status).toBe(200);
    const body = await json(detail);
    expect(body).toMatchObject({ id: row.id, state: "delivered", attempts: 1, response_status: 204 });
    expect(body.attempts_detail).toHaveLength(1);
    expect(body.attempts_detail[0]).toMatchObject({ error: null, response: { status: 204 } });
    expect(JSON.parse(body.attempts_detail[0].request.body)).toMatchObject({
      event_id: sharded.eventId,
      site: { id: SHARDED, slug: "shard-two" },
    });
    const stats = await api("GET", `/v1/sites/${SHARDED}/webhooks/${sharded.hookId}/stats`, undefined, sharded.admin);
    expect(stats.status).toBe(200);
    expect((await json(stats)).counts).toMatchObject({ delivered: 1 });
    // The webhook's own view carries the outcome the consumer wrote back.
    const hook = await json(api("GET", `/v1/sites/${SHARDED}/webhooks/${sharded.hookId}`, undefined, sharded.admin));
    expect(hook).toMatchObject({
      id: sharded.hookId,
      status: "active",
      last_delivery: { state: "delivered", response_status: 204 },
    });
    // A key of the other site still reaches nothing of it.
    expect((await api("GET", `/v1/sites/${SHARDED}/deliveries`, undefined, ordinary.admin)).status).toBe(404);
  });

  it("lists its audit trail: the site, its keys and its webhook", async () => {
    const audit = await json(api("GET", `/v1/sites/${SHARDED}/audit-log?limit=50`, undefined, sharded.admin));
    const actions = audit.data.map((e: { action: string }) => e.action);
    expect(actions).toContain("site.created");
    expect(actions.filter((a: string) => a.startsWith("key."))).not.toHaveLength(0);
    expect(actions.filter((a: string) => a.startsWith("webhook."))).not.toHaveLength(0);
  });

  it("authenticates its keys, and a revoked one is a 401 on the very next call", async () => {
    const viewer = await createKey(SHARDED, "viewer", "soon revoked");
    const ingest = await createKey(SHARDED, "ingest", "soon revoked too");
    expect((await api("GET", `/v1/sites/${SHARDED}`, undefined, viewer.token)).status).toBe(200);
    expect((await api("GET", `/v1/sites/${SHARDED}/webhooks`, undefined, viewer.token)).status).toBe(200);
    const accepted = await api(
      "POST",
      `/v1/sites/${SHARDED}/events`,
      sampleEvent({ event_type: "page.created" }),
      ingest.token,
    );
    expect(accepted.status).toBe(202);
    // Its role still holds: a viewer manages nothing.
    expect((await api("POST", `/v1/sites/${SHARDED}/keys`, { name: "x", role: "viewer" }, viewer.token)).status).toBe(
      403,
    );

    expect((await api("DELETE", `/v1/sites/${SHARDED}/keys/${viewer.id}`, undefined, sharded.admin)).status).toBe(200);
    expect((await api("DELETE", `/v1/sites/${SHARDED}/keys/${ingest.id}`)).status).toBe(200);

    expect((await api("GET", `/v1/sites/${SHARDED}`, undefined, viewer.token)).status).toBe(401);
    expect((await api("GET", `/v1/sites/${SHARDED}/webhooks`, undefined, viewer.token)).status).toBe(401);
    const refused = await api("POST", `/v1/sites/${SHARDED}/events`, sampleEvent(), ingest.token);
    expect(refused.status).toBe(401);
    // The keys that were not revoked go on working.
    expect((await api("GET", `/v1/sites/${SHARDED}`, undefined, sharded.admin)).status).toBe(200);
    const revoked = await env.DB_2.prepare(
      "SELECT COUNT(*) AS n FROM api_keys WHERE site_id = ? AND revoked_at IS NOT NULL",
    )
      .bind(SHARDED)
      .first<{ n: number }>();
    expect(revoked!.n).toBe(2);
  });

  it("delivers a second event after its webhook's object restarts, and a replay of it", async () => {
    await abortAllDurableObjects();
    const eventId = `evt_after_restart_${crypto.randomUUID().slice(0, 8)}`;
    const res = await api("POST", `/v1/sites/${SHARDED}/events`, sampleEvent({ event_id: eventId }), sharded.ingest);
    expect(res.status).toBe(202);
    const [first, second] = await allDelivered(sharded, sharded.hookId, 2);
    expect(second!.event_id).toBe(eventId);

    const replay = await api("POST", `/v1/sites/${SHARDED}/deliveries/${first!.id}/replay`, undefined, sharded.admin);
    expect(replay.status).toBe(202);
    const made = await json(replay);
    expect(made).toMatchObject({ replay_of: first!.id });
    const all = await allDelivered(sharded, sharded.hookId, 3);
    expect(all[2]).toMatchObject({ id: made.id, event_id: first!.event_id, replay_of: first!.id });
    const inDb2 = await env.DB_2.prepare("SELECT state FROM deliveries WHERE id = ?").bind(made.id).first();
    expect(inDb2).toEqual({ state: "delivered" });
  });

  it("paces a rate-limited webhook through its object's alarm, across a restart of the object", async () => {
    const paced = await createWebhook(SHARDED, {
      name: "paced",
      url: `${receiver}/ok?paced`,
      events: ["page.created"],
    });
    const policy = await api(
      "PUT",
      `/v1/sites/${SHARDED}/webhooks/${paced.id}/delivery`,
      { rate_limit_per_s: 5 },
      sharded.admin,
    );
    expect(policy.status).toBe(200);
    const events = Array.from({ length: 4 }, (_, i) =>
      sampleEvent({ event_type: "page.created", target: { type: "page", id: 100 + i } }),
    );
    const res = await api("POST", `/v1/sites/${SHARDED}/events/batch`, { events }, sharded.ingest);
    expect(res.status).toBe(202);
    const states = async () =>
      (
        await json(api("GET", `/v1/sites/${SHARDED}/deliveries?webhook_id=${paced.id}`, undefined, sharded.admin))
      ).data.map((d: { state: string }) => d.state);
    await vi.waitFor(
      async () => expect((await states()).filter((x: string) => x === "delivered").length).toBeGreaterThan(0),
      WAIT,
    );
    await abortAllDurableObjects();
    await vi.waitFor(async () => expect(await states()).toEqual(Array(4).fill("delivered")), WAIT);
  });

  it("runs a bulk replay job to completion in DB_2", async () => {
    const before = await allDelivered(sharded, sharded.hookId, 3);
    // A bulk replay takes originals only, never an earlier replay.
    const originals = before.filter((d) => d.replay_of === null).length;
    expect(originals).toBe(2);
    const res = await api(
      "POST",
      `/v1/sites/${SHARDED}/deliveries/replay`,
      { webhook_id: sharded.hookId, state: "delivered" },
      sharded.admin,
    );
    expect(res.status).toBe(202);
    const started = await json(res);
    expect(started).toEqual({ count: originals, dry_run: false, job_id: expect.stringMatching(/^rpl_/) });
    const after = await allDelivered(sharded, sharded.hookId, before.length + originals);
    expect(after.slice(before.length).map((d) => d.replay_of)).toEqual(
      before.filter((d) => d.replay_of === null).map((d) => d.id),
    );
    await vi.waitFor(async () => {
      const job = await env.DB_2.prepare("SELECT status, replayed FROM bulk_replays WHERE id = ?")
        .bind(started.job_id)
        .first();
      expect(job).toEqual({ status: "complete", replayed: originals });
    }, WAIT);
  });

  it("has an overdue delivery no sequencer or queue message knows of re-driven by the cron's sweeper", async () => {
    // A fresh webhook with nothing in its line, and a delivery written to DB_2 only, due two minutes ago.
    const hook = await createWebhook(SHARDED, {
      name: "swept",
      url: `${receiver}/ok?swept`,
      events: ["post.published"],
    });
    const due = Date.now() - 120_000;
    const { deliveryId } = await writeDelivery(hook.id, { state: "pending", at: due });
    const db = env.DB_2;
    const row = () =>
      db.prepare("SELECT state, attempts FROM deliveries WHERE id = ?").bind(deliveryId).first<{ state: string }>();
    expect(await row()).toEqual({ state: "pending", attempts: 0 });

    await runCron(Date.now());

    await vi.waitFor(async () => expect(await row()).toEqual({ state: "delivered", attempts: 1 }), WAIT);
    const detail = await json(api("GET", `/v1/sites/${SHARDED}/deliveries/${deliveryId}`, undefined, sharded.admin));
    expect(detail).toMatchObject({ state: "delivered", response_status: 204 });
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE id = ?").bind(deliveryId).first()).toEqual({
      n: 0,
    });
  });

  it("sends a test delivery, which skips the line, to the receiver", async () => {
    const res = await api("POST", `/v1/sites/${SHARDED}/webhooks/${sharded.hookId}/test`, undefined, sharded.admin);
    expect(res.status).toBe(202);
    const sent = await json(res);
    await vi.waitFor(async () => {
      const d = await json(api("GET", `/v1/sites/${SHARDED}/deliveries/${sent.delivery_id}`, undefined, sharded.admin));
      expect(d).toMatchObject({ state: "delivered", event_id: sent.event_id, response_status: 204 });
    }, WAIT);
    expect(await env.DB_2.prepare("SELECT state FROM deliveries WHERE id = ?").bind(sent.delivery_id).first()).toEqual({
      state: "delivered",
    });
  });

  it("raises delivery.failed and webhook.paused in its own database, holds what follows, and resumes", async () => {
    const ops = await createWebhook(SHARDED, {
      name: "ops",
      url: `${receiver}/ok?ops`,
      events: ["delivery.failed", "webhook.paused"],
    });
    // The fixture answers 404 off its known paths: one attempt, no retry, and the webhook pauses. (Each webhook of the
    // site has its own URL, as settings as code wants; the fixture ignores the query.)
    const crm = await createWebhook(SHARDED, {
      name: "crm",
      url: `${receiver}/gone`,
      events: ["page.created"],
      retry_policy: "none",
      failure_mode: "pause",
    });
    const states = async (hookId: string) =>
      (await json(api("GET", `/v1/sites/${SHARDED}/deliveries?webhook_id=${hookId}`, undefined, sharded.admin))).data
        .map((d: { state: string; event_type: string }) => `${d.event_type}:${d.state}`)
        .sort();
    const pageEvent = () => sampleEvent({ event_type: "page.created", target: { type: "page", id: 1 } });
    expect((await api("POST", `/v1/sites/${SHARDED}/events`, pageEvent(), sharded.ingest)).status).toBe(202);

    await vi.waitFor(async () => expect(await states(crm.id)).toEqual(["page.created:failed"]), WAIT);
    await vi.waitFor(async () => {
      const hook = await json(api("GET", `/v1/sites/${SHARDED}/webhooks/${crm.id}`, undefined, sharded.admin));
      expect(hook.status).toBe("paused");
      expect(hook.alert).not.toBeNull();
    }, WAIT);
    // The operational events about crm were made in DB_2 and delivered to the ops webhook.
    await vi.waitFor(
      async () => expect(await states(ops.id)).toEqual(["delivery.failed:delivered", "webhook.paused:delivered"]),
      WAIT,
    );

    // Paused: the next event is held.
    expect((await api("POST", `/v1/sites/${SHARDED}/events`, pageEvent(), sharded.ingest)).status).toBe(202);
    await vi.waitFor(
      async () => expect(await states(crm.id)).toEqual(["page.created:failed", "page.created:held"]),
      WAIT,
    );

    // Fixed and resumed with the failed one replayed: everything goes out.
    const patched = await api(
      "PATCH",
      `/v1/sites/${SHARDED}/webhooks/${crm.id}`,
      { url: `${receiver}/ok?crm` },
      sharded.admin,
    );
    expect(patched.status).toBe(200);
    const resumed = await api(
      "POST",
      `/v1/sites/${SHARDED}/webhooks/${crm.id}/resume`,
      { replay_failed: true },
      sharded.admin,
    );
    expect(resumed.status).toBe(200);
    expect(await json(resumed)).toMatchObject({ status: "active", replayed: 1 });
    await vi.waitFor(
      async () =>
        expect(await states(crm.id)).toEqual([
          "page.created:delivered",
          "page.created:delivered",
          "page.created:resolved",
        ]),
      WAIT,
    );
    // Nothing of it is left in any outbox.
    for (const db of [env.DB, env.DB_2])
      expect(await db.prepare("SELECT COUNT(*) AS n FROM event_outbox").first()).toEqual({ n: 0 });
  });

  it("registers its own event types in DB_2, accepts them from its producers, and reads back its settings", async () => {
    const type = { type: "course.completed", description: "A learner completed a course" };
    expect((await api("POST", `/v1/sites/${SHARDED}/event-types`, type, sharded.admin)).status).toBe(201);
    expect(
      await env.DB_2.prepare("SELECT COUNT(*) AS n FROM event_types WHERE site_id = ? AND type = ?")
        .bind(SHARDED, type.type)
        .first(),
    ).toEqual({ n: 1 });
    // Another site does not have it.
    const elsewhere = await api(
      "POST",
      `/v1/sites/${ordinary.id}/events`,
      sampleEvent({ event_type: type.type }),
      ordinary.ingest,
    );
    expect(elsewhere.status).toBe(422);

    const lms = await createWebhook(SHARDED, { name: "lms", url: `${receiver}/ok?lms`, events: [type.type] });
    const res = await api(
      "POST",
      `/v1/sites/${SHARDED}/events`,
      sampleEvent({ event_type: type.type }),
      sharded.ingest,
    );
    expect(res.status).toBe(202);
    expect((await json(res)).deliveries).toBe(1);
    await vi.waitFor(async () => {
      const page = await json(
        api("GET", `/v1/sites/${SHARDED}/deliveries?webhook_id=${lms.id}`, undefined, sharded.admin),
      );
      expect(page.data.map((d: { state: string }) => d.state)).toEqual(["delivered"]);
    }, WAIT);

    // Settings as code: what it reads back, written again, changes nothing.
    const settings = `/v1/sites/${SHARDED}/settings`;
    const read = await api("GET", settings, undefined, sharded.admin);
    expect(read.status).toBe(200);
    const doc = await json(read);
    expect(doc.webhooks.map((w: { url: string }) => w.url)).toContain(`${receiver}/ok`);
    const again = await api("PUT", settings, doc, sharded.admin);
    expect(again.status).toBe(200);
    expect((await json(again)).updated).toEqual([]);
  });

  it("has its old deliveries purged by the cron's retention, from DB_2", async () => {
    const old = Date.now() - 40 * 86_400_000; // LOG_RETENTION_DAYS is 30
    const { deliveryId, eventId } = await writeDelivery(sharded.hookId, { state: "delivered", at: old });
    const recent = await deliveryIdsOf(SHARDED);
    expect(recent).toContain(deliveryId);

    await runCron(Date.now());

    expect(
      await env.DB_2.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE id = ?").bind(deliveryId).first(),
    ).toEqual({ n: 0 });
    expect(
      await env.DB_2.prepare("SELECT COUNT(*) AS n FROM events WHERE site_id = ? AND id = ?")
        .bind(SHARDED, eventId)
        .first(),
    ).toEqual({ n: 0 });
    // Everything newer stays.
    expect((await deliveryIdsOf(SHARDED)).sort()).toEqual(recent.filter((id) => id !== deliveryId).sort());
  });

  it("is checked by the health endpoint, which names DB_2", async () => {
    const res = await api("GET", "/health", undefined, "");
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ status: "ok", d1: "ok", bindings: { DB: true, DB_2: true } });
  });

  it("exports its log through the jobs queue, and the signed link serves the file", async () => {
    const res = await api("POST", `/v1/sites/${SHARDED}/exports`, { format: "ndjson" }, sharded.admin);
    expect(res.status).toBe(202);
    const job = await json(res);
    const done = await vi.waitFor(async () => {
      const now = await json(api("GET", `/v1/sites/${SHARDED}/exports/${job.id}`, undefined, sharded.admin));
      expect(now.status).toBe("complete");
      return now;
    }, WAIT);
    const ids = await deliveryIdsOf(SHARDED);
    expect(done.rows).toBe(ids.length);
    const link = new URL(done.download_url);
    const file = await api("GET", link.pathname + link.search, undefined, "");
    expect(file.status).toBe(200);
    const exported = (await file.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).id as string);
    expect(exported.sort()).toEqual([...ids].sort());
    const row = await env.DB_2.prepare("SELECT status FROM exports WHERE id = ?").bind(job.id).first();
    expect(row).toEqual({ status: "complete" });
  });

  it("cannot take a slug or an id already in use in either database (409), and writes nothing", async () => {
    // A site bound for DB_2 with the slug of a site in DB.
    const slugInDb = await api("POST", "/v1/sites", {
      id: SHARDED_SPARE,
      slug: ordinary.slug,
      host: "spare.example.com",
    });
    expect(slugInDb.status).toBe(409);
    expect((await json(slugInDb)).errors).toEqual([{ path: "slug", message: "already taken" }]);
    // A site bound for DB with the slug of the site in DB_2.
    const slugInDb2 = await api("POST", "/v1/sites", { slug: "shard-two", host: "other.example.com" });
    expect(slugInDb2.status).toBe(409);
    expect((await json(slugInDb2)).errors).toEqual([{ path: "slug", message: "already taken" }]);
    // The sharded site's id again.
    const idAgain = await api("POST", "/v1/sites", { id: SHARDED, slug: "shard-two-again", host: "x.example.com" });
    expect(idAgain.status).toBe(409);
    expect((await json(idAgain)).errors).toEqual([{ path: "id", message: "already taken" }]);
    for (const db of [env.DB, env.DB_2]) {
      const n = await db
        .prepare("SELECT COUNT(*) AS n FROM sites WHERE id = ? OR slug IN ('shard-two-again') OR host LIKE 'other.%'")
        .bind(SHARDED_SPARE)
        .first();
      expect(n).toEqual({ n: 0 });
    }
    expect(await rowsIn(env.DB_2, SHARDED_SPARE)).toEqual(nothing());
    expect(await rowsIn(env.DB, SHARDED_SPARE)).toEqual(nothing());

    // With a free slug it is created, in DB_2.
    const created = await api("POST", "/v1/sites", {
      id: SHARDED_SPARE,
      slug: "shard-three",
      host: "spare.example.com",
    });
    expect(created.status).toBe(201);
    expect(await env.DB_2.prepare("SELECT slug FROM sites WHERE id = ?").bind(SHARDED_SPARE).first()).toEqual({
      slug: "shard-three",
    });
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM sites WHERE id = ?").bind(SHARDED_SPARE).first()).toEqual({
      n: 0,
    });
  });

  it("is listed with the other sites in the console, and its keys sign in to it", async () => {
    const root = await consoleSignIn(ROOT);
    const sites = await root.get("/console/sites");
    expect(sites.status).toBe(200);
    const html = await sites.text();
    expect(html).toContain(SHARDED);
    expect(html).toContain(ordinary.id);
    const go = await root.get(`/console/go?site=${SHARDED}`);
    expect(go.status).toBe(303);
    expect(go.headers.get("location")).toContain(`/console/sites/${SHARDED}/webhooks`);
    const page = await root.get(`/console/sites/${SHARDED}/webhooks`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("to the receiver");

    // The sharded site's own key: sign-in finds it although it is not in DB.
    const own = await consoleSignIn(sharded.admin);
    const mine = await own.get(`/console/sites/${SHARDED}/webhooks`);
    expect(mine.status).toBe(200);
    expect(await mine.text()).toContain("to the receiver");
    expect((await own.get(`/console/sites/${ordinary.id}/webhooks`)).status).toBe(404);
    // Its delivery log and one delivery's page.
    const log = await own.get(`/console/sites/${SHARDED}/log`);
    expect(log.status).toBe(200);
    const [first] = await deliveryIdsOf(SHARDED);
    expect(await log.text()).toContain(first);
    const one = await own.get(`/console/sites/${SHARDED}/log/${first}`);
    expect(one.status).toBe(200);
    const audit = await own.get(`/console/sites/${SHARDED}/audit`);
    expect(audit.status).toBe(200);
    expect(await audit.text()).toContain("site.created");
  });

  it("writes the cron's daily summary of its webhooks to its own database", async () => {
    const tomorrow = (Math.floor(Date.now() / 86_400_000) + 1) * 86_400_000;
    await runCron(tomorrow + 60_000); // a minute into the next UTC day: today's summary
    const summaries = (db: D1Database, siteId: string) =>
      db
        .prepare("SELECT target_id FROM audit_log WHERE site_id = ? AND action = 'delivery.daily_summary'")
        .bind(siteId)
        .all<{ target_id: string }>()
        .then((r) => r.results.map((x) => x.target_id));
    expect(await summaries(env.DB_2, SHARDED)).toContain(sharded.hookId);
    expect(await summaries(env.DB, SHARDED)).toEqual([]);
    expect(await summaries(env.DB, ordinary.id)).toEqual([ordinary.hookId]);
    expect(await summaries(env.DB_2, ordinary.id)).toEqual([]);
  });

  it("has its webhooks' sealed values re-sealed by a key rotation, which is complete only once DB_2's are", async () => {
    const secret = "a-signing-secret-long-enough";
    const hook = await createWebhook(SHARDED, {
      name: "sealed",
      url: `${receiver}/ok?sealed`,
      secret,
      headers: { "X-Team": "blue-team-value" },
    });
    const OLD = env.ENCRYPTION_KEY;
    const NEW = toBase64(crypto.getRandomValues(new Uint8Array(32)));
    const withKeys = (current: string, previous = "") =>
      ({ ...env, ENCRYPTION_KEY: current, ENCRYPTION_KEY_PREVIOUS: previous }) as Env;
    const runPass = async (e: Env) => {
      for (let i = 0; i < 100; i++) if ((await reencryptStep(e, Date.now(), 2)).complete) return;
      throw new Error("the pass never completed");
    };
    const sealedUnder = async (db: D1Database, prefix: string) =>
      (await db
        .prepare(
          `SELECT COUNT(*) AS n FROM webhooks
           WHERE (secrets_enc IS NOT NULL AND substr(secrets_enc, 1, length(?1)) IS NOT ?1)
              OR (headers_enc IS NOT NULL AND substr(headers_enc, 1, length(?1)) IS NOT ?1)`,
        )
        .bind(prefix)
        .first<{ n: number }>())!.n;
    const newPrefix = await currentPrefix(NEW);

    const rotating = withKeys(NEW, OLD);
    const before = await keyRotationStatus(rotating);
    expect(before.complete).toBe(false);
    expect(before.remaining).toBe((await sealedUnder(env.DB, newPrefix)) + (await sealedUnder(env.DB_2, newPrefix)));
    expect(await sealedUnder(env.DB_2, newPrefix)).toBeGreaterThan(0);
    try {
      await runPass(rotating);
      const after = await keyRotationStatus(rotating);
      expect(after).toMatchObject({ remaining: 0, complete: true, reencryption: { unreadable: 0 } });
      expect(after.reencryption!.rewritten).toBe(before.remaining);
      expect(await sealedUnder(env.DB_2, newPrefix)).toBe(0);
      const row = await getWebhook(withKeys(NEW), SHARDED, hook.id);
      expect(row.secretsEnc!.startsWith(newPrefix)).toBe(true);
      expect(await currentSecret(withKeys(NEW), row)).toBe(secret);
      expect(await headerValues(withKeys(NEW), row)).toEqual({ "X-Team": "blue-team-value" });
    } finally {
      // Back to the key the rest of this file's Worker reads with.
      await runPass(withKeys(OLD, NEW));
    }
    expect(await sealedUnder(env.DB_2, await currentPrefix(OLD))).toBe(0);
    expect(await currentSecret(env, await getWebhook(env, SHARDED, hook.id))).toBe(secret);
  });

  it("takes one queue batch with deliveries in both databases, each claimed and recorded in its own", async () => {
    const inShard = await writeDelivery(sharded.hookId, { state: "pending", at: Date.now() });
    const hook: HookRow = {
      id: ordinary.hookId,
      site_id: ordinary.id,
      url: `${receiver}/ok`,
      status: "active",
      failure_mode: "continue",
      delays: [600],
      retry_on: "any",
      format: "sgen",
    };
    const site = { id: ordinary.id, slug: ordinary.slug, host: "ordinary.example.com" };
    const inDefault = await insertDelivery(site, hook, { target: { type: "post", id: 501 } });
    // A message from before routing names no site: its delivery is looked for in DB.
    const unrouted = await insertDelivery(site, hook, { target: { type: "post", id: 502 } });
    const run = await runConsumer([
      { delivery_id: inShard.deliveryId, webhook_id: sharded.hookId, site_id: SHARDED },
      { delivery_id: inDefault.deliveryId, webhook_id: ordinary.hookId, site_id: ordinary.id },
      { delivery_id: unrouted.deliveryId, webhook_id: ordinary.hookId },
    ]);
    expect(run.retryMessages).toEqual([]);
    expect(run.explicitAcks).toEqual(run.ids);
    const state = async (db: D1Database, id: string) =>
      (await db.prepare("SELECT state FROM deliveries WHERE id = ?").bind(id).first<{ state: string }>())?.state;
    expect(await state(env.DB_2, inShard.deliveryId)).toBe("delivered");
    expect(await state(env.DB, inDefault.deliveryId)).toBe("delivered");
    expect(await state(env.DB, unrouted.deliveryId)).toBe("delivered");
    expect(await state(env.DB, inShard.deliveryId)).toBeUndefined();
  });

  it("after all of the above, still has no row in DB, and the ordinary site none in DB_2", async () => {
    const there = await expectOnlyIn("DB_2", SHARDED);
    // Every kind of row the tests above made, there: a failed attempt's row, an export, a bulk replay, its own
    // event type, and (their outbox rows gone) the operational events.
    expect(there).toMatchObject({ sites: 1, event_outbox: 0 });
    for (const table of ["attempts", "exports", "bulk_replays", "event_types"])
      expect(there[table], `${SHARDED}'s ${table} in DB_2`).toBeGreaterThan(0);
    await expectOnlyIn("DB", ordinary.id);
  });
});
