// What the rest of the app says to a webhook's sequencer, and what it says back: the calls' items and reports, a
// paced line's stored state, and the snapshot tests read. The object itself is webhook-sequencer.ts.
import type { FailureMode, LineEntry, WebhookStatus } from "../domain/line";

/**
 * Which line a call is about: the webhook, and its site, whose database (db/route.ts) holds the line's rows. The
 * object keeps the site for its alarm. No site: a caller from before routing, whose rows are in the default database.
 */
export interface LineRef {
  webhookId: string;
  siteId?: string;
}

export interface EnqueueItem {
  id: string;
  order: number;
  target: string;
}

/**
 * What became of a released delivery. done: delivered or failed for good (the slot frees). held: sent back to wait
 * (webhook not active). On a paced line also: later (a retry or a throttle, due again at `at`; `throttled`: the
 * receiver asked the whole line to wait until then), and busy (another consumer holds its lease: its outcome
 * follows). `endedAt`: when the request's answer came back, where one was sent.
 */
export type SettleItem =
  | { id: string; result: "done"; endedAt?: number }
  | { id: string; result: "held" }
  | { id: string; result: "later"; at: number; endedAt?: number; throttled?: boolean }
  | { id: string; result: "busy" };

/** An attempt that ended, as auto-pause counts it (tests and throttles are never counted). */
export interface AttemptTally {
  at: number;
  failed: boolean;
  /** Of an operational delivery: if it trips auto-pause, no webhook.paused is raised (no loops). */
  operational: boolean;
}

/** What the consumer reports after a batch: the outcomes, the webhook status they set, attempts to count. */
export interface SettleReport {
  items: SettleItem[];
  status?: WebhookStatus;
  outcomes?: AttemptTally[];
}

export interface Tracked extends LineEntry {
  /** Whether D1 shows it as `held` (so we write only on a change). */
  held: boolean;
  /** On a paced line: an in-flight delivery due again at this time (a retry or a throttle), else null. */
  dueAt: number | null;
}

/** A paced line's state, kept in the object's storage. */
export interface PaceState {
  /** The next request may start at this time. */
  nextAt: number;
  /** The release whose outcome the line waits for, and when to send it again if none comes. */
  outstanding: { id: string; deadline: number } | null;
}

export interface LineSnapshot {
  status: WebhookStatus;
  mode: FailureMode;
  rate: number | null;
  pace: PaceState;
  entries: Tracked[];
}

/** How long a paced line waits for a release's outcome before sending it again: queue, lease, timeout and slack. */
export const OUTSTANDING_MS = 120_000;
