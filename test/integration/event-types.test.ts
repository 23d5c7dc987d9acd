// A site's own event types through the API: created and listed beside the catalog for that site alone, sent by
// its producers, subscribed to by its webhooks, and kept while subscribed.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createKey, createSite, createWebhook, json, sampleEvent } from "../helpers";
import { BUILT_IN_EVENT_TYPES, EVENT_TYPES } from "../../src/domain/catalog";

async function world() {
  const site = await createSite();
  const admin = (await createKey(site.id, "integrations-admin", "ops admin")).token;
  const viewer = (await createKey(site.id, "viewer")).token;
  const ingest = (await createKey(site.id, "ingest")).token;
  return { site, admin, viewer, ingest, base: `/v1/sites/${site.id}` };
}

const COURSE = { type: "course.completed", description: "A learner completes a course" };

describe("GET /v1/event-types", () => {
  it("lists the built-in types: the catalog's 26 in six families, then Operations' 3, never a site's own", async () => {
    const { base, admin } = await world();
    await api("POST", `${base}/event-types`, COURSE, admin);
    const { data } = await json(await api("GET", "/v1/event-types", undefined, admin));
    expect(data).toEqual(BUILT_IN_EVENT_TYPES);
    expect(data.slice(0, 26)).toEqual(EVENT_TYPES);
    expect(data.slice(26).map((t: any) => [t.type, t.family])).toEqual([
      ["webhook.paused", "Operations"],
      ["webhook.disabled", "Operations"],
      ["delivery.failed", "Operations"],
    ]);
  });

  it("an operational type is subscribed to like any, but no producer may send one", async () => {
    const { base, admin, ingest } = await world();
    const hook = await json(
      await api("POST", `${base}/webhooks`, { name: "ops", url: "http://127.0.0.1:9/ops" }, admin),
    );
    const subscribed = await api("PUT", `${base}/webhooks/${hook.id}/events`, { events: ["webhook.paused"] }, admin);
    expect(subscribed.status).toBe(200);
    const sent = await api("POST", `${base}/events`, sampleEvent({ event_type: "webhook.paused" }), ingest);
    expect(sent.status).toBe(422);
    expect((await json(sent)).errors).toEqual([
      { path: "event_type", message: "webhook.paused is an operational event type: only Edgehooks sends it" },
    ]);
  });
});

