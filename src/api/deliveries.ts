// The delivery log: the filtered list and one delivery with every attempt. Viewers and integrations-admin keys
// read it.
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter } from "./router";
import { audienceOf, requireSite } from "./middleware/auth";
import { FilterQuery, bearer, filterFromQuery, json, listOf, problems, siteAndId, siteParam } from "./openapi-common";
import { deliveryStates } from "../domain/delivery-state";
import { FORMAT_NAMES } from "../domain/formats";
import { RETRY_ON } from "../domain/retry-policy";
import { deliveryDetail, deliveryPage } from "../logs/delivery-log";

export const deliveriesRouter = newRouter();

const DeliverySchema = z
  .object({
    id: z.string(),
    webhook_id: z.string(),
    webhook_name: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    destination_host: z.string(),
    state: z.enum(deliveryStates),
    attempts: z.number().int().openapi({ description: "Attempts made that spent the retry policy" }),
    throttles: z
      .number()
      .int()
      .openapi({ description: "Requests the receiver throttled (429): they spend no attempt" }),
    next_attempt_at: z.string().nullable(),
    response_status: z.number().int().nullable(),
    latency_ms: z.number().int().nullable(),
    last_error: z
      .string()
      .nullable()
      .openapi({
        description:
          "Why the last attempt failed: timeout, dns, connection, tls, http_status, redirect, blocked, gone, " +
          "webhook_deleted, throttled (a 429: waiting as asked, or given up after 24 h of throttle waits)",
      }),
    created_at: z.string(),
    delivered_at: z.string().nullable(),
    replay_of: z.string().nullable(),
    actor_email: z.string().nullable(),
  })
  .openapi("Delivery");

const AttemptSchema = z
  .object({
    n: z.number().int(),
    started_at: z.string(),
    request: z.object({ url: z.string(), headers: z.record(z.string(), z.string()), body: z.string().nullable() }),
    response: z.object({ status: z.number().int(), body: z.string().nullable(), truncated: z.boolean() }).nullable(),
    error: z.string().nullable(),
    error_message: z.string().nullable(),
    throttle: z
      .object({ wait_ms: z.number().int() })
      .nullable()
      .openapi({ description: "A throttled request (429): how long the delivery waited before its next one" }),
    timing: z.object({
      prepared_ms: z.number().int(),
      sent_at: z.string(),
      response_at: z.string().nullable(),
      total_ms: z.number().int(),
    }),
  })
  .openapi("Attempt");

const ListQuery = FilterQuery.extend({
  limit: z.coerce.number().int().min(1).max(200).optional().openapi({ example: 50 }),
  cursor: z.string().max(200).optional(),
});

deliveriesRouter.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}/deliveries",
    operationId: "listDeliveries",
    tags: ["Deliveries"],
    summary: "The delivery log",
    description:
      "Newest first. Filters combine. `next_cursor` pages back in time and stays stable while new " +
      "deliveries arrive. `limit` ≤ 200.",
    security: bearer,
    request: { params: siteParam, query: ListQuery },
    responses: {
      200: json(listOf(DeliverySchema), "One page"),
      ...problems(401, 403, 404, 422),
    },
  }),
  async (c) => {
    const { site } = c.req.valid("param");
    await requireSite(c, site, "read");
    const { limit, cursor, ...q } = c.req.valid("query");
    return c.json(await deliveryPage(c.env, site, filterFromQuery(q), cursor, limit ?? 50), 200);
  },
);

deliveriesRouter.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}/deliveries/{id}",
    operationId: "getDelivery",
    tags: ["Deliveries"],
    summary: "One delivery with every attempt",
    description:
      "The format, message_template and retry_on it keeps. Each attempt (every request, a throttled one " +
      "included): the request (custom header values masked, the body sent, byte for byte), the response (body kept " +
      "up to 16 KiB, `truncated` beyond), the error class, the throttle wait and the timing. Signature headers are " +
      "shown to integrations-admin keys and root; for a viewer they are masked (`********`), and the URL's path and " +
      "query are redacted in `request.url`, `error_message` and the response body.",
    security: bearer,
    request: { params: siteAndId },
    responses: {
      200: json(
        DeliverySchema.extend({
          format: z.enum(FORMAT_NAMES).openapi({ description: "The webhook's format when the delivery was made" }),
          retry_on: z.enum(RETRY_ON).openapi({ description: "The webhook's retry_on when the delivery was made" }),
          message_template: z
            .string()
            .nullable()
            .openapi({ description: "The webhook's message_template when the delivery was made" }),
          attempts_detail: z.array(AttemptSchema),
        }).openapi("DeliveryDetail"),
        "The delivery",
      ),
      ...problems(401, 403, 404),
    },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "read");
    return c.json(await deliveryDetail(c.env, site, id, audienceOf(c.get("auth"), site)), 200);
  },
);
