// What a webhook's configuration may hold: the field schemas and request bodies every surface shares (the REST API
// decorates them for its OpenAPI document, the settings document and the console parse into the same shapes), and
// the rules a destination and a subscription list must meet, as field errors. So a rule is written once.
import { z } from "zod";
import { checkDestination } from "./ssrf";
import { isSubscribableType, MAX_SUBSCRIBED_EVENTS } from "./custom-event-types";
import { MAX_TIMEOUT_MS, MIN_TIMEOUT_MS, webhookDefaults, type WebhookDefaults } from "./webhook-defaults";
import type { FieldError } from "./problems";
import { retryOnSchema, retryPolicyInputSchema } from "./retry-policy";
import { MAX_OVERLAP_SECONDS } from "./secret-rotation";
import { MAX_SECRET_LENGTH, MIN_SECRET_LENGTH } from "./secret-rules";
import { CHAT_FORMATS, formatSchema } from "./formats";
import { MAX_TEMPLATE_LENGTH, templateProblem } from "./formats/chat-text";
import { autoPauseSchema, rateLimitSchema } from "./flow-control";

/** Everything a webhook is configured with but its status and secret (header values in clear). */
export interface WebhookConfig extends Omit<WebhookDefaults, "status"> {
  url: string;
  name: string;
  description: string | null;
  headers: Record<string, string>;
}

const pagegun = webhookDefaults("pagegun");

