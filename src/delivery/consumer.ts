// The queue consumer: claim → send → record → settle, each delivery in one of six lanes.
//
// A queue message is only a pointer; D1 decides. Queues deliver at least once and in best-effort order, and
// a batch may be redelivered after a crash, so every message first has to win the delivery's lease in D1.
// Retries go back on the queue with msg.retry({ delaySeconds }) per the delivery's own policy snapshot.
import type { BulkReplayMessage, DeliveryMessage, Env, ExportMessage, QueueMessage } from "../env";
import { decryptJson } from "../domain/crypto";
import { envelopeWithDetail } from "../domain/envelope";
import { signatureHeaders } from "../domain/signing";
import { deliveryHeaders, maskedHeaders } from "../domain/delivery-request";
import { decideAfterAttempt, parseRetryAfter, MAX_DELAY_SECONDS, type AttemptVerdict } from "../domain/retry-policy";
import { checkDestination, parseDevHosts } from "../domain/ssrf";
import { TEST_EVENT_TYPE } from "../domain/catalog";
import { iso } from "../domain/time";
import type { WebhookStatus } from "../domain/line";
import { USER_AGENT } from "../version";
import {
  claimForSending,
  insertAttempts,
  updateDeliveries,
  updateWebhooks,
  type AttemptRow,
  type ClaimedDelivery,
  type DeliveryUpdate,
  type SendContextEvent,
  type SendContextWebhook,
  type UnclaimedState,
  type WebhookUpdate,
} from "../db/delivery-lifecycle";
import { send, type SendOutcome } from "./sender";
import { coalesce } from "./coalesce";
import { settleDeliveries } from "../sequencer/client";
import { replayPage } from "./bulk-replay";
import { runExport } from "../logs/exports";
import type { SettleItem } from "../sequencer/webhook-sequencer";

interface Outcome {
  delivery: ClaimedDelivery;
  update: DeliveryUpdate;
  attempt: AttemptRow | null;
  verdict: AttemptVerdict | { kind: "held" } | { kind: "orphaned" };
  retryDelaySeconds: number | null;
  failureMode: string;
  message: string | null;
}

export async function consumeQueue(batch: MessageBatch<QueueMessage>, env: Env) {
  const deliveries: Message<DeliveryMessage>[] = [];
  for (const msg of batch.messages) {
    if (!("kind" in msg.body)) deliveries.push(msg as Message<DeliveryMessage>);
    else if (msg.body.kind === "bulk_replay")
      await runJob(msg, () => replayPage(env, (msg as Message<BulkReplayMessage>).body));
    else await runJob(msg, () => runExport(env, (msg as Message<ExportMessage>).body.export_id));
  }
  if (deliveries.length) await consumeDeliveries(deliveries, env);
}

/** Bulk replay pages and exports: ack when done, retry shortly when not. */
async function runJob(msg: Message<QueueMessage>, job: () => Promise<unknown>) {
  try {
    await job();
    msg.ack();
  } catch (err) {
    console.error(
      JSON.stringify({
        msg: "queue job failed; retrying",
        kind: (msg.body as { kind: string }).kind,
        error: String(err),
      }),
    );
    msg.retry({ delaySeconds: 5 });
  }
}

/**
 * Production lets one invocation wait on at most six response headers at once and queues further fetches
 * behind them, with their timeout clocks already running. So we send through six lanes of our own, and a
 * timeout measures the receiver, not our queue.
 */
export const SEND_LANES = 6;

/** Whether an outcome reached D1, and if so the webhook status it set (paused, disabled), if any. */
type Verdict = { kind: "recorded"; status: WebhookStatus | undefined } | { kind: "unrecorded" };

