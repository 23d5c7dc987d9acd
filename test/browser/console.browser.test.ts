// The operator console in a real browser (Debian's Chromium via playwright-core) against `wrangler dev` and the
// e2e receiver: the seed's four steps and Example B through the console alone, the log's filters, paging and
// export, what a viewer sees, CSRF, and a revoked key's session. Every page visited is checked by axe-core,
// for CSP violations and for its D1 round trips; each screen is saved to docs/screenshots/.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Locator, Page } from "playwright-core";
import { startReceiver, verifySignatures, type Receiver } from "../../scripts/receiver-lib.mjs";
import { ADMIN, event, setupSite, startEdgehooks, type Edgehooks } from "../e2e/harness";
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
    await cp.page.getByRole("button", { name: "Save events" }).click();
    await cp.page.getByText("The webhook is now Active.").waitFor();
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
    await has(r, "attempt 1 of 6");
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
