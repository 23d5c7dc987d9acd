// The D1 schema: the source of truth. Times are integer milliseconds since the epoch; JSON columns are text.
// Every list and filter query has an index here (the query-plan test in test/integration/delivery-log.test.ts
// runs EXPLAIN QUERY PLAN on each).
// D1 bills each index entry a write touches as a row written, so there is no index that no query needs.
// Every table is in this one file, long as it is: drizzle-kit generates the migrations from it (drizzle.config.ts),
// and one place shows every index a write pays for.
import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, real, index, uniqueIndex, primaryKey, check } from "drizzle-orm/sqlite-core";
import { deliveryStates } from "../domain/delivery-state";
import type { FormatName } from "../domain/formats";
import type { RetryOn } from "../domain/retry-policy";
import { OPEN_STATES, RARE_STATES } from "./partial-indexes";

export const sites = sqliteTable(
  "sites",
  {
    id: text("id").primaryKey(),
    slug: text("slug").notNull(),
    host: text("host").notNull(),
    name: text("name"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("sites_slug").on(t.slug)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    siteId: text("site_id").notNull(),
    name: text("name").notNull(),
    role: text("role", { enum: ["ingest", "viewer", "integrations-admin"] }).notNull(),
    // SHA-256 of the token, hex. The token itself is shown once and never stored.
    tokenHash: text("token_hash").notNull(),
    // The first characters of the token, so an operator can tell keys apart in a list.
    tokenPrefix: text("token_prefix").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_token_hash").on(t.tokenHash), index("api_keys_site").on(t.siteId, t.createdAt)],
);

export const webhooks = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    siteId: text("site_id").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    url: text("url").notNull(),
    destinationHost: text("destination_host").notNull(),
    status: text("status", { enum: ["draft", "active", "paused", "disabled"] }).notNull(),
    // The body and signature its deliveries get (domain/formats); each delivery keeps the one it started with.
    format: text("format").$type<FormatName>().notNull().default("sgen"),
    events: text("events").notNull().default("[]"), // JSON string[]
    includeDetail: integer("include_detail", { mode: "boolean" }).notNull().default(false),
    timeoutMs: integer("timeout_ms").notNull().default(10000),
    retryPolicy: text("retry_policy").notNull(), // JSON {name, delays_s}
    retryOn: text("retry_on").$type<RetryOn>().notNull().default("any"),
    failureMode: text("failure_mode", { enum: ["continue", "pause"] })
      .notNull()
      .default("continue"),
    // A chat format's main text (domain/formats/chat-text); each delivery keeps the one it started with.
    messageTemplate: text("message_template"),
    // Requests per second its line may send (the sequencer paces them), or null for no limit.
    rateLimitPerS: real("rate_limit_per_s"),
    autoPause: text("auto_pause"), // JSON {failure_rate, min_attempts, window_s} or null
    // The first failed attempt since the last successful one (null after a success): the automatic disable's clock.
    failingSince: integer("failing_since"),
    headerNames: text("header_names").notNull().default("[]"), // JSON string[]; values only in headers_enc
    headersEnc: text("headers_enc"), // AES-GCM, JSON {name: value}
    secretsEnc: text("secrets_enc"), // AES-GCM, JSON [{secret, expires_at|null}] newest first
    secretRotatedAt: integer("secret_rotated_at"),
    previousExpiresAt: integer("previous_expires_at"),
    alert: text("alert"), // JSON {kind, since, delivery_id, message} or null
    lastDeliveryAt: integer("last_delivery_at"),
    lastDeliveryState: text("last_delivery_state"),
    lastDeliveryStatus: integer("last_delivery_status"),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deletedAt: integer("deleted_at"),
  },
  (t) => [
    index("webhooks_site").on(t.siteId, t.deletedAt, t.createdAt),
    index("webhooks_site_last_delivery").on(t.siteId, t.deletedAt, t.lastDeliveryAt),
  ],
);

/** A site's own event types (family Custom), beside the catalog. */
export const eventTypes = sqliteTable(
  "event_types",
  {
    siteId: text("site_id").notNull(),
    type: text("type").notNull(),
    description: text("description").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.siteId, t.type] })],
);

export const events = sqliteTable(
  "events",
  {
    siteId: text("site_id").notNull(),
    id: text("id").notNull(),
    eventType: text("event_type").notNull(),
    // The envelope without `detail`, exactly as receivers get it (canonical key order).
    body: text("body").notNull(),
    detail: text("detail"), // JSON or null
    actorEmail: text("actor_email"),
    targetKey: text("target_key").notNull(), // `${target.type}:${target.id}`
    deliveries: integer("deliveries").notNull(),
    // How many delivery rows refer to it now (replays included), so retention needs no index of deliveries by
    // event. Set when the event is inserted, to the deliveries inserted before it in the same batch (ingest writes
    // those first); raised by a trigger for every delivery inserted after it (migrations/0008: no insert path can
    // miss it; drizzle-kit does not model triggers), lowered by retention as it removes deliveries (purgeChunk, the
    // only place that deletes them). Null only for an event the previous version wrote during the upgrade: never
    // removed.
    live: integer("live"),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.siteId, t.id] }),
    // Partial: an event pays for an entry only while nothing refers to it (retention's list), not while it is live.
    index("events_unreferenced")
      .on(t.receivedAt)
      .where(sql`live = 0`),
  ],
);

