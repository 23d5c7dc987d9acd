// Settings as code through the API: one PUT creates, updates and deletes; the same document again changes
// nothing; a dry run and a bad document change nothing; PageGun's own bodies work as they stand; GET round-trips;
// secrets and header values never come back; every change is audited under the caller's name.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createKey, createSite, createWebhook, json } from "../helpers";
import { openHeaders, openSecrets } from "../../src/webhooks/sealed-columns";
import { isStaleWebhooksError, unchangedSinceStatement } from "../../src/db/webhooks";

// PageGun's documentation, "Configure Webhook in PageGun" and "Multiple Webhooks Configuration", as they stand
// (with our dev receiver's host, which the address rules let through here, in place of their public hosts).
const host = "http://127.0.0.1:9";
const SINGLE = {
  webhooks: [
    {
      url: `${host}/webhooks/pagegun`,
      events: ["page.published", "page.updated", "page.deleted"],
      secret: "your_webhook_secret_here",
    },
  ],
};
const MULTIPLE = {
  webhooks: [
    { url: `${host}/webhooks/pagegun/social`, events: ["page.published"], secret: "social_webhook_secret" },
    {
      url: `${host}/webhooks/pagegun/seo`,
      events: ["page.published", "page.updated", "page.deleted"],
      secret: "seo_webhook_secret",
    },
    {
      url: `${host}/backup/webhooks/pagegun`,
      events: ["page.created", "page.updated", "page.deleted"],
      secret: "backup_webhook_secret",
    },
  ],
};

async function world() {
  const site = await createSite();
  const admin = (await createKey(site.id, "integrations-admin", "platform ci")).token;
  const viewer = (await createKey(site.id, "viewer")).token;
  return { site, admin, viewer, settings: `/v1/sites/${site.id}/settings`, base: `/v1/sites/${site.id}` };
}

const put = (path: string, doc: unknown, token?: string) => api("PUT", path, doc, token);
const ids = (list: { id: string }[]) => list.map((w) => w.id).sort();

async function snapshot(siteId: string) {
  const { results } = await env.DB.prepare(
    "SELECT id, url, events, updated_at, deleted_at, secrets_enc, headers_enc FROM webhooks WHERE site_id = ? ORDER BY id",
  )
    .bind(siteId)
    .all();
  const audit = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE site_id = ?")
    .bind(siteId)
    .first<{ n: number }>();
  return { rows: results, audit: audit!.n };
}

