// Event types: the built-in catalog (any valid token), and a site's types: the catalog followed by the site's own
// (family Custom), which an integrations-admin may add and delete.
import { createRoute, z } from "@hono/zod-openapi";
import { actorOf, newRouter } from "./router";
import { requireSite } from "./middleware/auth";
import { bearer, json, named, problems, siteParam } from "./openapi-common";
import { BUILT_IN_EVENT_TYPES, EVENT_FAMILIES, EVENT_TYPES, OPERATIONAL_EVENT_TYPES } from "../domain/catalog";
import { customEventTypeInputSchema, MAX_EVENT_TYPE_LENGTH } from "../domain/custom-event-types";
import { createCustomType, deleteCustomType, siteEventTypes } from "../webhooks/event-types";

export const eventTypesRouter = newRouter();

const EventTypeSchema = z
  .object({ type: z.string(), family: z.enum(EVENT_FAMILIES), description: z.string() })
  .openapi("EventType", {
    example: { type: "post.published", family: "Content", description: "A blog post publishes" },
  });

const EventTypeList = z.object({ data: z.array(EventTypeSchema) }).openapi("EventTypeList");

const CreateEventType = named(customEventTypeInputSchema, "CreateEventType", {
  example: { type: "course.completed", description: "A learner completes a course" },
});

const siteAndType = siteParam.extend({
  type: z.string().min(1).max(MAX_EVENT_TYPE_LENGTH).openapi({ example: "course.completed" }),
});

eventTypesRouter.openapi(
  createRoute({
    method: "get",
    path: "/event-types",
    operationId: "listEventTypes",
    tags: ["Events"],
    summary: "The built-in event catalog (any valid token)",
    description:
      `The ${BUILT_IN_EVENT_TYPES.length} built-in types: the catalog's ${EVENT_TYPES.length} in six families, ` +
      `which producers send, then the ${OPERATIONAL_EVENT_TYPES.length} of family Operations, which Edgehooks ` +
      "sends itself about webhooks and deliveries. A site's own types are listed, after these, by " +
      "GET /v1/sites/{site}/event-types.",
    security: bearer,
    responses: { 200: json(EventTypeList, "The catalog"), ...problems(401) },
  }),
  (c) => c.json({ data: [...BUILT_IN_EVENT_TYPES] }, 200),
);

eventTypesRouter.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}/event-types",
    operationId: "listSiteEventTypes",
    tags: ["Events"],
    summary: "Every type the site can send and subscribe to",
    description: "The built-in catalog in its order, then the site's own types (family Custom) by name.",
    security: bearer,
    request: { params: siteParam },
    responses: { 200: json(EventTypeList, "The site's event types"), ...problems(401, 403, 404) },
  }),
  async (c) => {
    const { site } = c.req.valid("param");
    await requireSite(c, site, "read");
    return c.json({ data: await siteEventTypes(c.env, site) }, 200);
  },
);

eventTypesRouter.openapi(
  createRoute({
    method: "post",
    path: "/sites/{site}/event-types",
    operationId: "createSiteEventType",
    tags: ["Events"],
    summary: "Add one of the site's own event types",
    description:
      "A lowercase dotted name such as course.completed (family Custom). Producers of the site may send it and its " +
      "webhooks subscribe to it. A type of the catalog, or one the site has already, is a 409; webhook.* and " +
      "delivery.* are kept for Edgehooks' own events (422).",
    security: bearer,
    request: {
      params: siteParam,
      body: { content: { "application/json": { schema: CreateEventType } }, required: true },
    },
    responses: { 201: json(EventTypeSchema, "Created"), ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
  }),
  async (c) => {
    const { site } = c.req.valid("param");
    await requireSite(c, site, "manage");
    return c.json(await createCustomType(c.env, site, c.req.valid("json"), actorOf(c.get("auth"))), 201);
  },
);

eventTypesRouter.openapi(
  createRoute({
    method: "delete",
    path: "/sites/{site}/event-types/{type}",
    operationId: "deleteSiteEventType",
    tags: ["Events"],
    summary: "Delete one of the site's own event types",
    description: "A 409 while any webhook of the site subscribes to it, and for a type of the catalog.",
    security: bearer,
    request: { params: siteAndType },
    responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404, 409) },
  }),
  async (c) => {
    const { site, type } = c.req.valid("param");
    await requireSite(c, site, "manage");
    await deleteCustomType(c.env, site, type, actorOf(c.get("auth")));
    return c.body(null, 204);
  },
);
