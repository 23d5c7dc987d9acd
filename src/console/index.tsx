// The operator console at /console: server-rendered pages over the same services and rules as the REST API.
// Public: the assets and sign-in. Everything else needs a session; a site's pages need read access to it, and
// every post that changes something needs manage access, checked by the API's own role rule.
import { findSite, listSitesEverywhere } from "../db/sites";
import { databaseFor } from "../db/route";
import { Conflict, InvalidInput, NotFound } from "../domain/problems";
import { audienceOf, identify } from "../api/middleware/auth";
import { log } from "../log";
import { assets } from "./assets";
import { BASE, newConsoleRouter, sitePath } from "./context";
import { securityHeaders } from "./security";
import {
  countTrips,
  endConsoleSession,
  openConsoleSession,
  requireSession,
  requireSite,
  signInFormIsGenuine,
  startSignIn,
} from "./session";
import { readForm, text } from "./forms";
import { SignInPage, SitesPage } from "./pages/sign-in";
import { renderError } from "./pages/errors";
import { webhookRoutes } from "./routes/webhooks";
import { logRoutes } from "./routes/log";
import { AuditLogPage } from "./pages/audit";
import { auditPage } from "../logs/audit";
import { page, who } from "./ui";

export const consoleApp = newConsoleRouter();

consoleApp.onError((err, c) => {
  if (err instanceof NotFound) return renderError(c, 404, `${err.what} not found.`);
  if (err instanceof Conflict) return renderError(c, 409, err.message);
  if (err instanceof InvalidInput)
    return renderError(c, 422, err.errors.map((e) => e.message).join("; ") || err.message);
  log("error", "console error", { method: c.req.method, path: c.req.path, error: String(err) });
  return renderError(c, 500, "Something went wrong on our side. Try again; if it persists, check the Worker's logs.");
});

consoleApp.use("*", securityHeaders, countTrips);
consoleApp.route("/", assets);

consoleApp.get("/sign-in", async (c) =>
  page(c, <SignInPage csrf={await startSignIn(c)} reason={c.req.query("reason")} />),
);

consoleApp.post("/sign-in", async (c) => {
  const form = await readForm(c);
  if (!(await signInFormIsGenuine(c, form._csrf))) {
    return renderError(c, 403, "The sign-in form is out of date or missing its security token. Load it again.");
  }
  const token = text(form, "token");
  const auth = token ? await identify(c.env, token) : null;
  const again = async (error: string) => page(c, <SignInPage csrf={await startSignIn(c)} error={error} />, 401);
  if (!auth) return again("That token is unknown or revoked.");
  if (auth.kind === "key" && auth.role === "ingest")
    return again("An ingest key sends events; it cannot sign in here.");
  await openConsoleSession(c, auth);
  return c.redirect(auth.kind === "root" ? `${BASE}/sites` : sitePath(auth.siteId, "/webhooks"), 303);
});

consoleApp.use("*", requireSession);

consoleApp.post("/sign-out", (c) => {
  endConsoleSession(c);
  return c.redirect(`${BASE}/sign-in?reason=signed_out`, 303);
});

consoleApp.get("/", (c) => {
  const auth = c.get("auth");
  return c.redirect(auth.kind === "root" ? `${BASE}/sites` : sitePath(auth.siteId, "/webhooks"), 303);
});

consoleApp.get("/sites", async (c) => {
  const auth = c.get("auth");
  if (auth.kind !== "root") return c.redirect(sitePath(auth.siteId, "/webhooks"), 303);
  return page(c, <SitesPage sites={await listSitesEverywhere(c.env, 200)} who={who(auth)} csrf={c.get("csrf")} />);
});

consoleApp.get("/go", async (c) => {
  const site = (c.req.query("site") ?? "").trim();
  if (c.get("auth").kind === "root" && !(await findSite(databaseFor(c.env, site), site))) {
    return renderError(c, 404, "There is no such site.");
  }
  return c.redirect(sitePath(site, "/webhooks"), 303);
});

consoleApp.use("/sites/:site/*", requireSite("read"));
consoleApp.get("/sites/:site", (c) => c.redirect(sitePath(c.req.param("site"), "/webhooks"), 303));
consoleApp.route("/", webhookRoutes);
consoleApp.route("/", logRoutes);

consoleApp.get("/sites/:site/audit", async (c) => {
  const site = c.req.param("site");
  const cursor = c.req.query("cursor");
  return page(
    c,
    <AuditLogPage
      site={site}
      who={who(c.get("auth"))}
      csrf={c.get("csrf")}
      page={await auditPage(c.env, site, cursor, 50, audienceOf(c.get("auth"), site))}
      now={Date.now()}
      first={!cursor}
    />,
  );
});

consoleApp.all("*", (c) => renderError(c, 404, "There is no such page."));
