#!/usr/bin/env node
// npm run bench [-- --quick]: throughput, latency and cost of the pipeline, measured on this machine against
// a bare Worker (bench/ceiling) that signs and POSTs the same envelopes to the same receiver. Absolute
// numbers depend on the machine; the ratio to the ceiling, measured in the same run, is what we steer by.
// Loopback only; every loop is bounded; it stops by itself.
// Writes bench/results.json, bench/RESULTS.md and bench/latency.svg, and keeps every run's results in
// bench/history/bench-<time>.json, so a range stated over several runs has the runs behind it. Exits non-zero
// when any delivery's signature did not verify at the receiver.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, startWranglerDev } from "../scripts/wrangler-dev.mjs";
import { startReceiver } from "../scripts/receiver-lib.mjs";
import {
  SECRET,
  codeVersion,
  createWebhook,
  makeEvent,
  pool,
  setupSite,
  sleep,
  startEdgehooks,
  summary,
  until,
} from "./lib.mjs";

const quick = process.argv.includes("--quick");
const P = quick
  ? { ingestAlone: 50, ingest: 100, steadySeconds: 4, burst: 200, fanDeliveries: 300, ceiling: 300 }
  : { ingestAlone: 200, ingest: 400, steadySeconds: 15, burst: 1000, fanDeliveries: 1000, ceiling: 1000 };
const CONCURRENCY = 16;
/**
 * The ceiling gets the concurrency our consumer has here: one invocation at a time (the local queue runs
 * one batch at a time) with six requests in flight (production's per-invocation cap, and our send lanes).
 * In production both scale out the same way, by running more invocations.
 */
const CEILING_CONCURRENCY = 6;
const prices = JSON.parse(readFileSync(join(ROOT, "bench", "prices.json"), "utf8"));

const log = (...a) => console.log(...a);
log(
  `Edgehooks bench${quick ? " (quick)" : ""}: starting wrangler dev (pipeline and ceiling) and a receiver on 127.0.0.1…`,
);
const [eh, ceiling, receiver] = await Promise.all([
  // The sweeper stays out of the way: nothing here is lost, and it must not add work to what is measured.
  startEdgehooks("bench", { BENCH_METRICS: "1", SWEEP_GRACE_SECONDS: "3600" }),
  startWranglerDev({
    config: join(ROOT, "bench", "ceiling", "wrangler.toml"),
    healthPath: "/",
    logFile: join(ROOT, "bench", ".state", "ceiling.log"),
  }),
  startReceiver({ secret: SECRET }),
]);

