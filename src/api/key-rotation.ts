// GET /v1/key-rotation (root): where the background re-encryption stands after ENCRYPTION_KEY changed, so the
// operator knows when ENCRYPTION_KEY_PREVIOUS may be removed.
import { createRoute, z } from "@hono/zod-openapi";
import { newRouter } from "./router";
import { requireRoot } from "./middleware/auth";
import { bearer, json, problems } from "./openapi-common";
import { keyRotationStatus } from "../webhooks/key-rotation";

export const keyRotationRouter = newRouter();

const KeyRotationSchema = z
  .object({
    key_id: z.string().openapi({ description: "ENCRYPTION_KEY's id (8 hex characters derived from it)" }),
    previous_key_id: z
      .string()
      .nullable()
      .openapi({ description: "ENCRYPTION_KEY_PREVIOUS's id, or null when it is not set" }),
    reencryption: z
      .object({
        started_at: z.string(),
        completed_at: z.string().nullable().openapi({ description: "When the pass went through every webhook" }),
        rewritten: z.number().int().openapi({ description: "Webhooks whose values it re-sealed" }),
        unreadable: z
          .number()
          .int()
          .openapi({ description: "Webhooks with a value neither key opens: left as they are, logged" }),
      })
      .nullable()
      .openapi({ description: "The pass for the current key; null until the cron has started it" }),
    remaining: z
      .number()
      .int()
      .openapi({ description: "Webhooks still holding a value not sealed with ENCRYPTION_KEY" }),
    complete: z
      .boolean()
      .openapi({ description: "Nothing is left under another key: ENCRYPTION_KEY_PREVIOUS may be removed" }),
  })
  .openapi("KeyRotation", {
    example: {
      key_id: "3f9c2a71",
      previous_key_id: "b04e6d19",
      reencryption: {
        started_at: "2026-05-22T14:03:00.000Z",
        completed_at: "2026-05-22T14:09:00.000Z",
        rewritten: 812,
        unreadable: 0,
      },
      remaining: 0,
      complete: true,
    },
  });

keyRotationRouter.openapi(
  createRoute({
    method: "get",
    path: "/key-rotation",
    operationId: "getKeyRotation",
    tags: ["Deployment"],
    summary: "Where re-encryption under ENCRYPTION_KEY stands (root)",
    description:
      "Every minute the cron re-seals a page of webhooks' secrets and header values under the current " +
      "ENCRYPTION_KEY. When `complete` is true, no value needs ENCRYPTION_KEY_PREVIOUS any more.",
    security: bearer,
    responses: { 200: json(KeyRotationSchema, "The pass"), ...problems(401, 403) },
  }),
  async (c) => {
    requireRoot(c);
    return c.json(await keyRotationStatus(c.env), 200);
  },
);
