#!/usr/bin/env node
// npm run chaos [-- --events N]: fault injection against a real runtime. A receiver that answers 5xx 30% of
// the time and is slower than the webhook's timeout 5% of the time, one total outage of 10 s, and one hard
// restart (SIGKILL to the dev server's process group, then a start on the same local state) mid-run, over at
// least 2,000 events to continue-mode and pause-mode webhooks with short retry policies.
//
// The verdict comes from the receiver's own timeline, not from our log: per webhook, the order in which
// event ids first arrived and each delivery's attempts as the receiver saw them (answered 2xx before the
// sender gave up, answered otherwise, or abandoned by the sender: a 200 written after our timeout is not a
// delivery). Our log is judged the same way, separately, and the two must agree. It exits non-zero on any
// loss, any order violation, any disagreement, or when the restart or the outage hit no work in flight.
// Loopback only; every loop is bounded; it stops by itself. Results go to bench/history/chaos-<time>.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../scripts/wrangler-dev.mjs";
import { startReceiver } from "../scripts/receiver-lib.mjs";
import { SECRET, codeVersion, createWebhook, makeEvent, pool, setupSite, sleep, startEdgehooks } from "./lib.mjs";
import { eventOutcome, receiverDeliveries, violations } from "./chaos-judge.mjs";

const { values } = parseArgs({ options: { events: { type: "string", default: "2000" } } });
const TOTAL = Number(values.events);
const BATCH = 10;
const TARGETS = 10;
/**
 * Four attempts within 6 s: short enough that the outage and runs of 5xx exhaust it, so deliveries also end
 * failed for good (continue mode) and pause webhooks pause and are resumed with their failures re-sent.
 */
const POLICY = { delays_s: [1, 2, 3] };
const MAX_ATTEMPTS = POLICY.delays_s.length + 1;
const TIMEOUT_MS = 1000;
const OUTAGE_MS = 10_000;
/**
 * The restart comes once half the events are accepted and deliveries are reaching the receiver (this many
 * requests); the outage once every event is accepted and as many have arrived since the restart. Both are
 * states to reach, not times to guess, so both hit work in flight on a fast machine or a slow one.
 */
const ARRIVALS_BEFORE_FAULT = Math.min(200, TOTAL / 4);
/** 30% of attempts answered 503, 5% answered only after the webhook's timeout. */
const FAULTS = { failRate: 0.3, failStatus: 503, slowRate: 0.05, slowMs: TIMEOUT_MS + 500 };
/**
 * A pause line is strictly serial through its retries, so its length sets the run's length: 2,000 events in
 * 20 streams of 100 keep each line to a couple of minutes. Every event goes to a continue and a pause webhook.
 */
/** Streams, one event type each, taken from the running service's catalog so a catalog change never breaks the run. */
const STREAMS = 20;
const SETTLE_LIMIT_MS = 600_000;
const INFINITY = Number.POSITIVE_INFINITY;