async function consumeDeliveries(messages: Message<DeliveryMessage>[], env: Env) {
  const first = new Map<string, Message<DeliveryMessage>>();
  for (const msg of messages) {
    if (first.has(msg.body.delivery_id))
      msg.ack(); // the same delivery twice in one batch: one is enough
    else first.set(msg.body.delivery_id, msg);
  }
  // Claims (with what sending needs) and outcomes each share D1 round trips across lanes; an outcome is
  // recorded as soon as its group is ready.
  const claim = coalesce((ids: string[]) => claimGroup(env, ids));
  const commit = coalesce((outcomes: Outcome[]) => commitGroup(env, outcomes));
  const lines = settlePerWebhook(env, [...first.values()]);
  const todo = [...first.values()];
  const answered: Promise<void>[] = [];
  const claimNext = async () => {
    const msg = todo.shift();
    return msg ? { msg, claim: await claim(msg.body.delivery_id) } : null;
  };
  const lane = async () => {
    // Each lane claims its next delivery while it sends the current one, and records in the background.
    for (let next = claimNext(), current = await next; current; current = await next) {
      next = claimNext();
      const { msg, claim: c } = current;
      const startedAt = Date.now();
      if (c.kind === "unclaimed") {
        answerUnclaimed(msg, c.state, startedAt);
        lines.done(msg.body.webhook_id);
        continue;
      }
      const outcome = await attemptDelivery(env, c.delivery, c.hook, c.event, startedAt, msg.body.manual === true);
      answered.push(
        commit(outcome).then((verdict) => {
          if (verdict.kind === "unrecorded") {
            // Come back once the lease has run out, and the attempt is made again (at least once).
            msg.retry({ delaySeconds: 60 });
            lines.done(msg.body.webhook_id);
            return;
          }
          if (outcome.retryDelaySeconds !== null) msg.retry({ delaySeconds: outcome.retryDelaySeconds });
          else msg.ack();
          lines.done(msg.body.webhook_id, settleItem(outcome), verdict.status);
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEND_LANES, todo.length) }, lane));
  await Promise.all(answered);
  await lines.settled();
}

/**
 * One sequencer call per webhook per consumer batch, so a busy webhook is not capped by its object's
 * request rate. The call goes as soon as the webhook's last delivery in the batch is recorded: a slow
 * receiver holds up its own webhook's line, never another webhook's.
 */
function settlePerWebhook(env: Env, messages: Message<DeliveryMessage>[]) {
  const hooks = new Map<string, { left: number; items: SettleItem[]; status?: WebhookStatus }>();
  for (const m of messages) {
    const h = hooks.get(m.body.webhook_id) ?? { left: 0, items: [] };
    h.left++;
    hooks.set(m.body.webhook_id, h);
  }
  const calls: Promise<void>[] = [];
  return {
    /** One of the webhook's messages is finished with; `item` when its outcome frees or gives back a place. */
    done(webhookId: string, item: SettleItem | null = null, status?: WebhookStatus) {
      const h = hooks.get(webhookId)!;
      if (item) h.items.push(item);
      if (status) h.status = status;
      if (--h.left === 0 && h.items.length) calls.push(settle(env, webhookId, h.items, h.status));
    },
    settled: () => Promise.all(calls),
  };
}

/** What the line learns from an outcome: a place freed (done) or given back (held); nothing while retrying. */
function settleItem(o: Outcome): SettleItem | null {
  if (o.delivery.event_type === TEST_EVENT_TYPE || o.update.state === "retrying") return null;
  return { id: o.delivery.id, result: o.update.state === "held" ? "held" : "done" };
}

async function settle(env: Env, webhookId: string, items: SettleItem[], status: WebhookStatus | undefined) {
  try {
    await settleDeliveries(env, webhookId, items, status);
  } catch (err) {
    // The outcome is in D1; the sweeper's reconcile rebuilds the line from it.
    console.error(
      JSON.stringify({
        msg: "sequencer settle failed; the sweeper will reconcile",
        webhook_id: webhookId,
        error: String(err),
      }),
    );
  }
}

type Claim =
  | {
      kind: "claimed";
      delivery: ClaimedDelivery;
      hook: SendContextWebhook | undefined;
      event: SendContextEvent | undefined;
    }
  | { kind: "unclaimed"; state: UnclaimedState | undefined };

async function claimGroup(env: Env, ids: string[]): Promise<Claim[]> {
  const r = await claimForSending(env.DB, ids, Date.now());
  const claimed = new Map(r.claimed.map((d) => [d.id, d]));
  return ids.map((id) => {
    const d = claimed.get(id);
    return d
      ? {
          kind: "claimed",
          delivery: d,
          hook: r.hooks.get(d.webhook_id),
          event: r.events.get(`${d.site_id}/${d.event_id}`),
        }
      : { kind: "unclaimed", state: r.unclaimed.get(id) };
  });
}

async function commitGroup(env: Env, outcomes: Outcome[]): Promise<Verdict[]> {
  let statusChanges: Map<string, WebhookStatus>;
  try {
    statusChanges = await record(env, outcomes);
  } catch (err) {
    console.error(JSON.stringify({ msg: "recording outcomes failed", error: String(err) }));
    return outcomes.map(() => ({ kind: "unrecorded" }));
  }
  return outcomes.map((o) => ({ kind: "recorded", status: statusChanges.get(o.delivery.webhook_id) }));
}

/** A message whose delivery is not ours to send now: early (wait the rest), or settled, held or leased (drop). */
function answerUnclaimed(msg: Message<DeliveryMessage>, s: UnclaimedState | undefined, now: number) {
  const early =
    s && (s.state === "pending" || s.state === "retrying") && s.next_attempt_at !== null && s.next_attempt_at > now;
  if (early) msg.retry({ delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil((s.next_attempt_at! - now) / 1000)) });
  else msg.ack();
}