export const webhookFields = {
  name: z.string().min(1, "is required").max(100),
  url: z.string().min(1).max(2048).meta({ example: "https://hooks.yoursite.com/edgehooks" }),
  // Length and whsec_ rules are secretProblem's (secret-rules.ts), checked by the service for every surface.
  secret: z
    .string()
    .max(MAX_SECRET_LENGTH)
    .meta({
      description: `At least ${MIN_SECRET_LENGTH} characters; a whsec_ secret must decode to 24–64 bytes`,
      example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }),
  description: z.string().max(1000),
  headers: z
    .record(z.string(), z.string())
    .meta({ example: { "X-Team": "content" }, description: "Fixed headers sent with every delivery" }),
  events: z.array(z.string()).max(MAX_SUBSCRIBED_EVENTS),
  timeout_ms: z
    .number()
    .int()
    .min(MIN_TIMEOUT_MS, `must be at least ${MIN_TIMEOUT_MS} ms (${MIN_TIMEOUT_MS / 1000} s)`)
    .max(MAX_TIMEOUT_MS, `must be at most ${MAX_TIMEOUT_MS} ms (${MAX_TIMEOUT_MS / 1000} s)`),
  failure_mode: z.enum(["continue", "pause"]),
  format: formatSchema.meta({
    description:
      "sgen (the default): our envelope and X-SGEN-Signature. pagegun: PageGun's body and X-PageGun-Signature; " +
      `a webhook created with it starts with a ${pagegun.timeoutMs / 1000} s timeout, retries after ` +
      `${pagegun.retryPolicy.delays_s.join(", ")} s, retry_on ${pagegun.retryOn} and include_detail ${pagegun.includeDetail}. ` +
      "slack, discord, teams: a chat message for a team channel (its main text from message_template), nothing " +
      `signed; a webhook created with one starts with retry_on server_errors and rate_limit_per_s ` +
      `${webhookDefaults("slack").rateLimitPerS} (discord ${webhookDefaults("discord").rateLimitPerS}).`,
  }),
  retry_policy: retryPolicyInputSchema.meta({
    description: '"default" | "aggressive" | "none" | {"delays_s": [1…43200, …up to 10]}',
  }),
  message_template: z
    .string()
    .min(1)
    .max(MAX_TEMPLATE_LENGTH)
    .superRefine((t, ctx) => {
      const problem = templateProblem(t);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .meta({
      description:
        `The main text of a chat format's message (${CHAT_FORMATS.join(", ")}), up to ${MAX_TEMPLATE_LENGTH} ` +
        "characters, with placeholders such as {{event_type}}, {{target.title}}, {{target.url}}, {{actor.email}} " +
        "and {{site.host}}; values are escaped for the platform and cut to its limits. Other formats ignore it.",
      example: "New on {{site.host}}: <{{target.url}}|{{target.title}}>",
    }),
  rate_limit_per_s: rateLimitSchema.meta({
    description:
      "Requests per second the webhook's line may send, 0.1 to 1000: requests go one at a time, each at least " +
      "1/rate after the previous one's answer. slack and teams start at 1, discord at 0.5, others with none.",
    example: 1,
  }),
  auto_pause: autoPauseSchema.meta({
    description:
      "Pause the webhook when at least min_attempts attempts ended in the last window_s seconds and the share " +
      "that failed reaches failure_rate (0 to 1), in either failure mode.",
    example: { failure_rate: 0.5, min_attempts: 10, window_s: 300 },
  }),
  retry_on: retryOnSchema.meta({
    description:
      "any (the default): every failed attempt is retried. server_errors: a 4xx other than 408 and 429 fails the " +
      "delivery at once.",
  }),
};

/** The URL's host when it is an allowed destination, or the field error. */
export function destinationHost(url: string, devHosts: readonly string[]): { host: string } | { error: FieldError } {
  const verdict = checkDestination(url, devHosts);
  return verdict.ok ? { host: verdict.host } : { error: { path: "url", message: verdict.reason } };
}

/** The types neither built in (the catalog, Operations) nor among the site's own, with their places in the list. */
export function unknownEventTypes(
  events: readonly string[],
  custom: ReadonlySet<string>,
): { index: number; type: string }[] {
  return events.flatMap((type, index) => (isSubscribableType(type, custom) ? [] : [{ index, type }]));
}

// ---- The request bodies that change a webhook ----------------------------------------------------------------

export const newWebhookSchema = z
  .object({
    name: webhookFields.name,
    url: webhookFields.url,
    secret: webhookFields.secret.optional(),
    headers: webhookFields.headers.optional(),
    description: webhookFields.description.optional(),
    format: webhookFields.format.optional(),
    message_template: webhookFields.message_template.nullable().optional(),
  })
  .strict();

export const webhookPatchSchema = z
  .object({
    name: webhookFields.name.optional(),
    url: webhookFields.url.optional(),
    headers: webhookFields.headers.optional(),
    description: webhookFields.description.nullable().optional(),
    format: webhookFields.format.optional(),
    message_template: webhookFields.message_template.nullable().optional(),
  })
  .strict();

export const eventsInputSchema = z
  .object({ events: webhookFields.events, include_detail: z.boolean().optional() })
  .strict();

export const deliveryPolicySchema = z
  .object({
    timeout_ms: webhookFields.timeout_ms.optional(),
    retry_policy: webhookFields.retry_policy.optional(),
    retry_on: webhookFields.retry_on.optional(),
    failure_mode: webhookFields.failure_mode.optional(),
    rate_limit_per_s: webhookFields.rate_limit_per_s.nullable().optional(),
    auto_pause: webhookFields.auto_pause.nullable().optional(),
  })
  .strict();

export const secretInputSchema = z
  .object({
    secret: webhookFields.secret.optional(),
    overlap_seconds: z.number().int().min(0).max(MAX_OVERLAP_SECONDS).optional(),
  })
  .strict();

export const resumeInputSchema = z.object({ replay_failed: z.boolean().optional() }).strict();

export type NewWebhookInput = z.infer<typeof newWebhookSchema>;
export type WebhookPatchInput = z.infer<typeof webhookPatchSchema>;
export type DeliveryPolicyInput = z.infer<typeof deliveryPolicySchema>;
export type SecretInput = z.infer<typeof secretInputSchema>;

/** The field errors of a failed parse, named by their JSON path ("url", "retry_policy.delays_s.2"). */
export function fieldErrorsOf(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}
