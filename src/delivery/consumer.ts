// The deliveries queue's consumer: claim the batch → attempt → record → settle, each delivery in one of six lanes,
// each webhook's outcomes recorded together (webhook-shares.ts).
//
// A queue message is only a pointer; D1 decides. Queues deliver at least once and in best-effort order, and
// a batch may be redelivered after a crash, so every message first has to win the delivery's lease in D1.
// Retries go back on the queue with msg.retry({ delaySeconds }) per the delivery's own policy snapshot, except
// for a rate-limited line's messages (`paced`): its sequencer releases one request at a time, so every outcome of
// such a message (a retry and a throttle included, and a message that could not be sent) goes back to it, and it
// releases the next request no sooner than the rate allows after this one's answer.
import type { Env } from "../env";
import { MAX_DELAY_SECONDS } from "../domain/retry-policy";
import { combineReactions, NO_REACTION, type Reaction } from "../domain/webhook-reaction";
import type { WebhookStatus } from "../domain/line";
import { inlineFirstAttempt, insertAttemptsStatements } from "../db/attempts";
import {
  claimForSending,
  outcomeStatements,
  type ClaimedDelivery,
  type SendContextEvent,
  type SendContextWebhook,
  type UnclaimedState,
} from "../db/sending";
import { summaryStatements, type WebhookSummary } from "../db/webhooks";
import type { SettleItem } from "../sequencer/protocol";
import { alertStatements, raiseOperationalEvents } from "../webhooks/alerts";
import { log } from "../log";
import { attemptDelivery, type Outcome } from "./attempt";
import { coalesce } from "./coalesce";
import { settleItem, settlePerWebhook, tally } from "./settle-lines";
import { leaseRounds, webhookShares } from "./webhook-shares";
import { BatchLog } from "./batch-log";
import { databaseFor } from "../db/route";
import type { DeliveryMessage } from "./messages";

/**
 * A batch may hold deliveries of sites in different databases (db/route.ts): each database's share is claimed,
 * sent and recorded on its own, one after the other, so the batch never has more than SEND_LANES requests open.
 */
export async function consumeQueue(batch: MessageBatch<DeliveryMessage>, env: Env) {
  const byDatabase = new Map<D1Database, Message<DeliveryMessage>[]>();
  for (const msg of batch.messages) {
    const db = databaseFor(env, msg.body.site_id);
    byDatabase.set(db, [...(byDatabase.get(db) ?? []), msg]);
  }
  for (const [db, messages] of byDatabase) await consumeDeliveries(messages, env, db);
}

/**
 * Production lets one invocation wait on at most six response headers at once and queues further fetches
 * behind them, with their timeout clocks already running. So we send through six lanes of our own, and a
 * timeout measures the receiver, not our queue.
 */
export const SEND_LANES = 6;

/** Whether an outcome reached D1, and if so the webhook status it set (paused, disabled), if any. */
type Verdict = { kind: "recorded"; status: WebhookStatus | undefined } | { kind: "unrecorded" };

/** Outcomes recorded, and the operational events their reactions raised (outbox ids), to fan out afterwards. */
interface Recorded {
  statusChanges: Map<string, WebhookStatus>;
  raised: string[];
}

