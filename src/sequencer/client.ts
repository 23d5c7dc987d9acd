// How the rest of the app talks to a webhook's sequencer (its Durable Object): one object per webhook id.
import type { Env } from "../env";
import type { EnqueueItem, SettleItem } from "./webhook-sequencer";
import type { WebhookStatus } from "../domain/line";
import { count } from "../metrics";

export function sequencer(env: Env, webhookId: string) {
  count("do_calls");
  return env.SEQUENCER.get(env.SEQUENCER.idFromName(webhookId));
}

export function enqueueDeliveries(env: Env, webhookId: string, items: EnqueueItem[]): Promise<void> {
  return sequencer(env, webhookId).enqueue(webhookId, items);
}

export function settleDeliveries(
  env: Env,
  webhookId: string,
  items: SettleItem[],
  status?: WebhookStatus,
): Promise<void> {
  return sequencer(env, webhookId).settle(webhookId, items, status);
}

/** Call after a webhook's status, failure mode or existence changed in D1. */
export async function webhookConfigChanged(env: Env, webhookId: string): Promise<void> {
  await sequencer(env, webhookId).configChanged(webhookId);
}
