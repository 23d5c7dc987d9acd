#!/usr/bin/env node
// npm run chaos [-- --events N]: fault injection against a real runtime. A receiver that answers 5xx 30% of
// the time and is slower than the webhook's timeout 5% of the time, one total outage of 10 s, and one hard
// restart (SIGKILL to the dev server's process group, then a start on the same local state) mid-run, over at
// least 2,000 events to continue-mode and pause-mode webhooks with short retry policies.
// It then accounts for every accepted event and exits non-zero on any loss or order violation.
// Loopback only; every loop is bounded; it stops by itself.
import { parseArgs } from "node:util";
import { startReceiver } from "../scripts/receiver-lib.mjs";
import { createWebhook, makeEvent, setupSite, sleep, startEdgehooks } from "./lib.mjs";

const { values } = parseArgs({ options: { events: { type: "string", default: "2000" } } });
const TOTAL = Number(values.events);
const BATCH = 10;
const TARGETS = 10;
/**
 * Four attempts within 6 s: short enough that the outage and runs of 5xx exhaust it, so deliveries also end
 * failed for good (continue mode) and pause webhooks pause and are resumed with their failures re-sent.
 */
const POLICY = { delays_s: [1, 2, 3] };
const TIMEOUT_MS = 1000;
const OUTAGE_MS = 10_000;
const OUTAGE_AFTER_ACCEPTED_MS = 20_000;
/** 30% of attempts answered 503, 5% answered only after the webhook's timeout. */
const FAULTS = { failRate: 0.3, failStatus: 503, slowRate: 0.05, slowMs: TIMEOUT_MS + 500 };
/**
 * A pause line is strictly serial through its retries, so its length sets the run's length: 2,000 events in
 * 20 streams of 100 keep each line to a couple of minutes. Every event goes to a continue and a pause webhook.
 */
const STREAM_TYPES = [
  "post.created",
  "post.published",
  "post.updated",
  "post.unpublished",
  "post.deleted",
  "post.scheduled",
  "page.created",
  "page.published",
  "page.updated",
  "page.unpublished",
  "page.deleted",
  "media.uploaded",
  "media.deleted",
  "comment.created",
  "form.submitted",
  "member.subscribed",
  "order.created",
  "order.paid",
  "user.created",
  "user.updated",
];
const SETTLE_LIMIT_MS = 600_000;