describe("a site's own event types", () => {
  it("are created (family Custom), listed after the built-in types for that site alone, and audited", async () => {
    const { site, base, admin, viewer } = await world();
    const made = await api("POST", `${base}/event-types`, COURSE, admin);
    expect(made.status).toBe(201);
    expect(await json(made)).toEqual({ ...COURSE, family: "Custom" });

    const listing = (await json(await api("GET", `${base}/event-types`, undefined, viewer))).data;
    expect(listing.slice(0, 29)).toEqual(BUILT_IN_EVENT_TYPES);
    expect(listing.slice(29)).toEqual([{ ...COURSE, family: "Custom" }]);

    const other = await createSite();
    const otherListing = (await json(await api("GET", `/v1/sites/${other.id}/event-types`))).data;
    expect(otherListing).toEqual(BUILT_IN_EVENT_TYPES);

    const audit = (await json(await api("GET", `${base}/audit-log`, undefined, admin))).data;
    expect(audit[0]).toMatchObject({
      actor: { kind: "key", name: "ops admin" },
      action: "event_type.created",
      target_type: "event_type",
      target_id: "course.completed",
    });
    expect(site.id).toBeTruthy();
  });

  it("refuses a bad name (422), a built-in one (409), our namespaces (422) and a repeat (409), changing nothing", async () => {
    const { base, admin } = await world();
    for (const [body, status, path] of [
      [{ type: "Course.Completed", description: "x" }, 422, "type"],
      [{ type: "course", description: "x" }, 422, "type"],
      [{ type: "course.completed" }, 422, "description"],
      [{ type: "course.completed", description: "x", family: "Custom" }, 422, ""],
      [{ type: "webhook.deleted", description: "x" }, 422, "type"],
      [{ type: "delivery.retried", description: "x" }, 422, "type"],
      [{ type: "webhook.paused", description: "x" }, 409, null],
      [{ type: "delivery.failed", description: "x" }, 409, null],
      [{ type: "post.published", description: "x" }, 409, null],
    ] as const) {
      const res = await api("POST", `${base}/event-types`, body, admin);
      expect(res.status, JSON.stringify(body)).toBe(status);
      if (path !== null) expect((await json(res)).errors.map((e: any) => e.path)).toContain(path);
    }
    expect((await json(await api("GET", `${base}/event-types`, undefined, admin))).data).toHaveLength(29);
    expect((await api("POST", `${base}/event-types`, COURSE, admin)).status).toBe(201);
    expect((await api("POST", `${base}/event-types`, COURSE, admin)).status).toBe(409);
  });

  it("are for integrations-admin keys (and root) to change; viewers read; other sites get 404", async () => {
    const { base, admin, viewer, ingest } = await world();
    expect((await api("POST", `${base}/event-types`, COURSE, viewer)).status).toBe(403);
    expect((await api("POST", `${base}/event-types`, COURSE, ingest)).status).toBe(403);
    expect((await api("GET", `${base}/event-types`, undefined, ingest)).status).toBe(403);
    const stranger = await world();
    expect((await api("GET", `${base}/event-types`, undefined, stranger.admin)).status).toBe(404);
    expect((await api("POST", `${base}/event-types`, COURSE, stranger.admin)).status).toBe(404);
    expect((await api("POST", `${base}/event-types`, COURSE)).status).toBe(201);
    expect((await api("DELETE", `${base}/event-types/course.completed`, undefined, viewer)).status).toBe(403);
    expect((await api("DELETE", `${base}/event-types/course.completed`, undefined, admin)).status).toBe(204);
  });

  it("are accepted from the site's producers, one delivery per webhook subscribed; another site gets 422", async () => {
    const { site, base, admin, ingest } = await world();
    const before = await api("POST", `${base}/events`, sampleEvent({ event_type: "course.completed" }), ingest);
    expect(before.status).toBe(422);
    expect((await json(before)).errors[0].path).toBe("event_type");
    const subscribeEarly = await api("POST", `${base}/webhooks`, { name: "lms", url: "http://127.0.0.1:9/lms" }, admin);
    const early = await json(subscribeEarly);
    const refused = await api("PUT", `${base}/webhooks/${early.id}/events`, { events: ["course.completed"] }, admin);
    expect(refused.status).toBe(422);
    expect((await json(refused)).errors[0].path).toBe("events.0");

    await api("POST", `${base}/event-types`, COURSE, admin);
    const hook = await createWebhook(site.id, { events: ["course.completed", "post.published"] });
    expect(hook.events).toEqual(["course.completed", "post.published"]);
    const sent = await api("POST", `${base}/events`, sampleEvent({ event_type: "course.completed" }), ingest);
    expect(sent.status).toBe(202);
    expect((await json(sent)).deliveries).toBe(1);

    const batch = await api(
      "POST",
      `${base}/events/batch`,
      { events: [sampleEvent(), sampleEvent({ event_type: "course.started" })] },
      ingest,
    );
    expect(batch.status).toBe(422);
    expect((await json(batch)).errors.map((e: any) => e.path)).toEqual(["events.1.event_type"]);

    const other = await createSite();
    const otherKey = (await createKey(other.id, "ingest")).token;
    const elsewhere = await api(
      "POST",
      `/v1/sites/${other.id}/events`,
      sampleEvent({ event_type: "course.completed" }),
      otherKey,
    );
    expect(elsewhere.status).toBe(422);
  });

  it("cannot be deleted while a webhook subscribes to them (409), nor can a built-in type", async () => {
    const { site, base, admin } = await world();
    await api("POST", `${base}/event-types`, COURSE, admin);
    const hook = await createWebhook(site.id, { name: "LMS mirror", events: ["course.completed"] });
    const blocked = await api("DELETE", `${base}/event-types/course.completed`, undefined, admin);
    expect(blocked.status).toBe(409);
    expect((await json(blocked)).detail).toContain("LMS mirror");
    expect((await api("DELETE", `${base}/event-types/post.published`, undefined, admin)).status).toBe(409);
    expect((await api("DELETE", `${base}/event-types/course.unknown`, undefined, admin)).status).toBe(404);

    // A deleted webhook no longer holds it.
    await api("DELETE", `${base}/webhooks/${hook.id}`, undefined, admin);
    expect((await api("DELETE", `${base}/event-types/course.completed`, undefined, admin)).status).toBe(204);
    const audit = (await json(await api("GET", `${base}/audit-log`, undefined, admin))).data;
    expect(audit.filter((e: any) => e.action === "event_type.deleted")).toHaveLength(1);
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM event_types WHERE site_id = ?")
      .bind(site.id)
      .first<{ n: number }>();
    expect(rows!.n).toBe(0);
  });
});
