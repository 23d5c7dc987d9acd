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
  type InsertGuard,
  type NewDeliveryRow,
  type ReplaySource,
} from "../db/deliveries";
import { databaseFor } from "../db/route";
import { handToSequencers } from "../sequencer/client";

export interface ReplayOptions {
  /** Take the original's place in the line (resume with replay_failed) instead of joining its end. */
  inPlace: boolean;
  /** The failed originals become `resolved`: the new deliveries stand for them. */
  resolveOriginals: boolean;
  /** Insert only while this holds (a bulk replay page: its job has not moved on). */
  guard?: InsertGuard;
  /** Statements to run in the same atomic batch, after the inserts (a bulk replay page's progress). */
  then?: D1PreparedStatement[];
}

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
  siteId: string,
  sources: ReplaySource[],
  opts: ReplayOptions,
  now = Date.now(),
): Promise<ReplayResult> {
  if (!sources.length && !opts.then?.length) return { replayed: [], skipped: [] };
  const db = databaseFor(env, siteId);
  const hooks = await hooksForReplay(db, [...new Set(sources.map((s) => s.webhook_id))]);
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
        messageTemplate: hook.message_template,
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
  const statements = [...insertDeliveriesStatements(db, rows, opts.guard), ...(opts.then ?? [])];
  if (opts.resolveOriginals) {
    statements.push(
      ...resolveFailedStatements(
        db,
        rows.map((r) => r.replay_of!),
        now,
      ),
    );
  }
  if (!statements.length) return { replayed, skipped };
  // With a guard that no longer holds, nothing was inserted: only the rows D1 returned are new.
  const seqs = seqsOf(await db.batch(statements));
  const inserted = rows.filter((r) => seqs.has(r.id));
  await handToSequencers(env, inserted, seqs);
  return { replayed: replayed.filter((r) => seqs.has(r.delivery_id)), skipped };
}
