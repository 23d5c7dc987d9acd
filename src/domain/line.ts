// The per-webhook line: which deliveries may go out now. Pure; the sequencer Durable Object applies it.
//
// continue: at most one delivery in flight per target (`target.type:target.id`); other targets flow freely.
// pause:    at most one delivery in flight per webhook; everything behind it waits, in event order.
// A webhook that is not active (paused, disabled, draft, deleted) sends nothing new.

export type FailureMode = "continue" | "pause";
export type WebhookStatus = "draft" | "active" | "paused" | "disabled" | "deleted";

export interface LineEntry {
  id: string;
  /** Position in the line: the delivery's seq, or the original's for a failed one re-sent on resume. */
  order: number;
  target: string;
  /** inflight = handed to the queue (or being attempted or retried); waiting = not yet released. */
  phase: "inflight" | "waiting";
}

export function byOrder(a: LineEntry, b: LineEntry): number {
  return a.order - b.order || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The waiting entries to release now, in order. */
export function releasable(entries: Iterable<LineEntry>, mode: FailureMode, status: WebhookStatus): LineEntry[] {
  if (status !== "active") return [];
  const sorted = [...entries].sort(byOrder);
  if (mode === "pause") {
    if (sorted.some((e) => e.phase === "inflight")) return [];
    const head = sorted[0];
    return head ? [head] : [];
  }
  const busy = new Set(sorted.filter((e) => e.phase === "inflight").map((e) => e.target));
  const out: LineEntry[] = [];
  for (const e of sorted) {
    if (busy.has(e.target)) continue;
    busy.add(e.target);
    out.push(e);
  }
  return out;
}