async function attemptDelivery(
  env: Env,
  d: ClaimedDelivery,
  hook: SendContextWebhook | undefined,
  event: SendContextEvent | undefined,
  claimedAt: number,
  manual: boolean,
): Promise<Outcome> {
  const base = {
    id: d.id,
    lease: d.lease_until,
    attempts: d.attempts,
    response_status: null,
    latency_ms: null,
    delivered_at: null,
  };
  const isTest = d.event_type === TEST_EVENT_TYPE;
  if (!hook || hook.deleted_at !== null || !event) {
    const update: DeliveryUpdate = {
      ...base,
      state: "failed",
      next_attempt_at: null,
      last_error: "webhook_deleted",
      updated_at: Date.now(),
    };
    return {
      delivery: d,
      update,
      attempt: null,
      verdict: { kind: "orphaned" },
      retryDelaySeconds: null,
      failureMode: "continue",
      message: null,
    };
  }
  if (!isTest && !manual && hook.status !== "active") {
    // Paused or disabled since this delivery was released: it waits in the line for resume.
    const now = Date.now();
    const update: DeliveryUpdate = { ...base, state: "held", next_attempt_at: now, last_error: null, updated_at: now };
    return {
      delivery: d,
      update,
      attempt: null,
      verdict: { kind: "held" },
      retryDelaySeconds: null,
      failureMode: hook.failure_mode,
      message: null,
    };
  }

  const n = d.attempts + 1;
  const body = envelopeWithDetail(event.body, event.detail, d.include_detail === 1);
  const secrets = hook.secrets_enc
    ? (await decryptJson<{ secret: string; expires_at: number | null }[]>(env.ENCRYPTION_KEY, hook.secrets_enc))
        .filter((s) => s.expires_at === null || s.expires_at > Date.now())
        .map((s) => s.secret)
    : [];
  const custom = hook.headers_enc
    ? await decryptJson<Record<string, string>>(env.ENCRYPTION_KEY, hook.headers_enc)
    : {};
  const prefix = env.HEADER_PREFIX || "X-SGEN";
  const t = Math.floor(Date.now() / 1000);
  const headers = deliveryHeaders({
    prefix,
    userAgent: USER_AGENT,
    eventType: d.event_type,
    eventId: d.event_id,
    deliveryId: d.id,
    attempt: n,
    signature: await signatureHeaders({ prefix, secrets, eventId: d.event_id, t, body }),
    custom,
  });
  const destination = checkDestination(hook.url, parseDevHosts(env.DEV_DESTINATION_HOSTS));
  const preparedAt = Date.now();
  const result: SendOutcome = destination.ok
    ? await send(hook.url, headers, body, hook.timeout_ms)
    : {
        status: null,
        body: null,
        truncated: false,
        retryAfter: null,
        error: "blocked",
        errorMessage: destination.reason,
        sentAt: preparedAt,
        responseAt: null,
        endedAt: preparedAt,
      };

  const delays = JSON.parse(d.retry_delays) as number[];
  const verdict = decideAfterAttempt({
    delays,
    attemptsMade: n,
    status: result.status,
    retryAfterSeconds: parseRetryAfter(result.retryAfter, result.endedAt),
  });
  const latency = (result.responseAt ?? result.endedAt) - result.sentAt;
  const now = Date.now();
  const update: DeliveryUpdate = {
    ...base,
    attempts: n,
    state: verdict.kind === "delivered" ? "delivered" : verdict.kind === "retry" ? "retrying" : "failed",
    next_attempt_at: verdict.kind === "retry" ? now + verdict.delaySeconds * 1000 : null,
    response_status: result.status,
    latency_ms: latency,
    last_error: verdict.kind === "gone" ? "gone" : result.error,
    delivered_at: verdict.kind === "delivered" ? now : null,
    updated_at: now,
  };
  const attempt: AttemptRow = {
    delivery_id: d.id,
    n,
    started_at: claimedAt,
    url: hook.url,
    request_headers: JSON.stringify(maskedHeaders(headers, JSON.parse(hook.header_names) as string[])),
    response_status: result.status,
    response_body: result.body,
    response_truncated: result.truncated ? 1 : 0,
    error: result.error,
    error_message: result.errorMessage,
    prepared_ms: preparedAt - claimedAt,
    sent_at: result.sentAt,
    response_at: result.responseAt,
    total_ms: result.endedAt - claimedAt,
  };
  console.log(
    JSON.stringify({
      msg: "delivery attempt",
      delivery_id: d.id,
      webhook_id: d.webhook_id,
      event_id: d.event_id,
      event_type: d.event_type,
      attempt: n,
      status: result.status,
      error: result.error,
      latency_ms: latency,
      outcome: update.state,
    }),
  );
  const message =
    verdict.kind === "gone"
      ? `${hook.url} answered 410 Gone: the webhook is disabled until resumed`
      : `${d.event_type} delivery ${d.id} failed after ${n} attempt${n === 1 ? "" : "s"}: ${result.errorMessage ?? result.error}`;
  return {
    delivery: d,
    update,
    attempt,
    verdict,
    retryDelaySeconds: verdict.kind === "retry" ? verdict.delaySeconds : null,
    failureMode: hook.failure_mode,
    message: verdict.kind === "failed" || verdict.kind === "gone" ? message : null,
  };
}

