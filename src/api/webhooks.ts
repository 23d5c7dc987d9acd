// Webhooks (contract §3): lifecycle, subscriptions, delivery policy, secrets and the test event.
// Secrets and custom header values are encrypted at rest and never leave; the audit log names what changed.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, eq, isNull } from "drizzle-orm";
import { newRouter, actorName, type AppEnv } from "./router";
import { requireSite } from "./middleware/auth";
import { ProblemError, notFound } from "./problem";
import { bearer, cursorQuery, decodeCursor, encodeCursor, problems, siteAndId, siteParam } from "./openapi-common";
import { database } from "../db/client";
import { webhooks } from "../db/schema";
import { auditInsert } from "../db/audit";
import { encryptJson, decryptJson } from "../domain/crypto";
import { isKnownEventType } from "../domain/catalog";
import { checkDestination, parseDevHosts } from "../domain/ssrf";
import { validateCustomHeaders } from "../domain/custom-headers";
import { RETRY_PRESETS, resolveRetryPolicy, retryPolicyInputSchema } from "../domain/retry-policy";
import { generateSecret } from "../domain/signing";
import { newId } from "../domain/ids";
import { iso } from "../domain/time";
import { webhookView, type WebhookRow } from "../domain/webhook-view";
import { sendTestEvent } from "../delivery/ingest";
import { webhookConfigChanged } from "../sequencer/client";

export const webhooksRouter = newRouter();

const MAX_OVERLAP_SECONDS = 7 * 24 * 3600;

const WebhookSchema = z
  .object({
    id: z.string(),
    site_id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    url: z.string(),
    destination_host: z.string(),
    status: z.enum(["draft", "active", "paused", "disabled"]),
    events: z.array(z.string()),
    include_detail: z.boolean(),
    timeout_ms: z.number().int(),
    retry_policy: z.object({ name: z.string(), delays_s: z.array(z.number().int()) }),
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

const headersSchema = z
  .record(z.string(), z.string())
  .openapi({ example: { "X-Team": "content" }, description: "Fixed headers sent with every delivery" });
const urlSchema = z.string().min(1).max(2048).openapi({ example: "https://hooks.yoursite.com/edgehooks" });

const CreateWebhook = z
  .object({
    name: z.string().min(1).max(100),
    url: urlSchema,
    secret: z.string().min(8).max(256).optional(),
    headers: headersSchema.optional(),
    description: z.string().max(1000).optional(),
  })
  .strict()
  .openapi("CreateWebhook", {
    example: {
      name: "Search index",
      url: "https://hooks.yoursite.com/edgehooks",
      secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    },
  });

const UpdateWebhook = z
  .object({
    name: z.string().min(1).max(100).optional(),
    url: urlSchema.optional(),
    headers: headersSchema.optional(),
    description: z.string().max(1000).nullable().optional(),
  })
  .strict()
  .openapi("UpdateWebhook", { example: { url: "https://hooks.yoursite.com/v2/edgehooks" } });

const PutEvents = z
  .object({ events: z.array(z.string()).max(26), include_detail: z.boolean().optional() })
  .strict()
  .openapi("WebhookEvents", { example: { events: ["post.published", "page.published"], include_detail: true } });

const PutDelivery = z
  .object({
    timeout_ms: z.number().int().min(1000).max(30000).optional(),
    retry_policy: retryPolicyInputSchema
      .optional()
      .openapi({ description: '"default" | "aggressive" | "none" | {"delays_s": [1…43200, …up to 10]}' }),
    failure_mode: z.enum(["continue", "pause"]).optional(),
  })
  .strict()
  .openapi("DeliveryPolicy", {
    example: { timeout_ms: 5000, retry_policy: { delays_s: [10, 60, 300] }, failure_mode: "pause" },
  });

const SetSecret = z
  .object({
    secret: z.string().min(8).max(256).optional(),
    overlap_seconds: z.number().int().min(0).max(MAX_OVERLAP_SECONDS).optional(),
  })
  .strict()
  .openapi("SetSecret", { example: { overlap_seconds: 86400 } });

const SecretResult = z
  .object({
    secret: z.string().openapi({ description: "Shown once" }),
    rotated_at: z.string(),
    previous_expires_at: z.string().nullable(),
  })
  .openapi("SecretSet");

const json = (schema: z.ZodTypeAny, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

function checkUrl(c: Context<AppEnv>, url: string) {
  const verdict = checkDestination(url, parseDevHosts(c.env.DEV_DESTINATION_HOSTS));
  if (!verdict.ok)
    throw new ProblemError(422, "Validation failed", `url ${verdict.reason}`, [
      { path: "url", message: verdict.reason },
    ]);
  return verdict.host;
}

function checkHeaders(c: Context<AppEnv>, headers: Record<string, string>) {
  const errors = validateCustomHeaders(headers, c.env.HEADER_PREFIX || "X-SGEN");
  if (errors.length) throw new ProblemError(422, "Validation failed", errors.map((e) => e.message).join("; "), errors);
}

async function findWebhook(c: Context<AppEnv>, site: string, id: string): Promise<WebhookRow> {
  const row = await database(c.env.DB)
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.siteId, site), eq(webhooks.id, id), isNull(webhooks.deletedAt)))
    .get();
  if (!row) throw notFound("Webhook");
  return row;
}

