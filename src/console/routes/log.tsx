// The Delivery Log tab, one delivery, the row actions (Retry, Replay, Resolve), Replay all matching and Export.
// The same services as the REST API; htmx swaps a row or the dry-run count in place, and every form also works as
// a plain post that comes back to the page it was sent from.
import type { Context } from "hono";
import { Conflict } from "../../domain/problems";
import { deliveryDetail, deliveryLogPage, deliveryLogRow } from "../../logs/delivery-log";
import { createExport, logPageContext } from "../../logs/exports";
import { replayOne, resolveOne, retryNow } from "../../delivery/actions";
import { countMatching, startBulkReplay } from "../../delivery/bulk-replay";
import { actorOf } from "../../api/router";
import { audienceOf } from "../../api/middleware/auth";
import { newConsoleRouter, sitePath, type ConsoleEnv } from "../context";
import { canManage, requireSite } from "../session";
import { backTo, readForm, text } from "../forms";
import { filterForm, parseFilter } from "../filter";
import { BulkConfirm, BulkConfirmPage, LogPage, logPath } from "../pages/log";
import { LogRow } from "../pages/log-row";
import { Attempts, DeliveryPage } from "../pages/delivery";
import { renderError } from "../pages/errors";
import { fragment, isHtmx, page, who } from "../ui";

export const logRoutes = newConsoleRouter();

const PAGE = 50;

function flash(c: Context<ConsoleEnv>): string | null {
  const n = Number(c.req.query("n"));
  switch (c.req.query("done")) {
    case "retry":
      return "Retry queued: an attempt goes out now.";
    case "replay":
      return "Replayed as a new delivery (newest row).";
    case "resolve":
      return "Marked resolved.";
    case "bulk":
      return Number.isInteger(n)
        ? `Replay of ${n} ${n === 1 ? "delivery" : "deliveries"} started, oldest first.`
        : null;
    case "export":
      return "Export started. Its link appears under Exports once it is written: refresh in a moment.";
    default:
      return null;
  }
}

logRoutes.get("/sites/:site/log", async (c) => {
  const site = c.req.param("site");
  const form = filterForm((k) => c.req.query(k));
  const { filter, errors } = parseFilter(form);
  const [log, context] = await Promise.all([
    filter ? deliveryLogPage(c.env, site, filter, c.req.query("cursor"), PAGE) : { data: [], next_cursor: null },
    logPageContext(c.env, new URL(c.req.url).origin, site),
  ]);
  return page(
    c,
    <LogPage
      site={site}
      who={who(c.get("auth"))}
      csrf={c.get("csrf")}
      canManage={canManage(c, site)}
      now={Date.now()}
      filter={form}
      filterErrors={errors}
      rows={log.data}
      next={log.next_cursor}
      webhooks={context.webhooks}
      exports={context.exports}
      flash={flash(c)}
    />,
    errors.length ? 422 : 200,
  );
});

logRoutes.get("/sites/:site/log/:id", async (c) => {
  const site = c.req.param("site");
  const d = await deliveryDetail(c.env, site, c.req.param("id"), audienceOf(c.get("auth"), site));
  if (c.req.query("part") === "attempts" && isHtmx(c)) return fragment(c, <Attempts d={d} />);
  return page(c, <DeliveryPage site={site} who={who(c.get("auth"))} csrf={c.get("csrf")} d={d} />);
});

const ACTIONS = { retry: retryNow, replay: replayOne, resolve: resolveOne } as const;

logRoutes.post("/sites/:site/log/:id/:action", requireSite("manage"), async (c) => {
  const site = c.req.param("site");
  const id = c.req.param("id");
  const action = c.req.param("action") as keyof typeof ACTIONS;
  if (!(action in ACTIONS)) return renderError(c, 404, "There is no such action.");
  const form = await readForm(c);
  const back = backTo(form, logPath(site));
  let notice: { text: string; href?: string };
  try {
    const result = await ACTIONS[action](c.env, site, id, actorOf(c.get("auth")));
    notice =
      action === "replay"
        ? { text: `Replayed as ${result.id}`, href: sitePath(site, `/log/${result.id}`) }
        : { text: action === "retry" ? "Retry queued" : "Resolved" };
  } catch (err) {
    if (!(err instanceof Conflict)) throw err;
    if (!isHtmx(c)) return renderError(c, 409, err.message);
    notice = { text: err.message };
  }
  if (!isHtmx(c)) return c.redirect(`${back}${back.includes("?") ? "&" : "?"}done=${action}`, 303);
  const row = await deliveryLogRow(c.env, site, id);
  return fragment(
    c,
    <LogRow site={site} d={row} csrf={c.get("csrf")} canManage={true} now={Date.now()} back={back} notice={notice} />,
  );
});

logRoutes.post("/sites/:site/log/replay", requireSite("manage"), async (c) => {
  const site = c.req.param("site");
  const form = await readForm(c);
  const f = filterForm((k) => text(form, k));
  const { filter, errors } = parseFilter(f);
  if (!filter) return renderError(c, 422, errors.map((e) => `${e.path}: ${e.message}`).join("; "));
  if (text(form, "confirm") === "yes") {
    const { count } = await startBulkReplay(c.env, site, filter, actorOf(c.get("auth")));
    return c.redirect(logPath(site, f, { done: "bulk", n: String(count) }), 303);
  }
  const { count } = await countMatching(c.env, site, filter);
  const props = { site, csrf: c.get("csrf"), filter: f, count };
  if (isHtmx(c)) return fragment(c, <BulkConfirm {...props} />);
  return page(c, <BulkConfirmPage {...props} who={who(c.get("auth"))} />);
});

// Exports need only read access, as in the API: a viewer may export what it may read.
logRoutes.post("/sites/:site/exports", async (c) => {
  const site = c.req.param("site");
  const form = await readForm(c);
  const f = filterForm((k) => text(form, k));
  const { filter, errors } = parseFilter(f);
  if (!filter) return renderError(c, 422, errors.map((e) => `${e.path}: ${e.message}`).join("; "));
  const format = text(form, "format") === "ndjson" ? "ndjson" : "csv";
  await createExport(c.env, site, filter, format, actorOf(c.get("auth")));
  return c.redirect(logPath(site, f, { done: "export" }), 303);
});
