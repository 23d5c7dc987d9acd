// How the rest of the app talks to a webhook's sequencer (its Durable Object): one object per webhook id.
import type { Env } from "../env";
import type { EnqueueItem, LineRef, SettleReport } from "./protocol";
import { count } from "../metrics";
import { log } from "../log";

export function sequencer(env: Env, webhookId: string) {
  count("do_calls");
  return env.SEQUENCER.get(env.SEQUENCER.idFromName(webhookId));
}

/** What the consumer learnt of a webhook's deliveries in one batch (see SettleReport). */
export function settleDeliveries(env: Env, line: LineRef, report: SettleReport): Promise<void> {
  return sequencer(env, line.webhookId).settle(line, report);
}

/** Call after a webhook's status, failure mode, rate limit, auto-pause rule or existence changed in D1. */
export async function webhookConfigChanged(env: Env, siteId: string, webhookId: string): Promise<void> {
  await sequencer(env, webhookId).configChanged({ webhookId, siteId });
}

/** A new delivery row, as far as its webhook's line cares. */
export interface NewLineDelivery {
  id: string;
  webhook_id: string;
  site_id: string;
  target_key: string;
  /** Its place in the line when it takes another's (a failed delivery re-sent on resume); else its seq. */
  order_key: number | null;
}

/**
 * Hands new deliveries (already in D1) to their webhooks' sequencers: one call per webhook, awaited, so that a
 * producer that waits for our answer before sending its next event gets that order. A failed call loses nothing:
 * the rows are in D1, and the sweeper hands them over once they are overdue.
 */
export async function handToSequencers(env: Env, rows: readonly NewLineDelivery[], seqs: Map<string, number>) {
  const byHook = new Map<string, EnqueueItem[]>();
  const siteOf = new Map<string, string>();
  for (const row of rows) {
    siteOf.set(row.webhook_id, row.site_id);
    const items = byHook.get(row.webhook_id) ?? [];
    items.push({
      id: row.id,
      order: row.order_key ?? seqs.get(row.id) ?? Number.MAX_SAFE_INTEGER,
      target: row.target_key,
    });
    byHook.set(row.webhook_id, items);
  }
  const hooks = [...byHook];
  const calls = await Promise.allSettled(
    hooks.map(([webhookId, items]) =>
      sequencer(env, webhookId).enqueue({ webhookId, siteId: siteOf.get(webhookId) }, items),
    ),
  );
  calls.forEach((c, i) => {
    if (c.status === "rejected") {
      log("error", "sequencer enqueue failed; the sweeper will re-drive", {
        webhook_id: hooks[i]![0],
        error: String(c.reason),
      });
    }
  });
}
