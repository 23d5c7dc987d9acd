// One Durable Object per webhook decides which of its deliveries may go out now (see src/domain/line.ts), when a
// rate-limited webhook's next request may go (src/domain/flow-control.ts), and keeps its auto-pause window.
//
// One class, longer than our other modules, because every method reads and changes the same in-memory line and
// pacing state inside one serial section; the rules it applies are pure functions in domain/ and what callers send
// it is in protocol.ts.
//
// D1 is the source of truth; this object's line is a cache of it, rebuilt from D1 whenever the object starts
// (or the sweeper asks), so losing the object's memory or storage never strands a delivery.
//
// Concurrency hazards, written down because they shape this code:
// - Awaiting D1 or the queue is outbound I/O, which input gates do not cover: another call can run in the
//   gap. Every public method (and the alarm) therefore runs through `serial`, one at a time, in arrival order.
//   Its queue sends go out after its section, not inside it (serial-line.ts says why that is safe).
// - Queue ordering is best effort, and a consumer batch may be redelivered. So the line never releases the
//   next delivery of a target (continue) or of the webhook (pause) before the previous one has settled, and
//   the consumer's lease in D1 (claimDeliveries) turns a duplicate message into a no-op.
// - The consumer's outbound fetch can take up to 30 s and is not covered by input gates either; it reports
//   back through `settle` only after D1 records the outcome.
//
// Pacing, for a webhook with rate_limit_per_s:
// - One request at a time. The object releases one delivery (a first attempt, or a retry or throttle come due)
//   and the next only once the consumer reports what became of it, no sooner than 1/rate after that request's
//   answer came back (nextSendAt). The receiver got the request before its answer reached us, so the receiver
//   never sees two requests closer than 1/rate, whatever the queue's delays: never more than the rate in any
//   window. A request released late is simply sent late; nothing is released early to make up for it.
// - An alarm (ctx.storage.setAlarm) wakes the object when the next request is due; nothing sleeps. The pacing
//   state (when the next request may go, the release whose outcome it waits for) is in the object's storage, so
//   it holds across restarts of the object and of the consumer. If that outcome never comes (a lost message, a
//   consumer that died), the alarm sends the same release again after OUTSTANDING_MS; the lease in D1 keeps it
//   from going out twice at once.
// - A paced delivery's retries and throttles come back here, due at their next attempt, instead of waiting on the
//   queue, so they are paced like first attempts. The line's order rules are applied first, unchanged.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { byOrder, releasable, type FailureMode, type LineEntry, type WebhookStatus } from "../domain/line";
import {
  autoPauseMessage,
  autoPauseTripped,
  emptyWindow,
  nextSendAt,
  recordOutcome,
  spacingMs,
  windowCounts,
  type AutoPause,
  type OutcomeWindow,
} from "../domain/flow-control";
import { webhookEvent, type Alert, type Reaction } from "../domain/webhook-reaction";
import { iso } from "../domain/time";
import { lineConfigStatement, type LineConfig } from "../db/webhooks";
import {
  failOrphansStatements,
  holdStatements,
  lineDeliveriesStatement,
  markRedrivenStatements,
  releaseStatements,
  type LineDelivery,
} from "../db/delivery-line";
import { databaseFor } from "../db/route";
import { instrument, instrumentState } from "../metrics";
import { log } from "../log";
import { SerialLine, sendToQueue } from "./serial-line";
import { alertStatements, raiseOperationalEvents } from "../webhooks/alerts";

import {
  OUTSTANDING_MS,
  type AttemptTally,
  type EnqueueItem,
  type LineRef,
  type LineSnapshot,
  type PaceState,
  type SettleReport,
  type Tracked,
} from "./protocol";

const PACE_KEY = "pace";
const WINDOW_KEY = "outcomes";
const WEBHOOK_KEY = "webhook_id";
/** The site whose database holds the line; the alarm has no caller to say it. */
const SITE_KEY = "site_id";