describe("PUT …/settings", () => {
  it("accepts PageGun's single-webhook body as it stands: one active webhook, signed with its secret", async () => {
    const { site, settings, base, admin } = await world();
    const res = await put(settings, SINGLE, admin);
    expect(res.status).toBe(200);
    const plan = await json(res);
    expect(plan).toMatchObject({ dry_run: false, updated: [], deleted: [], unchanged: [] });
    expect(plan.created).toEqual([{ id: expect.stringMatching(/^wh_/), url: SINGLE.webhooks[0]!.url }]);
    const hook = await json(await api("GET", `${base}/webhooks/${plan.created[0].id}`, undefined, admin));
    expect(hook).toMatchObject({
      name: "127.0.0.1:9/webhooks/pagegun",
      status: "active",
      events: SINGLE.webhooks[0]!.events,
      secret: { set: true },
      format: "sgen",
      created_by: "platform ci",
    });
    const row = await env.DB.prepare("SELECT secrets_enc FROM webhooks WHERE id = ?").bind(hook.id).first<any>();
    const secrets = await openSecrets(env, hook.id, row.secrets_enc);
    expect(secrets.map((s) => s.secret)).toEqual(["your_webhook_secret_here"]);
    expect(site.id).toBeTruthy();
  });

  it("accepts PageGun's three-webhook body as it stands, and the same document again changes nothing", async () => {
    const { site, settings, admin } = await world();
    const first = await json(await put(settings, MULTIPLE, admin));
    expect(first.created.map((w: any) => w.url)).toEqual(MULTIPLE.webhooks.map((w) => w.url));
    const before = await snapshot(site.id);

    const again = await put(settings, MULTIPLE, admin);
    expect(again.status).toBe(200);
    const plan = await json(again);
    expect(plan).toMatchObject({ created: [], updated: [], deleted: [] });
    expect(ids(plan.unchanged)).toEqual(ids(first.created));
    expect(await snapshot(site.id)).toEqual(before);
  });

  it("creates, updates and deletes through one PUT, and audits each change under the caller's name", async () => {
    const { site, settings, base, admin } = await world();
    const keep = await createWebhook(site.id, { name: "Keep", url: `${host}/keep`, events: ["post.published"] });
    const change = await createWebhook(site.id, { name: "Change", url: `${host}/change`, events: ["post.published"] });
    const drop = await createWebhook(site.id, { name: "Drop", url: `${host}/drop`, events: ["post.published"] });
    const doc = {
      webhooks: [
        { url: `${host}/keep`, name: "Keep", events: ["post.published"] },
        {
          url: `${host}/change`,
          name: "Change",
          events: ["post.published", "page.published"],
          timeout_ms: 5000,
          failure_mode: "pause",
        },
        { url: `${host}/new`, name: "New", events: ["order.paid"], format: "pagegun", secret: "new_webhook_secret" },
      ],
    };
    const plan = await json(await put(settings, doc, admin));
    expect(plan.unchanged).toEqual([{ id: keep.id, url: `${host}/keep` }]);
    expect(plan.updated).toEqual([
      { id: change.id, url: `${host}/change`, fields: ["events", "timeout_ms", "failure_mode"] },
    ]);
    expect(plan.deleted).toEqual([{ id: drop.id, url: `${host}/drop` }]);
    expect(plan.created).toEqual([{ id: expect.stringMatching(/^wh_/), url: `${host}/new` }]);

    const list = (await json(await api("GET", `${base}/webhooks`, undefined, admin))).data;
    expect(list.map((w: any) => w.name).sort()).toEqual(["Change", "Keep", "New"]);
    expect(list.find((w: any) => w.name === "Change")).toMatchObject({
      events: ["post.published", "page.published"],
      timeout_ms: 5000,
      failure_mode: "pause",
    });
    expect(list.find((w: any) => w.name === "New")).toMatchObject({
      status: "active",
      format: "pagegun",
      timeout_ms: 30000,
      retry_on: "server_errors",
    });
    expect((await api("GET", `${base}/webhooks/${drop.id}`, undefined, admin)).status).toBe(404);

    const audit = (await json(await api("GET", `${base}/audit-log?limit=3`, undefined, admin))).data;
    expect(audit.map((e: any) => [e.actor.name, e.action, e.target_id]).sort()).toEqual(
      [
        ["platform ci", "webhook.created", plan.created[0].id],
        ["platform ci", "webhook.deleted", drop.id],
        ["platform ci", "webhook.updated", change.id],
      ].sort(),
    );
    const updated = audit.find((e: any) => e.action === "webhook.updated");
    expect(updated.changes).toEqual({ via: "settings", fields: ["events", "timeout_ms", "failure_mode"] });
  });

  it("plans without changing anything on a dry run", async () => {
    const { site, settings, admin } = await world();
    await createWebhook(site.id, { url: `${host}/old`, events: ["post.published"] });
    const before = await snapshot(site.id);
    const res = await api("PUT", `${settings}?dry_run=true`, MULTIPLE, admin);
    expect(res.status).toBe(200);
    const plan = await json(res);
    expect(plan.dry_run).toBe(true);
    expect(plan.created).toEqual(MULTIPLE.webhooks.map((w) => ({ id: null, url: w.url })));
    expect(plan.deleted.map((w: any) => w.url)).toEqual([`${host}/old`]);
    expect(await snapshot(site.id)).toEqual(before);
  });

  it("changes nothing when one entry is bad, and names the entry and field", async () => {
    const { site, settings, admin } = await world();
    await put(settings, SINGLE, admin);
    const before = await snapshot(site.id);
    const bad = {
      webhooks: [
        ...MULTIPLE.webhooks.slice(0, 2),
        { url: "https://10.0.0.1/internal", events: ["page.published"] },
        { url: `${host}/x`, events: ["page.published", "page.exploded"] },
        { url: `${host}/y`, events: [], headers: { "X-SGEN-Event": "forged" } },
        { url: `${host}/webhooks/pagegun/seo`, events: [] },
        { url: `${host}/z`, events: [], timeout_ms: 10, colour: "red" },
      ],
    };
    const res = await put(settings, bad, admin);
    expect(res.status).toBe(422);
    const paths = (await json(res)).errors.map((e: any) => e.path);
    expect(paths).toContain("webhooks[6].timeout_ms");
    // Schema errors come first and alone; then the rules, every entry at once.
    const fixed = { webhooks: bad.webhooks.slice(0, 6) };
    const res2 = await put(settings, fixed, admin);
    expect(res2.status).toBe(422);
    expect((await json(res2)).errors.map((e: any) => e.path)).toEqual([
      "webhooks[5].url",
      "webhooks[2].url",
      "webhooks[3].events[1]",
      "webhooks[4].headers.X-SGEN-Event",
    ]);
    expect(await snapshot(site.id)).toEqual(before);
  });

  it("keeps a secret left out, removes one given as null, and keeps a header value given as null", async () => {
    const { site, settings, admin } = await world();
    const url = `${host}/hooked`;
    await put(
      settings,
      {
        webhooks: [
          { url, events: ["post.published"], secret: "first_secret_value", headers: { "X-Team": "seo-value" } },
        ],
      },
      admin,
    );
    const read = await json(await api("GET", settings, undefined, admin));
    const again = await json(await put(settings, read, admin));
    expect(again.updated).toEqual([]);
    const row = async () =>
      env.DB.prepare("SELECT id, secrets_enc, headers_enc FROM webhooks WHERE site_id = ? AND deleted_at IS NULL")
        .bind(site.id)
        .first<any>();
    const stored = await row();
    expect((await openSecrets(env, stored.id, stored.secrets_enc))[0]!.secret).toBe("first_secret_value");
    expect(await openHeaders(env, stored.id, stored.headers_enc)).toEqual({ "X-Team": "seo-value" });

    const rotated = await json(
      await put(settings, { webhooks: [{ ...read.webhooks[0], secret: "second_secret_value" }] }, admin),
    );
    expect(rotated.updated[0].fields).toEqual(["secret"]);
    const removed = await json(
      await put(settings, { webhooks: [{ ...read.webhooks[0], secret: null, headers: {} }] }, admin),
    );
    expect(removed.updated[0].fields).toEqual(["headers", "secret"]);
    expect(await row()).toEqual({ id: stored.id, secrets_enc: null, headers_enc: null });
  });

  it("refuses a url listed twice, and lets only integrations-admin keys and root apply", async () => {
    const { settings, admin, viewer } = await world();
    const twice = { webhooks: [SINGLE.webhooks[0], { ...SINGLE.webhooks[0], events: [] }] };
    const res = await put(settings, twice, admin);
    expect(res.status).toBe(422);
    expect((await json(res)).errors).toEqual([
      { path: "webhooks[1].url", message: "is listed already, as webhooks[0]" },
    ]);
    expect((await put(settings, SINGLE, viewer)).status).toBe(403);
    expect((await api("GET", settings, undefined, viewer)).status).toBe(200);
    const stranger = await world();
    expect((await put(settings, SINGLE, stranger.admin)).status).toBe(404);
    expect((await api("PUT", `${settings}?dry_run=maybe`, SINGLE, admin)).status).toBe(422);
  });

  it("refuses the whole batch when the site's webhooks changed since they were read", async () => {
    const { site } = await world();
    await createWebhook(site.id, { url: `${host}/a`, events: ["post.published"] });
    const before = await snapshot(site.id);
    let error: unknown = null;
    try {
      await env.DB.batch([
        unchangedSinceStatement(env.DB, site.id, "0:0"),
        env.DB.prepare("UPDATE webhooks SET name = 'changed' WHERE site_id = ?").bind(site.id),
      ]);
    } catch (err) {
      error = err;
    }
    expect(isStaleWebhooksError(error)).toBe(true);
    expect(await snapshot(site.id)).toEqual(before);
  });
});

