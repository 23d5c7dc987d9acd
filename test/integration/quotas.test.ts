// Quotas: a site has at most WEBHOOKS_PER_SITE webhooks (100 by default) whichever surface creates them (the REST
// API, settings as code, the console), counted at write time, so racing requests can never pass it together.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createKey, createSite, json } from "../helpers";
import { consoleSignIn } from "../console-client";

const LIMIT = 100;

const entry = (i: number) => ({ url: `https://hooks.example.com/quota/${i}`, events: ["post.published"] });
const document = (n: number) => ({ webhooks: Array.from({ length: n }, (_, i) => entry(i)) });

async function liveCount(site: string) {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM webhooks WHERE site_id = ? AND deleted_at IS NULL")
    .bind(site)
    .first<{ n: number }>();
  return row!.n;
}

async function siteWith(n: number) {
  const site = (await createSite()).id;
  const admin = await createKey(site, "integrations-admin");
  expect((await api("PUT", `/v1/sites/${site}/settings`, document(n), admin.token)).status).toBe(200);
  expect(await liveCount(site)).toBe(n);
  return { site, admin: admin.token, base: `/v1/sites/${site}` };
}

async function expectQuotaProblem(res: Response) {
  expect(res.status).toBe(409);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const problem = await json(res);
  expect(problem).toMatchObject({ title: "Quota exceeded", type: "https://edgehooks.dev/problems/quota-exceeded" });
  expect(problem.detail).toContain(`at most ${LIMIT} webhooks`);
  expect(problem.detail).toContain("WEBHOOKS_PER_SITE");
}

describe("webhooks per site", () => {
  it("refuses the webhook past WEBHOOKS_PER_SITE with a 409 quota problem, through the API, settings and the console", async () => {
    const { site, admin, base } = await siteWith(LIMIT);
    const audited = (await json(api("GET", `${base}/audit-log?limit=200`))).data.length;

    await expectQuotaProblem(
      await api("POST", `${base}/webhooks`, { name: "one more", url: "https://hooks.example.com/more" }, admin),
    );
    await expectQuotaProblem(await api("PUT", `${base}/settings`, document(LIMIT + 1), admin));
    await expectQuotaProblem(await api("PUT", `${base}/settings?dry_run=true`, document(LIMIT + 1), admin));
    const browser = await consoleSignIn(admin);
    const page = await browser.post(`/console/sites/${site}/webhooks`, {
      name: "one more",
      url: "https://hooks.example.com/more",
    });
    expect(page.status).toBe(409);
    expect(await page.text()).toContain(`at most ${LIMIT} webhooks`);

    expect(await liveCount(site)).toBe(LIMIT);
    expect((await json(api("GET", `${base}/audit-log?limit=200`))).data).toHaveLength(audited);

    // At the limit, a document that adds nothing, or swaps one webhook for another, still applies.
    expect((await api("PUT", `${base}/settings`, document(LIMIT), admin)).status).toBe(200);
    const swapped = { webhooks: [...document(LIMIT - 1).webhooks, entry(1000)] };
    expect(await json(api("PUT", `${base}/settings`, swapped, admin))).toMatchObject({
      created: [{ url: entry(1000).url }],
      deleted: [{ url: entry(LIMIT - 1).url }],
    });
    // Room again after a delete.
    const [first] = (await json(api("GET", `${base}/webhooks?limit=1`))).data;
    expect((await api("DELETE", `${base}/webhooks/${first.id}`, undefined, admin)).status).toBe(204);
    const made = await api("POST", `${base}/webhooks`, { name: "room", url: "https://hooks.example.com/r" }, admin);
    expect(made.status).toBe(201);
    expect(await liveCount(site)).toBe(LIMIT);
  });

  it("lets exactly one of several concurrent creates take the last place, whichever surface they come from", async () => {
    const { site, admin, base } = await siteWith(LIMIT - 1);
    const browser = await consoleSignIn(admin);
    const body = (i: number) => ({ name: `racer ${i}`, url: `https://hooks.example.com/race/${i}` });
    const creates = await Promise.all([
      ...[0, 1, 2, 3].map((i) => api("POST", `${base}/webhooks`, body(i), admin)),
      ...[4, 5].map((i) => browser.post(`/console/sites/${site}/webhooks`, body(i))),
    ]);
    const statuses = creates.map((r) => r.status).join(",");
    expect(
      creates.filter((r) => r.status === 201 || r.status === 303),
      statuses,
    ).toHaveLength(1);
    expect(
      creates.filter((r) => r.status === 409),
      statuses,
    ).toHaveLength(creates.length - 1);
    expect(await liveCount(site)).toBe(LIMIT);
  });

  it("never leaves a site past the quota when a settings document races plain creates", async () => {
    const { base, admin, site } = await siteWith(LIMIT - 1);
    // The document keeps the 99 and adds one: it takes the last place, or is refused, or (read after a create won)
    // replaces that webhook, which it does not list, by its own. The site never passes the quota.
    const doc = { webhooks: [...document(LIMIT - 1).webhooks, entry(2000)] };
    const answers = await Promise.all([
      api("PUT", `${base}/settings`, doc, admin),
      ...[0, 1, 2].map((i) =>
        api("POST", `${base}/webhooks`, { name: `r${i}`, url: `https://hooks.example.com/r/${i}` }, admin),
      ),
    ]);
    for (const r of answers) expect([200, 201, 409]).toContain(r.status);
    expect(answers.slice(1).filter((r) => r.status === 201).length).toBeLessThanOrEqual(1);
    expect(await liveCount(site)).toBe(LIMIT);
  });
});