/** Writes the change and its audit entry in one atomic batch, and returns the webhook as it now is. */
async function applyChange(
  c: Context<AppEnv>,
  row: WebhookRow,
  set: Partial<WebhookRow>,
  action: string,
  changes: unknown,
) {
  const db = database(c.env.DB);
  const now = Date.now();
  const next = { ...row, ...set, updatedAt: now };
  await db.batch([
    db
      .update(webhooks)
      .set({ ...set, updatedAt: now })
      .where(eq(webhooks.id, row.id)),
    auditInsert(db, {
      siteId: row.siteId,
      actor: actorName(c.get("auth")),
      action,
      targetType: "webhook",
      targetId: row.id,
      changes,
      at: now,
    }),
  ]);
  return next;
}

webhooksRouter.openapi(
  createRoute({
    method: "post",
    path: "/sites/{site}/webhooks",
    tags: ["Webhooks"],
    summary: "Create a webhook (a draft, subscribed to nothing)",
    security: bearer,
    request: {
      params: siteParam,
      body: { content: { "application/json": { schema: CreateWebhook } }, required: true },
    },
    responses: { 201: json(WebhookSchema, "Created"), ...problems(400, 401, 403, 404, 413, 415, 422) },
  }),
  async (c) => {
    const { site } = c.req.valid("param");
    await requireSite(c, site, "manage");
    const body = c.req.valid("json");
    const host = checkUrl(c, body.url);
    if (body.headers) checkHeaders(c, body.headers);
    const now = Date.now();
    const actor = actorName(c.get("auth"));
    const row: WebhookRow = {
      id: newId("wh"),
      siteId: site,
      name: body.name,
      description: body.description ?? null,
      url: body.url,
      destinationHost: host,
      status: "draft",
      events: "[]",
      includeDetail: false,
      timeoutMs: 10000,
      retryPolicy: JSON.stringify({ name: "default", delays_s: RETRY_PRESETS.default }),
      failureMode: "continue",
      headerNames: JSON.stringify(Object.keys(body.headers ?? {})),
      headersEnc:
        body.headers && Object.keys(body.headers).length ? await encryptJson(c.env.ENCRYPTION_KEY, body.headers) : null,
      secretsEnc: body.secret
        ? await encryptJson(c.env.ENCRYPTION_KEY, [{ secret: body.secret, expires_at: null }])
        : null,
      secretRotatedAt: body.secret ? now : null,
      previousExpiresAt: null,
      alert: null,
      lastDeliveryAt: null,
      lastDeliveryState: null,
      lastDeliveryStatus: null,
      createdBy: actor,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    };
    const db = database(c.env.DB);
    await db.batch([
      db.insert(webhooks).values(row),
      auditInsert(db, {
        siteId: site,
        actor,
        action: "webhook.created",
        targetType: "webhook",
        targetId: row.id,
        changes: {
          name: row.name,
          url: row.url,
          headers: Object.keys(body.headers ?? {}),
          secret_set: Boolean(body.secret),
        },
        at: now,
      }),
    ]);
    return c.json(webhookView(row), 201);
  },
);

const ListQuery = cursorQuery.extend({ sort: z.enum(["created_at", "last_delivery_at"]).optional() });

webhooksRouter.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}/webhooks",
    tags: ["Webhooks"],
    summary: "The webhook index",
    description:
      "Newest first, or `sort=last_delivery_at` for the most recently delivering first (never-delivered last).",
    security: bearer,
    request: { params: siteParam, query: ListQuery },
    responses: {
      200: json(z.object({ data: z.array(WebhookSchema), next_cursor: z.string().nullable() }), "One page"),
      ...problems(401, 403, 404, 422),
    },
  }),
  async (c) => {
    const { site } = c.req.valid("param");
    await requireSite(c, site, "read");
    const { limit = 50, cursor, sort = "created_at" } = c.req.valid("query");
    const after = decodeCursor(cursor);
    const key = sort === "created_at" ? "created_at" : "COALESCE(last_delivery_at, -1)";
    const { results } = await c.env.DB.prepare(
      `SELECT id FROM webhooks WHERE site_id = ? AND deleted_at IS NULL
       ${after ? `AND (${key} < ? OR (${key} = ? AND id < ?))` : ""}
       ORDER BY ${key} DESC, id DESC LIMIT ?`,
    )
      .bind(site, ...(after ? [after[0], after[0], after[1]] : []), limit + 1)
      .all<{ id: string }>();
    const ids = results.slice(0, limit).map((r) => r.id);
    const rows = new Map((await Promise.all(ids.map((id) => findWebhook(c, site, id)))).map((r) => [r.id, r]));
    const page = ids.map((id) => rows.get(id)!);
    const last = page[page.length - 1];
    const next =
      results.length > limit && last
        ? encodeCursor([sort === "created_at" ? last.createdAt : (last.lastDeliveryAt ?? -1), last.id])
        : null;
    return c.json({ data: page.map(webhookView), next_cursor: next }, 200);
  },
);