async function consumeDeliveries(messages: Message<DeliveryMessage>[], env: Env, db: D1Database) {
  const first = new Map<string, Message<DeliveryMessage>>();
  for (const msg of messages) {
    if (first.has(msg.body.delivery_id))
      msg.ack(); // the same delivery twice in one batch: one is enough
    else first.set(msg.body.delivery_id, msg);
  }
  // One D1 round trip claims the whole batch (with what sending needs). Outcomes are recorded a webhook's share at
  // a time (webhook-shares.ts), shares that finish together in one round trip.
  const raised: string[] = [];
  const commit = coalesce((shares: Sent[][]) => commitShares(db, shares, raised));
  const lines = settlePerWebhook(env, [...first.values()]);
  const todo = [...first.values()];
  const batchLog = new BatchLog(messages.length);
  const claims = await claimGroup(db, todo);
  batchLog.phase("claim");
  const work = todo.map((msg, i) => ({ msg, claim: claims[i]! }));
  const answered: Promise<void>[] = [];
  const answer = (sent: Sent, verdict: Verdict) => {
    const { msg, outcome, hook } = sent;
    batchLog.count(verdict.kind === "recorded" ? outcome.update.state : "unrecorded");
    if (verdict.kind === "unrecorded") {
      // Come back once the lease has run out, and the attempt is made again (at least once). A paced
      // line's sequencer waits for this message's outcome meanwhile.
      msg.retry({ delaySeconds: 60 });
      lines.done(msg.body.webhook_id);
      return;
    }
    const paced = msg.body.paced === true;
    if (outcome.retryDelaySeconds !== null && !paced) msg.retry({ delaySeconds: outcome.retryDelaySeconds });
    else msg.ack();
    lines.done(msg.body.webhook_id, settleItem(outcome, paced), verdict.status, tally(outcome, hook));
  };
  const shares = webhookShares<Sent>(
    work.flatMap((w) => (w.claim.kind === "claimed" ? [w.claim.delivery.webhook_id] : [])),
    (share) => answered.push(commit(share).then((verdicts) => share.forEach((s, i) => answer(s, verdicts[i]!)))),
  );
  const lane = async () => {
    for (let current = work.shift(); current; current = work.shift()) {
      const { msg, claim: c } = current;
      const laneAt = Date.now();
      const paced = msg.body.paced === true;
      if (c.kind === "unclaimed") {
        batchLog.count("not_claimed");
        lines.done(msg.body.webhook_id, answerUnclaimed(msg, c.state, laneAt, paced));
        continue;
      }
      const webhookId = c.delivery.webhook_id;
      const timeoutMs = c.hook?.timeout_ms ?? 30_000;
      if (laneAt + timeoutMs > c.delivery.lease_until) {
        // Sends ahead of it took longer than its lease allowed for: not sent under a lease that may run out
        // mid-send (another consumer could then send it too). Back once the lease is over, to claim it afresh; a
        // paced line's sequencer waits for this message's outcome meanwhile.
        const left = Math.max(0, c.delivery.lease_until - laneAt);
        msg.retry({ delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil(left / 1000) + 1) });
        batchLog.count("lease_short");
        lines.done(msg.body.webhook_id);
        shares.skip(webhookId);
        continue;
      }
      let outcome: Outcome;
      try {
        outcome = await attemptDelivery(env, c.delivery, c.hook, c.event, laneAt, msg.body.manual === true);
      } catch (err) {
        shares.skip(webhookId); // the rest of its share is still recorded
        throw err;
      }
      shares.add(webhookId, { msg, outcome, hook: c.hook });
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEND_LANES, work.length) }, lane));
  batchLog.phase("send");
  await Promise.all(answered);
  batchLog.phase("record");
  await lines.settled();
  batchLog.phase("settle");
  // After the outcomes and their alerts are in D1: the operational events they raised become events (the cron
  // makes any left behind, should this step not happen).
  if (raised.length) await raiseOperationalEvents(env, db, raised);
  batchLog.log();
}

/** An attempt made in this batch, waiting for its webhook's share to be recorded. */
interface Sent {
  msg: Message<DeliveryMessage>;
  outcome: Outcome;
  hook: SendContextWebhook | undefined;
}

type Claim =
  | {
      kind: "claimed";
      delivery: ClaimedDelivery;
      hook: SendContextWebhook | undefined;
      event: SendContextEvent | undefined;
    }
  | { kind: "unclaimed"; state: UnclaimedState | undefined };

