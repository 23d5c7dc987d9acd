// The Hono app: every resource router mounted under /v1, one error shape for everything.
import { HTTPException } from "hono/http-exception";
import type { Env } from "../env";
import { authenticate } from "./middleware/auth";
import { ProblemError, problemResponse } from "./problem";
import { newRouter } from "./router";
import { health } from "./health";
import { sitesRouter } from "./sites";
import { keysRouter } from "./keys";
import { eventTypesRouter } from "./event-types";
import { webhooksRouter } from "./webhooks";
import { eventsRouter } from "./events";
import { deliveriesRouter } from "./deliveries";
import { deliveryActionsRouter } from "./delivery-actions";
import { webhookFlowRouter } from "./webhook-flow";

export function createApp() {
  const app = newRouter();

  app.onError((err, c) => {
    if (err instanceof ProblemError) return problemResponse(err.status, err.title, err.detail, err.errors);
    if (err instanceof HTTPException) {
      const status = err.status;
      // Hono's JSON validator throws 400 on a body that does not parse.
      return problemResponse(status, undefined, err.message || undefined);
    }
    console.error(JSON.stringify({ msg: "unhandled error", path: c.req.path, error: String(err) }));
    return problemResponse(500, "Internal error", "Something went wrong on our side");
  });
  app.notFound((c) => problemResponse(404, "Not found", `No route for ${c.req.method} ${c.req.path}`));

  app.route("/", health);
  app.use("/v1/*", authenticate);
  app.route("/v1", eventTypesRouter);
  app.route("/v1", sitesRouter);
  app.route("/v1", keysRouter);
  app.route("/v1", webhooksRouter);
  app.route("/v1", eventsRouter);
  app.route("/v1", deliveriesRouter);
  app.route("/v1", deliveryActionsRouter);
  app.route("/v1", webhookFlowRouter);
  return app;
}

export type App = ReturnType<typeof createApp>;
export type { Env };