webhooksRouter.openapi(
  createRoute({
    method: "get",
    path: "/sites/{site}/webhooks/{id}",
    tags: ["Webhooks"],
    summary: "One webhook",
    security: bearer,
    request: { params: siteAndId },
    responses: { 200: json(WebhookSchema, "The webhook"), ...problems(401, 403, 404) },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "read");
    return c.json(webhookView(await findWebhook(c, site, id)), 200);
  },
);

webhooksRouter.openapi(
  createRoute({
    method: "patch",
    path: "/sites/{site}/webhooks/{id}",
    tags: ["Webhooks"],
    summary: "Change name, description, url or headers",
    description:
      "A changed URL applies from the next attempt, also for deliveries already retrying. `headers` replaces the whole set (`{}` clears it).",
    security: bearer,
    request: {
      params: siteAndId,
      body: { content: { "application/json": { schema: UpdateWebhook } }, required: true },
    },
    responses: { 200: json(WebhookSchema, "Updated"), ...problems(400, 401, 403, 404, 413, 415, 422) },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "manage");
    const body = c.req.valid("json");
    const row = await findWebhook(c, site, id);
    const set: Partial<WebhookRow> = {};
    if (body.name !== undefined) set.name = body.name;
    if (body.description !== undefined) set.description = body.description;
    if (body.url !== undefined) {
      set.destinationHost = checkUrl(c, body.url);
      set.url = body.url;
    }
    if (body.headers !== undefined) {
      checkHeaders(c, body.headers);
      set.headerNames = JSON.stringify(Object.keys(body.headers));
      set.headersEnc = Object.keys(body.headers).length ? await encryptJson(c.env.ENCRYPTION_KEY, body.headers) : null;
    }
    const fields = Object.keys(body);
    if (!fields.length) return c.json(webhookView(row), 200);
    return c.json(webhookView(await applyChange(c, row, set, "webhook.updated", { fields })), 200);
  },
);

webhooksRouter.openapi(
  createRoute({
    method: "delete",
    path: "/sites/{site}/webhooks/{id}",
    tags: ["Webhooks"],
    summary: "Delete a webhook (its delivery log stays readable)",
    description: "Deliveries still waiting for it end `failed` (webhook_deleted); none is silently dropped.",
    security: bearer,
    request: { params: siteAndId },
    responses: { 204: { description: "Deleted" }, ...problems(401, 403, 404) },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "manage");
    const row = await findWebhook(c, site, id);
    await applyChange(c, row, { deletedAt: Date.now() }, "webhook.deleted", { name: row.name });
    await webhookConfigChanged(c.env, id);
    return c.body(null, 204);
  },
);

webhooksRouter.openapi(
  createRoute({
    method: "put",
    path: "/sites/{site}/webhooks/{id}/events",
    tags: ["Webhooks"],
    summary: "Set the subscribed event types",
    description:
      "A draft with at least one event becomes `active`. `include_detail` adds the event's `detail` to the envelope.",
    security: bearer,
    request: { params: siteAndId, body: { content: { "application/json": { schema: PutEvents } }, required: true } },
    responses: { 200: json(WebhookSchema, "Updated"), ...problems(400, 401, 403, 404, 415, 422) },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "manage");
    const body = c.req.valid("json");
    const unknown = body.events.map((e, i) => [e, i] as const).filter(([e]) => !isKnownEventType(e));
    if (unknown.length) {
      throw new ProblemError(
        422,
        "Validation failed",
        `Unknown event types: ${unknown.map(([e]) => e).join(", ")} (see GET /v1/event-types)`,
        unknown.map(([e, i]) => ({ path: `events.${i}`, message: `unknown event type ${e}` })),
      );
    }
    const row = await findWebhook(c, site, id);
    const events = [...new Set(body.events)];
    const set: Partial<WebhookRow> = { events: JSON.stringify(events) };
    if (body.include_detail !== undefined) set.includeDetail = body.include_detail;
    if (row.status === "draft" && events.length) set.status = "active";
    const next = await applyChange(c, row, set, "webhook.events_changed", {
      events,
      include_detail: set.includeDetail ?? row.includeDetail,
    });
    if (set.status) await webhookConfigChanged(c.env, id);
    return c.json(webhookView(next), 200);
  },
);