const log = (...a) => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}]`, ...a);
const started = Date.now();
const code = codeVersion();
// The sweeper re-drives what is overdue by more than its grace period. Under this run's backlog a queue
// message can be several seconds late, and a grace shorter than that turns late messages into duplicates
// that deepen the backlog; 30 s is well above it and still far below the run's length.
const eh = await startEdgehooks("chaos", { SWEEP_GRACE_SECONDS: "30" });
const receiver = await startReceiver({ secret: SECRET, behaviour: FAULTS });
let sweeping = true;
// Cron does not fire under wrangler dev: drive the scheduled handler (the sweeper) as the cron would.
const sweeper = (async () => {
  while (sweeping) {
    await eh.runScheduled();
    await sleep(3000);
  }
})();

// Set once the run is judged; an error before that propagates out of the try and fails the process.
let exitCode;
let outageTimer;
try {
  const s = await setupSite(eh, "chaos");
  // One producer per stream, each with its own event type and a continue-mode and a pause-mode webhook.
  const catalog = await eh.api("GET", "/v1/event-types");
  const types = catalog.body.data.map((t) => t.type).slice(0, STREAMS);
  if (types.length < STREAMS) throw new Error(`the catalog has ${types.length} types; the run needs ${STREAMS}`);
  const streams = types.map((type) => ({ type, hooks: [] }));
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
  const restart = { seq: null, back_seq: null, open_requests: null, accepted_deliveries: null };
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
    }
  };
  const restarter = async () => {
    const deadline = Date.now() + SETTLE_LIMIT_MS;
    while (sent < TOTAL * 0.5 || receiver.received.length < ARRIVALS_BEFORE_FAULT) {
      if (Date.now() > deadline) return log("no restart: deliveries never reached the receiver");
      await sleep(50);
    }
    restart.open_requests = receiver.openRequests();
    restart.seq = receiver.sequence();
    restart.accepted_deliveries = sent * 2;
    log(`hard restart (${sent} events accepted): SIGKILL to the dev server's process group`);
    await eh.kill();
    await eh.start();
    restart.back_seq = receiver.sequence();
    log("runtime back on the same local state");
  };
  const t0 = Date.now();
  await Promise.all([...streams.map((_, k) => sendStream(k)), restarter()]);
  log(`${sent} events accepted in ${((Date.now() - t0) / 1000).toFixed(1)} s; waiting for every delivery to settle`);

  // The outage comes once deliveries flow again after the restart (that many requests have arrived since):
  // a state to reach, not a time to guess.
  const outage = { start_seq: null, end_seq: null, open_requests: null, at: null };
  const arrivedSinceRestart = () => receiver.received.filter((r) => r.seq > restart.back_seq).length;
  const startOutage = () => {
    outage.at = Date.now();
    outage.start_seq = receiver.sequence();
    outage.open_requests = receiver.openRequests();
    receiver.setBehaviour({ ...FAULTS, downUntil: outage.at + OUTAGE_MS });
    log(`receiver outage for ${OUTAGE_MS / 1000} s (${outage.open_requests} requests open as it began)`);
    outageTimer = setTimeout(() => (outage.end_seq = receiver.sequence()), OUTAGE_MS);
  };

  // Settle: nothing pending, retrying or held. A pause webhook that failed for good is resumed with
  // replay_failed, as an operator would.
  const allHooks = streams.flatMap((st) => st.hooks);
  let resumes = 0;
  const deadline = Date.now() + SETTLE_LIMIT_MS;
  for (let round = 0; ; round++) {
    if (outage.at === null && restart.back_seq !== null && arrivedSinceRestart() >= ARRIVALS_BEFORE_FAULT)
      startOutage();
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
          open++; // its failures were just re-sent: not settled until a later round sees them through
        }
      }
    }
    // Settled once nothing is open and the outage has run its course; a run whose work ended before the
    // outage could start ends here too, and fails for it.
    if (open === 0 && (outage.end_seq !== null || outage.at === null)) break;
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
  const settledAfter = (Date.now() - t0) / 1000;
  log(`settled ${settledAfter.toFixed(1)} s after the first event; reading the log`);

  const fromReceiver = judgeReceiver(streams, accepted, restart, outage);
  const fromLog = await judgeLog(s, streams, accepted);
  const report = {
    events: TOTAL,
    accepted_events: fromReceiver.accepted_events,
    deliveries_expected: fromReceiver.deliveries_expected,
    receiver: fromReceiver.summary,
    log: fromLog.summary,
    agreement: agree(fromReceiver, fromLog),
    in_flight: fromReceiver.in_flight,
    resumes,
    attempts_seen_by_receiver: receiver.received.length,
    settled_after_s: Math.round(settledAfter),
    run_s: Math.round((Date.now() - started) / 1000),
  };
  const failures = verdict(report);
  report.pass = failures.length === 0;
  saveTimeline(streams, fromLog.rows);
  report.failures = failures;
  console.log(JSON.stringify(report, null, 2));
  saveHistory(report);
  log(
    report.pass
      ? "PASS: every accepted event accounted for at the receiver and in the log, none lost, no order violation"
      : `FAIL: ${failures.join("; ")}`,
  );
  exitCode = report.pass ? 0 : 1;
} finally {
  clearTimeout(outageTimer);
  sweeping = false;
  await sweeper;
  await Promise.all([eh.stop(), receiver.close()]);
}
process.exit(exitCode);

/** The line an event belongs to where the mode promises order: the webhook (pause) or its target (continue). */
/** The receiver's timeline, per webhook: each delivery's attempts as it saw them, and what that proves. */
/** One side's verdict (the receiver's or the log's), filled webhook by webhook through `tally`. */
function newSide(extra = {}) {
  return {
    summary: {
      delivered: 0,
      failed_permanently: 0,
      delivered_by_replay_after_pause: 0,
      lost: 0,
      lost_detail: [],
      order_violations: 0,
      violation_detail: [],
      ...extra,
    },
    failedDeliveries: new Set(),
    deliveredEvents: new Set(),
  };
}

