// A real browser for the console tests: Debian's Chromium (/usr/bin/chromium) driven by playwright-core, which
// never downloads a browser. Each visit checks what every page must meet: a 200, at most 3 D1 round trips (the
// Worker reports them when BENCH_METRICS is on), no Content-Security-Policy violation, and no serious or critical
// axe-core finding (axe runs inside the page). Screenshots go to docs/screenshots/.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { ROOT } from "../../scripts/wrangler-dev.mjs";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
/** Committed screenshots are rewritten only when asked (UPDATE_SCREENSHOTS=1); otherwise they go under .e2e/. */
export const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === "1" ? join(ROOT, "docs", "screenshots") : join(ROOT, ".e2e", "screenshots");

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/** What each page cost, for the report: D1 round trips and HTML bytes. */
export const pageCosts = new Map<string, { trips: number; bytes: number }>();

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /** Problems the page reported: CSP violations and script errors. */
  problems: string[];
}

export async function openPage(browser: Browser, width = 1280): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    // A form with field errors is answered 422 on purpose; the browser logs that as a failed load.
    if (/status of 422/.test(m.text())) return;
    if (m.type() === "error" || /Content Security Policy/i.test(m.text())) problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(String(e)));
  return { page, context, problems };
}

/** Serious and critical axe-core violations on the page as it is now. */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const found = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3) })))",
  )) as { id: string; impact: string; nodes: string[] }[];
  return found
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.join(", ")}`);
}

/** The document's own response: its status, D1 round trips and size. */
export function costOf(res: { headers(): Record<string, string>; status(): number }, bytes: number) {
  return { status: res.status(), trips: Number(res.headers()["x-d1-round-trips"] ?? "NaN"), bytes };
}

export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
