// The request and response schemas of a webhook's routes: they validate requests and make the OpenAPI document.
import { z } from "@hono/zod-openapi";
import { MAX_OVERLAP_SECONDS } from "../../domain/secret-rotation";
import { RETRY_ON, retryOnSchema, retryPolicyInputSchema } from "../../domain/retry-policy";
import { FORMAT_NAMES, formatSchema } from "../../domain/formats";
import { webhookFields } from "../../domain/webhook-input";
import { webhookDefaults } from "../../domain/webhook-defaults";

const pagegun = webhookDefaults("pagegun");

export const WebhookSchema = z
  .object({
    id: z.string(),
    site_id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    url: z.string(),
    destination_host: z.string(),
    status: z.enum(["draft", "active", "paused", "disabled"]),
    format: z.enum(FORMAT_NAMES).openapi({ description: "The body and signature deliveries get" }),
    events: z.array(z.string()),
    include_detail: z.boolean(),
    timeout_ms: z.number().int(),
    retry_policy: z.object({ name: z.string(), delays_s: z.array(z.number().int()) }),
    retry_on: z.enum(RETRY_ON),
    failure_mode: z.enum(["continue", "pause"]),
    headers: z.array(z.string()).openapi({ description: "Names only; values are never returned" }),
    secret: z.object({
      set: z.boolean(),
      rotated_at: z.string().nullable(),
      previous_expires_at: z.string().nullable(),
    }),
    alert: z
      .object({ kind: z.string(), since: z.string(), delivery_id: z.string().nullable(), message: z.string() })
      .nullable(),
    last_delivery: z
      .object({ at: z.string().nullable(), state: z.string().nullable(), response_status: z.number().int().nullable() })
      .nullable(),
    created_by: z.string(),
    created_at: z.string().nullable(),
    updated_at: z.string().nullable(),
  })
  .openapi("Webhook");

const headersSchema = webhookFields.headers.openapi({
  example: { "X-Team": "content" },
  description: "Fixed headers sent with every delivery",
});
const urlSchema = webhookFields.url.openapi({ example: "https://hooks.yoursite.com/edgehooks" });
const formatField = formatSchema.openapi({
  description:
    "sgen (the default): our envelope and X-SGEN-Signature. pagegun: PageGun's body and X-PageGun-Signature; " +
    `a webhook created with it starts with a ${pagegun.timeoutMs / 1000} s timeout, retries after ` +
    `${pagegun.retryPolicy.delays_s.join(", ")} s, retry_on ${pagegun.retryOn} and include_detail ${pagegun.includeDetail}.`,
});

export const CreateWebhook = z
  .object({
    name: webhookFields.name,
    url: urlSchema,
    secret: webhookFields.secret.optional(),
    headers: headersSchema.optional(),
    description: webhookFields.description.optional(),
    format: formatField.optional(),
  })
  .strict()
  .openapi("CreateWebhook", {
    example: {
      name: "Search index",
      url: "https://hooks.yoursite.com/edgehooks",
      secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    },
  });

export const UpdateWebhook = z
  .object({
    name: webhookFields.name.optional(),
    url: urlSchema.optional(),
    headers: headersSchema.optional(),
    description: webhookFields.description.nullable().optional(),
    format: formatField.optional(),
  })
  .strict()
  .openapi("UpdateWebhook", { example: { url: "https://hooks.yoursite.com/v2/edgehooks" } });

export const PutEvents = z
  .object({ events: webhookFields.events, include_detail: z.boolean().optional() })
  .strict()
  .openapi("WebhookEvents", { example: { events: ["post.published", "page.published"], include_detail: true } });

export const PutDelivery = z
  .object({
    timeout_ms: webhookFields.timeout_ms.optional(),
    retry_policy: retryPolicyInputSchema
      .optional()
      .openapi({ description: '"default" | "aggressive" | "none" | {"delays_s": [1…43200, …up to 10]}' }),
    retry_on: retryOnSchema.optional().openapi({
      description:
        "any (the default): every failed attempt is retried. server_errors: a 4xx other than 408 and 429 fails the delivery at once.",
    }),
    failure_mode: webhookFields.failure_mode.optional(),
  })
  .strict()
  .openapi("DeliveryPolicy", {
    example: { timeout_ms: 5000, retry_policy: { delays_s: [10, 60, 300] }, failure_mode: "pause" },
  });

export const SetSecret = z
  .object({
    secret: webhookFields.secret.optional(),
    overlap_seconds: z.number().int().min(0).max(MAX_OVERLAP_SECONDS).optional(),
  })
  .strict()
  .openapi("SetSecret", { example: { overlap_seconds: 86400 } });

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

export const Resume = z
  .object({ replay_failed: z.boolean().optional() })
  .strict()
  .openapi("Resume", {
    example: { replay_failed: true },
  });

export const TestSent = z.object({ event_id: z.string(), delivery_id: z.string() }).openapi("TestSent");

export const WebhookStats = z
  .object({
    window: z.string(),
    counts: z.record(z.string(), z.number().int()),
    success_rate: z.number().nullable(),
    latency_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
    per_hour: z.array(z.object({ hour: z.string(), deliveries: z.number().int() })),
  })
  .openapi("WebhookStats");
