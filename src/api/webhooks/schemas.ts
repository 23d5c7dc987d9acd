// The request and response schemas of a webhook's routes: they validate requests and make the OpenAPI document.
import { z } from "@hono/zod-openapi";
import { named } from "../openapi-common";
import { FORMAT_NAMES } from "../../domain/formats";
import { RETRY_ON } from "../../domain/retry-policy";
import {
  deliveryPolicySchema,
  eventsInputSchema,
  newWebhookSchema,
  resumeInputSchema,
  secretInputSchema,
  webhookPatchSchema,
} from "../../domain/webhook-input";

const AutoPauseRead = z.object({
  failure_rate: z.number(),
  min_attempts: z.number().int(),
  window_s: z.number().int(),
});

export const WebhookSchema = z
  .object({
    id: z.string(),
    site_id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    url: z.string().openapi({
      description:
        "Where deliveries go. A viewer sees only its scheme and host, the rest masked " +
        "(`https://hooks.slack.com/********`): a path or query is often a credential",
    }),
    destination_host: z.string(),
    status: z.enum(["draft", "active", "paused", "disabled"]),
    format: z.enum(FORMAT_NAMES).openapi({ description: "The body and signature deliveries get" }),
    events: z.array(z.string()),
    include_detail: z.boolean(),
    timeout_ms: z.number().int(),
    retry_policy: z.object({ name: z.string(), delays_s: z.array(z.number().int()) }),
    retry_on: z.enum(RETRY_ON),
    failure_mode: z.enum(["continue", "pause"]),
    message_template: z
      .string()
      .nullable()
      .openapi({ description: "A chat format's main text, with {{placeholders}}; null: the format's own" }),
    rate_limit_per_s: z
      .number()
      .nullable()
      .openapi({ description: "Requests per second its line may send; null: no limit" }),
    auto_pause: AutoPauseRead.nullable().openapi({
      description: "Pause when the failed share of the attempts in the window reaches failure_rate; null: off",
    }),
    headers: z.array(z.string()).openapi({ description: "Names only; values are never returned" }),
    secret: z.object({
      set: z.boolean(),
      rotated_at: z.string().nullable(),
      previous_expires_at: z.string().nullable(),
    }),
    alert: z
      .object({
        kind: z.string().openapi({
          description:
            "delivery_failed, paused_on_failure, endpoint_gone, auto_paused (the message names the failure rate and " +
            "the window) or failing_too_long (every attempt failed for AUTO_DISABLE_DAYS)",
        }),
        since: z.string(),
        delivery_id: z.string().nullable(),
        message: z.string().openapi({ description: "A URL in it is redacted for a viewer, as `url` is" }),
      })
      .nullable(),
    last_delivery: z
      .object({ at: z.string().nullable(), state: z.string().nullable(), response_status: z.number().int().nullable() })
      .nullable(),
    created_by: z.string(),
    created_at: z.string().nullable(),
    updated_at: z.string().nullable(),
  })
  .openapi("Webhook");

export const CreateWebhook = named(newWebhookSchema, "CreateWebhook", {
  example: {
    name: "Search index",
    url: "https://hooks.yoursite.com/edgehooks",
    secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  },
});

export const UpdateWebhook = named(webhookPatchSchema, "UpdateWebhook", {
  example: { url: "https://hooks.yoursite.com/v2/edgehooks" },
});

export const PutEvents = named(eventsInputSchema, "WebhookEvents", {
  example: { events: ["post.published", "page.published"], include_detail: true },
});

export const PutDelivery = named(deliveryPolicySchema, "DeliveryPolicy", {
  example: {
    timeout_ms: 5000,
    retry_policy: { delays_s: [10, 60, 300] },
    failure_mode: "continue",
    rate_limit_per_s: 1,
    auto_pause: { failure_rate: 0.5, min_attempts: 10, window_s: 300 },
  },
});

export const SetSecret = named(secretInputSchema, "SetSecret", { example: { overlap_seconds: 86400 } });

export const SecretResult = z
  .object({
    secret: z.string().openapi({ description: "Shown once" }),
    rotated_at: z.string(),
    previous_expires_at: z.string().nullable(),
  })
  .openapi("SecretSet");

export const FlowResult = z
  .object({
    id: z.string(),
    status: z.enum(["draft", "active", "paused", "disabled"]),
    held: z.number().int().openapi({ description: "Deliveries waiting in the webhook's line" }),
    replayed: z.number().int().openapi({ description: "Failed deliveries re-sent by this resume" }),
  })
  .openapi("WebhookFlow");

export const Resume = named(resumeInputSchema, "Resume", { example: { replay_failed: true } });

export const TestSent = z.object({ event_id: z.string(), delivery_id: z.string() }).openapi("TestSent");

export const WebhookStats = z
  .object({
    window: z.string(),
    counts: z.record(z.string(), z.number().int()),
    success_rate: z.number().nullable(),
    requests: z
      .object({
        attempts: z.number().int().openapi({ description: "Attempts that spent the retry policy" }),
        failed: z.number().int().openapi({ description: "Of those, the ones that failed" }),
        throttled: z.number().int().openapi({ description: "Requests throttled (429): counted apart, not failures" }),
      })
      .openapi({ description: "The requests of the window's deliveries" }),
    latency_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
    per_hour: z.array(z.object({ hour: z.string(), deliveries: z.number().int() })),
  })
  .openapi("WebhookStats");
