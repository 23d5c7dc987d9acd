// Replays: a new delivery of the same event (same payload, same event id) with replay_of set. The original
// row is left as it is, except on resume with replay_failed, where the failed originals become `resolved`
// because the new deliveries now stand for them.
import type { Env } from "../env";
import { newId } from "../domain/ids";
import { chunk, placeholders } from "../db/sql";
import { insertDeliveries, newDeliveryRow, seqsOf, type NewDeliveryRow } from "../db/delivery-writes";
import { enqueueDeliveries } from "../sequencer/client";

export interface ReplaySource {
  id: string;
  seq: number;
  order_key: number | null;
  site_id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  target_key: string;
  include_detail: number;
  actor_email: string | null;
}

export const REPLAY_SOURCE_COLUMNS =
  "id, seq, order_key, site_id, webhook_id, event_id, event_type, target_key, include_detail, actor_email";

interface HookForReplay {
  id: string;
  name: string;
  status: string;
  destination_host: string;
  retry_policy: string;
  deleted_at: number | null;
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
  sources: ReplaySource[],
  opts: { inPlace: boolean; resolveOriginals: boolean },
  now = Date.now(),
): Promise<ReplayResult> {
  if (!sources.length) return { replayed: [], skipped: [] };
  const hooks = await loadHooks(env.DB, [...new Set(sources.map((s) => s.webhook_id))]);
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
  const statements = insertDeliveries(env.DB, rows);
  if (opts.resolveOriginals) {
    for (const ids of chunk(
      rows.map((r) => r.replay_of!),
      90,
    )) {
      statements.push(
        env.DB.prepare(
          `UPDATE deliveries SET state = 'resolved', updated_at = ? WHERE id IN (${placeholders(ids.length)}) AND state = 'failed'`,
        ).bind(now, ...ids),
      );
    }
  }
  const seqs = seqsOf(await env.DB.batch(statements));
  const byHook = new Map<string, { id: string; order: number; target: string }[]>();
  for (const r of rows) {
    const items = byHook.get(r.webhook_id) ?? [];
    items.push({ id: r.id, order: r.order_key ?? seqs.get(r.id)!, target: r.target_key });
    byHook.set(r.webhook_id, items);
  }
  // A lost call loses nothing: the sweeper finds the pending rows once overdue.
  await Promise.allSettled([...byHook].map(([hookId, items]) => enqueueDeliveries(env, hookId, items)));
  return { replayed, skipped };
}

async function loadHooks(db: D1Database, ids: string[]): Promise<Map<string, HookForReplay>> {
  const out = new Map<string, HookForReplay>();
  for (const part of chunk(ids, 90)) {
    const { results } = await db
      .prepare(
        `SELECT id, name, status, destination_host, retry_policy, deleted_at FROM webhooks WHERE id IN (${placeholders(part.length)})`,
      )
      .bind(...part)
      .all<HookForReplay>();
    for (const h of results) out.set(h.id, h);
  }
  return out;
}