async function claimGroup(db: D1Database, todo: Message<DeliveryMessage>[]): Promise<Claim[]> {
  const rounds = leaseRounds(
    todo.map((m) => m.body.webhook_id),
    SEND_LANES,
  );
  const r = await claimForSending(
    db,
    todo.map((m, i) => ({ id: m.body.delivery_id, round: rounds[i]! })),
    Date.now(),
  );
  const claimed = new Map(r.claimed.map((d) => [d.id, d]));
  return todo.map(({ body: { delivery_id: id } }) => {
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

/** One atomic write for the shares of a group commit; a verdict per attempt, share by share. */
async function commitShares(db: D1Database, shares: Sent[][], raised: string[]): Promise<Verdict[][]> {
  const outcomes = shares.flatMap((share) => share.map((s) => s.outcome));
  let recorded: Recorded;
  try {
    recorded = await record(db, outcomes);
  } catch (err) {
    log("error", "recording outcomes failed", { error: String(err) });
    return shares.map((share) => share.map(() => ({ kind: "unrecorded" })));
  }
  raised.push(...recorded.raised);
  return shares.map((share) =>
    share.map(({ outcome }) => ({
      kind: "recorded",
      status: recorded.statusChanges.get(outcome.delivery.webhook_id),
    })),
  );
}

/**
 * A message whose delivery is not ours to send now: early (wait the rest), or settled, held or leased (drop). On a
 * paced line the message is acked and its sequencer told what became of it: due later, held, finished, or being
 * sent by another consumer (it then waits for that one's outcome).
 */
function answerUnclaimed(
  msg: Message<DeliveryMessage>,
  s: UnclaimedState | undefined,
  now: number,
  paced: boolean,
): SettleItem | null {
  const id = msg.body.delivery_id;
  const waiting = s && (s.state === "pending" || s.state === "retrying");
  const early = waiting && s.next_attempt_at !== null && s.next_attempt_at > now;
  if (!paced) {
    if (early) msg.retry({ delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil((s.next_attempt_at! - now) / 1000)) });
    else msg.ack();
    return null;
  }
  msg.ack();
  if (early) return { id, result: "later", at: s.next_attempt_at! };
  if (waiting) return { id, result: "busy" };
  return s?.state === "held" ? { id, result: "held" } : { id, result: "done" };
}

/**
 * One atomic D1 batch for a group of outcomes: attempts, delivery states, each webhook's summary, and the alert,
 * status and operational events its outcomes' reactions raised. Returns the webhooks whose status may have changed
 * and the operational events raised.
 */
async function record(db: D1Database, outcomes: Outcome[]): Promise<Recorded> {
  const perHook = new Map<string, { summary: WebhookSummary; reaction: Reaction; siteId: string }>();
  for (const o of outcomes) {
    if (!o.attempt) continue;
    const id = o.delivery.webhook_id;
    const prev = perHook.get(id)?.reaction ?? NO_REACTION;
    perHook.set(id, {
      siteId: o.delivery.site_id,
      summary: {
        id,
        last_delivery_at: o.update.updated_at,
        last_delivery_state: o.update.state,
        last_delivery_status: o.update.response_status,
        failed: o.attempt.error === "throttled" ? null : o.verdict.kind !== "delivered",
      },
      reaction: combineReactions(prev, o.reaction),
    });
  }
  const alerts = [...perHook.entries()].flatMap(([id, h]) =>
    h.reaction.alert ? [alertStatements(db, { id, siteId: h.siteId }, h.reaction, Date.now())] : [],
  );
  // A first attempt that delivered stays on its delivery row; the others get attempts rows.
  const inline = outcomes.map((o) => (o.attempt ? inlineFirstAttempt(o.attempt, o.update.state) : null));
  await db.batch([
    ...insertAttemptsStatements(
      db,
      outcomes.flatMap((o, i) => (o.attempt && inline[i] === null ? [o.attempt] : [])),
    ),
    ...outcomeStatements(
      db,
      outcomes.map((o, i) => (inline[i] ? { ...o.update, first_attempt: inline[i] } : o.update)),
    ),
    ...summaryStatements(
      db,
      [...perHook.values()].map((h) => h.summary),
    ),
    ...alerts.flatMap((a) => a.statements),
  ]);
  return {
    statusChanges: new Map(
      [...perHook.entries()].flatMap(([id, h]) => (h.reaction.status ? [[id, h.reaction.status] as const] : [])),
    ),
    raised: alerts.flatMap((a) => a.outboxIds),
  };
}

/** Messages that crashed the consumer max_retries times. D1 still has the delivery; the sweeper re-drives it. */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, _env: Env) {
  for (const msg of batch.messages) {
    log("error", "dead-lettered message; the cron re-drives its delivery or job from D1", {
      queue: batch.queue,
      body: msg.body,
    });
    msg.ack();
  }
}