export const deliveries = sqliteTable(
  "deliveries",
  {
    // Monotonic in acceptance order: the order of events, and the cursor of the log.
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    siteId: text("site_id").notNull(),
    webhookId: text("webhook_id").notNull(),
    webhookName: text("webhook_name").notNull(),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    destinationHost: text("destination_host").notNull(),
    targetKey: text("target_key").notNull(),
    includeDetail: integer("include_detail", { mode: "boolean" }).notNull(),
    // The webhook's policy and format when the delivery was made: the delivery keeps them for good.
    retryDelays: text("retry_delays").notNull(), // JSON number[]
    retryOn: text("retry_on").$type<RetryOn>().notNull().default("any"),
    format: text("format").$type<FormatName>().notNull().default("sgen"),
    messageTemplate: text("message_template"),
    state: text("state", { enum: deliveryStates }).notNull(),
    // Attempts that spent the retry policy; a throttled request (429) is counted in `throttles` instead.
    attempts: integer("attempts").notNull().default(0),
    throttles: integer("throttles").notNull().default(0),
    // The throttle waits so far: a delivery gives up after 24 h of them.
    throttledMs: integer("throttled_ms").notNull().default(0),
    // When the next attempt is due; for a held delivery, since when it has been held (the sweeper's clock).
    nextAttemptAt: integer("next_attempt_at"),
    // Set while a consumer is sending; a claim only succeeds on an expired or empty lease.
    leaseUntil: integer("lease_until"),
    responseStatus: integer("response_status"),
    latencyMs: integer("latency_ms"),
    lastError: text("last_error"),
    // A first attempt that delivered, kept here instead of an attempts row (db/attempts.ts: inlineFirstAttempt):
    // JSON of what the log shows of it beyond response_status and latency_ms. Null for every other delivery.
    firstAttempt: text("first_attempt"),
    // Position in the webhook's line when it differs from seq (a failed delivery re-sent on resume).
    orderKey: integer("order_key"),
    replayOf: text("replay_of"),
    actorEmail: text("actor_email"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    deliveredAt: integer("delivered_at"),
  },
  (t) => [
    uniqueIndex("deliveries_id").on(t.id),
    index("deliveries_site").on(t.siteId, t.seq),
    index("deliveries_site_webhook").on(t.siteId, t.webhookId, t.seq),
    index("deliveries_site_type").on(t.siteId, t.eventType, t.seq),
    index("deliveries_site_created").on(t.siteId, t.createdAt),
    // No index by event: retention learns whether a delivery still refers to an event from events.live.
    // Partial (see partial-indexes.ts): a delivered row pays for neither once it is delivered, and the outcome
    // that delivers it writes no index entry at all. The log's state filter for delivered uses deliveries_site.
    index("deliveries_open").on(t.state, t.webhookId, t.seq).where(sql.raw(OPEN_STATES)),
    index("deliveries_site_rare_state").on(t.siteId, t.state, t.seq).where(sql.raw(RARE_STATES)),
  ],
);

export const attempts = sqliteTable(
  "attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    deliveryId: text("delivery_id").notNull(),
    n: integer("n").notNull(),
    startedAt: integer("started_at").notNull(),
    url: text("url").notNull(),
    requestHeaders: text("request_headers").notNull(), // JSON, custom header values masked
    responseStatus: integer("response_status"),
    responseBody: text("response_body"),
    responseTruncated: integer("response_truncated", { mode: "boolean" }).notNull().default(false),
    error: text("error"), // timeout | dns | connection | tls | http_status | redirect | throttled | ...
    errorMessage: text("error_message"),
    throttleMs: integer("throttle_ms"), // a 429: how long the delivery waits before its next request
    preparedMs: integer("prepared_ms").notNull(),
    sentAt: integer("sent_at").notNull(),
    responseAt: integer("response_at"),
    totalMs: integer("total_ms").notNull(),
  },
  (t) => [uniqueIndex("attempts_delivery").on(t.deliveryId, t.n)],
);

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    siteId: text("site_id").notNull(),
    // Who, for people: the key's name at the time, "root" or "system". Who, for sure: actor_kind and actor_id.
    actor: text("actor").notNull(),
    // root | key | system; "unknown" only for entries older than this column whose name matched no single key.
    actorKind: text("actor_kind").notNull().default("unknown"),
    actorId: text("actor_id"), // "root", "system" or key_…; null only where actor_kind is "unknown"
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id").notNull(),
    changes: text("changes"), // JSON; names of changed fields, never secret or header values
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("audit_site").on(t.siteId, t.id)],
);