/** Counts one webhook's events by outcome, and its order violations, into one side's verdict. */
function tally(side, hook, events, outcome, lostDetail) {
  const { summary } = side;
  for (const e of events) {
    const o = outcome(e);
    if (o.delivered) {
      summary.delivered++;
      side.deliveredEvents.add(`${hook.id}/${e.event_id}`);
      if (o.failed) summary.delivered_by_replay_after_pause++;
    } else if (o.failed) summary.failed_permanently++;
    else {
      summary.lost++;
      if (summary.lost_detail.length < 20)
        summary.lost_detail.push({ webhook: hook.id, event: e.event_id, ...lostDetail(e) });
    }
  }
  const found = violations(hook.mode, events, outcome).map((v) => ({ webhook: hook.id, mode: hook.mode, ...v }));
  summary.order_violations += found.length;
  summary.violation_detail.push(...found.slice(0, 10 - summary.violation_detail.length));
}

function judgeReceiver(streams, accepted, restart, outage) {
  const side = newSide({ duplicates: 0, late_200s: 0, signature_failures: 0 });
  const { summary, failedDeliveries } = side;
  const spans = [];
  let accepted_events = 0;
  let deliveries_expected = 0;
  for (const [k, stream] of streams.entries()) {
    const events = accepted[k];
    accepted_events += events.length;
    for (const hook of stream.hooks) {
      const arrivals = receiver.received.filter((r) => r.path === hook.path);
      for (const a of arrivals) if (a.respondedStatus === 200 && a.clientGone) summary.late_200s++;
      const deliveriesOf = new Map();
      for (const d of receiverDeliveries(arrivals, MAX_ATTEMPTS)) {
        if (d.failedAt !== null) failedDeliveries.add(`${hook.id}/${d.id}`);
        (deliveriesOf.get(d.event_id) ?? deliveriesOf.set(d.event_id, []).get(d.event_id)).push(d);
        spans.push({ first: d.first, end: d.okEnd ?? d.failedAt ?? INFINITY });
      }
      const outcome = (e) => eventOutcome(deliveriesOf.get(e.event_id) ?? []);
      deliveries_expected += events.length;
      tally(side, hook, events, outcome, (e) => ({ attempts_seen: (deliveriesOf.get(e.event_id) ?? []).length }));
      for (const e of events) {
        const answered2xx = arrivals.filter((a) => a.json?.event_id === e.event_id && a.respondedStatus === 200);
        summary.duplicates += Math.max(0, answered2xx.length - 1);
      }
      for (const a of arrivals) if (a.signatureValid === false) summary.signature_failures++;
    }
  }
  // In flight: a delivery whose first attempt had arrived and whose outcome had not (or never did).
  const spanning = (seq) => spans.filter((sp) => sp.first <= seq && sp.end > seq).length;
  const during = (a, b) => spans.filter((sp) => sp.first <= b && sp.end >= a).length;
  const in_flight = {
    at_restart: restart.seq === null ? 0 : spanning(restart.seq),
    requests_open_at_restart: restart.open_requests,
    accepted_and_unsettled_at_restart:
      restart.seq === null ? 0 : restart.accepted_deliveries - spans.filter((sp) => sp.end <= restart.seq).length,
    during_outage: outage.start_seq === null ? 0 : during(outage.start_seq, outage.end_seq ?? INFINITY),
    requests_open_as_outage_began: outage.open_requests,
    attempts_answered_by_the_outage:
      outage.at === null
        ? 0
        : receiver.received.filter((r) => r.receivedAt >= outage.at && r.receivedAt < outage.at + OUTAGE_MS).length,
  };
  return { ...side, in_flight, accepted_events, deliveries_expected };
}

/** Every delivery of a webhook from the log, with its attempts. */
async function logDeliveries(s, hookId) {
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
  const detailed = new Array(rows.length);
  await pool(rows.length, 8, async (i) => {
    detailed[i] = (await eh.api("GET", `${s.base}/deliveries/${rows[i].id}`, undefined, s.ops)).body;
  });
  return detailed;
}

/** Our log's view, judged by the same rule on its own clock (when each attempt was sent and ended). */
async function judgeLog(s, streams, accepted) {
  const side = newSide();
  const rows = [];
  for (const [k, stream] of streams.entries()) {
    for (const hook of stream.hooks) {
      const byEvent = new Map();
      const detailed = await logDeliveries(s, hook.id);
      rows.push(...detailed);
      for (const d of detailed) {
        (byEvent.get(d.event_id) ?? byEvent.set(d.event_id, []).get(d.event_id)).push(d);
        if (d.state === "failed" || d.state === "resolved") side.failedDeliveries.add(`${hook.id}/${d.id}`);
      }
      const outcome = (e) => {
        const o = { okStart: null, final: null, delivered: false, failed: false };
        const earliest = (a, b) => (a === null ? b : Math.min(a, b));
        for (const d of byEvent.get(e.event_id) ?? []) {
          const attempts = d.attempts_detail.map((a) => ({
            ok: a.response?.status >= 200 && a.response?.status < 300,
            sent: Date.parse(a.timing.sent_at),
            end: Date.parse(a.started_at) + a.timing.total_ms,
          }));
          const ok = attempts.find((a) => a.ok);
          const last = attempts[attempts.length - 1];
          if (d.state === "delivered" && ok) {
            o.delivered = true;
            o.okStart = earliest(o.okStart, ok.sent);
            o.final = earliest(o.final, ok.end);
          } else if ((d.state === "failed" || d.state === "resolved") && last) {
            o.failed = true;
            o.final = earliest(o.final, last.end);
          }
        }
        return o;
      };
      tally(side, hook, accepted[k], outcome, (e) => ({
        states: (byEvent.get(e.event_id) ?? []).map((d) => d.state),
      }));
    }
  }
  return { ...side, rows };
}