const results = { machine: { node: process.version, quick }, code: codeVersion(), params: P };
try {
  const s = await setupSite(eh, "bench");
  // Fan-out groups: 1, 10 and 50 webhooks on their own event type and receiver path.
  await createWebhook(eh, s, { url: `${receiver.url}/fan1`, events: ["post.published"] });
  await pool(10, 4, () => createWebhook(eh, s, { url: `${receiver.url}/fan10`, events: ["page.published"] }));
  await pool(50, 4, () => createWebhook(eh, s, { url: `${receiver.url}/fan50`, events: ["post.updated"] }));
  const arrivals = (path) => receiver.received.filter((r) => r.url === `/hook/${path}`);
  let ingestRetries = 0;
  /** Like a producer: on a 5xx or a dropped connection, send the same event (same id) again. */
  const send = async (event) => {
    const t = Date.now();
    for (let attempt = 1; ; attempt++) {
      const r = await eh
        .api("POST", `${s.base}/events`, event, s.cms)
        .catch((err) => ({ status: 0, body: String(err) }));
      if (r.status === 202 || r.status === 200) return { sentAt: t, acceptedAt: Date.now() };
      if ((r.status !== 0 && r.status < 500) || attempt === 5)
        throw new Error(`ingest ${r.status}: ${JSON.stringify(r.body)}`);
      ingestRetries++;
      await sleep(100 * attempt);
    }
  };
  const latencyOf = (path, sent) => {
    const firstArrival = new Map();
    for (const r of arrivals(path))
      if (!firstArrival.has(r.json?.event_id)) firstArrival.set(r.json.event_id, r.receivedAt);
    return [...sent].map(([id, t]) => firstArrival.get(id) - t.sentAt).filter((x) => Number.isFinite(x));
  };

  // Warm-up: the first requests compile code and open the database.
  for (let i = 0; i < 20; i++) await send(makeEvent("post.published", i));
  await until(() => arrivals("fan1").length >= 20, 30_000, "warm-up deliveries");

  // 1. Ingest. First one producer, one event at a time: the latency of POST …/events itself. Then
  //    CONCURRENCY producers: throughput, and latency including the wait for the local runtime.
  const aloneLatencies = [];
  for (let i = 0; i < P.ingestAlone; i++) {
    const { sentAt, acceptedAt } = await send(makeEvent("post.published", 500 + i));
    aloneLatencies.push(acceptedAt - sentAt);
  }
  results.ingest_alone = { events: P.ingestAlone, concurrency: 1, latency_ms: summary(aloneLatencies) };
  log(`ingest, one at a time: latency p50/p95/p99 ${fmt(results.ingest_alone.latency_ms)}`);
  await until(() => arrivals("fan1").length >= 20 + P.ingestAlone, 120_000, "unloaded ingest deliveries");

  const ingestLatencies = [];
  let t0 = Date.now();
  await pool(P.ingest, CONCURRENCY, async (i) => {
    const { sentAt, acceptedAt } = await send(makeEvent("post.published", 1000 + i));
    ingestLatencies.push(acceptedAt - sentAt);
  });
  results.ingest = {
    events: P.ingest,
    concurrency: CONCURRENCY,
    events_per_s: round((P.ingest * 1000) / (Date.now() - t0)),
    latency_ms: summary(ingestLatencies),
  };
  log(
    `ingest: ${results.ingest.events_per_s} events/s at concurrency ${CONCURRENCY}; latency p50/p95/p99 ${fmt(results.ingest.latency_ms)}`,
  );
  await until(() => arrivals("fan1").length >= 20 + P.ingestAlone + P.ingest, 120_000, "ingest-phase deliveries");

  // 2. End to end at a steady 100 events/s, offered open loop as a batch of 10 every 100 ms (a producer
  //    that batches; single-event ingest saturates below 100/s under local wrangler dev, see RESULTS.md).
  const steady = new Map();
  const steadyTotal = P.steadySeconds * 100;
  const start = Date.now();
  const inflight = [];
  for (let i = 0; i < steadyTotal; i += 10) {
    const due = start + i * 10;
    if (due > Date.now()) await sleep(due - Date.now());
    const events = Array.from({ length: 10 }, (_, j) => makeEvent("post.published", 5000 + ((i + j) % 50)));
    const sentAt = Date.now();
    inflight.push(
      eh.api("POST", `${s.base}/events/batch`, { events }, s.cms).then((r) => {
        if (r.status !== 202) throw new Error(`batch ${r.status}`);
        for (const e of events) steady.set(e.event_id, { sentAt, acceptedAt: Date.now() });
      }),
    );
  }
  await Promise.all(inflight);
  const steadyIds = new Set(steady.keys());
  await until(
    () => arrivals("fan1").filter((r) => steadyIds.has(r.json?.event_id)).length >= steadyTotal,
    120_000,
    "steady-rate deliveries",
  );
  const steadyLatency = latencyOf("fan1", steady);
  results.steady_100 = {
    events: steadyTotal,
    offered_per_s: 100,
    how: "batches of 10 every 100 ms",
    achieved_per_s: round(
      (steadyTotal * 1000) /
        (Math.max(
          ...arrivals("fan1")
            .filter((r) => steadyIds.has(r.json?.event_id))
            .map((r) => r.receivedAt),
        ) -
          start),
    ),
    latency_ms: summary(steadyLatency),
  };
  log(`end to end at 100 events/s: p50/p95/p99 ${fmt(results.steady_100.latency_ms)}`);

  // 3. End to end at the highest rate: CONCURRENCY producers as fast as answers come.
  const burst = new Map();
  t0 = Date.now();
  await pool(P.burst, CONCURRENCY, async (i) => {
    const e = makeEvent("post.published", 9000 + (i % 200));
    burst.set(e.event_id, await send(e));
  });
  const burstIds = new Set(burst.keys());
  await until(
    () => arrivals("fan1").filter((r) => burstIds.has(r.json?.event_id)).length >= P.burst,
    180_000,
    "burst deliveries",
  );
  const lastBurst = Math.max(
    ...arrivals("fan1")
      .filter((r) => burstIds.has(r.json?.event_id))
      .map((r) => r.receivedAt),
  );
  results.max_rate = {
    events: P.burst,
    delivered_per_s: round((P.burst * 1000) / (lastBurst - t0)),
    latency_ms: summary(latencyOf("fan1", burst)),
  };
  log(
    `end to end at the highest rate: ${results.max_rate.delivered_per_s} deliveries/s; p50/p95/p99 ${fmt(results.max_rate.latency_ms)}`,
  );

  const ceilingRuns = [];
  const runCeiling = async (tag) => {
    const path = `ceiling-${tag}`;
    const start = Date.now();
    const ran = await fetch(`${ceiling.baseUrl}/run`, {
      method: "POST",
      body: JSON.stringify({
        url: `${receiver.url}/${path}`,
        secret: SECRET,
        count: P.ceiling,
        concurrency: CEILING_CONCURRENCY,
        tag,
      }),
    }).then((r) => r.json());
    if (ran.ok !== P.ceiling) throw new Error(`ceiling: ${JSON.stringify(ran)}`);
    await until(() => arrivals(path).length >= P.ceiling, 120_000, "ceiling deliveries");
    const rate = round((P.ceiling * 1000) / (Math.max(...arrivals(path).map((r) => r.receivedAt)) - start));
    ceilingRuns.push(rate);
    log(`ceiling (${tag}): ${rate} deliveries/s`);
    return rate;
  };
  await runCeiling("c1");

  // 4. Sustained deliveries per second by fan-out, with the cost counters over each phase.
  results.fanout = {};
  for (const [group, type, fan] of [
    ["fan1", "post.published", 1],
    ["fan10", "page.published", 10],
    ["fan50", "post.updated", 50],
  ]) {
    const events = Math.max(1, Math.round(P.fanDeliveries / fan));
    const before = arrivals(group).length;
    await fetch(`${eh.baseUrl}/__bench/metrics/reset`, { method: "POST" });
    t0 = Date.now();
    const batches = [];
    for (let i = 0; i < events; i += 20)
      batches.push(Array.from({ length: Math.min(20, events - i) }, (_, j) => makeEvent(type, 20_000 + i + j)));
    await pool(batches.length, 4, async (b) => {
      const r = await eh.api("POST", `${s.base}/events/batch`, { events: batches[b] }, s.cms);
      if (r.status !== 202) throw new Error(`batch ${r.status}`);
    });
    const expected = events * fan;
    await until(() => arrivals(group).length - before >= expected, 300_000, `${group} deliveries`);
    const last = Math.max(
      ...arrivals(group)
        .slice(before)
        .map((r) => r.receivedAt),
    );
    // Let the last outcomes be recorded before reading the counters (a check that reads next to nothing,
    // since the counters include it).
    await until(() => nothingOpen(eh, s), 60_000, `${group} recorded`);
    const m = await (await fetch(`${eh.baseUrl}/__bench/metrics`)).json();
    results.fanout[group] = {
      fan_out: fan,
      events,
      deliveries: expected,
      deliveries_per_s: round((expected * 1000) / (last - t0)),
      counters: m,
      per_delivery: perDelivery(m, expected, Math.ceil(events / 20)),
    };
    log(`fan-out ${fan}: ${results.fanout[group].deliveries_per_s} deliveries/s (${expected} deliveries)`);
  }

  // 5. The ceiling: the bare Worker signs and POSTs the same number of envelopes to the same receiver. It
  //    runs once before the fan-out phases and once after, and the ratios use the mean of the two, so a
  //    machine that slows down or speeds up during the run does not tilt them.
  const ceilingRate = round((ceilingRuns[0] + (await runCeiling("c2"))) / 2);
  results.ceiling = {
    deliveries: P.ceiling,
    concurrency: CEILING_CONCURRENCY,
    runs_per_s: ceilingRuns,
    deliveries_per_s: ceilingRate,
  };
  results.ratio_to_ceiling = {
    max_rate: round(results.max_rate.delivered_per_s / ceilingRate, 3),
    fan1: round(results.fanout.fan1.deliveries_per_s / ceilingRate, 3),
    fan10: round(results.fanout.fan10.deliveries_per_s / ceilingRate, 3),
    fan50: round(results.fanout.fan50.deliveries_per_s / ceilingRate, 3),
  };
  log(`ceiling: ${ceilingRate} deliveries/s; ours as a ratio: ${JSON.stringify(results.ratio_to_ceiling)}`);
  const unsigned = receiver.received.filter((r) => r.signatureValid !== true);
  results.signatures_valid = unsigned.length === 0;
  results.signatures_failed = unsigned.length;
  results.ingest_retries = ingestRetries;
  results.at = new Date().toISOString();

  const history = saveHistory(results);
  writeFileSync(join(ROOT, "bench", "results.json"), JSON.stringify(results, null, 2) + "\n");
  writeFileSync(join(ROOT, "bench", "RESULTS.md"), report(results, history));
  writeFileSync(
    join(ROOT, "bench", "latency.svg"),
    histogram(steadyLatency, "End-to-end latency at 100 events/s (ms)"),
  );
  log(`\n${report(results, history)}\nWrote bench/results.json, bench/RESULTS.md, bench/latency.svg`);
  if (!results.signatures_valid) {
    log(
      `FAIL: ${unsigned.length} of ${receiver.received.length} requests reached the receiver without a valid signature`,
    );
    process.exitCode = 1;
  }
} finally {
  await Promise.all([eh.stop(), ceiling.stop(), receiver.close()]);
}