describe("the SGEN document's examples", () => {
  it("configures A to E with the catalog each names, in one document", async () => {
    const { settings, base, admin } = await world();
    const doc = {
      webhooks: [
        { name: "slack-#editorial", url: `${host}/a`, events: ["post.published"], timeout_ms: 10000 },
        {
          name: "crm-contact-mirror",
          url: `${host}/b`,
          events: ["form.submitted"],
          secret: "crm_shared_secret",
          failure_mode: "pause",
        },
        {
          name: "search-index-invalidation",
          url: `${host}/c`,
          events: [
            "page.published",
            "page.updated",
            "post.published",
            "post.updated",
            "post.deleted",
            "template.updated",
          ],
          headers: { "X-Route": "reindex" },
          timeout_ms: 5000,
        },
        {
          name: "accounting-mirror",
          url: `${host}/d`,
          events: ["order.paid"],
          secret: "accounting_mirror_secret",
          failure_mode: "pause",
        },
        {
          name: "team-a",
          url: `${host}/e1`,
          events: ["site.entered_maintenance", "site.left_maintenance"],
          headers: { "X-Topic": "a" },
        },
        {
          name: "team-b",
          url: `${host}/e2`,
          events: ["site.entered_maintenance", "site.left_maintenance"],
          headers: { "X-Topic": "b" },
        },
      ],
    };
    const res = await put(settings, doc, admin);
    expect(res.status).toBe(200);
    expect((await json(res)).created).toHaveLength(6);
    const list = (await json(await api("GET", `${base}/webhooks`, undefined, admin))).data;
    expect(list.every((w: any) => w.status === "active")).toBe(true);
    expect(Object.fromEntries(list.map((w: any) => [w.name, w.events]))).toEqual(
      Object.fromEntries(doc.webhooks.map((w) => [w.name, w.events])),
    );
  });
});