/** Where the receiver and the log differ: which deliveries failed for good, which events were delivered. */
function agree(r, l) {
  const only = (a, b) => [...a].filter((x) => !b.has(x));
  const failedOnlyInLog = only(l.failedDeliveries, r.failedDeliveries);
  const failedOnlyAtReceiver = only(r.failedDeliveries, l.failedDeliveries);
  const deliveredOnlyInLog = only(l.deliveredEvents, r.deliveredEvents);
  const deliveredOnlyAtReceiver = only(r.deliveredEvents, l.deliveredEvents);
  return {
    order_violations: { receiver: r.summary.order_violations, log: l.summary.order_violations },
    failed_deliveries: { receiver: r.failedDeliveries.size, log: l.failedDeliveries.size },
    failed_only_in_log: failedOnlyInLog.slice(0, 10),
    failed_only_at_receiver: failedOnlyAtReceiver.slice(0, 10),
    delivered_only_in_log: deliveredOnlyInLog.slice(0, 10),
    delivered_only_at_receiver: deliveredOnlyAtReceiver.slice(0, 10),
    agree:
      r.summary.order_violations === l.summary.order_violations &&
      failedOnlyInLog.length +
        failedOnlyAtReceiver.length +
        deliveredOnlyInLog.length +
        deliveredOnlyAtReceiver.length ===
        0,
  };
}

function verdict(r) {
  const f = [];
  if (r.accepted_events < Math.min(2000, TOTAL)) f.push(`only ${r.accepted_events} events accepted`);
  if (r.receiver.lost) f.push(`${r.receiver.lost} lost at the receiver`);
  if (r.log.lost) f.push(`${r.log.lost} lost in the log`);
  if (r.receiver.order_violations) f.push(`${r.receiver.order_violations} order violations at the receiver`);
  if (r.log.order_violations) f.push(`${r.log.order_violations} order violations in the log`);
  if (!r.agreement.agree) f.push("the receiver and the log disagree");
  if (r.receiver.signature_failures) f.push(`${r.receiver.signature_failures} signatures did not verify`);
  if (!r.in_flight.at_restart) f.push("the restart hit no delivery in flight");
  if (!r.in_flight.during_outage) f.push("the outage hit no delivery in flight");
  return f;
}

function saveHistory(report) {
  const dir = join(ROOT, "bench", "history");
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const file = join(dir, `chaos-${stamp}.json`);
  writeFileSync(
    file,
    JSON.stringify({ at: new Date().toISOString(), node: process.version, code, ...report }, null, 2) + "\n",
  );
  log(`wrote ${file}`);
}

/** Both timelines, for reading a failed run: bench/.state/chaos-timeline.json (not kept in the repo). */
function saveTimeline(streams, logRows) {
  const file = join(ROOT, "bench", ".state", "chaos-timeline.json");
  const receiverSide = receiver.received.map((r) => ({
    path: r.path,
    event_id: r.json?.event_id,
    delivery: r.headers["x-sgen-delivery"],
    attempt: r.headers["x-sgen-delivery-attempt"],
    seq: r.seq,
    at: r.receivedAt,
    status: r.respondedStatus,
    answered_seq: r.respondedSeq,
    answered_at: r.respondedAt,
    client_gone_seq: r.clientGoneSeq ?? null,
    client_gone_at: r.clientGoneAt,
  }));
  const logSide = logRows.map((d) => ({
    id: d.id,
    webhook: d.webhook_id,
    event_id: d.event_id,
    state: d.state,
    replay_of: d.replay_of,
    attempts: d.attempts_detail.map((a) => ({
      n: a.n,
      started_at: a.started_at,
      sent_at: a.timing.sent_at,
      total_ms: a.timing.total_ms,
      status: a.response?.status ?? null,
      error: a.error,
    })),
  }));
  const hooks = streams.flatMap((st) => st.hooks);
  writeFileSync(file, JSON.stringify({ hooks, receiver: receiverSide, log: logSide }) + "\n");
  log(`timelines in ${file}`);
}