/** Writes this run to bench/history/ and returns every kept run (this one included), oldest first. */
function saveHistory(r) {
  const dir = join(ROOT, "bench", "history");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `bench-${r.at.replace(/[:.]/g, "-")}.json`), JSON.stringify(r, null, 2) + "\n");
  return readdirSync(dir)
    .filter((f) => /^bench-.*\.json$/.test(f))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")))
    .filter((h) => h.machine?.quick === r.machine.quick && h.ratio_to_ceiling);
}

async function nothingOpen(eh, s) {
  for (const state of ["pending", "retrying", "held"]) {
    const r = await eh.api("GET", `${s.base}/deliveries?state=${state}&limit=1`, undefined, s.ops);
    if (r.status !== 200 || r.body.data.length) return false;
  }
  return true;
}

/** Each counter per delivery, and the cost at list prices: everything counted where it happened, nothing assumed. */
function perDelivery(m, deliveries, requests) {
  const unit = {
    d1_rows_read: m.d1_rows_read / deliveries,
    d1_rows_written: m.d1_rows_written / deliveries,
    d1_rows_changed: m.d1_changes / deliveries,
    d1_statements: m.d1_statements / deliveries,
    queue_operations: (m.queue_writes + m.queue_reads + m.queue_deletes) / deliveries,
    queue_writes: m.queue_writes / deliveries,
    queue_reads: m.queue_reads / deliveries,
    queue_deletes: m.queue_deletes / deliveries,
    consumer_invocations: m.consumer_invocations / deliveries,
    durable_object_calls: m.do_calls / deliveries,
    fetches: m.fetches / deliveries,
  };
  const p = prices.per_million;
  const usd =
    unit.d1_rows_read * p.d1_rows_read +
    unit.d1_rows_written * p.d1_rows_written +
    unit.queue_operations * p.queue_operations +
    unit.durable_object_calls * p.durable_object_requests +
    // ingest requests and consumer invocations, both billed as Worker requests
    (requests / deliveries + unit.consumer_invocations) * p.worker_requests;
  return {
    ...Object.fromEntries(Object.entries(unit).map(([k, v]) => [k, round(v, 2)])),
    usd_per_million_deliveries: round(usd, 2),
  };
}

