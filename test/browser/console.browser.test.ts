// The operator console in a real browser (Debian's Chromium via playwright-core) against `wrangler dev` and the
// e2e receiver: the seed's four steps and Example B through the console alone, the log's filters, paging and
// export, what a viewer sees, CSRF, and a revoked key's session. Every page visited is checked by axe-core,
// for CSP violations and for its D1 round trips; each screen is saved to docs/screenshots/.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Locator, Page } from "playwright-core";
import { startReceiver, verifySignatures, type Receiver } from "../../scripts/receiver-lib.mjs";
import { ADMIN, event, setupSite, startEdgehooks, type Edgehooks } from "../e2e/harness";
import { startPlatform } from "../chat-platforms";
import {
  axeViolations,
  costOf,
  launch,
  openPage,
  pageCosts,
  screenshot,
  SCREENSHOTS,
  type ConsolePage,
} from "./browser";

let eh: Edgehooks;
let receiver: Receiver;
let browser: Browser;
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

beforeAll(async () => {
  [eh, receiver, browser] = await Promise.all([startEdgehooks({ BENCH_METRICS: "1" }), startReceiver(), launch()]);
});
afterAll(async () => {
  if (pageCosts.size) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(SCREENSHOTS, "page-costs.json"), JSON.stringify(Object.fromEntries(pageCosts), null, 2) + "\n");
  }
  await Promise.all([browser?.close(), eh?.stop(), receiver?.close()]);
});

/** Opens a console page and checks it: 200, ≤ 3 D1 round trips, no CSP violation, no serious axe finding. */
async function visit(cp: ConsolePage, path: string, name?: string) {
  const res = await cp.page.goto(eh.baseUrl + path);
  expect(res, path).not.toBeNull();
  const cost = costOf(res!, (await res!.body()).byteLength);
  expect(cost.status, path).toBe(200);
  expect(cost.trips, `${path}: D1 round trips`).toBeLessThanOrEqual(3);
  await check(cp, path);
  if (name) {
    pageCosts.set(name, { trips: cost.trips, bytes: cost.bytes });
    await screenshot(cp.page, name);
  }
  return cost;
}

/** The page as it is now: no CSP violation or script error so far, no serious or critical axe finding. */
async function check(cp: ConsolePage, what: string) {
  expect(cp.problems, `${what}: console problems`).toEqual([]);
  expect(await axeViolations(cp.page), `${what}: axe`).toEqual([]);
}

async function signIn(cp: ConsolePage, token: string) {
  await cp.page.goto(`${eh.baseUrl}/console/sign-in`);
  await cp.page.getByLabel("Site key or root token").fill(token);
  await cp.page.getByRole("button", { name: "Sign in" }).click();
  await cp.page.waitForURL(/\/console\/sites/);
}

