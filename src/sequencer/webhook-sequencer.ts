// One Durable Object per webhook decides which of its deliveries may go out now (see src/domain/line.ts).
//
// D1 is the source of truth; this object's line is a cache of it, rebuilt from D1 whenever the object starts
// (or the sweeper asks), so losing the object's memory or storage never strands a delivery.
//
// Concurrency hazards, written down because they shape this code:
// - Awaiting D1 or the queue is outbound I/O, which input gates do not cover: another call can run in the
//   gap. Every public method therefore runs through `serial`, one at a time, in arrival order.
// - Queue ordering is best effort, and a consumer batch may be redelivered. So the line never releases the
//   next delivery of a target (continue) or of the webhook (pause) before the previous one has settled, and
//   the consumer's lease in D1 (claimDeliveries) turns a duplicate message into a no-op.
// - The consumer's outbound fetch can take up to 30 s and is not covered by input gates either; it reports
//   back through `settle` only after D1 records the outcome.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { byOrder, releasable, type FailureMode, type LineEntry, type WebhookStatus } from "../domain/line";
import { chunk } from "../db/sql";
import { lineConfigStatement } from "../db/webhooks";
import {
  failOrphansStatements,
  holdStatements,
  lineDeliveriesStatement,
  markRedrivenStatements,
  releaseStatements,
  type LineDelivery,
} from "../db/delivery-line";
import { instrument, instrumentState } from "../metrics";
import { deliveriesQueue } from "../delivery/messages";

export interface EnqueueItem {
  id: string;
  order: number;
  target: string;
}

/** done: delivered or failed for good (the slot frees). held: sent back to wait (webhook not active). */
export interface SettleItem {
  id: string;
  result: "done" | "held";
}

interface Tracked extends LineEntry {
  /** Whether D1 shows it as `held` (so we write only on a change). */
  held: boolean;
}

export interface LineSnapshot {
  status: WebhookStatus;
  mode: FailureMode;
  entries: Tracked[];
}

