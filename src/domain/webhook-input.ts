// The rules a webhook's destination and subscriptions must meet, as field errors.
import { z } from "zod";
import { checkDestination } from "./ssrf";
import { isKnownEventType } from "./catalog";
import type { FieldError } from "./problems";
import { retryPolicyInputSchema } from "./retry-policy";
import { MAX_OVERLAP_SECONDS } from "./secret-rotation";
import { MIN_SECRET_LENGTH } from "./secret-rules";

/** The URL's host when it is an allowed destination, or the field error. */
export function destinationHost(url: string, devHosts: readonly string[]): { host: string } | { error: FieldError } {
  const verdict = checkDestination(url, devHosts);
  return verdict.ok ? { host: verdict.host } : { error: { path: "url", message: verdict.reason } };
}

/** The types not in the catalog, with their places in the list. */
export function unknownEventTypes(events: readonly string[]): { index: number; type: string }[] {
  return events.flatMap((type, index) => (isKnownEventType(type) ? [] : [{ index, type }]));
}

// ---- The request bodies that change a webhook ----------------------------------------------------------------
// One set of zod schemas for every surface: the REST API decorates them for its OpenAPI document; the console
// parses its forms into the same shapes and validates them here. So a rule is written once.

const headersSchema = z
  .record(z.string(), z.string())
  .meta({ example: { "X-Team": "content" }, description: "Fixed headers sent with every delivery" });
const urlSchema = z.string().min(1).max(2048).meta({ example: "https://hooks.yoursite.com/edgehooks" });
// Length and whsec_ rules are secretProblem's (secret-rules.ts), checked by the service for every surface.
const secretSchema = z.string().meta({
  description: `At least ${MIN_SECRET_LENGTH} characters; a whsec_ secret must decode to 24–64 bytes`,
  example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
});

export const newWebhookSchema = z
  .object({
    name: z.string().min(1, "is required").max(100),
    url: urlSchema,
    secret: secretSchema.optional(),
    headers: headersSchema.optional(),
    description: z.string().max(1000).optional(),
  })
  .strict();

export const webhookPatchSchema = z
  .object({
    name: z.string().min(1).max(100).optional(),
    url: urlSchema.optional(),
    headers: headersSchema.optional(),
    description: z.string().max(1000).nullable().optional(),
  })
  .strict();

export const eventsInputSchema = z
  .object({ events: z.array(z.string()).max(26), include_detail: z.boolean().optional() })
  .strict();

export const deliveryPolicySchema = z
  .object({
    timeout_ms: z
      .number()
      .int()
      .min(1000, "must be at least 1000 ms (1 s)")
      .max(30000, "must be at most 30000 ms (30 s)")
      .optional(),
    retry_policy: retryPolicyInputSchema
      .optional()
      .meta({ description: '"default" | "aggressive" | "none" | {"delays_s": [1…43200, …up to 10]}' }),
    failure_mode: z.enum(["continue", "pause"]).optional(),
  })
  .strict();

export const secretInputSchema = z
  .object({
    secret: secretSchema.optional(),
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
