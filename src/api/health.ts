// GET /health (no auth): liveness with a real D1 query, and which bindings this deployment has.
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter } from "./router";
import { noAuth } from "./openapi-common";
import { ping } from "../db/client";
import { allDatabases, siteDatabases, type DatabaseBindings } from "../db/route";
import { VERSION } from "../version";

export const health = newRouter();

const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    version: z.string(),
    d1: z.enum(["ok", "error"]),
    bindings: z.record(z.string(), z.boolean()),
  })
  .openapi("Health");

health.openapi(
  createRoute({
    method: "get",
    path: "/health",
    operationId: "getHealth",
    security: noAuth,
    tags: ["Health"],
    summary: "Liveness, with a D1 check",
    responses: {
      200: { content: { "application/json": { schema: HealthSchema } }, description: "Healthy" },
      503: { content: { "application/json": { schema: HealthSchema } }, description: "D1 unreachable" },
    },
  }),
  async (c) => {
    const bindings = {
      ...databaseBindings(c.env),
      DELIVERIES: Boolean(c.env.DELIVERIES),
      SEQUENCER: Boolean(c.env.SEQUENCER),
      EXPORTS: Boolean(c.env.EXPORTS),
      ADMIN_TOKEN: Boolean(c.env.ADMIN_TOKEN),
      ENCRYPTION_KEY: Boolean(c.env.ENCRYPTION_KEY),
    };
    try {
      await Promise.all(allDatabases(c.env).map(ping)); // every database sites are routed to (db/route.ts)
      return c.json({ status: "ok" as const, version: VERSION, d1: "ok" as const, bindings }, 200);
    } catch {
      return c.json({ status: "degraded" as const, version: VERSION, d1: "error" as const, bindings }, 503);
    }
  },
);

/** DB and every binding SITE_DATABASES routes sites to, each with whether this deployment has it. */
function databaseBindings(env: DatabaseBindings): Record<string, boolean> {
  let names: readonly string[] = ["DB"];
  try {
    names = siteDatabases(env).names;
  } catch {
    // SITE_DATABASES unreadable: the D1 check below fails and says so (503).
  }
  const all = env as unknown as Record<string, unknown>;
  return Object.fromEntries(names.map((name) => [name, Boolean(all[name])]));
}