/** Reloads until `ready` holds (bounded): for state the server reaches on its own, such as a delivery settling. */
async function reloadUntil(page: Page, ready: () => Promise<boolean>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms: ${what}`);
    await page.reload();
  }
}

/** Waits (bounded) until the element's text is, or contains, `text`. */
async function has(loc: Locator, text: string, how: "exact" | "contains" = "contains") {
  const poll = expect.poll(() => loc.innerText(), { timeout: 15_000 });
  await (how === "exact" ? poll.toBe(text) : poll.toContain(text));
}

/** "/{id}" of the webhook whose page this is. */
const hookPathId = (url: string) => `/${new URL(url).pathname.split("/")[5]}`;

const row = (page: Page, text: string | RegExp) => page.locator(".row", { hasText: text });

describe("the seed's four steps, through the console alone", () => {
  it("creates a Draft, picks events (Active), sets delivery, and shows the delivered event with its body", async () => {
    const s = await setupSite(eh, "seed");
    const cp = await openPage(browser);
    await signIn(cp, s.ops);
    await visit(cp, `/console/sites/${s.site}/webhooks`);

    // 1. Create a webhook
    await cp.page.getByRole("link", { name: "New webhook" }).click();
    await check(cp, "new webhook");
    await screenshot(cp.page, "new-webhook");
    await cp.page.getByLabel("Name", { exact: true }).fill("slack-#editorial");
    await cp.page.getByLabel("Destination URL").fill(`${receiver.url}/seed`);
    await cp.page.getByLabel("Shared secret (optional)").fill(SECRET);
    await cp.page.getByLabel("Description").fill("Team channel notification on blog publish");
    await cp.page.getByRole("button", { name: "Save draft" }).click();
    await has(cp.page.locator(".head .badge"), "Draft", "exact");
    const hookPath = new URL(cp.page.url()).pathname.replace(/\/events$/, "");

    // 2. Pick the event types
    await cp.page.getByRole("checkbox", { name: /^post\.published\b/ }).check();
    await cp.page.getByRole("checkbox", { name: /^page\.published\b/ }).check();
    await cp.page.getByRole("button", { name: "Save events" }).click();
    await cp.page.getByText("The webhook is now Active.").waitFor();
    const subscribed = await eh.api("GET", `${s.base}/webhooks${hookPathId(cp.page.url())}`, undefined, s.ops);
    expect(subscribed.body.events.sort()).toEqual(["page.published", "post.published"]);
    await has(cp.page.locator(".head .badge"), "Active", "exact");
    await visit(cp, `${hookPath}/events`, "webhook-events");

    // 3. Configure delivery and retry
    await visit(cp, `${hookPath}/delivery`);
    await cp.page.getByLabel("Timeout (seconds)").fill("5");
    await cp.page.getByRole("radio", { name: /^Continue/ }).check();
    await cp.page.getByLabel("New header 1: name").fill("X-Team");
    await cp.page.getByLabel("New header 1: value").fill("editorial");
    await cp.page.getByRole("button", { name: "Save delivery" }).click();
    await cp.page.getByText("Delivery settings saved.").waitFor();
    expect(await cp.page.getByLabel("Timeout (seconds)").inputValue()).toBe("5");
    await visit(cp, `${hookPath}/delivery`, "webhook-delivery");

    // 4. An event sent through the API appears in the Delivery Log as Delivered; its body is what arrived
    const e = event(4421);
    expect((await eh.api("POST", `${s.base}/events`, e, s.cms)).status).toBe(202);
    const got = await receiver.waitFor((r) => r.url === "/hook/seed" && r.json?.event_id === e.event_id);
    expect(verifySignatures(got.headers, got.rawBody, SECRET)).toEqual({ v1: true, standard: true });
    expect(got.headers["x-team"]).toBe("editorial");
    await cp.page.getByRole("link", { name: "Delivery Log" }).click();
    await reloadUntil(cp.page, async () => (await row(cp.page, "Delivered").count()) === 1, "delivered row");
    const r = row(cp.page, "post.published");
    await has(r, "slack-#editorial");
    await has(r, "200 OK");
    await has(r, "1 of 6");
    await has(r, "ada@example.com");
    await r.locator("summary").click();
    await has(r.locator(".req-body"), got.rawBody, "exact");
    await has(r.locator(".req-headers"), "X-Team: ********");
    await check(cp, "expanded row");
    await screenshot(cp.page, "delivery-log-expanded");

    await visit(cp, `/console/sites/${s.site}/webhooks`, "webhooks-index");
    await has(cp.page.locator("tbody tr"), "Active");
    await visit(cp, `${hookPath}/secret`, "webhook-secret");
    await visit(cp, `${hookPath}/actions`, "webhook-actions");
    await visit(cp, `${hookPath}/health`, "webhook-health");
    await cp.page.getByText("Success rate").waitFor();
    await visit(cp, `/console/sites/${s.site}/audit`, "audit-log");
    await has(cp.page.locator("tbody"), "webhook.created");
    await cp.context.close();
  });
});

describe("Example A through the console: a Slack channel, paced, paused automatically, told of other webhooks", () => {
  it("sets the format, template, retry_on, rate limit and auto-pause, subscribes to Operations, and shows a throttle", async () => {
    const s = await setupSite(eh, "chat");
    const slack = await startPlatform("slack");
    try {
      const cp = await openPage(browser);
      await signIn(cp, s.ops);
      await visit(cp, `/console/sites/${s.site}/webhooks/new`);
      await cp.page.getByLabel("Name", { exact: true }).fill("slack-#editorial");
      await cp.page.getByLabel("Destination URL").fill(`${slack.url}/editorial`);
      await cp.page.getByRole("button", { name: "Save draft" }).click();
      const hookPath = new URL(cp.page.url()).pathname.replace(/\/events$/, "");
      const id = hookPathId(cp.page.url());

      // Events: the Operations family sits beside the catalog.
      await has(cp.page.locator("fieldset", { hasText: "Operations" }), "webhook.paused");
      await cp.page.getByRole("checkbox", { name: /^post\.published\b/ }).check();
      await cp.page.getByRole("checkbox", { name: /^webhook\.paused\b/ }).check();
      await cp.page.getByRole("button", { name: "Save events" }).click();
      await cp.page.getByText("The webhook is now Active.").waitFor();

      // Delivery: each new setting is one field of the tab.
      await visit(cp, `${hookPath}/delivery`);
      await cp.page.getByLabel("Format").selectOption("slack");
      await cp.page
        .getByLabel("Message template (Slack, Discord and Teams)")
        .fill("New: <{{target.url}}|{{target.title}}>");
      await cp.page.getByRole("radio", { name: /^Server errors only/ }).check();
      await cp.page.getByLabel("Rate limit (requests per second)").fill("1");
      await cp.page.getByRole("checkbox", { name: /^Pause automatically/ }).check();
      await cp.page.getByLabel("Failure rate (%)").fill("50");
      await cp.page.getByLabel("At least this many attempts").fill("10");
      await cp.page.getByLabel("In the last (seconds)").fill("300");
      await cp.page.getByRole("button", { name: "Save delivery" }).click();
      await cp.page.getByText("Delivery settings saved.").waitFor();
      const saved = (await eh.api("GET", `${s.base}/webhooks${id}`, undefined, s.ops)).body;
      expect(saved).toMatchObject({
        format: "slack",
        message_template: "New: <{{target.url}}|{{target.title}}>",
        retry_on: "server_errors",
        rate_limit_per_s: 1,
        auto_pause: { failure_rate: 0.5, min_attempts: 10, window_s: 300 },
      });
      await visit(cp, `${hookPath}/delivery`, "webhook-delivery-chat");

      // A wrong template comes back with its error beside the field, and nothing is saved.
      await cp.page.getByLabel("Message template (Slack, Discord and Teams)").fill("{{target.body}}");
      await cp.page.getByRole("button", { name: "Save delivery" }).click();
      await has(cp.page.locator("#template-error"), "unknown placeholder {{target.body}}");
      await check(cp, "template error");

      // Slack throttles the first message: the log shows the throttle, and the attempt unspent.
      slack.throttleNext(1, 1);
      const e = event(4421);
      expect((await eh.api("POST", `${s.base}/events`, e, s.cms)).status).toBe(202);
      await slack.waitFor((a) => a.status === 200);
      await cp.page.goto(`${eh.baseUrl}/console/sites/${s.site}/log`);
      await reloadUntil(
        cp.page,
        async () => (await row(cp.page, "Delivered").count()) === 1,
        "delivered after a throttle",
      );
      const r = row(cp.page, "post.published");
      await has(r, "1 of 6 · 1 throttled");
      await r.locator("summary").click();
      await has(r.locator(".attempt").first(), "throttled (429): waiting 1 s before the next request");
      await has(r.locator(".req-body").last(), `New: <${e.target.url}|${e.target.title}>`);
      await check(cp, "throttled row");
      await screenshot(cp.page, "delivery-log-throttled");
      await cp.context.close();
    } finally {
      await slack.close();
    }
  });
});

describe("Example B through the console: a pause-mode webhook rides out an outage", () => {
  it("fails during the outage, and after the fix Replay on each row, oldest first, delivers in order once each", async () => {
    const s = await setupSite(eh, "crm");
    const crm = await startReceiver({ secret: SECRET });
    try {
      const cp = await openPage(browser);
      await signIn(cp, s.ops);
      await visit(cp, `/console/sites/${s.site}/webhooks/new`);
      await cp.page.getByLabel("Name", { exact: true }).fill("crm-contact-mirror");
      await cp.page.getByLabel("Destination URL").fill(crm.url);
      await cp.page.getByLabel("Shared secret (optional)").fill(SECRET);
      await cp.page.getByRole("button", { name: "Save draft" }).click();
      const hookPath = new URL(cp.page.url()).pathname.replace(/\/events$/, "");
      await cp.page.getByRole("checkbox", { name: /^form\.submitted\b/ }).check();
      await cp.page.getByRole("button", { name: "Save events" }).click();
      await cp.page.getByRole("link", { name: "Delivery", exact: true }).click();
      await cp.page.getByRole("radio", { name: /^Pause/ }).check();
      await cp.page.getByRole("radio", { name: /^None/ }).check();
      await cp.page.getByRole("button", { name: "Save delivery" }).click();
      await cp.page.getByText("Delivery settings saved.").waitFor();

      // The CRM is down. Five form submissions arrive; in pause mode each waits for the one before it.
      crm.setBehaviour({ failStatus: 503, downUntil: Number.MAX_SAFE_INTEGER });
      const events = Array.from({ length: 5 }, (_, i) => ({ ...event(700 + i), event_type: "form.submitted" }));
      for (const e of events) expect((await eh.api("POST", `${s.base}/events`, e, s.cms)).status).toBe(202);

      // Each failure pauses the webhook; the operator, hoping it is brief, resumes it from the Actions tab, and
      // the next one fails too: five permanent failures.
      for (let failed = 1; failed <= 5; failed++) {
        await cp.page.goto(`${eh.baseUrl}${hookPath}/actions`);
        await reloadUntil(
          cp.page,
          async () => (await cp.page.getByRole("button", { name: "Resume" }).count()) === 1,
          `paused after failure ${failed}`,
        );
        await has(cp.page.locator(".head .badge"), "Paused", "exact");
        if (failed === 1) await visit(cp, `${hookPath}/actions`, "webhook-paused");
        if (failed < 5) {
          await cp.page.getByRole("button", { name: "Resume" }).click();
          await cp.page.getByText("Resumed").first().waitFor();
        }
      }

      // The fix. Then the Delivery Log, the permanent failures of this webhook, Replay on each, oldest first.
      crm.setBehaviour({});
      await cp.page.getByRole("link", { name: "Delivery Log" }).click();
      await cp.page.getByLabel("Webhook", { exact: true }).selectOption({ label: "crm-contact-mirror" });
      await cp.page.waitForURL(/webhook_id=/);
      await cp.page.getByLabel("Status", { exact: true }).selectOption({ label: "Permanently failed" });
      await cp.page.waitForURL(/state=failed/);
      await has(cp.page.locator("#log-results"), "Permanently failed");
      const rows = cp.page.locator(".row");
      expect(await rows.count()).toBe(5);
      await check(cp, "filtered log");
      await screenshot(cp.page, "delivery-log-failed");
      for (let i = 4; i >= 0; i--) {
        await rows
          .nth(i)
          .getByRole("button", { name: /^Replay dlv_/ })
          .click();
        await has(rows.nth(i).locator(".row-actions"), "Replayed as dlv_");
      }
      // The webhook is still paused: the replays wait in its line, in order, until it resumes.
      await cp.page.goto(`${eh.baseUrl}${hookPath}/actions`);
      await cp.page.getByRole("button", { name: "Resume" }).click();
      await cp.page.getByText("Resumed").first().waitFor();

      await eh.until(
        async () => crm.received.filter((r) => r.respondedStatus === 200).length,
        (n) => n >= 5,
      );
      const ok = crm.received.filter((r) => r.respondedStatus === 200).map((r) => r.json.event_id as string);
      expect(ok).toEqual(events.map((e) => e.event_id));
      expect(crm.received.every((r) => verifySignatures(r.headers, r.rawBody, SECRET).v1)).toBe(true);
      await cp.page.goto(`${eh.baseUrl}/console/sites/${s.site}/log`);
      await reloadUntil(cp.page, async () => (await row(cp.page, "Delivered").count()) === 5, "five delivered");
      await visit(cp, `/console/sites/${s.site}/log`, "delivery-log");
      await cp.context.close();
    } finally {
      await crm.close();
    }
  });
});

describe("the log's filter row, paging and export", () => {
  it("narrows by Status, Event and time, pages with Older, and exports a working link", async () => {
    const s = await setupSite(eh, "busy");
    const made = await eh.api(
      "POST",
      `${s.base}/webhooks`,
      { name: "search-index", url: `${receiver.url}/busy` },
      s.ops,
    );
    const hook = made.body.id as string;
    await eh.api("PUT", `${s.base}/webhooks/${hook}/events`, { events: ["post.published", "page.published"] }, s.ops);
    const batch = (n: number, type: string) =>
      Array.from({ length: n }, (_, i) => ({ ...event(900 + i), event_type: type }));
    for (const events of [batch(40, "post.published"), batch(20, "page.published")]) {
      expect((await eh.api("POST", `${s.base}/events/batch`, { events }, s.cms)).status).toBe(202);
    }
    await eh.until(
      () => eh.api("GET", `${s.base}/deliveries?limit=200&state=delivered`, undefined, s.ops),
      (r) => r.body.data.length === 60,
    );

    const cp = await openPage(browser);
    await signIn(cp, s.ops);
    await visit(cp, `/console/sites/${s.site}/log`);
    expect(await cp.page.locator(".row").count()).toBe(50);
    await cp.page.getByRole("link", { name: "Older" }).click();
    await cp.page.waitForURL(/cursor=/);
    expect(await cp.page.locator(".row").count()).toBe(10);
    expect(await cp.page.getByRole("link", { name: "Older" }).count()).toBe(0);

    // htmx applies the filter on change, swaps the results in place and keeps the URL in step.
    await cp.page.goto(`${eh.baseUrl}/console/sites/${s.site}/log`);
    await cp.page.getByLabel("Event", { exact: true }).selectOption("page.published");
    await cp.page.waitForURL(/event_type=page\.published/);
    await expect.poll(() => cp.page.locator(".row").count()).toBe(20);
    expect(await cp.page.locator(".row", { hasText: "post.published" }).count()).toBe(0);
    await cp.page.getByLabel("Status", { exact: true }).selectOption({ label: "Retrying" });
    await expect.poll(() => cp.page.locator(".row").count()).toBe(0);
    // A time window that ends before anything happened matches nothing; From after To is named.
    await cp.page.goto(`${eh.baseUrl}/console/sites/${s.site}/log?from=2030-01-02T00:00&to=2030-01-01T00:00`);
    await has(cp.page.locator("#filter-errors"), "must be before to");
    await visit(cp, `/console/sites/${s.site}/log?to=2001-01-01T00:00`);
    expect(await cp.page.locator(".row").count()).toBe(0);

    // Export what the filter shows, as NDJSON; the link downloads without a session.
    await visit(cp, `/console/sites/${s.site}/log?event_type=page.published`);
    await cp.page.getByRole("radio", { name: "NDJSON" }).check();
    await cp.page.getByRole("button", { name: "Export", exact: true }).click();
    await cp.page.getByText("Export started.").waitFor();
    const link = cp.page.getByRole("link", { name: /^Download exp_/ });
    await reloadUntil(cp.page, async () => (await link.count()) === 1, "export link");
    await visit(cp, new URL(cp.page.url()).pathname + new URL(cp.page.url()).search, "delivery-log-export");
    const href = (await link.getAttribute("href"))!;
    const file = await fetch(new URL(href, eh.baseUrl));
    expect(file.status).toBe(200);
    const lines = (await file.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(20);
    expect(lines.every((d) => d.event_type === "page.published")).toBe(true);

    // Replay all matching says how many first.
    await cp.page.getByRole("button", { name: "Replay all matching…" }).click();
    await has(cp.page.locator("#bulk"), "20 deliveries match this filter");
    await check(cp, "bulk replay dry run");
    await cp.context.close();
  });
});

describe("roles, CSRF and sessions", () => {
  it("shows a viewer no control that changes anything, and refuses its forged post (403)", async () => {
    const s = await setupSite(eh, "viewing");
    const viewer = (await eh.api("POST", `${s.base}/keys`, { name: "auditor", role: "viewer" }, s.ops)).body.token;
    const made = await eh.api("POST", `${s.base}/webhooks`, { name: "watched", url: `${receiver.url}/v` }, s.ops);
    const hook = made.body.id as string;
    await eh.api("PUT", `${s.base}/webhooks/${hook}/events`, { events: ["post.published"] }, s.ops);
    await eh.api("POST", `${s.base}/events`, event(1), s.cms);
    await eh.until(
      () => eh.api("GET", `${s.base}/deliveries?state=delivered`, undefined, s.ops),
      (r) => r.body.data.length === 1,
    );
    const cp = await openPage(browser);
    await signIn(cp, viewer);
    const mutating =
      /^(New webhook|Save draft|Save events|Save delivery|Set secret|Generate secret|Send test event|Pause|Resume|Delete webhook.*|Save|Retry.*|Replay.*|Resolve.*)$/;
    const pages = [
      ["webhooks", "viewer-webhooks"],
      [`webhooks/${hook}/events`, "viewer-events"],
      [`webhooks/${hook}/delivery`],
      [`webhooks/${hook}/secret`],
      [`webhooks/${hook}/actions`],
      [`webhooks/${hook}/health`],
      ["log"],
      ["audit"],
    ];
    for (const [path, shot] of pages) {
      await visit(cp, `/console/sites/${s.site}/${path}`, shot);
      for (const role of ["button", "link", "checkbox", "radio", "textbox"] as const) {
        const names = await cp.page.getByRole(role).evaluateAll((els) => els.map((e) => e.textContent?.trim() ?? ""));
        expect(
          names.filter((n) => mutating.test(n)),
          `${path}: ${role}`,
        ).toEqual([]);
      }
      expect(
        await cp.page.locator('form[method="post"]').evaluateAll((fs) => fs.map((f) => f.getAttribute("action"))),
      ).toEqual(path === "log" ? ["/console/sign-out", `/console/sites/${s.site}/exports`] : ["/console/sign-out"]);
    }
    // Forged posts, carrying the viewer's own valid CSRF token: refused by the server anyway.
    const csrf = await cp.page.locator('input[name="_csrf"]').first().inputValue();
    for (const action of ["pause", "test", "delete", "events"]) {
      const res = await cp.page.request.post(`${eh.baseUrl}/console/sites/${s.site}/webhooks/${hook}/${action}`, {
        form: { _csrf: csrf, confirm: "yes", events: "post.published" },
        maxRedirects: 0,
      });
      expect(res.status(), action).toBe(403);
    }
    const dlv = (await eh.api("GET", `${s.base}/deliveries`, undefined, s.ops)).body.data[0].id;
    const replay = await cp.page.request.post(`${eh.baseUrl}/console/sites/${s.site}/log/${dlv}/replay`, {
      form: { _csrf: csrf },
      maxRedirects: 0,
    });
    expect(replay.status()).toBe(403);
    expect((await cp.page.request.get(`${eh.baseUrl}/console/sites/${s.site}/webhooks/new`)).status()).toBe(403);
    expect((await eh.api("GET", `${s.base}/webhooks/${hook}`, undefined, s.ops)).body.status).toBe("active");
    await cp.context.close();
  });

  it("refuses a post without its CSRF token, and keeps the token out of the browser", async () => {
    const s = await setupSite(eh, "csrf");
    const made = await eh.api("POST", `${s.base}/webhooks`, { name: "guarded", url: `${receiver.url}/g` }, s.ops);
    const hook = made.body.id as string;
    await eh.api("PUT", `${s.base}/webhooks/${hook}/events`, { events: ["post.published"] }, s.ops);
    const cp = await openPage(browser);
    await signIn(cp, s.ops);
    const cookies = await cp.context.cookies();
    const session = cookies.find((c) => c.name === "eh_console")!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/console" });
    expect(session.expires * 1000 - Date.now()).toBeGreaterThan(11.9 * 3600_000);
    expect(JSON.stringify(cookies)).not.toContain(s.ops);
    expect(await cp.page.evaluate("document.cookie")).toBe("");
    const url = `${eh.baseUrl}/console/sites/${s.site}/webhooks/${hook}/pause`;
    expect((await cp.page.request.post(url, { form: {}, maxRedirects: 0 })).status()).toBe(403);
    expect((await cp.page.request.post(url, { form: { _csrf: "forged" }, maxRedirects: 0 })).status()).toBe(403);
    const csrf = await cp.page.locator('input[name="_csrf"]').first().inputValue();
    const otherSite = await cp.page.request.post(url, {
      form: { _csrf: csrf },
      headers: { origin: "https://evil.example" },
      maxRedirects: 0,
    });
    expect(otherSite.status()).toBe(403);
    expect((await eh.api("GET", `${s.base}/webhooks/${hook}`, undefined, s.ops)).body.status).toBe("active");
    // With its token, the same post works.
    expect((await cp.page.request.post(url, { form: { _csrf: csrf }, maxRedirects: 0 })).status()).toBe(303);
    expect((await eh.api("GET", `${s.base}/webhooks/${hook}`, undefined, s.ops)).body.status).toBe("paused");
    await cp.context.close();
  });

  it("ends a revoked key's session at once", async () => {
    const s = await setupSite(eh, "revoked");
    const key = (await eh.api("POST", `${s.base}/keys`, { name: "temp", role: "integrations-admin" }, s.ops)).body;
    const cp = await openPage(browser);
    await signIn(cp, key.token);
    await visit(cp, `/console/sites/${s.site}/webhooks`);
    expect((await eh.api("DELETE", `${s.base}/keys/${key.id}`, undefined, s.ops)).status).toBe(200);
    await cp.page.goto(`${eh.baseUrl}/console/sites/${s.site}/webhooks`);
    expect(new URL(cp.page.url()).pathname).toBe("/console/sign-in");
    await cp.page.getByText("Your session has ended").waitFor();
    await check(cp, "sign-in");
    await screenshot(cp.page, "sign-in");
    await cp.context.close();
  });

  it("lets root pick a site, and reads well at 390 px", async () => {
    const s = await setupSite(eh, "picked");
    const cp = await openPage(browser, 390);
    await signIn(cp, ADMIN);
    await visit(cp, "/console/sites", "sites-390");
    await cp.page.getByRole("link", { name: s.site }).click();
    await cp.page.waitForURL(/\/webhooks$/);
    await cp.page.getByRole("link", { name: "New webhook" }).click();
    await cp.page.getByLabel("Name", { exact: true }).fill("ops");
    await cp.page.getByLabel("Destination URL").fill("http://10.0.0.1/hook");
    await cp.page.getByRole("button", { name: "Save draft" }).click();
    await has(cp.page.locator("#url-error"), "https");
    await check(cp, "new webhook with an error");
    await screenshot(cp.page, "new-webhook-error-390");
    await cp.page.getByLabel("Destination URL").fill(`${receiver.url}/picked`);
    await cp.page.getByRole("button", { name: "Save draft" }).click();
    await cp.page.getByRole("checkbox", { name: /^post\.published\b/ }).check();
    await cp.page.getByRole("button", { name: "Save events" }).click();
    await eh.api("POST", `${s.base}/events`, event(5), s.cms);
    await cp.page.goto(`${eh.baseUrl}/console/sites/${s.site}/log`);
    await reloadUntil(cp.page, async () => (await row(cp.page, "Delivered").count()) === 1, "delivered");
    await visit(cp, `/console/sites/${s.site}/webhooks`, "webhooks-index-390");
    await visit(cp, `/console/sites/${s.site}/log`, "delivery-log-390");
    // Keyboard alone: Tab through the page to the first row, open it with Enter, read what was sent.
    for (let tabs = 0; (await cp.page.evaluate("document.activeElement?.tagName")) !== "SUMMARY"; tabs++) {
      expect(tabs, "tabs to reach the first row").toBeLessThan(40);
      await cp.page.keyboard.press("Tab");
    }
    await cp.page.keyboard.press("Enter");
    await cp.page.locator(".row .req-body").first().waitFor();
    await cp.context.close();
  });
});
