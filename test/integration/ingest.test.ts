// Ingest in workerd: what lands in D1, idempotency on event_id, batches, and every way to be refused.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, json, sampleEvent } from "../helpers";
import { insertHook, insertKey, insertSite } from "../pipeline-fixtures";
import { spyReceiver } from "../receiver-spy";

beforeEach(() => {
  spyReceiver();
});
afterEach(() => vi.restoreAllMocks());

async function counts(siteId: string) {
  const e = await env.DB.prepare("SELECT COUNT(*) AS n FROM events WHERE site_id = ?")
    .bind(siteId)
    .first<{ n: number }>();
  const d = await env.DB.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE site_id = ?")
    .bind(siteId)
    .first<{ n: number }>();
  return { events: e!.n, deliveries: d!.n };
}

async function setup() {
  const site = await insertSite();
  const token = await insertKey(site.id, "ingest");
  return { site, token, path: `/v1/sites/${site.id}/events` };
}

describe("ingest", () => {
  it("records the event and one delivery per active subscriber before answering 202", async () => {
    const { site, token, path } = await setup();
    const a = await insertHook(site.id, { url: "http://127.0.0.1:9/a" });
    const b = await insertHook(site.id, { url: "http://127.0.0.1:9/b", status: "paused" });
    await insertHook(site.id, { url: "http://127.0.0.1:9/c", events: ["page.created"] });
    await insertHook(site.id, { url: "http://127.0.0.1:9/d", status: "draft" });

    const res = await api(
      "POST",
      path,
      sampleEvent({ event_id: "evt_ingest_1", detail: { changes: ["title"] } }),
      token,
    );

    expect(res.status).toBe(202);
    expect(await json(res)).toEqual({ event_id: "evt_ingest_1", deliveries: 2, duplicate: false });
    const event = await env.DB.prepare("SELECT * FROM events WHERE site_id = ? AND id = ?")
      .bind(site.id, "evt_ingest_1")
      .first<any>();
    expect(JSON.parse(event.body)).toMatchObject({
      event_id: "evt_ingest_1",
      event_type: "post.published",
      site: { id: site.id },
    });
    expect(JSON.parse(event.detail)).toEqual({ changes: ["title"] });
    const { results } = await env.DB.prepare(
      "SELECT webhook_id, state FROM deliveries WHERE event_id = ? ORDER BY webhook_id",
    )
      .bind("evt_ingest_1")
      .all<any>();
    expect(results).toEqual(
      [
        { webhook_id: a.id, state: expect.stringMatching(/pending|delivered/) },
        { webhook_id: b.id, state: "held" },
      ].sort((x, y) => (x.webhook_id < y.webhook_id ? -1 : 1)),
    );
  });

  it("answers a repeated event_id with 200 duplicate and sends nothing new", async () => {
    const { site, token, path } = await setup();
    await insertHook(site.id, { url: "http://127.0.0.1:9/a" });
    const first = await api("POST", path, sampleEvent({ event_id: "evt_dup_1" }), token);
    expect(first.status).toBe(202);
    const before = await counts(site.id);

    const again = await api(
      "POST",
      path,
      sampleEvent({ event_id: "evt_dup_1", target: { type: "post", id: 9 } }),
      token,
    );

    expect(again.status).toBe(200);
    expect(await json(again)).toEqual({ event_id: "evt_dup_1", deliveries: 1, duplicate: true });
    expect(await counts(site.id)).toEqual(before);
  });

  it("generates an event id when the producer sends none", async () => {
    const { token, path } = await setup();
    const body = await json(await api("POST", path, sampleEvent(), token));
    expect(body.event_id).toMatch(/^evt_/);
    expect(body.deliveries).toBe(0);
  });

  it("takes a batch and answers one result per item, in order", async () => {
    const { site, token } = await setup();
    await insertHook(site.id, { url: "http://127.0.0.1:9/a" });
    await api("POST", `/v1/sites/${site.id}/events`, sampleEvent({ event_id: "evt_batch_old" }), token);

    const res = await api(
      "POST",
      `/v1/sites/${site.id}/events/batch`,
      {
        events: [
          sampleEvent({ event_id: "evt_batch_1" }),
          sampleEvent({ event_id: "evt_batch_old" }),
          sampleEvent({ event_id: "evt_batch_1" }),
          sampleEvent({ event_id: "evt_batch_2", event_type: "page.created" }),
        ],
      },
      token,
    );

    expect(res.status).toBe(202);
    expect((await json(res)).results).toEqual([
      { event_id: "evt_batch_1", deliveries: 1, duplicate: false },
      { event_id: "evt_batch_old", deliveries: 1, duplicate: true },
      { event_id: "evt_batch_1", deliveries: 1, duplicate: true },
      { event_id: "evt_batch_2", deliveries: 0, duplicate: false },
    ]);
    expect(await counts(site.id)).toEqual({ events: 3, deliveries: 2 });
  });

  const refusals: [string, unknown, number, string | null][] = [
    ["an unknown event type", sampleEvent({ event_type: "post.exploded" }), 422, "event_type"],
    ["no target", { event_type: "post.published" }, 422, "target"],
    ["a target without id", sampleEvent({ target: { type: "post" } }), 422, "target.id"],
    ["an extra key", sampleEvent({ colour: "red" }), 422, ""],
    ["a bad fired_at", sampleEvent({ fired_at: "yesterday" }), 422, "fired_at"],
    ["an event id without prefix", sampleEvent({ event_id: "12345" }), 422, "event_id"],
    ["a bad actor email", sampleEvent({ actor: { email: "not-an-email" } }), 422, "actor.email"],
    ["a webhook.test event", sampleEvent({ event_type: "webhook.test" }), 422, "event_type"],
  ];

  for (const [what, body, status, path] of refusals) {
    it(`refuses ${what} with ${status} problem+json and stores nothing`, async () => {
      const s = await setup();
      await insertHook(s.site.id, { url: "http://127.0.0.1:9/a" });
      const res = await api("POST", s.path, body, s.token);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      const problem = await json(res);
      expect(problem).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
      if (path) expect(problem.errors.map((e: any) => e.path)).toContain(path);
      expect(await counts(s.site.id)).toEqual({ events: 0, deliveries: 0 });
    });
  }

  it("refuses malformed JSON with 400", async () => {
    const { site, token, path } = await setup();
    const res = await api("POST", path, "{not json", token);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(await counts(site.id)).toEqual({ events: 0, deliveries: 0 });
  });

  it("refuses a body over 64 KiB with 413", async () => {
    const { site, token, path } = await setup();
    const res = await api("POST", path, sampleEvent({ detail: { blob: "x".repeat(70 * 1024) } }), token);
    expect(res.status).toBe(413);
    expect(await counts(site.id)).toEqual({ events: 0, deliveries: 0 });
  });

  it("refuses a batch of more than 100 events, naming the field", async () => {
    const { site, token } = await setup();
    const res = await api(
      "POST",
      `/v1/sites/${site.id}/events/batch`,
      { events: Array.from({ length: 101 }, () => sampleEvent()) },
      token,
    );
    expect(res.status).toBe(422);
    expect((await json(res)).errors[0].path).toBe("events");
    expect(await counts(site.id)).toEqual({ events: 0, deliveries: 0 });
  });

  it("refuses a whole batch when one item is bad, naming it", async () => {
    const { site, token } = await setup();
    const res = await api(
      "POST",
      `/v1/sites/${site.id}/events/batch`,
      { events: [sampleEvent(), sampleEvent({ event_type: "nope" })] },
      token,
    );
    expect(res.status).toBe(422);
    expect((await json(res)).errors[0].path).toBe("events.1.event_type");
    expect(await counts(site.id)).toEqual({ events: 0, deliveries: 0 });
  });

  it("lets only ingest keys (and root) of the site send events", async () => {
    const { site, path } = await setup();
    const viewer = await insertKey(site.id, "viewer");
    const other = await insertSite();
    const otherIngest = await insertKey(other.id, "ingest");

    expect((await api("POST", path, sampleEvent(), viewer)).status).toBe(403);
    expect((await api("POST", path, sampleEvent(), otherIngest)).status).toBe(404);
    expect((await api("POST", path, sampleEvent(), "wrong-token")).status).toBe(401);
    expect((await api("POST", path, sampleEvent())).status).toBe(202); // root
    expect((await api("POST", `/v1/sites/site_nope/events`, sampleEvent())).status).toBe(404);
  });

  it("refuses a revoked key on the very next request and writes nothing", async () => {
    const { site, token, path } = await setup();
    await insertHook(site.id, { url: "http://127.0.0.1:9/a" });
    const keys = await json(await api("GET", `/v1/sites/${site.id}/keys`));
    expect((await api("POST", path, sampleEvent({ event_id: "evt_before_revoke" }), token)).status).toBe(202);
    const before = await counts(site.id);

    expect((await api("DELETE", `/v1/sites/${site.id}/keys/${keys.data[0].id}`)).status).toBe(200);

    const single = await api("POST", path, sampleEvent({ event_id: "evt_after_revoke" }), token);
    expect(single.status).toBe(401);
    const batch = await api("POST", `${path}/batch`, { events: [sampleEvent({ event_id: "evt_after_2" })] }, token);
    expect(batch.status).toBe(401);
    expect(await counts(site.id)).toEqual(before);
  });

  it("answers an event_id sent twice in one batch once as new and then as a duplicate", async () => {
    const { site, token, path } = await setup();
    await insertHook(site.id, { url: "http://127.0.0.1:9/a" });
    const events = [sampleEvent({ event_id: "evt_twice" }), sampleEvent({ event_id: "evt_twice" })];
    const res = await api("POST", `${path}/batch`, { events }, token);
    expect(res.status).toBe(202);
    expect((await json(res)).results).toEqual([
      { event_id: "evt_twice", deliveries: 1, duplicate: false },
      { event_id: "evt_twice", deliveries: 1, duplicate: true },
    ]);
    expect(await counts(site.id)).toEqual({ events: 1, deliveries: 1 });
  });
});
