// Rows for delivery-pipeline tests, written straight to D1 so a test controls exactly what the consumer sees.
import { env, exports } from "cloudflare:workers";
import { envelopeBody, targetKey } from "../src/domain/envelope";
import { newId } from "../src/domain/ids";
import { insertEventsStatements } from "../src/db/events";
import { insertDeliveriesStatements, seqsOf } from "../src/db/deliveries";
import { attemptsOf } from "../src/db/delivery-log";
import type { DeliveryMessage } from "../src/delivery/messages";
import { sealHeaders, sealSecrets } from "../src/webhooks/sealed-columns";

export interface HookRow {
  id: string;
  site_id: string;
  url: string;
  status: "draft" | "active" | "paused" | "disabled";
  failure_mode: "continue" | "pause";
  delays: number[];
  retry_on: "any" | "server_errors";
  format: "sgen" | "pagegun" | "slack" | "discord" | "teams";
}

export async function insertSite(id = newId("site")) {
  await env.DB.prepare("INSERT INTO sites (id, slug, host, name, created_at) VALUES (?, ?, ?, ?, ?)")
    .bind(id, id.replace("site_", "s"), `${id}.example.com`, id, Date.now())
    .run();
  return { id, slug: id.replace("site_", "s"), host: `${id}.example.com` };
}

export async function insertHook(
  siteId: string,
  opts: {
    url?: string;
    secrets?: string[];
    headers?: Record<string, string>;
    failure_mode?: "continue" | "pause";
    delays?: number[];
    status?: HookRow["status"];
    events?: string[];
    timeout_ms?: number;
    retry_on?: HookRow["retry_on"];
    format?: HookRow["format"];
    rate_limit_per_s?: number;
    auto_pause?: { failure_rate: number; min_attempts: number; window_s: number };
  } = {},
): Promise<HookRow> {
  const id = newId("wh");
  const now = Date.now();
  const url = opts.url ?? "https://receiver.example.com/hook";
  const secrets = opts.secrets?.length
    ? await sealSecrets(
        env,
        id,
        opts.secrets.map((s) => ({ secret: s, expires_at: null })),
      )
    : null;
  const headers = opts.headers ? await sealHeaders(env, id, opts.headers) : null;
  const delays = opts.delays ?? [30, 120, 600, 3600, 21600];
  await env.DB.prepare(
    `INSERT INTO webhooks (id, site_id, name, url, destination_host, status, events, include_detail, timeout_ms, retry_policy,
                           failure_mode, header_names, headers_enc, secrets_enc, created_by, created_at, updated_at,
                           retry_on, format)
     VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, 'root', ?, ?, ?, ?)`,
  )
    .bind(
      id,
      siteId,
      `hook ${id}`,
      url,
      new URL(url).hostname,
      opts.status ?? "active",
      JSON.stringify(opts.events ?? ["post.published"]),
      opts.timeout_ms ?? 10000,
      JSON.stringify({ name: "custom", delays_s: delays }),
      opts.failure_mode ?? "continue",
      JSON.stringify(Object.keys(opts.headers ?? {})),
      headers,
      secrets,
      now,
      now,
      opts.retry_on ?? "any",
      opts.format ?? "sgen",
    )
    .run();
  if (opts.rate_limit_per_s !== undefined || opts.auto_pause !== undefined) {
    await env.DB.prepare("UPDATE webhooks SET rate_limit_per_s = ?, auto_pause = ? WHERE id = ?")
      .bind(opts.rate_limit_per_s ?? null, opts.auto_pause ? JSON.stringify(opts.auto_pause) : null, id)
      .run();
  }
  return {
    id,
    site_id: siteId,
    url,
    status: opts.status ?? "active",
    failure_mode: opts.failure_mode ?? "continue",
    delays,
    retry_on: opts.retry_on ?? "any",
    format: opts.format ?? "sgen",
  };
}