describe("GET …/settings", () => {
  it("answers the whole setup, oldest first, never a secret or a header value, and PUT takes it back unchanged", async () => {
    const { site, settings, admin, viewer } = await world();
    await createWebhook(site.id, {
      name: "Search",
      url: `${host}/search`,
      secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      headers: { "X-Team": "header-value-never-shown" },
      events: ["post.published"],
      include_detail: true,
      retry_policy: { delays_s: [5, 50] },
      failure_mode: "pause",
    });
    await put(
      settings,
      {
        webhooks: [
          ...(await json(await api("GET", settings, undefined, admin))).webhooks,
          { url: `${host}/pg`, events: ["page.published"], format: "pagegun" },
        ],
      },
      admin,
    );
    const res = await api("GET", settings, undefined, admin);
    const text = await res.clone().text();
    expect(text).not.toContain("header-value-never-shown");
    expect(text).not.toContain("whsec_");
    const doc = await json(res);
    // A viewer reads the same document with each url's path masked (it may read the setup, not its credentials).
    const seen = await json(api("GET", settings, undefined, viewer));
    expect(seen.webhooks.map((e: { url: string }) => e.url)).toEqual([`${host}/********`, `${host}/********`]);
    expect({ ...seen.webhooks[0], url: doc.webhooks[0].url }).toEqual(doc.webhooks[0]);
    expect(doc.webhooks).toEqual([
      {
        url: `${host}/search`,
        events: ["post.published"],
        name: "Search",
        description: null,
        format: "sgen",
        include_detail: true,
        timeout_ms: 10000,
        retry_policy: { delays_s: [5, 50] },
        retry_on: "any",
        failure_mode: "pause",
        message_template: null,
        rate_limit_per_s: null,
        auto_pause: null,
        headers: { "X-Team": null },
      },
      {
        url: `${host}/pg`,
        events: ["page.published"],
        name: "127.0.0.1:9/pg",
        description: null,
        format: "pagegun",
        include_detail: true,
        timeout_ms: 30000,
        retry_policy: { delays_s: [60, 300, 1500] },
        retry_on: "server_errors",
        failure_mode: "continue",
        message_template: null,
        rate_limit_per_s: null,
        auto_pause: null,
        headers: {},
      },
    ]);
    const before = await snapshot(site.id);
    const plan = await json(await put(settings, doc, admin));
    expect(plan).toMatchObject({ created: [], updated: [], deleted: [] });
    expect(plan.unchanged).toHaveLength(2);
    expect(await snapshot(site.id)).toEqual(before);
  });
});
