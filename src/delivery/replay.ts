// Replays: a new delivery of the same event (same payload, same event id) with replay_of set. The original
// row is left as it is, except on resume with replay_failed, where the failed originals become `resolved`
// because the new deliveries now stand for them.
import type { Env } from "../env";
import { newId } from "../domain/ids";
import { hooksForReplay } from "../db/webhooks";
import {
  insertDeliveriesStatements,
  newDeliveryRow,
  resolveFailedStatements,
  seqsOf,
  type NewDeliveryRow,
  type ReplaySource,
} from "../db/deliveries";
import { handToSequencers } from "../sequencer/client";

export interface ReplayResult {
  replayed: { original: string; delivery_id: string }[];
  /** Originals whose webhook is gone: nothing to send them to. */
  skipped: string[];
}

/**
 * `inPlace`: the replay takes the original's place in the line (resume with replay_failed), so it goes out
 * before everything that was held behind the original. Otherwise it joins the end of the line.
 */
export async function replay(
  env: Env,
  sources: ReplaySource[],
  opts: { inPlace: boolean; resolveOriginals: boolean },
  now = Date.now(),
): Promise<ReplayResult> {
  if (!sources.length) return { replayed: [], skipped: [] };
  const hooks = await hooksForReplay(env.DB, [...new Set(sources.map((s) => s.webhook_id))]);
  const rows: NewDeliveryRow[] = [];
  const replayed: ReplayResult["replayed"] = [];
  const skipped: string[] = [];
  for (const s of sources) {
    const hook = hooks.get(s.webhook_id);
    if (!hook || hook.deleted_at !== null) {
      skipped.push(s.id);
      continue;
    }
    const row = newDeliveryRow(
      {
        id: hook.id,
        name: hook.name,
        status: hook.status,
        destinationHost: hook.destination_host,
        retryPolicy: hook.retry_policy,
        retryOn: hook.retry_on,
        format: hook.format,
      },
      {
        id: newId("dlv"),
        site_id: s.site_id,
        event_id: s.event_id,
        event_type: s.event_type,
        target_key: s.target_key,
        // The original payload: detail exactly as the original delivery had it.
        include_detail: s.include_detail ? 1 : 0,
        actor_email: s.actor_email,
        order_key: opts.inPlace ? (s.order_key ?? s.seq) : null,
        replay_of: s.id,
      },
      now,
    );
    rows.push(row);
    replayed.push({ original: s.id, delivery_id: row.id });
  }
  if (!rows.length) return { replayed, skipped };
  const statements = insertDeliveriesStatements(env.DB, rows);
  if (opts.resolveOriginals)
    statements.push(
      ...resolveFailedStatements(
        env.DB,
        rows.map((r) => r.replay_of!),
        now,
      ),
    );
  await handToSequencers(env, rows, seqsOf(await env.DB.batch(statements)));
  return { replayed, skipped };
}
