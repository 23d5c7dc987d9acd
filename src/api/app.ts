// The Hono app: every resource router mounted under /v1, one error shape for everything, and the OpenAPI
// document generated from the same zod schemas that validate the requests.
import { HTTPException } from "hono/http-exception";
import { Scalar } from "@scalar/hono-api-reference";
import type { Env } from "../env";
import { authenticate, ownSiteOnly } from "./middleware/auth";
import { jsonBodyRules } from "./middleware/body";
import { problemFor, problemResponse } from "./problem";
import { newRouter } from "./router";
import { health } from "./health";
import { sitesRouter } from "./sites";
import { keysRouter } from "./keys";
import { eventTypesRouter } from "./event-types";
import { webhooksRouter } from "./webhooks";
import { settingsRouter } from "./settings";
import { eventsRouter } from "./events";
import { deliveriesRouter } from "./deliveries";
import { deliveryActionsRouter } from "./delivery-actions";
import { auditRouter } from "./audit";
import { exportDownloads, exportsRouter } from "./exports";
import { keyRotationRouter } from "./key-rotation";
import { VERSION } from "../version";
import { counters, resetCounters } from "../metrics";
import { log } from "../log";

/**
 * The package is private (package.json). A constant, because @hono/zod-openapi types doc31's license as OpenAPI
 * 3.0's (name and url), while 3.1 and Redocly's lint want an SPDX `identifier`.
 */
const LICENSE = { name: "Proprietary", identifier: "LicenseRef-Proprietary" };

export function createApp() {
  const app = newRouter();

  app.onError((err, c) => {
    const problem = problemFor(err);
    if (problem) return problemResponse(problem.status, problem.title, problem.detail, problem.errors);
    if (err instanceof HTTPException) {
      // Hono's JSON validator throws a 400 on a body that does not parse.
      const detail = err.status === 400 ? "The body is not valid JSON" : err.message || undefined;
      return problemResponse(err.status, undefined, detail);
    }
    log("error", "unhandled error", { method: c.req.method, path: c.req.path, error: String(err) });
    return problemResponse(500, "Internal error", "Something went wrong on our side");
  });

  app.notFound((c) => {
    const allowed = allowedMethods(app.routes, c.req.path);
    if (allowed.length) {
      return problemResponse(
        405,
        "Method not allowed",
        `${c.req.method} is not allowed here; use ${allowed.join(", ")}`,
        [],
        { allow: allowed.join(", ") },
      );
    }
    return problemResponse(404, "Not found", `No route for ${c.req.method} ${c.req.path}`);
  });

  // A body must be JSON, small and not too deep: 415, 413 and 422 before any route reads it.
  app.use("/v1/*", jsonBodyRules);

  app.route("/", health);
  // Cost counters for `npm run bench`; absent unless BENCH_METRICS is "1" (never in production).
  app.get("/__bench/metrics", (c) => (c.env.BENCH_METRICS === "1" ? c.json(counters) : c.notFound()));
  app.post("/__bench/metrics/reset", (c) =>
    c.env.BENCH_METRICS === "1" ? (resetCounters(), c.json(counters)) : c.notFound(),
  );
  app.route("/", exportDownloads);
  app.use("/v1/*", authenticate);
  // Before any route validates its input: another site's key learns nothing, not even which fields are wrong.
  app.use("/v1/sites/:site/*", ownSiteOnly);
  app.use("/v1/sites/:site", ownSiteOnly);
  for (const router of [
    eventTypesRouter,
    sitesRouter,
    keysRouter,
    webhooksRouter,
    settingsRouter,
    eventsRouter,
    deliveriesRouter,
    deliveryActionsRouter,
    exportsRouter,
    auditRouter,
    keyRotationRouter,
  ]) {
    app.route("/v1", router);
  }

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "The root ADMIN_TOKEN, or a site key (roles: ingest, viewer, integrations-admin)",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Edgehooks",
      version: VERSION,
      description:
        "Webhook delivery for content platforms, on Cloudflare Workers. Errors are application/problem+json.",
      license: LICENSE,
    },
    servers: [{ url: "/" }],
  });
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "Edgehooks API" }));
  return app;
}

/** The methods some route serves at this path, for a 405 and its Allow header. */
function allowedMethods(routes: { method: string; path: string }[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    if (r.method === "ALL" || r.path.includes("*")) continue;
    const pattern = new RegExp(`^${r.path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/:[A-Za-z_]+/g, "[^/]+")}$`);
    if (pattern.test(path)) methods.add(r.method);
  }
  return [...methods].sort();
}

export type App = ReturnType<typeof createApp>;
export type { Env };