/** One atomic D1 batch for a group of outcomes: attempts, delivery states, webhook summaries. */
async function record(env: Env, outcomes: Outcome[]): Promise<Map<string, WebhookStatus>> {
  const webhookUpdates = new Map<string, WebhookUpdate>();
  for (const o of outcomes) {
    if (!o.attempt) continue;
    const isTest = o.delivery.event_type === TEST_EVENT_TYPE;
    const w: WebhookUpdate = webhookUpdates.get(o.delivery.webhook_id) ?? {
      id: o.delivery.webhook_id,
      last_delivery_at: 0,
      last_delivery_state: "",
      last_delivery_status: null,
    };
    w.last_delivery_at = o.update.updated_at;
    w.last_delivery_state = o.update.state;
    w.last_delivery_status = o.update.response_status;
    if (o.message && !isTest) {
      const kind =
        o.verdict.kind === "gone"
          ? "endpoint_gone"
          : o.failureMode === "pause"
            ? "paused_on_failure"
            : "delivery_failed";
      w.alert = JSON.stringify({
        kind,
        since: iso(o.update.updated_at),
        delivery_id: o.delivery.id,
        message: o.message,
      });
      if (o.verdict.kind === "gone") w.status = "disabled";
      else if (o.failureMode === "pause" && w.status !== "disabled") w.status = "paused";
    }
    webhookUpdates.set(w.id, w);
  }
  await env.DB.batch([
    ...insertAttempts(
      env.DB,
      outcomes.flatMap((o) => (o.attempt ? [o.attempt] : [])),
    ),
    ...updateDeliveries(
      env.DB,
      outcomes.map((o) => o.update),
    ),
    ...updateWebhooks(env.DB, [...webhookUpdates.values()]),
  ]);
  return new Map([...webhookUpdates.values()].flatMap((w) => (w.status ? [[w.id, w.status] as const] : [])));
}

/** Messages that crashed the consumer max_retries times. D1 still has the delivery; the sweeper re-drives it. */
export async function consumeDeadLetters(batch: MessageBatch<QueueMessage>, _env: Env) {
  for (const msg of batch.messages) {
    console.error(
      JSON.stringify({ msg: "dead-lettered delivery message; the sweeper re-drives it from D1", ...msg.body }),
    );
    msg.ack();
  }
}