function round(x, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function fmt(l) {
  return `${l.p50}/${l.p95}/${l.p99} ms`;
}

/** "min–max" of a figure over the kept runs. */
function range(history, pick) {
  const xs = history.map(pick).filter((x) => Number.isFinite(x));
  if (!xs.length) return "n/a";
  const [lo, hi] = [Math.min(...xs), Math.max(...xs)];
  return lo === hi ? `${lo}` : `${lo}–${hi}`;
}

function report(r, history) {
  const row = (cells) => `| ${cells.join(" | ")} |`;
  const f1 = r.fanout.fan1.per_delivery;
  const f10 = r.fanout.fan10.per_delivery;
  return [
    `# Benchmark results`,
    ``,
    `\`npm run bench${r.machine.quick ? " -- --quick" : ""}\` on ${new Date().toISOString().slice(0, 10)}, Node ${r.machine.node}, local \`wrangler dev\` (workerd, local D1/Queues/DOs), receiver on 127.0.0.1. Ratios are to the bare-Worker ceiling measured in the same run.`,
    ``,
    row(["measure", "value"]),
    row(["---", "---"]),
    row(["ingest latency, one event at a time, p50 / p95 / p99", fmt(r.ingest_alone.latency_ms)]),
    row(["ingest throughput (" + r.ingest.concurrency + " producers)", `${r.ingest.events_per_s} events/s`]),
    row(["ingest latency with " + r.ingest.concurrency + " producers, p50 / p95 / p99", fmt(r.ingest.latency_ms)]),
    row(["end to end at 100 events/s (batches of 10 every 100 ms), p50 / p95 / p99", fmt(r.steady_100.latency_ms)]),
    row(["single-event ingest at full speed (16 producers): end to end p50 / p95 / p99", fmt(r.max_rate.latency_ms)]),
    row([
      "single-event ingest at full speed: deliveries/s",
      `${r.max_rate.delivered_per_s} = ${r.ratio_to_ceiling.max_rate} × ceiling`,
    ]),
    row([
      "deliveries/s, fan-out 1 (batched ingest)",
      `${r.fanout.fan1.deliveries_per_s} = ${r.ratio_to_ceiling.fan1} × ceiling`,
    ]),
    row(["deliveries/s, fan-out 10", `${r.fanout.fan10.deliveries_per_s} = ${r.ratio_to_ceiling.fan10} × ceiling`]),
    row(["deliveries/s, fan-out 50", `${r.fanout.fan50.deliveries_per_s} = ${r.ratio_to_ceiling.fan50} × ceiling`]),
    row([
      "ceiling: bare Worker, same signed POSTs",
      `${r.ceiling.deliveries_per_s} deliveries/s, mean of ${r.ceiling.runs_per_s.join(" and ")} (one invocation, ${r.ceiling.concurrency} in flight, as our consumer here)`,
    ]),
    row([
      "D1 rows written per delivery, fan-out 1 / 10 (billed, with index entries)",
      `${f1.d1_rows_written} / ${f10.d1_rows_written}`,
    ]),
    row([
      "D1 rows changed per delivery, fan-out 1 / 10 (table rows)",
      `${f1.d1_rows_changed} / ${f10.d1_rows_changed}`,
    ]),
    row(["D1 rows read per delivery, fan-out 1 / 10", `${f1.d1_rows_read} / ${f10.d1_rows_read}`]),
    row([
      "queue operations per delivery, fan-out 1 / 10 (writes + reads + deletes, counted)",
      `${f1.queue_operations} / ${f10.queue_operations}`,
    ]),
    row([
      "consumer invocations per delivery, fan-out 1 / 10 (counted)",
      `${f1.consumer_invocations} / ${f10.consumer_invocations}`,
    ]),
    row(["DO calls, fetches per delivery (fan-out 1)", `${f1.durable_object_calls}, ${f1.fetches}`]),
    row([
      "cost per million deliveries, fan-out 1 / 10",
      `$${f1.usd_per_million_deliveries} / $${f10.usd_per_million_deliveries}`,
    ]),
    ``,
    `Prices: bench/prices.json (Cloudflare's published list prices, with sources). Every delivery's signature verified at the receiver: ${r.signatures_valid}${r.signatures_valid ? "" : ` (${r.signatures_failed} did not: the run failed)`}.`,
    ``,
    `## Across runs`,
    ``,
    `The ${history.length} ${r.machine.quick ? "quick " : ""}run${history.length === 1 ? "" : "s"} kept in bench/history/ (one file per run), this one included:`,
    ``,
    row(["measure", "range"]),
    row(["---", "---"]),
    row(["ceiling, deliveries/s", range(history, (h) => h.ceiling.deliveries_per_s)]),
    row(["ratio to the ceiling, fan-out 1", range(history, (h) => h.ratio_to_ceiling.fan1)]),
    row(["ratio to the ceiling, fan-out 10", range(history, (h) => h.ratio_to_ceiling.fan10)]),
    row(["ratio to the ceiling, fan-out 50", range(history, (h) => h.ratio_to_ceiling.fan50)]),
    row(["ingest latency alone, p99 ms", range(history, (h) => h.ingest_alone.latency_ms.p99)]),
    row(["end to end at 100 events/s, p99 ms", range(history, (h) => h.steady_100.latency_ms.p99)]),
    row([
      "queue operations per delivery, fan-out 1",
      range(history, (h) => h.fanout.fan1.per_delivery.queue_operations),
    ]),
    row([
      "consumer invocations per delivery, fan-out 1",
      range(history, (h) => h.fanout.fan1.per_delivery.consumer_invocations),
    ]),
    ``,
  ].join("\n");
}

function histogram(values, title) {
  const W = 640;
  const H = 320;
  const pad = 40;
  const max = Math.max(1, ...values);
  const bins = 30;
  const width = Math.ceil(max / bins) || 1;
  const counts = Array(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(v / width))]++;
  const top = Math.max(1, ...counts);
  const bw = (W - 2 * pad) / bins;
  const bars = counts
    .map((c, i) => {
      const h = ((H - 2 * pad) * c) / top;
      return `<rect x="${(pad + i * bw).toFixed(1)}" y="${(H - pad - h).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="#f38020"/>`;
    })
    .join("");
  const label = (x, text) => `<text x="${x}" y="${H - pad + 16}" font-size="11" text-anchor="middle">${text}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<text x="${W / 2}" y="20" font-size="14" text-anchor="middle">${title}, n=${values.length}</text>
${bars}
<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#333"/>
${label(pad, 0)}${label(W / 2, Math.round((bins * width) / 2))}${label(W - pad, bins * width)}
<text x="12" y="${H / 2}" font-size="11" transform="rotate(-90 12 ${H / 2})" text-anchor="middle">events (max ${top})</text>
</svg>
`;
}
