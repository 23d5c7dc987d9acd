// The admin API in workerd: every call's happy path, its validation failures, each role, cross-site 404s,
// and that no response or audit entry ever carries a secret or a custom header's value.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, createKey, createSite, createWebhook, json, sampleEvent } from "../helpers";
import { spyReceiver } from "../receiver-spy";
import { verifyV1 } from "../../src/domain/signing";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const HEADER_VALUE = "header-value-never-shown-7f3a";
const WAIT = { timeout: 30_000, interval: 50 };
const call = api;

let receiver: ReturnType<typeof spyReceiver>;
beforeEach(() => {
  receiver = spyReceiver();
});
afterEach(() => vi.restoreAllMocks());

async function world() {
  const site = await createSite();
  const admin = await createKey(site.id, "integrations-admin", "ops admin");
  const viewer = await createKey(site.id, "viewer");
  const ingest = await createKey(site.id, "ingest");
  return { site, admin: admin.token, viewer: viewer.token, ingest: ingest.token, base: `/v1/sites/${site.id}` };
}

describe("sites", () => {
  it("root creates and reads a site; keys read only their own", async () => {
    const res = await call("POST", "/v1/sites", { id: "site_acme", slug: "acme", host: "Acme.com", name: "Acme" });
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({ id: "site_acme", slug: "acme", host: "acme.com", name: "Acme" });
    const viewer = await createKey("site_acme", "viewer");
    expect((await json(await call("GET", "/v1/sites/site_acme", undefined, viewer.token))).slug).toBe("acme");
    expect((await call("POST", "/v1/sites", { slug: "other", host: "o.com" }, viewer.token)).status).toBe(403);
    const other = await createSite();
    expect((await call("GET", `/v1/sites/${other.id}`, undefined, viewer.token)).status).toBe(404);
  });

  it("refuses a taken slug (409) and bad fields (422 naming them)", async () => {
    await createSite("taken");
    const clash = await call("POST", "/v1/sites", { slug: "taken", host: "t.com" });
    expect(clash.status).toBe(409);
    expect((await json(clash)).errors[0].path).toBe("slug");
    const bad = await call("POST", "/v1/sites", { slug: "Not Valid", host: "", id: "nope" });
    expect(bad.status).toBe(422);
    expect([...new Set((await json(bad)).errors.map((e: any) => e.path))].sort()).toEqual(["host", "id", "slug"]);
  });
});

describe("keys", () => {
  it("shows a token once, lists without tokens, and a revoked token gets 401 at once", async () => {
    const { base, admin } = await world();
    const made = await call("POST", `${base}/keys`, { name: "cms", role: "ingest" }, admin);
    expect(made.status).toBe(201);
    const key = await json(made);
    expect(key.token).toMatch(/^ehk_/);
    expect((await call("POST", `${base}/events`, sampleEvent(), key.token)).status).toBe(202);

    const list = await json(await call("GET", `${base}/keys`, undefined, admin));
    expect(list.data.map((k: any) => k.name)).toContain("cms");
    expect(JSON.stringify(list)).not.toContain(key.token);
    expect(JSON.stringify(list)).not.toContain("token_hash");

    const revoked = await call("DELETE", `${base}/keys/${key.id}`, undefined, admin);
    expect(revoked.status).toBe(200);
    expect((await json(revoked)).revoked_at).not.toBeNull();
    expect((await call("POST", `${base}/events`, sampleEvent(), key.token)).status).toBe(401);
  });

  it("only root and integrations-admin manage keys; a bad role is a 422", async () => {
    const { base, viewer, ingest, admin } = await world();
    expect((await call("POST", `${base}/keys`, { name: "x", role: "ingest" }, viewer)).status).toBe(403);
    expect((await call("POST", `${base}/keys`, { name: "x", role: "ingest" }, ingest)).status).toBe(403);
    expect((await call("GET", `${base}/keys`, undefined, ingest)).status).toBe(403);
    const bad = await call("POST", `${base}/keys`, { name: "x", role: "owner" }, admin);
    expect(bad.status).toBe(422);
    expect((await json(bad)).errors[0].path).toBe("role");
    expect((await call("DELETE", `${base}/keys/key_missing`, undefined, admin)).status).toBe(404);
  });
});