const log = (...a) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}]`, ...a);
// The sweeper re-drives what is overdue by more than its grace period. Under this run's backlog a queue
// message can be several seconds late, and a grace shorter than that turns late messages into duplicates
// that deepen the backlog; 30 s is well above it and still far below the run's length.
const eh = await startEdgehooks("chaos", { SWEEP_GRACE_SECONDS: "30" });
const receiver = await startReceiver({ behaviour: FAULTS });
let sweeping = true;
// Cron does not fire under wrangler dev: drive the scheduled handler (the sweeper) as the cron would.
const sweeper = (async () => {
  while (sweeping) {
    await eh.runScheduled();
    await sleep(3000);
  }
})();

let exitCode;
let outage;
try {
  const s = await setupSite(eh, "chaos");
  // One producer per stream, each with its own event type and a continue-mode and a pause-mode webhook.
  const streams = STREAM_TYPES.map((type) => ({ type, hooks: [] }));
  for (const [i, stream] of streams.entries()) {
    for (const mode of ["continue", "pause"]) {
      const id = await createWebhook(eh, s, {
        url: `${receiver.url}/${mode}${i}`,
        events: [stream.type],
        retry_policy: POLICY,
        failure_mode: mode,
        timeout_ms: TIMEOUT_MS,
      });
      stream.hooks.push({ id, mode, path: `/hook/${mode}${i}` });
    }
  }

  // Producers: one per stream, each sends a batch, waits for the answer, and on any failure sends the very
  // same batch again (same event ids: a replayed batch is recognised as duplicates). Acceptance order = the
  // order a stream's batches were accepted in.
  const accepted = streams.map(() => []);
  let sent = 0;
  let restarted = false;
  const sendStream = async (k) => {
    const stream = streams[k];
    const perStream = Math.ceil(TOTAL / streams.length);
    for (let i = 0; i < perStream; i += BATCH) {
      const events = Array.from({ length: Math.min(BATCH, perStream - i) }, (_, j) =>
        makeEvent(stream.type, (i + j) % TARGETS),
      );
      for (let attempt = 1; ; attempt++) {
        const r = await eh
          .api("POST", `${s.base}/events/batch`, { events }, s.cms)
          .catch((err) => ({ status: 0, body: String(err) }));
        if (r.status === 202) break;
        if (attempt > 200) throw new Error(`batch never accepted: ${r.status} ${JSON.stringify(r.body)}`);
        await sleep(250);
      }
      accepted[k].push(...events);
      sent += events.length;
      if (!restarted && sent >= TOTAL * 0.5) {
        restarted = true;
        log("hard restart: SIGKILL to the dev server's process group");
        await eh.kill();
        await eh.start();
        log("runtime back on the same local state");
      }
    }
  };
  const t0 = Date.now();
  await Promise.all(streams.map((_, k) => sendStream(k)));
  log(`${sent} events accepted in ${((Date.now() - t0) / 1000).toFixed(1)} s; waiting for every delivery to settle`);
  // The outage comes once deliveries flow at full speed, well clear of the restart's own disruption.
  outage = setTimeout(() => {
    receiver.setBehaviour({ ...FAULTS, downUntil: Date.now() + OUTAGE_MS });
    log(`receiver outage for ${OUTAGE_MS / 1000} s`);
  }, OUTAGE_AFTER_ACCEPTED_MS);

  // Settle: nothing pending, retrying or held. A pause webhook that failed for good is resumed with
  // replay_failed, as an operator would.
  const allHooks = streams.flatMap((st) => st.hooks);
  let resumes = 0;
  const deadline = Date.now() + SETTLE_LIMIT_MS;
  for (let round = 0; ; round++) {
    let open = 0;
    const openByMode = { continue: 0, pause: 0 };
    let longestPauseLine = 0;
    for (const h of allHooks) {
      const stats = (await eh.api("GET", `${s.base}/webhooks/${h.id}/stats?window=24h`, undefined, s.ops)).body;
      const n = stats.counts.pending + stats.counts.retrying + stats.counts.held;
      open += n;
      openByMode[h.mode] += n;
      if (h.mode === "pause") {
        longestPauseLine = Math.max(longestPauseLine, n);
        const hook = (await eh.api("GET", `${s.base}/webhooks/${h.id}`, undefined, s.ops)).body;
        if (hook.status === "paused") {
          await eh.api("POST", `${s.base}/webhooks/${h.id}/resume`, { replay_failed: true }, s.ops);
          resumes++;
        }
      }
    }
    if (open === 0) break;
    if (round % 10 === 0)
      log(
        `open: ${openByMode.continue} on continue webhooks, ${openByMode.pause} on pause webhooks (longest line ${longestPauseLine})`,
      );
    if (Date.now() > deadline) {
      log(`still ${open} deliveries open after ${SETTLE_LIMIT_MS / 1000} s`);
      break;
    }
    await sleep(1000);
  }
  log(`settled ${((Date.now() - t0) / 1000).toFixed(1)} s after the first event`);

  const report = await account(s, streams, accepted);
  report.resumes = resumes;
  report.attempts_seen_by_receiver = receiver.received.length;
  console.log(JSON.stringify(report, null, 2));
  const ok =
    report.accepted_events >= 2000 || TOTAL < 2000 ? report.lost === 0 && report.order_violations === 0 : false;
  log(ok ? "PASS: every accepted event accounted for, none lost, no order violation" : "FAIL");
  exitCode = ok ? 0 : 1;
} finally {
  clearTimeout(outage);
  sweeping = false;
  await sweeper;
  await Promise.all([eh.stop(), receiver.close()]);
}
process.exit(exitCode);

async function allDeliveries(s, hookId) {
  const rows = [];
  let cursor = null;
  for (let page = 0; page < 1000; page++) {
    const r = await eh.api(
      "GET",
      `${s.base}/deliveries?webhook_id=${hookId}&limit=200${cursor ? `&cursor=${cursor}` : ""}`,
      undefined,
      s.ops,
    );
    rows.push(...r.body.data);
    cursor = r.body.next_cursor;
    if (!cursor) break;
  }
  return rows;
}

async function account(s, streams, accepted) {
  const report = {
    accepted_events: 0,
    deliveries_expected: 0,
    delivered: 0,
    delivered_by_replay_after_pause: 0,
    failed_permanently: 0,
    lost: 0,
    lost_detail: [],
    duplicates: 0,
    order_violations: 0,
    violation_detail: [],
  };
  for (const [k, stream] of streams.entries()) {
    const events = accepted[k];
    report.accepted_events += events.length;
    const index = new Map(events.map((e, i) => [e.event_id, i]));
    for (const hook of stream.hooks) {
      const rows = await allDeliveries(s, hook.id);
      const byEvent = new Map();
      for (const d of rows) (byEvent.get(d.event_id) ?? byEvent.set(d.event_id, []).get(d.event_id)).push(d);
      const arrivals = receiver.received.filter((r) => r.url === hook.path);
      const okCount = new Map();
      for (const a of arrivals)
        if (a.respondedStatus === 200) okCount.set(a.json.event_id, (okCount.get(a.json.event_id) ?? 0) + 1);
      const failedEvents = new Set();
      for (const e of events) {
        report.deliveries_expected++;
        const ds = byEvent.get(e.event_id) ?? [];
        const final = ds.find((d) => d.state === "delivered") ?? ds.find((d) => d.state === "failed");
        if (!final) {
          report.lost++;
          report.lost_detail.push({ webhook: hook.id, event: e.event_id, states: ds.map((d) => d.state) });
        } else if (final.state === "delivered") {
          report.delivered++;
          if (ds.some((d) => d.state === "resolved")) report.delivered_by_replay_after_pause++;
          if (!okCount.get(e.event_id)) {
            report.lost++;
            report.lost_detail.push({
              webhook: hook.id,
              event: e.event_id,
              why: "delivered in the log, never answered 200 at the receiver",
            });
          }
        } else {
          report.failed_permanently++;
          failedEvents.add(e.event_id);
          if (final.attempts !== POLICY.delays_s.length + 1 && final.last_error !== "gone") {
            report.lost_detail.push({
              webhook: hook.id,
              event: e.event_id,
              why: `failed after ${final.attempts} attempts, policy allows ${POLICY.delays_s.length + 1}`,
            });
            report.lost++;
          }
        }
        report.duplicates += Math.max(0, (okCount.get(e.event_id) ?? 0) - 1);
      }
      // Order: when an attempt for event k arrives, every earlier event of the same line (the webhook in
      // pause mode, the target in continue mode) must already have been answered 200 (or have failed for good).
      const lineOf = (e) => (hook.mode === "pause" ? "all" : `${e.target.type}:${e.target.id}`);
      const eventById = new Map(events.map((e) => [e.event_id, e]));
      const deliveredSoFar = new Set();
      const pendingByLine = new Map();
      for (const e of events)
        (pendingByLine.get(lineOf(e)) ?? pendingByLine.set(lineOf(e), []).get(lineOf(e))).push(index.get(e.event_id));
      for (const a of arrivals) {
        const e = eventById.get(a.json.event_id);
        if (!e) continue;
        const k = index.get(e.event_id);
        const earlier = pendingByLine
          .get(lineOf(e))
          .filter((j) => j < k && !deliveredSoFar.has(events[j].event_id) && !failedEvents.has(events[j].event_id));
        if (earlier.length && !deliveredSoFar.has(e.event_id)) {
          report.order_violations++;
          if (report.violation_detail.length < 10)
            report.violation_detail.push({
              webhook: hook.id,
              mode: hook.mode,
              event: k,
              overtook: earlier.slice(0, 5),
            });
        }
        if (a.respondedStatus === 200) deliveredSoFar.add(e.event_id);
      }
    }
  }
  report.lost_detail = report.lost_detail.slice(0, 20);
  return report;
}
