// The event catalog, readable with any valid token.
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter } from "./router";
import { bearer, problems } from "./openapi-common";
import { EVENT_TYPES } from "../domain/catalog";

export const eventTypesRouter = newRouter();

const EventTypeSchema = z
  .object({ type: z.string(), family: z.string(), description: z.string() })
  .openapi("EventType", { example: { type: "post.published", family: "Content", description: "A post went live." } });

eventTypesRouter.openapi(
  createRoute({
    method: "get",
    path: "/event-types",
    operationId: "listEventTypes",
    tags: ["Events"],
    summary: "The event catalog (any valid token)",
    security: bearer,
    responses: {
      200: {
        content: { "application/json": { schema: z.object({ data: z.array(EventTypeSchema) }) } },
        description: "All 26 types",
      },
      ...problems(401),
    },
  }),
  (c) => c.json({ data: [...EVENT_TYPES] }, 200),
);
