// What a producer may send. Strict: an unknown key is a 422 naming it, never silently dropped.
import { z } from "zod";
import { eventTypeNameSchema } from "./custom-event-types";

export const MAX_EVENT_BYTES = 64 * 1024;
export const MAX_BATCH_EVENTS = 100;
export const MAX_BATCH_BYTES = 1024 * 1024;

const actorSchema = z
  .object({
    id: z.string().min(1).max(256).optional(),
    email: z.string().email().max(320).optional(),
  })
  .strict();

const targetSchema = z
  .object({
    type: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, "must be a word such as post or page"),
    id: z.union([z.string().min(1).max(256), z.number().int()]),
    // Bounded only by the event's 64 KiB: a chat format cuts a long title to its platform's limits, never refuses it.
    title: z.string().max(MAX_EVENT_BYTES).optional(),
    url: z.string().url().max(2048).optional(),
  })
  .strict();

export const eventInputSchema = z
  .object({
    // The shape here; whether the site knows it (the catalog, or one of the site's own) once the site is read.
    event_type: eventTypeNameSchema,
    event_id: z
      .string()
      .regex(/^evt_[A-Za-z0-9_.:-]{1,120}$/, "must start with evt_ followed by up to 120 of A-Z a-z 0-9 _ . : -")
      .optional(),
    fired_at: z.string().datetime({ offset: true, message: "must be an RFC 3339 date-time" }).optional(),
    actor: actorSchema.nullable().optional(),
    target: targetSchema,
    detail: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/** The example the API reference shows. */
export const EVENT_INPUT_EXAMPLE = {
  event_type: "post.published",
  event_id: "evt_2026_05_22_a4b1c9d2",
  actor: { id: "user_ada", email: "ada@yoursite.com" },
  target: {
    type: "post",
    id: 4421,
    title: "Spring 2026 product update",
    url: "https://yoursite.com/blog/spring-2026-product-update",
  },
  detail: { changes: ["title"] },
};

export type EventInput = z.infer<typeof eventInputSchema>;
