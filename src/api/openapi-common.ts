// Schemas every route shares in the OpenAPI document: the problem shape, error responses, path params.
import { z } from "@hono/zod-openapi";
import { deliveryStates } from "../domain/delivery-state";
import { toDeliveryFilter, type DeliveryFilter, type FilterInput } from "../domain/filter";
import { InvalidInput } from "../domain/problems";

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })),
  })
  .openapi("Problem", {
    example: {
      type: "https://edgehooks.dev/problems/validation-failed",
      title: "Validation failed",
      status: 422,
      detail: "The request has invalid fields",
      errors: [{ path: "url", message: "must use https" }],
    },
  });

const DESCRIPTIONS: Record<number, string> = {
  400: "Malformed JSON",
  401: "Missing, unknown or revoked token",
  403: "The token's role may not do this",
  404: "Not found (a key never sees another site: that is a 404 too)",
  409: "Conflicts with the current state, or a quota is reached (title: Quota exceeded)",
  413: "Body too large",
  415: "Body is not application/json",
  422: "Validation failed; errors[].path names each wrong field",
};

/** Error responses for a route, as problem+json. */
export function problems(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: DESCRIPTIONS[s] ?? "Error", content: { "application/problem+json": { schema: ProblemSchema } } },
    ]),
  ) as Record<
    number,
    { description: string; content: { "application/problem+json": { schema: typeof ProblemSchema } } }
  >;
}

export const siteParam = z.object({ site: z.string().min(1).max(100).openapi({ example: "site_yoursite" }) });
export const siteAndId = siteParam.extend({
  id: z.string().min(1).max(100).openapi({ example: "wh_8f2k4m6p9r1t3v5x" }),
});

export const bearer = [{ bearer: [] }];

export const cursorQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).optional().openapi({ example: 50 }),
  cursor: z.string().max(200).optional(),
});

/**
 * A domain schema named in the OpenAPI document. Domain modules build plain zod schemas, and one may be created
 * before @hono/zod-openapi has extended zod (module load order), without `.openapi`; a fresh instance of the same
 * definition, made here, always has it.
 */
export function named<T extends z.ZodTypeAny>(schema: T, refId: string, meta?: Parameters<T["openapi"]>[1]): T {
  const Schema = schema.constructor as new (def: unknown) => T;
  return new Schema((schema as unknown as { _def: unknown })._def).openapi(refId, meta) as T;
}

/** A public route: no token (the document's default is bearer). */
export const noAuth: { bearer: string[] }[] = [];

/** A page of a list: `{data, next_cursor}`, newest first. */
export const listOf = <T extends z.ZodTypeAny>(item: T) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() });

/** A JSON response in the document. */
export const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

const rfc3339 = z.string().datetime({ offset: true, message: "must be an RFC 3339 date-time" });

/** The filter every log call shares: state, event_type, webhook_id, and from/to over when it was triggered. */
export const FilterQuery = z.object({
  state: z.enum(deliveryStates).optional(),
  event_type: z.string().min(1).max(100).optional(),
  webhook_id: z.string().min(1).max(100).optional(),
  from: rfc3339.optional().openapi({ example: "2026-05-22T00:00:00Z" }),
  to: rfc3339.optional().openapi({ example: "2026-05-23T00:00:00Z" }),
});

/** The filter as services take it; `from` not before `to` is a 422 naming `from`. */
export function filterFromQuery(q: FilterInput): DeliveryFilter {
  const result = toDeliveryFilter(q);
  if ("error" in result) throw new InvalidInput([result.error], "from must be before to");
  return result.filter;
}