export class WebhookSequencer extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, instrument(env));
    Object.defineProperty(this, "ctx", { value: instrumentState(ctx, env) }); // bench counters: storage operations
  }

  private webhookId: string | null = null;
  private status: WebhookStatus = "draft";
  private mode: FailureMode = "continue";
  private entries = new Map<string, Tracked>();
  private chain: Promise<unknown> = Promise.resolve();

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** New deliveries, already written to D1 as `pending` (or `held` for a webhook that is not active). */
  enqueue(webhookId: string, items: EnqueueItem[]): Promise<void> {
    return this.serial(async () => {
      await this.ensureLoaded(webhookId);
      for (const item of items) {
        if (!this.entries.has(item.id)) this.entries.set(item.id, { ...item, phase: "waiting", held: false });
      }
      await this.pump();
    });
  }

  /** Outcomes the consumer has already recorded in D1. `status` when the outcome changed the webhook's. */
  settle(webhookId: string, items: SettleItem[], status?: WebhookStatus): Promise<void> {
    return this.serial(async () => {
      await this.ensureLoaded(webhookId);
      if (status) this.status = status;
      for (const item of items) {
        const entry = this.entries.get(item.id);
        if (item.result === "done") this.entries.delete(item.id);
        else if (entry) Object.assign(entry, { phase: "waiting", held: true });
      }
      await this.pump();
    });
  }

  /** The webhook's status or failure mode changed in D1 (pause, resume, policy, delete). */
  configChanged(webhookId: string): Promise<void> {
    return this.serial(async () => {
      await this.reload(webhookId);
      await this.pump();
    });
  }

  /**
   * The sweeper's call: rebuild the line from D1, release what may go, and re-send any in-flight delivery
   * whose attempt is overdue by more than `graceMs` with no live lease (its queue message was lost).
   * What this object already released stays in flight: under a queue backlog its message is merely late,
   * and releasing it again on every sweep would only add to the backlog. Each re-driven delivery's
   * next_attempt_at moves to now, so the next sweep gives its new message a full grace period too.
   */
  reconcile(webhookId: string, now: number, graceMs: number): Promise<{ resent: number; released: number }> {
    return this.serial(async () => {
      const releasedBefore = this.webhookId === webhookId ? this.idsIn("inflight") : new Set<string>();
      const loaded = await this.reload(webhookId);
      // A pending delivery this object released before is still in flight: its message is late, or lost.
      for (const d of loaded)
        if (d.state === "pending" && releasedBefore.has(d.id)) this.entries.get(d.id)!.phase = "inflight";
      const inflight = this.idsIn("inflight");
      const pending = [...this.entries.values()].filter((e) => e.phase === "waiting" && !e.held).map((e) => e.id);
      const released = await this.pump();
      const overdue = loaded
        .filter((d) => inflight.has(d.id) && (d.next_attempt_at ?? 0) < now - graceMs && (d.lease_until ?? 0) < now)
        .map((d) => d.id);
      // Released again now (already pending in D1) or re-sent: both are re-driven.
      await this.markRedriven([...pending.filter((id) => this.entries.get(id)?.phase === "inflight"), ...overdue]);
      await this.send(overdue);
      return { resent: overdue.length, released };
    });
  }

  snapshot(webhookId: string): Promise<LineSnapshot> {
    return this.serial(async () => {
      await this.ensureLoaded(webhookId);
      return {
        status: this.status,
        mode: this.mode,
        entries: [...this.entries.values()].sort(byOrder).map((e) => ({ ...e })),
      };
    });
  }

  private idsIn(phase: LineEntry["phase"]): Set<string> {
    return new Set([...this.entries.values()].filter((e) => e.phase === phase).map((e) => e.id));
  }

  private async ensureLoaded(webhookId: string) {
    if (this.webhookId !== webhookId) await this.reload(webhookId);
  }

  /**
   * Rebuilds the line from D1. `retrying` deliveries are in flight (attempted, next attempt scheduled).
   * `pending` ones are treated as waiting: if one was already handed to the queue, releasing it again only
   * sends a duplicate message, which the consumer's lease turns into a no-op.
   */
  private async reload(webhookId: string): Promise<LineDelivery[]> {
    const db = this.env.DB;
    const [hook, rows] = await db.batch([lineConfigStatement(db, webhookId), lineDeliveriesStatement(db, webhookId)]);
    const h = hook!.results[0] as
      { status: WebhookStatus; failure_mode: FailureMode; deleted_at: number | null } | undefined;
    this.webhookId = webhookId;
    this.status = !h || h.deleted_at !== null ? "deleted" : h.status;
    this.mode = h?.failure_mode ?? "continue";
    const loaded = (rows!.results ?? []) as unknown as LineDelivery[];
    this.entries = new Map(
      loaded.map((d) => [
        d.id,
        {
          id: d.id,
          order: d.order_key ?? d.seq,
          target: d.target_key,
          phase: d.state === "retrying" ? "inflight" : "waiting",
          held: d.state === "held",
        },
      ]),
    );
    if (this.status === "deleted") await this.failOrphans();
    return loaded;
  }

  /** A deleted webhook's waiting deliveries can never go out: they end `failed`, never silently dropped. */
  private async failOrphans() {
    const waiting = [...this.entries.values()].filter((e) => e.phase === "waiting").map((e) => e.id);
    const statements = failOrphansStatements(this.env.DB, waiting, Date.now());
    if (statements.length) await this.env.DB.batch(statements);
    for (const id of waiting) this.entries.delete(id);
  }

  /** Applies the line: releases what may go now, marks the rest `held` in D1. Returns how many went. */
  private async pump(): Promise<number> {
    const release = releasable(this.entries.values(), this.mode, this.status) as Tracked[];
    const releasing = new Set(release.map((e) => e.id));
    const toHold = [...this.entries.values()].filter((e) => e.phase === "waiting" && !e.held && !releasing.has(e.id));
    const toUnhold = release.filter((e) => e.held);
    const now = Date.now();
    const db = this.env.DB;
    const statements = [
      ...holdStatements(
        db,
        toHold.map((e) => e.id),
        now,
      ),
      ...releaseStatements(
        db,
        toUnhold.map((e) => e.id),
        now,
      ),
    ];
    if (statements.length) await db.batch(statements);
    for (const e of toHold) e.held = true;
    for (const e of toUnhold) e.held = false;
    await this.send(release.map((e) => e.id));
    for (const e of release) e.phase = "inflight";
    return release.length;
  }

  /** Stamps re-driven deliveries, so the sweeper gives their new messages a full grace period. */
  private async markRedriven(ids: string[]) {
    const statements = markRedrivenStatements(this.env.DB, ids, Date.now());
    if (statements.length) await this.env.DB.batch(statements);
  }

  private async send(ids: string[]) {
    const webhookId = this.webhookId!;
    for (const part of chunk(ids, 100)) {
      await deliveriesQueue(this.env).sendBatch(
        part.map((id) => ({ body: { delivery_id: id, webhook_id: webhookId } })),
      );
    }
  }
}
