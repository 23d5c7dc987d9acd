// What the consumer tells each webhook's sequencer after a batch: the places its outcomes free or give back, the
// webhook status they set, and the attempts auto-pause counts. One call per webhook per batch.
import type { Env } from "../env";
import { isOperationalEventType, TEST_EVENT_TYPE as TEST } from "../domain/catalog";
import type { WebhookStatus } from "../domain/line";
import type { SendContextWebhook } from "../db/sending";
import { settleDeliveries } from "../sequencer/client";
import type { AttemptTally, LineRef, SettleItem } from "../sequencer/protocol";
import { log } from "../log";
import type { Outcome } from "./attempt";
import type { DeliveryMessage } from "./messages";

/**
 * One sequencer call per webhook per consumer batch, so a busy webhook is not capped by its object's
 * request rate. The call goes as soon as the webhook's last delivery in the batch is recorded: a slow
 * receiver holds up its own webhook's line, never another webhook's.
 */
export function settlePerWebhook(env: Env, messages: Message<DeliveryMessage>[]) {
  const hooks = new Map<
    string,
    { siteId?: string; left: number; items: SettleItem[]; outcomes: AttemptTally[]; status?: WebhookStatus }
  >();
  for (const m of messages) {
    const h = hooks.get(m.body.webhook_id) ?? { siteId: m.body.site_id, left: 0, items: [], outcomes: [] };
    h.left++;
    hooks.set(m.body.webhook_id, h);
  }
  const calls: Promise<void>[] = [];
  return {
    /**
     * One of the webhook's messages is finished with; `item` when its outcome frees or gives back a place (or, on
     * a paced line, whatever became of it), `outcome` when its attempt counts towards auto-pause.
     */
    done(
      webhookId: string,
      item: SettleItem | null = null,
      status?: WebhookStatus,
      outcome: AttemptTally | null = null,
    ) {
      const h = hooks.get(webhookId)!;
      if (item) h.items.push(item);
      if (outcome) h.outcomes.push(outcome);
      if (status) h.status = status;
      if (--h.left === 0 && (h.items.length || h.outcomes.length))
        calls.push(
          settle(env, { webhookId, siteId: h.siteId }, { items: h.items, status: h.status, outcomes: h.outcomes }),
        );
    },
    settled: () => Promise.all(calls),
  };
}

/**
 * What the line learns from an outcome: a place freed (done) or given back (held); nothing while retrying. A paced
 * line learns every outcome, and when the request's answer came back: its next request waits for the rate from
 * then; a retry or a throttle comes back to it, due at the delivery's next attempt.
 */
export function settleItem(o: Outcome, paced: boolean): SettleItem | null {
  const id = o.delivery.id;
  if (o.delivery.event_type === TEST) return null;
  const endedAt = o.endedAt ?? undefined;
  if (o.update.state === "retrying") {
    if (!paced) return null;
    return { id, result: "later", at: o.update.next_attempt_at!, endedAt, throttled: o.verdict.kind === "throttled" };
  }
  return o.update.state === "held" ? { id, result: "held" } : { id, result: "done", endedAt };
}

/** An attempt that counts towards the webhook's auto-pause rule: tests and throttles never do. */
export function tally(o: Outcome, hook: SendContextWebhook | undefined): AttemptTally | null {
  if (!hook?.auto_pause || !o.attempt || o.delivery.event_type === TEST) return null;
  if (o.verdict.kind === "throttled" || o.attempt.error === "throttled") return null;
  return {
    at: o.endedAt ?? o.update.updated_at,
    failed: o.verdict.kind !== "delivered",
    operational: isOperationalEventType(o.delivery.event_type),
  };
}

async function settle(env: Env, line: LineRef, report: Parameters<typeof settleDeliveries>[2]) {
  try {
    await settleDeliveries(env, line, report);
  } catch (err) {
    // The outcome is in D1; the sweeper's reconcile rebuilds the line from it.
    log("error", "sequencer settle failed; the sweeper will reconcile", {
      webhook_id: line.webhookId,
      error: String(err),
    });
  }
}