export class WebhookSequencer extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, instrument(env));
    Object.defineProperty(this, "ctx", { value: instrumentState(ctx, env) }); // bench counters: storage operations
  }

  private webhookId: string | null = null;
  /** As callers name it (undefined: none did, so the default database; see LineRef). */
  private siteId: string | undefined = undefined;
  private name = "";
  /** Whether the stored site was read (once per start of the object). */
  private siteRead = false;
  /** The site as the webhook's row says (for the alerts this object raises). */
  private hookSiteId = "";
  private status: WebhookStatus = "draft";
  private mode: FailureMode = "continue";
  private rate: number | null = null;
  private autoPause: AutoPause | null = null;
  private entries = new Map<string, Tracked>();
  private pace: PaceState = { nextAt: 0, outstanding: null };
  private window: OutcomeWindow | null = null;
  private storageRead = false;
  /** One call at a time; queue sends wait for the section's end, outside it (see serial-line.ts). */
  private line = new SerialLine((sends) => sendToQueue(this.env, sends));

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.line.run(fn);
  }

  /** New deliveries, already written to D1 as `pending` (or `held` for a webhook that is not active). */
  enqueue(line: LineRef, items: EnqueueItem[]): Promise<void> {
    return this.serial(async () => {
      await this.ensureLoaded(line);
      for (const item of items) {
        if (!this.entries.has(item.id))
          this.entries.set(item.id, { ...item, phase: "waiting", held: false, dueAt: null });
      }
      await this.pump();
    });
  }

  /** Outcomes the consumer has already recorded in D1. `status` when the outcome changed the webhook's. */
  settle(line: LineRef, report: SettleReport): Promise<void> {
    return this.serial(async () => {
      await this.ensureLoaded(line);
      if (report.status) this.status = report.status;
      const now = Date.now();
      const resend: { id: string; at: number }[] = [];
      let paceChanged = false;
      for (const item of report.items) {
        if (item.result === "busy") continue;
        const entry = this.entries.get(item.id);
        if (this.pace.outstanding?.id === item.id) {
          this.pace.outstanding = null;
          paceChanged = true;
        }
        if (this.rate !== null && item.result !== "held" && item.endedAt !== undefined) {
          const throttledUntil = item.result === "later" && item.throttled ? item.at : 0;
          this.pace.nextAt = Math.max(this.pace.nextAt, nextSendAt(item.endedAt, this.rate, throttledUntil));
          paceChanged = true;
        }
        if (item.result === "done") this.entries.delete(item.id);
        else if (item.result === "held") {
          if (entry) Object.assign(entry, { phase: "waiting", held: true, dueAt: null });
        } else if (this.rate !== null) {
          if (entry) Object.assign(entry, { phase: "inflight", dueAt: item.at });
        } else resend.push({ id: item.id, at: item.at }); // the line is no longer paced: the queue waits again
      }
      if (paceChanged) await this.savePace();
      for (const r of resend) await this.send([r.id], Math.ceil(Math.max(0, r.at - now) / 1000));
      if (report.outcomes?.length) await this.countOutcomes(report.outcomes);
      await this.pump();
    });
  }

  /** The webhook's status, failure mode, rate limit or auto-pause rule changed in D1 (pause, resume, policy, delete). */
  configChanged(line: LineRef): Promise<void> {
    return this.serial(async () => {
      await this.reload(line);
      await this.pump();
    });
  }

  /**
   * The sweeper's call: rebuild the line from D1, release what may go, and re-send any in-flight delivery
   * whose attempt is overdue by more than `graceMs` with no live lease (its queue message was lost).
   * What this object already released stays in flight: under a queue backlog its message is merely late,
   * and releasing it again on every sweep would only add to the backlog. Each re-driven delivery's
   * next_attempt_at moves to now, so the next sweep gives its new message a full grace period too. A paced
   * line re-drives through its pacing: an overdue delivery comes due now (its outstanding release is the alarm's).
   */
  reconcile(line: LineRef, now: number, graceMs: number): Promise<{ resent: number; released: number }> {
    return this.serial(async () => {
      const releasedBefore = this.webhookId === line.webhookId ? this.idsIn("inflight") : new Set<string>();
      const loaded = await this.reload(line);
      // A pending delivery this object released before is still in flight: its message is late, or lost.
      for (const d of loaded)
        if (d.state === "pending" && releasedBefore.has(d.id)) this.entries.get(d.id)!.phase = "inflight";
      const inflight = this.idsIn("inflight");
      const pending = [...this.entries.values()].filter((e) => e.phase === "waiting" && !e.held).map((e) => e.id);
      let overdue = loaded
        .filter((d) => inflight.has(d.id) && (d.next_attempt_at ?? 0) < now - graceMs && (d.lease_until ?? 0) < now)
        .map((d) => d.id);
      if (this.rate !== null) {
        for (const id of overdue) if (this.pace.outstanding?.id !== id) this.entries.get(id)!.dueAt = now;
        overdue = [];
      }
      const released = await this.pump();
      // Released again now (already pending in D1) or re-sent: both are re-driven.
      await this.markRedriven([...pending.filter((id) => this.entries.get(id)?.phase === "inflight"), ...overdue]);
      await this.send(overdue);
      return { resent: overdue.length, released };
    });
  }

  /** A paced line's next request is due, or its outstanding release's outcome is overdue. */
  override async alarm(): Promise<void> {
    await this.serial(async () => {
      const webhookId = this.webhookId ?? (await this.ctx.storage.get<string>(WEBHOOK_KEY));
      if (!webhookId) return;
      await this.ensureLoaded({ webhookId, siteId: this.siteId }); // none in memory: the stored one (knowSite)
      const now = Date.now();
      const out = this.pace.outstanding;
      if (out && out.deadline <= now && this.entries.has(out.id)) {
        log("warn", "a paced release's outcome is overdue; sending it again", { webhook_id: webhookId, id: out.id });
        this.pace.outstanding = { id: out.id, deadline: now + OUTSTANDING_MS };
        await this.savePace();
        await this.send([out.id]);
      } else if (out && !this.entries.has(out.id)) {
        this.pace.outstanding = null;
        await this.savePace();
      }
      await this.pump();
    });
  }

  snapshot(line: LineRef): Promise<LineSnapshot> {
    return this.serial(async () => {
      await this.ensureLoaded(line);
      return {
        status: this.status,
        mode: this.mode,
        rate: this.rate,
        pace: { ...this.pace },
        entries: [...this.entries.values()].sort(byOrder).map((e) => ({ ...e })),
      };
    });
  }

  private idsIn(phase: LineEntry["phase"]): Set<string> {
    return new Set([...this.entries.values()].filter((e) => e.phase === phase).map((e) => e.id));
  }

  private async ensureLoaded(line: LineRef) {
    if (this.webhookId !== line.webhookId) await this.reload(line);
    else await this.knowSite(line.siteId);
  }

  /** The database of the line's site (db/route.ts). */
  private get db(): D1Database {
    return databaseFor(this.env, this.siteId);
  }

  /**
   * The line's site: as the caller names it (kept in storage for the alarm, which has no caller), else as stored.
   * An object from before routing has none stored until a caller names it: its rows are in the default database.
   */
  private async knowSite(siteId: string | undefined) {
    if (!this.siteRead) {
      this.siteId ??= await this.ctx.storage.get<string>(SITE_KEY);
      this.siteRead = true;
    }
    if (siteId !== undefined && siteId !== this.siteId) {
      this.siteId = siteId;
      await this.ctx.storage.put(SITE_KEY, siteId);
    }
  }

  /**
   * Rebuilds the line from D1. `retrying` deliveries are in flight (attempted, next attempt scheduled; on a paced
   * line due here at their next_attempt_at). `pending` ones are treated as waiting: if one was already handed to
   * the queue, releasing it again only sends a duplicate message, which the consumer's lease turns into a no-op;
   * a paced line's outstanding release stays in flight.
   */
  private async reload(line: LineRef): Promise<LineDelivery[]> {
    const webhookId = line.webhookId;
    await this.knowSite(line.siteId);
    const db = this.db;
    const [hook, rows] = await db.batch([lineConfigStatement(db, webhookId), lineDeliveriesStatement(db, webhookId)]);
    const h = hook!.results[0] as LineConfig | undefined;
    const known = this.webhookId === webhookId;
    const wasActive = known && this.status === "active";
    const wasPaced = known && this.rate !== null;
    this.webhookId = webhookId;
    this.status = !h || h.deleted_at !== null ? "deleted" : h.status;
    this.mode = h?.failure_mode ?? "continue";
    this.hookSiteId = h?.site_id ?? this.siteId ?? "";
    this.name = h?.name ?? "";
    this.rate = h?.rate_limit_per_s ?? null;
    this.autoPause = h?.auto_pause ? (JSON.parse(h.auto_pause) as AutoPause) : null;
    await this.readStorage(webhookId);
    const loaded = (rows!.results ?? []) as unknown as LineDelivery[];
    const paced = this.rate !== null;
    this.entries = new Map(
      loaded.map((d) => [
        d.id,
        {
          id: d.id,
          order: d.order_key ?? d.seq,
          target: d.target_key,
          phase: d.state === "retrying" ? "inflight" : "waiting",
          held: d.state === "held",
          dueAt: paced && d.state === "retrying" ? (d.next_attempt_at ?? 0) : null,
        },
      ]),
    );
    await this.adoptOutstanding();
    // Resume (or any return to active) starts the auto-pause window afresh: the old failures led to the pause.
    if (known && !wasActive && this.status === "active") await this.saveWindow(null);
    // No longer paced: the retries this object was holding wait on the queue again.
    if (wasPaced && !paced) {
      const now = Date.now();
      for (const d of loaded.filter((x) => x.state === "retrying"))
        await this.send([d.id], Math.ceil(Math.max(0, (d.next_attempt_at ?? now) - now) / 1000));
    }
    if (this.status === "deleted") await this.failOrphans();
    return loaded;
  }

  private async readStorage(webhookId: string) {
    if (this.storageRead) return;
    const [pace, window, id] = await Promise.all([
      this.ctx.storage.get<PaceState>(PACE_KEY),
      this.ctx.storage.get<OutcomeWindow>(WINDOW_KEY),
      this.ctx.storage.get<string>(WEBHOOK_KEY),
    ]);
    this.pace = pace ?? { nextAt: 0, outstanding: null };
    this.window = window ?? null;
    if (id !== webhookId) await this.ctx.storage.put(WEBHOOK_KEY, webhookId);
    this.storageRead = true;
  }

  /** The outstanding release, as D1 has it now: still to be sent (in flight), or settled without our hearing. */
  private async adoptOutstanding() {
    const out = this.pace.outstanding;
    if (!out) return;
    const entry = this.entries.get(out.id);
    if (this.rate !== null && entry && !entry.held) {
      entry.phase = "inflight";
      entry.dueAt = null;
      return;
    }
    // Its outcome was recorded but never reached us: wait a full spacing from now, to be safe.
    this.pace = {
      nextAt: Math.max(this.pace.nextAt, Date.now() + (this.rate === null ? 0 : spacingMs(this.rate))),
      outstanding: null,
    };
    await this.savePace();
  }

  /** A deleted webhook's waiting deliveries can never go out: they end `failed`, never silently dropped. */
  private async failOrphans() {
    const waiting = [...this.entries.values()].filter((e) => e.phase === "waiting").map((e) => e.id);
    const statements = failOrphansStatements(this.db, waiting, Date.now());
    if (statements.length) await this.db.batch(statements);
    for (const id of waiting) this.entries.delete(id);
  }

  /**
   * Applies the line: releases what may go now, marks the rest `held` in D1. Returns how many went. A paced line
   * releases at most one request, once the rate allows, and sets its alarm for the next.
   */
  private async pump(): Promise<number> {
    const now = Date.now();
    const lineReleasable = releasable(this.entries.values(), this.mode, this.status) as Tracked[];
    let release = lineReleasable;
    let due: Tracked | null = null;
    if (this.rate !== null) {
      const next = this.nextPaced(lineReleasable, now);
      release = next?.phase === "waiting" ? [next] : [];
      due = next?.phase === "inflight" ? next : null;
    }
    const releasing = new Set(release.map((e) => e.id));
    const toHold = [...this.entries.values()].filter((e) => e.phase === "waiting" && !e.held && !releasing.has(e.id));
    const toUnhold = release.filter((e) => e.held);
    const db = this.db;
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
    const sent = [...release, ...(due ? [due] : [])];
    if (this.rate !== null && sent.length) {
      this.pace.outstanding = { id: sent[0]!.id, deadline: now + OUTSTANDING_MS };
      await this.savePace();
    }
    await this.send(sent.map((e) => e.id));
    for (const e of release) e.phase = "inflight";
    if (due) due.dueAt = null;
    if (this.rate !== null) await this.scheduleAlarm(lineReleasable.length > 0, now);
    return sent.length;
  }

  /** The request a paced line may send now: the oldest of its due retries and releasable deliveries, if any. */
  private nextPaced(lineReleasable: Tracked[], now: number): Tracked | null {
    if (this.pace.outstanding || now < this.pace.nextAt) return null;
    const due = [...this.entries.values()].filter((e) => e.phase === "inflight" && e.dueAt !== null && e.dueAt <= now);
    return [...due, ...lineReleasable].sort(byOrder)[0] ?? null;
  }

  /** Wakes the object when a paced line's next request may go, or when its outstanding release is overdue. */
  private async scheduleAlarm(waiting: boolean, now: number) {
    let at: number | null = null;
    if (this.pace.outstanding) at = this.pace.outstanding.deadline;
    else {
      const dues = [...this.entries.values()].flatMap((e) => (e.dueAt === null ? [] : [e.dueAt]));
      const earliest = Math.min(...dues, waiting ? now : Infinity);
      if (Number.isFinite(earliest)) at = Math.max(earliest, this.pace.nextAt);
    }
    if (at !== null && (await this.ctx.storage.getAlarm()) !== at) await this.ctx.storage.setAlarm(at);
  }

  /** Counts attempts towards auto-pause; pauses the webhook when its rule trips. */
  private async countOutcomes(outcomes: AttemptTally[]) {
    const rule = this.autoPause;
    if (!rule || this.status !== "active") return;
    let w = this.window ?? emptyWindow(rule);
    for (const o of outcomes) {
      w = recordOutcome(w, rule, o.at, o.failed);
      const counts = windowCounts(w, rule, o.at);
      if (autoPauseTripped(counts, rule)) return this.pauseAutomatically(rule, counts, o.operational);
    }
    await this.saveWindow(w);
  }

  /**
   * Auto-pause: the webhook becomes paused with an alert naming the rate and the window, and raises webhook.paused
   * (unless the attempt that tripped it carried an operational event), by the same statements as every alert.
   */
  private async pauseAutomatically(rule: AutoPause, counts: { attempts: number; failed: number }, quiet: boolean) {
    const webhookId = this.webhookId!;
    const now = Date.now();
    const alert: Alert = {
      kind: "auto_paused",
      since: iso(now)!,
      delivery_id: null,
      message: autoPauseMessage(counts, rule),
    };
    const reaction: Reaction = {
      alert,
      status: "paused",
      events: quiet ? [] : [webhookEvent("webhook.paused", { webhookId, webhookName: this.name }, alert)],
    };
    const db = this.db;
    const { statements, outboxIds } = alertStatements(db, { id: webhookId, siteId: this.hookSiteId }, reaction, now);
    await db.batch(statements);
    await this.saveWindow(null);
    await this.reload({ webhookId, siteId: this.siteId });
    try {
      await raiseOperationalEvents(this.env, db, outboxIds);
    } catch (err) {
      log("error", "webhook.paused not raised yet; the cron will", { webhook_id: webhookId, error: String(err) });
    }
  }

  private async savePace() {
    await this.ctx.storage.put(PACE_KEY, this.pace);
  }

  private async saveWindow(w: OutcomeWindow | null) {
    this.window = w;
    if (w) await this.ctx.storage.put(WINDOW_KEY, w);
    else await this.ctx.storage.delete(WINDOW_KEY);
  }

  /** Stamps re-driven deliveries, so the sweeper gives their new messages a full grace period. */
  private async markRedriven(ids: string[]) {
    const statements = markRedrivenStatements(this.db, ids, Date.now());
    if (statements.length) await this.db.batch(statements);
  }

  /** Hands deliveries to the queue; a paced line's messages say so, so their outcomes come back here. */
  private async send(ids: string[], delaySeconds = 0) {
    if (ids.length) {
      const queued = { webhookId: this.webhookId!, siteId: this.siteId, paced: this.rate !== null, ids, delaySeconds };
      await this.line.send(queued);
    }
  }
}