export const exportsTable = sqliteTable(
  "exports",
  {
    id: text("id").primaryKey(),
    siteId: text("site_id").notNull(),
    filter: text("filter").notNull(), // JSON
    format: text("format", { enum: ["ndjson", "csv"] }).notNull(),
    status: text("status", { enum: ["pending", "running", "complete", "failed", "expired"] }).notNull(),
    objectKey: text("object_key"),
    rows: integer("rows"),
    bytes: integer("bytes"),
    error: text("error"),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    completedAt: integer("completed_at"),
    expiresAt: integer("expires_at").notNull(),
    // Where a running export stands, so a failed step resumes instead of starting over: the R2 multipart upload,
    // the parts uploaded so far, the last delivery written, and the bytes read but not yet in a part.
    uploadId: text("upload_id"),
    parts: text("parts"), // JSON [{partNumber, etag}]
    afterSeq: integer("after_seq").notNull().default(0),
    carry: text("carry"), // base64
    // Held while a step runs, so two copies of a job's message never write the same export at once.
    leaseUntil: integer("lease_until"),
    updatedAt: integer("updated_at"),
  },
  (t) => [index("exports_site").on(t.siteId, t.createdAt), index("exports_expires").on(t.status, t.expiresAt)],
);

/** A bulk replay by filter: one page per job message, its progress in D1, at most one running per site. */
export const bulkReplays = sqliteTable(
  "bulk_replays",
  {
    id: text("id").primaryKey(),
    siteId: text("site_id").notNull(),
    filter: text("filter").notNull(), // JSON DeliveryFilter
    status: text("status", { enum: ["running", "complete", "failed"] }).notNull(),
    afterSeq: integer("after_seq").notNull().default(0),
    // The newest matching delivery when it started: deliveries made later, its own included, never match.
    maxSeq: integer("max_seq").notNull(),
    matched: integer("matched").notNull(),
    replayed: integer("replayed").notNull().default(0),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    completedAt: integer("completed_at"),
  },
  (t) => [
    // At most one running bulk replay per site, enforced by the database itself.
    uniqueIndex("bulk_replays_running")
      .on(t.siteId)
      .where(sql`status = 'running'`),
    index("bulk_replays_site").on(t.siteId, t.createdAt),
  ],
);

/**
 * Operational events (webhook.paused, webhook.disabled, delivery.failed) raised but not yet made into an event and
 * its deliveries. A row is written in the same atomic batch as the alert that raises it, and removed in the same
 * batch as the event it becomes; the cron turns any row left behind into its event.
 */
export const eventOutbox = sqliteTable("event_outbox", {
  // The event id the row becomes (evt_…): making it twice finds the event already there.
  id: text("id").primaryKey(),
  siteId: text("site_id").notNull(),
  eventType: text("event_type").notNull(),
  // The webhook the event is about: it never gets the event.
  aboutWebhookId: text("about_webhook_id").notNull(),
  target: text("target").notNull(), // JSON {type, id, title}
  detail: text("detail").notNull(), // JSON
  createdAt: integer("created_at").notNull(),
});

/**
 * Never holds a row. A rule only the database can judge at write time (how many webhooks a site has once a batch's
 * inserts are in) ends its batch with a statement that inserts the rule's name here when the rule is broken: the
 * insert fails that rule's named CHECK, so the whole batch is undone (D1 batches are atomic) and the error names the
 * rule. SQLite has no RAISE outside triggers; this is the portable way to fail a batch on purpose.
 */
export const batchGuards = sqliteTable("batch_guards", { guard: text("guard").notNull() }, () => [
  check("webhooks_per_site", sql`guard <> 'webhooks_per_site'`),
]);

/**
 * The background re-encryption pass (one row): which key everything is being re-sealed under, how far the pass has
 * gone through the webhooks (by id), and what it found. A new ENCRYPTION_KEY (a new key id) starts it over.
 */
export const keyRotation = sqliteTable("key_rotation", {
  name: text("name").primaryKey(), // "webhook_ciphertexts"
  keyId: text("key_id").notNull(),
  afterId: text("after_id").notNull().default(""), // the last webhook id looked at
  rewritten: integer("rewritten").notNull().default(0),
  unreadable: integer("unreadable").notNull().default(0), // values no key opens: logged, left as they are
  startedAt: integer("started_at").notNull(),
  completedAt: integer("completed_at"),
  updatedAt: integer("updated_at").notNull(),
});