webhooksRouter.openapi(
  createRoute({
    method: "put",
    path: "/sites/{site}/webhooks/{id}/delivery",
    tags: ["Webhooks"],
    summary: "Set the delivery policy",
    description:
      "timeout_ms 1000…30000; retry_policy a preset or 1–10 custom delays; failure_mode continue|pause. A delivery keeps the policy it started with.",
    security: bearer,
    request: { params: siteAndId, body: { content: { "application/json": { schema: PutDelivery } }, required: true } },
    responses: { 200: json(WebhookSchema, "Updated"), ...problems(400, 401, 403, 404, 415, 422) },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "manage");
    const body = c.req.valid("json");
    const row = await findWebhook(c, site, id);
    const set: Partial<WebhookRow> = {};
    if (body.timeout_ms !== undefined) set.timeoutMs = body.timeout_ms;
    if (body.retry_policy !== undefined) set.retryPolicy = JSON.stringify(resolveRetryPolicy(body.retry_policy));
    if (body.failure_mode !== undefined) set.failureMode = body.failure_mode;
    if (!Object.keys(set).length) return c.json(webhookView(row), 200);
    const next = await applyChange(c, row, set, "webhook.policy_changed", {
      fields: Object.keys(body),
      timeout_ms: set.timeoutMs,
      retry_policy: set.retryPolicy ? JSON.parse(set.retryPolicy) : undefined,
      failure_mode: set.failureMode,
    });
    if (set.failureMode && set.failureMode !== row.failureMode) await webhookConfigChanged(c.env, id);
    return c.json(webhookView(next), 200);
  },
);

webhooksRouter.openapi(
  createRoute({
    method: "post",
    path: "/sites/{site}/webhooks/{id}/secret",
    tags: ["Webhooks"],
    summary: "Set, replace or generate the signing secret",
    description:
      "Without `secret`, generates `whsec_` + base64 of 32 random bytes. The value is shown once, in this response. With `overlap_seconds` (up to 7 days) the previous secret stays valid until then: every request carries one `v1=` per valid secret, newest first.",
    security: bearer,
    request: { params: siteAndId, body: { content: { "application/json": { schema: SetSecret } }, required: false } },
    responses: { 200: json(SecretResult, "The new secret, shown once"), ...problems(400, 401, 403, 404, 415, 422) },
  }),
  async (c) => {
    const { site, id } = c.req.valid("param");
    await requireSite(c, site, "manage");
    const body = (c.req.valid("json") as z.infer<typeof SetSecret> | undefined) ?? {};
    const row = await findWebhook(c, site, id);
    const now = Date.now();
    const secret = body.secret ?? generateSecret();
    const overlap = body.overlap_seconds ?? 0;
    const current = row.secretsEnc
      ? (await decryptJson<{ secret: string; expires_at: number | null }[]>(c.env.ENCRYPTION_KEY, row.secretsEnc))[0]
      : undefined;
    const keepPrevious = current && overlap > 0;
    const previousExpiresAt = keepPrevious ? now + overlap * 1000 : null;
    const entries = [
      { secret, expires_at: null },
      ...(keepPrevious ? [{ secret: current.secret, expires_at: previousExpiresAt }] : []),
    ];
    await applyChange(
      c,
      row,
      { secretsEnc: await encryptJson(c.env.ENCRYPTION_KEY, entries), secretRotatedAt: now, previousExpiresAt },
      current ? "webhook.secret_rotated" : "webhook.secret_set",
      { generated: body.secret === undefined, overlap_seconds: overlap },
    );
    return c.json({ secret, rotated_at: iso(now)!, previous_expires_at: iso(previousExpiresAt) }, 200);
  },
);

webhooksRouter.openapi(
  createRoute({
    method: "post",
    path: "/sites/{site}/webhooks/{id}/test",
    tags: ["Webhooks"],
    summary: "Send a webhook.test event to this webhook alone",
    description: "Works for drafts too. The delivery skips the webhook's line and appears in the log like any other.",
    security: bearer,
    request: { params: siteAndId },
    responses: {
      202: json(z.object({ event_id: z.string(), delivery_id: z.string() }).openapi("TestSent"), "Queued"),
      ...problems(401, 403, 404),
    },
  }),
  async (c) => {
    const { site: siteId, id } = c.req.valid("param");
    const site = await requireSite(c, siteId, "manage");
    const row = await findWebhook(c, siteId, id);
    return c.json(await sendTestEvent(c.env, site, row, actorName(c.get("auth"))), 202);
  },
);