describe("webhooks", () => {
  it("walks the lifecycle: create (draft), subscribe (active), policy, patch, list, delete", async () => {
    const { base, admin, viewer } = await world();
    const created = await call(
      "POST",
      `${base}/webhooks`,
      {
        name: "Search",
        url: "https://hooks.example.com/in",
        secret: SECRET,
        headers: { "X-Team": HEADER_VALUE },
        description: "index",
      },
      admin,
    );
    expect(created.status).toBe(201);
    const hook = await json(created);
    expect(hook).toMatchObject({
      status: "draft",
      events: [],
      destination_host: "hooks.example.com",
      timeout_ms: 10000,
      retry_policy: { name: "default", delays_s: [30, 120, 600, 3600, 21600] },
      failure_mode: "continue",
      headers: ["X-Team"],
      secret: { set: true, previous_expires_at: null },
      alert: null,
      last_delivery: null,
      created_by: "ops admin",
    });

    const subscribed = await json(
      await call(
        "PUT",
        `${base}/webhooks/${hook.id}/events`,
        { events: ["post.published", "page.created"], include_detail: true },
        admin,
      ),
    );
    expect(subscribed).toMatchObject({
      status: "active",
      events: ["post.published", "page.created"],
      include_detail: true,
    });

    const policy = await json(
      await call(
        "PUT",
        `${base}/webhooks/${hook.id}/delivery`,
        { timeout_ms: 5000, retry_policy: { delays_s: [10, 60] }, failure_mode: "pause" },
        admin,
      ),
    );
    expect(policy).toMatchObject({
      timeout_ms: 5000,
      retry_policy: { name: "custom", delays_s: [10, 60] },
      failure_mode: "pause",
    });
    expect(
      (await json(await call("PUT", `${base}/webhooks/${hook.id}/delivery`, { retry_policy: "aggressive" }, admin)))
        .retry_policy,
    ).toEqual({ name: "aggressive", delays_s: [30, 30, 30] });

    const patched = await json(
      await call(
        "PATCH",
        `${base}/webhooks/${hook.id}`,
        { name: "Search v2", url: "https://v2.example.com/in", headers: {} },
        admin,
      ),
    );
    expect(patched).toMatchObject({
      name: "Search v2",
      url: "https://v2.example.com/in",
      destination_host: "v2.example.com",
      headers: [],
    });

    const list = await json(await call("GET", `${base}/webhooks`, undefined, viewer));
    expect(list.data.map((w: any) => w.id)).toEqual([hook.id]);

    expect((await call("DELETE", `${base}/webhooks/${hook.id}`, undefined, admin)).status).toBe(204);
    expect((await call("GET", `${base}/webhooks/${hook.id}`, undefined, admin)).status).toBe(404);
    expect((await json(await call("GET", `${base}/webhooks`, undefined, admin))).data).toEqual([]);
  });

  it("sort=last_delivery_at lists the most recently delivering first, never-delivered last, and pages", async () => {
    const { site, base, admin } = await world();
    const first = await createWebhook(site.id, { name: "first", events: ["post.published"] });
    const never = await createWebhook(site.id, { name: "never", events: ["page.created"] });
    const third = await createWebhook(site.id, { name: "third", events: ["page.published"] });
    const deliveredTo = async (hookId: string, event_type: string) => {
      await call("POST", `${base}/events`, sampleEvent({ event_type }));
      await vi.waitFor(async () => {
        const h = await json(await call("GET", `${base}/webhooks/${hookId}`, undefined, admin));
        expect(h.last_delivery).toMatchObject({ state: "delivered" });
      }, WAIT);
    };
    // The newest webhook delivers first, the oldest last: the two orders differ.
    await deliveredTo(third.id, "page.published");
    await deliveredTo(first.id, "post.published");

    const ids = async (query: string) =>
      (await json(await call("GET", `${base}/webhooks?${query}`, undefined, admin))).data.map((w: any) => w.id);
    expect(await ids("")).toEqual([third.id, never.id, first.id]);
    expect(await ids("sort=last_delivery_at")).toEqual([first.id, third.id, never.id]);
    const page = await json(await call("GET", `${base}/webhooks?sort=last_delivery_at&limit=2`, undefined, admin));
    const rest = await ids(`sort=last_delivery_at&limit=2&cursor=${page.next_cursor}`);
    expect([...page.data.map((w: any) => w.id), ...rest]).toEqual([first.id, third.id, never.id]);
  });

  it("refuses a private, metadata or plain-http URL on PATCH with a 422 naming url, and keeps the old one", async () => {
    const { site, base, admin } = await world();
    const hook = await createWebhook(site.id, { url: "https://hooks.example.com/in" });
    for (const url of [
      "https://10.0.0.1/",
      "https://0x0a000001/",
      "https://[::ffff:192.168.0.1]/",
      "https://169.254.169.254/latest/meta-data",
      "http://hooks.example.com/in",
      "https://printer.local/in",
    ]) {
      const res = await call("PATCH", `${base}/webhooks/${hook.id}`, { url }, admin);
      expect(res.status, url).toBe(422);
      expect((await json(res)).errors.map((e: any) => e.path)).toContain("url");
    }
    const after = await json(await call("GET", `${base}/webhooks/${hook.id}`, undefined, admin));
    expect(after).toMatchObject({ url: "https://hooks.example.com/in", destination_host: "hooks.example.com" });
    const log = await json(await call("GET", `${base}/audit-log`, undefined, admin));
    expect(log.data.map((e: any) => e.action)).not.toContain("webhook.updated");
  });

  it("pages the index with a cursor", async () => {
    const { site, base, admin } = await world();
    for (let i = 0; i < 5; i++) await createWebhook(site.id, { name: `h${i}` });
    const first = await json(await call("GET", `${base}/webhooks?limit=2`, undefined, admin));
    const second = await json(
      await call("GET", `${base}/webhooks?limit=2&cursor=${first.next_cursor}`, undefined, admin),
    );
    const third = await json(
      await call("GET", `${base}/webhooks?limit=2&cursor=${second.next_cursor}`, undefined, admin),
    );
    const names = [...first.data, ...second.data, ...third.data].map((w: any) => w.name);
    expect(names).toEqual(["h4", "h3", "h2", "h1", "h0"]);
    expect(third.next_cursor).toBeNull();
  });

  const badCreates: [string, Record<string, unknown>, string][] = [
    ["http to a public host", { name: "x", url: "http://hooks.example.com/" }, "url"],
    ["a private address", { name: "x", url: "https://10.0.0.1/" }, "url"],
    ["a private address in hex", { name: "x", url: "https://0x0a000001/" }, "url"],
    ["a private IPv4-mapped IPv6 address", { name: "x", url: "https://[::ffff:192.168.0.1]/" }, "url"],
    ["a metadata address", { name: "x", url: "https://169.254.169.254/" }, "url"],
    ["no name", { url: "https://hooks.example.com/" }, "name"],
    [
      "a reserved header",
      { name: "x", url: "https://hooks.example.com/", headers: { "X-SGEN-Signature": "forged" } },
      "headers.X-SGEN-Signature",
    ],
    [
      "a header with CRLF",
      { name: "x", url: "https://hooks.example.com/", headers: { "X-A": "a\r\nX-B: b" } },
      "headers.X-A",
    ],
    ["a bad header name", { name: "x", url: "https://hooks.example.com/", headers: { "X A": "v" } }, "headers.X A"],
    ["a short secret", { name: "x", url: "https://hooks.example.com/", secret: "abc" }, "secret"],
    ["an unknown field", { name: "x", url: "https://hooks.example.com/", colour: "red" }, ""],
  ];
  for (const [what, body, path] of badCreates) {
    it(`refuses ${what} with a 422 naming ${path || "the body"}, and stores nothing`, async () => {
      const { base, admin } = await world();
      const res = await call("POST", `${base}/webhooks`, body, admin);
      expect(res.status).toBe(422);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      const problem = await json(res);
      if (path) expect(problem.errors.map((e: any) => e.path)).toContain(path);
      expect((await json(await call("GET", `${base}/webhooks`, undefined, admin))).data).toEqual([]);
    });
  }

  it("validates subscriptions and policy, naming the field", async () => {
    const { site, base, admin } = await world();
    const hook = await createWebhook(site.id);
    const events = await call(
      "PUT",
      `${base}/webhooks/${hook.id}/events`,
      { events: ["post.published", "post.exploded"] },
      admin,
    );
    expect(events.status).toBe(422);
    expect((await json(events)).errors[0].path).toBe("events.1");
    for (const [body, path] of [
      [{ timeout_ms: 999 }, "timeout_ms"],
      [{ timeout_ms: 30001 }, "timeout_ms"],
      [{ retry_policy: { delays_s: [] } }, "retry_policy"],
      [{ retry_policy: { delays_s: [43201] } }, "retry_policy"],
      [{ retry_policy: "sometimes" }, "retry_policy"],
      [{ failure_mode: "explode" }, "failure_mode"],
    ] as const) {
      const res = await call("PUT", `${base}/webhooks/${hook.id}/delivery`, body, admin);
      expect(res.status).toBe(422);
      expect((await json(res)).errors.map((e: any) => e.path.split(".")[0])).toContain(path);
    }
    expect((await json(await call("GET", `${base}/webhooks/${hook.id}`, undefined, admin))).status).toBe("draft");
  });

  it("generates a secret shown once, rotates with an overlap, and signs with both meanwhile", async () => {
    const { site, base, admin } = await world();
    const hook = await createWebhook(site.id, { events: ["post.published"] });
    const first = await json(await call("POST", `${base}/webhooks/${hook.id}/secret`, {}, admin));
    expect(first.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const rotated = await json(
      await call(
        "POST",
        `${base}/webhooks/${hook.id}/secret`,
        { secret: "a-brand-new-secret", overlap_seconds: 3600 },
        admin,
      ),
    );
    expect(rotated.previous_expires_at).not.toBeNull();
    const view = await json(await call("GET", `${base}/webhooks/${hook.id}`, undefined, admin));
    expect(view.secret).toMatchObject({
      set: true,
      rotated_at: rotated.rotated_at,
      previous_expires_at: rotated.previous_expires_at,
    });
    expect(JSON.stringify(view)).not.toContain("a-brand-new-secret");

    await call("POST", `${base}/events`, sampleEvent());
    await vi.waitFor(() => expect(receiver.forSite(site.id)).toHaveLength(1), WAIT);
    const sent = receiver.forSite(site.id)[0]!;
    const sig = sent.headers["x-sgen-signature"]!;
    expect(sig.match(/v1=/g)).toHaveLength(2);
    const now = Math.floor(Date.now() / 1000);
    expect(await verifyV1(sig, ["a-brand-new-secret"], sent.body, now)).toBe(true);
    expect(await verifyV1(sig, [first.secret], sent.body, now)).toBe(true);
    expect(sent.headers["webhook-signature"]!.split(" ")).toHaveLength(1); // only the whsec_ one
    const bad = await call("POST", `${base}/webhooks/${hook.id}/secret`, { overlap_seconds: 8 * 86400 }, admin);
    expect(bad.status).toBe(422);
  });

  it("sends a test event to a draft alone, and logs it", async () => {
    const { site, base, admin } = await world();
    const draft = await createWebhook(site.id);
    await createWebhook(site.id, { events: ["post.published"] });
    const res = await call("POST", `${base}/webhooks/${draft.id}/test`, undefined, admin);
    expect(res.status).toBe(202);
    const { delivery_id, event_id } = await json(res);
    await vi.waitFor(() => expect(receiver.forSite(site.id)).toHaveLength(1), WAIT);
    expect(receiver.forSite(site.id)[0]!.json).toMatchObject({
      event_id,
      event_type: "webhook.test",
      target: { type: "webhook", id: draft.id },
    });
    await vi.waitFor(async () => {
      const row = await env.DB.prepare("SELECT state FROM deliveries WHERE id = ?")
        .bind(delivery_id)
        .first<{ state: string }>();
      expect(row!.state).toBe("delivered");
    }, WAIT);
    expect(receiver.forSite(site.id)).toHaveLength(1); // the subscribed, active webhook got nothing
  });

  it("keeps each role to its own: viewers read, ingest keys only ingest, other sites see 404", async () => {
    const { site, base, viewer, ingest } = await world();
    const hook = await createWebhook(site.id);
    expect((await call("GET", `${base}/webhooks/${hook.id}`, undefined, viewer)).status).toBe(200);
    for (const [method, path, body] of [
      ["POST", `${base}/webhooks`, { name: "x", url: "https://a.example.com" }],
      ["PATCH", `${base}/webhooks/${hook.id}`, { name: "y" }],
      ["PUT", `${base}/webhooks/${hook.id}/events`, { events: [] }],
      ["PUT", `${base}/webhooks/${hook.id}/delivery`, {}],
      ["POST", `${base}/webhooks/${hook.id}/secret`, {}],
      ["POST", `${base}/webhooks/${hook.id}/test`, undefined],
      ["DELETE", `${base}/webhooks/${hook.id}`, undefined],
    ] as const) {
      expect((await call(method, path, body, viewer)).status, `${method} ${path}`).toBe(403);
      expect((await call(method, path, body, ingest)).status, `${method} ${path}`).toBe(403);
    }
    expect((await call("GET", `${base}/webhooks`, undefined, ingest)).status).toBe(403);
    const other = await world();
    expect((await call("GET", `${base}/webhooks/${hook.id}`, undefined, other.admin)).status).toBe(404);
    expect((await call("GET", `${other.base}/webhooks/${hook.id}`, undefined, other.admin)).status).toBe(404);
    expect((await call("GET", `${base}/webhooks`, undefined, "nope")).status).toBe(401);
    expect((await call("GET", `${base}/webhooks`, undefined, "")).status).toBe(401);
  });
});

describe("audit log", () => {
  it("records every change with who and when, newest first, and pages", async () => {
    const { site, base, admin } = await world();
    const hook = await createWebhook(site.id, {});
    await call(
      "PATCH",
      `${base}/webhooks/${hook.id}`,
      { url: "https://new.example.com/x", headers: { "X-Team": HEADER_VALUE } },
      admin,
    );
    await call("PUT", `${base}/webhooks/${hook.id}/events`, { events: ["post.published"] }, admin);
    await call("PUT", `${base}/webhooks/${hook.id}/delivery`, { failure_mode: "pause" }, admin);
    await call("POST", `${base}/webhooks/${hook.id}/secret`, { secret: SECRET }, admin);
    await call("POST", `${base}/webhooks/${hook.id}/secret`, { overlap_seconds: 60 }, admin);
    await call("POST", `${base}/webhooks/${hook.id}/pause`, undefined, admin);
    await call("POST", `${base}/webhooks/${hook.id}/resume`, {}, admin);
    await call("DELETE", `${base}/webhooks/${hook.id}`, undefined, admin);

    const log = await json(await call("GET", `${base}/audit-log?limit=100`, undefined, admin));
    const actions = log.data.map((e: any) => e.action);
    expect(actions).toEqual([
      "webhook.deleted",
      "webhook.resumed",
      "webhook.paused",
      "webhook.secret_rotated",
      "webhook.secret_set",
      "webhook.policy_changed",
      "webhook.events_changed",
      "webhook.updated",
      "webhook.created",
      "key.created",
      "key.created",
      "key.created",
      "site.created",
    ]);
    const updated = log.data.find((e: any) => e.action === "webhook.updated");
    expect(updated).toMatchObject({
      actor: { kind: "key", name: "ops admin" },
      target_id: hook.id,
      changes: { fields: ["url", "headers"] },
    });
    expect(updated.created_at).toMatch(/^\d{4}-/);
    const page = await json(await call("GET", `${base}/audit-log?limit=5`, undefined, admin));
    const rest = await json(
      await call("GET", `${base}/audit-log?limit=100&cursor=${page.next_cursor}`, undefined, admin),
    );
    expect([...page.data, ...rest.data].map((e: any) => e.id)).toEqual(log.data.map((e: any) => e.id));
  });

  it("never shows a secret or a header value, in any response, audit entry or export", async () => {
    const { site, base, admin, ingest } = await world();
    const seen: string[] = [];
    const look = async (method: string, path: string, body?: unknown, token = admin) => {
      const res = await api(method, path, body, token);
      seen.push(await res.clone().text());
      return res;
    };
    const hook = await json(
      await look("POST", `${base}/webhooks`, {
        name: "Leak scan",
        url: "http://127.0.0.1:9/leak",
        secret: SECRET,
        headers: { "X-Team": HEADER_VALUE },
      }),
    );
    const w = `${base}/webhooks/${hook.id}`;
    await look("PUT", `${w}/events`, { events: ["post.published"], include_detail: true });
    await look("PUT", `${w}/delivery`, { timeout_ms: 5000 });
    await look("PATCH", w, { headers: { "X-Team": HEADER_VALUE, "X-Other": HEADER_VALUE } });
    // POST …/secret shows its new secret once, by design: that answer is the one not scanned.
    const rotated = await api("POST", `${w}/secret`, { secret: "a-brand-new-secret", overlap_seconds: 3600 }, admin);
    expect(await rotated.text()).not.toContain(SECRET);
    expect((await look("POST", `${base}/events`, sampleEvent({ detail: { changes: ["title"] } }), ingest)).status).toBe(
      202,
    );
    await look("POST", `${w}/test`);
    const delivered = await vi.waitFor(async () => {
      const list = await json(await look("GET", `${base}/deliveries?webhook_id=${hook.id}&state=delivered`));
      expect(list.data).toHaveLength(2);
      return list.data as { id: string }[];
    }, WAIT);
    for (const d of delivered) await look("GET", `${base}/deliveries/${d.id}`);
    await look("GET", w);
    await look("GET", `${base}/webhooks`);
    await look("GET", `${w}/stats?window=24h`);
    await look("GET", `${base}/audit-log?limit=100`);
    const job = await json(await look("POST", `${base}/exports`, { format: "ndjson" }));
    const done = await vi.waitFor(async () => {
      const e = await json(await look("GET", `${base}/exports/${job.id}`));
      expect(e.status).toBe("complete");
      return e;
    }, WAIT);
    const url = new URL(done.download_url);
    seen.push(await (await api("GET", url.pathname + url.search, undefined, "")).text());
    // The secret and header really went out, so the scan below is not vacuous.
    const sent = receiver.forSite(site.id)[0]!;
    expect(sent.headers["x-team"]).toBe(HEADER_VALUE);

    const { results } = await env.DB.prepare("SELECT changes FROM audit_log WHERE site_id = ?")
      .bind(site.id)
      .all<{ changes: string | null }>();
    expect(results.length).toBeGreaterThan(5);
    const everything = [...seen, ...results.map((r) => r.changes ?? "")].join("\n");
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(HEADER_VALUE);
    expect(everything).not.toContain("a-brand-new-secret");
  });
});

describe("errors and the OpenAPI document", () => {
  it("answers problem+json for an unknown route, a wrong method, a non-JSON body, a huge body and bad JSON", async () => {
    const { base, admin } = await world();
    const notFound = await call("GET", "/v1/nothing-here", undefined, admin);
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get("content-type")).toContain("application/problem+json");
    const wrongMethod = await call("PUT", `${base}/keys`, {}, admin);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET, POST");
    const notJson = await api("POST", `${base}/webhooks`, "name=x", admin, {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(notJson.status).toBe(415);
    const huge = await call(
      "POST",
      `${base}/webhooks`,
      { name: "x", url: "https://a.example.com", description: "x".repeat(70 * 1024) },
      admin,
    );
    expect(huge.status).toBe(413);
    const badJson = await call("POST", `${base}/webhooks`, "{oops", admin);
    expect(badJson.status).toBe(400);
    expect(await json(badJson)).toMatchObject({ status: 400, title: expect.any(String), errors: [] });
  });

  it("documents every route the app serves (derived from the app), with /docs to browse it", async () => {
    const doc = await json(await api("GET", "/openapi.json", undefined, ""));
    expect(doc.openapi).toBe("3.1.0");
    const { createApp } = await import("../../src/api/app");
    const served = createApp()
      .routes.filter((r) => r.method !== "ALL" && r.path.startsWith("/v1/"))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z_]+)/g, "{$1}")}`);
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m} ${p}`),
    );
    expect(served.length).toBeGreaterThan(20);
    for (const route of new Set(served)) expect(documented, route).toContain(route);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    const docs = await api("GET", "/docs", undefined, "");
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("/openapi.json");
  });
});