/** An event and its delivery to `hook`, as ingest would write them, without telling any sequencer. */
export async function insertDelivery(
  site: { id: string; slug: string; host: string },
  hook: HookRow,
  opts: { target?: { type: string; id: number | string }; detail?: unknown; state?: "pending" | "held" } = {},
) {
  const eventId = newId("evt");
  const target = opts.target ?? { type: "post", id: 1 };
  const now = Date.now();
  const body = envelopeBody({
    event_id: eventId,
    event_type: "post.published",
    fired_at: "2026-05-22T14:03:18Z",
    site,
    actor: { id: "user_ada", email: "ada@example.com" },
    target,
  });
  const deliveryId = newId("dlv");
  const results = await env.DB.batch([
    ...insertEventsStatements(env.DB, [
      {
        site_id: site.id,
        id: eventId,
        event_type: "post.published",
        body,
        detail: opts.detail === undefined ? null : JSON.stringify(opts.detail),
        actor_email: "ada@example.com",
        target_key: targetKey(target),
        deliveries: 1,
        live: 0, // its delivery comes after it: the trigger counts it
        received_at: now,
      },
    ]),
    ...insertDeliveriesStatements(env.DB, [
      {
        id: deliveryId,
        site_id: site.id,
        webhook_id: hook.id,
        webhook_name: "hook",
        event_id: eventId,
        event_type: "post.published",
        destination_host: new URL(hook.url).hostname,
        target_key: targetKey(target),
        include_detail: 0,
        retry_delays: JSON.stringify(hook.delays),
        retry_on: hook.retry_on,
        format: hook.format,
        message_template: null,
        state: opts.state ?? "pending",
        next_attempt_at: now,
        order_key: null,
        replay_of: null,
        actor_email: "ada@example.com",
        created_at: now,
      },
    ]),
  ]);
  return { eventId, deliveryId, body, seq: seqsOf(results).get(deliveryId)! };
}

export interface QueueRun {
  outcome: string;
  ackAll: boolean;
  explicitAcks: string[];
  retryMessages: { msgId: string; delaySeconds?: number }[];
}

let msgCounter = 0;

/** Runs the real queue() handler on these messages (service_binding_extra_handlers), returning acks and retries. */
export async function runConsumer(bodies: DeliveryMessage[]): Promise<QueueRun & { ids: string[] }> {
  const messages = bodies.map((body) => ({ id: `m${++msgCounter}`, timestamp: new Date(), attempts: 1, body }));
  const fetcher = exports.default as unknown as { queue(name: string, m: typeof messages): Promise<QueueRun> };
  const result = await fetcher.queue("edgehooks-deliveries", messages);
  return { ...result, ids: messages.map((m) => m.id) };
}

export async function deliveryRow(id: string) {
  return env.DB.prepare("SELECT * FROM deliveries WHERE id = ?").bind(id).first<Record<string, any>>();
}

/** A delivery's attempts as the log reads them: attempts rows and a first attempt kept on the delivery row. */
export async function attemptRows(id: string) {
  const q = attemptsOf(id);
  return (
    await env.DB.prepare(q.sql)
      .bind(...q.params)
      .all<Record<string, any>>()
  ).results;
}

export async function webhookRow(id: string) {
  return env.DB.prepare("SELECT * FROM webhooks WHERE id = ?").bind(id).first<Record<string, any>>();
}

/** Moves a delivery's next attempt into the past, as if its delay had run out. */
export async function makeDue(deliveryId: string) {
  await env.DB.prepare("UPDATE deliveries SET next_attempt_at = ? WHERE id = ?")
    .bind(Date.now() - 1, deliveryId)
    .run();
}

/** A site key written straight to D1 (hashed, as the keys API stores it). Returns its token. */
export async function insertKey(siteId: string, role: "ingest" | "viewer" | "integrations-admin"): Promise<string> {
  const { sha256Hex } = await import("../src/domain/crypto");
  const token = `ehk_test_${crypto.randomUUID().replaceAll("-", "")}`;
  await env.DB.prepare(
    "INSERT INTO api_keys (id, site_id, name, role, token_hash, token_prefix, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, 'root', ?)",
  )
    .bind(newId("key"), siteId, `${role} key`, role, await sha256Hex(token), token.slice(0, 12), Date.now())
    .run();
  return token;
}
