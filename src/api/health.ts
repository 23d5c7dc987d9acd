// GET /health (no auth): liveness with a real D1 query, and which bindings this deployment has.
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter } from "./router";
import { noAuth } from "./openapi-common";
import { ping } from "../db/client";
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
      DB: Boolean(c.env.DB),
      DELIVERIES: Boolean(c.env.DELIVERIES),
      SEQUENCER: Boolean(c.env.SEQUENCER),
      EXPORTS: Boolean(c.env.EXPORTS),
      ADMIN_TOKEN: Boolean(c.env.ADMIN_TOKEN),
      ENCRYPTION_KEY: Boolean(c.env.ENCRYPTION_KEY),
    };
    try {
      await ping(c.env.DB);
      return c.json({ status: "ok" as const, version: VERSION, d1: "ok" as const, bindings }, 200);
    } catch {
      return c.json({ status: "degraded" as const, version: VERSION, d1: "error" as const, bindings }, 503);
    }
  },
);
