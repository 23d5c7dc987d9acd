#!/usr/bin/env node
// npm run profile [-- --phase ingest|fan1|fan10] [-- --events N]: where the Worker's CPU goes, as a count, not a guess.
// Starts a fresh Edgehooks under `wrangler dev` (BENCH_METRICS off, as in production) and the bench's receiver,
// takes a V8 CPU profile of the Worker through its DevTools inspector while one phase runs, and prints the
// functions with the most self time and the most total time (with what they call). The profile is kept in
// bench/.state/<phase>.cpuprofile (open it in Chrome DevTools for the whole tree).
//
// Phases: `ingest` sends single events from 16 producers (fan-out 1); `fan1` and `fan10` send batches of 20 events
// to 1 and 10 webhooks and wait for every delivery. Loopback only; bounded; it stops by itself.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";
import { ROOT } from "../scripts/wrangler-dev.mjs";
import { startBenchReceiver } from "./receiver.mjs";
import { SECRET, createWebhook, makeEvent, pool, setupSite, startEdgehooks } from "./lib.mjs";

const argv = process.argv.slice(2);
const arg = (name, fallback) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
const phase = arg("--phase", "ingest");
const events = Number(arg("--events", phase === "ingest" ? 600 : 1000));
if (!["ingest", "fan1", "fan10"].includes(phase)) throw new Error("--phase takes ingest, fan1 or fan10");
if (!Number.isInteger(events) || events < 1 || events > 5000) throw new Error("--events takes 1 to 5000");
const fan = phase === "fan10" ? 10 : 1;

const [eh, receiver] = await Promise.all([
  startEdgehooks("profile", { SWEEP_GRACE_SECONDS: "3600" }),
  startBenchReceiver({ secret: SECRET }),
]);
try {
  const s = await setupSite(eh, "profile");
  await pool(fan, 4, () => createWebhook(eh, s, { url: `${receiver.url}/p`, events: ["post.published"] }));
  const post = async (path, body) => {
    const r = await eh.api("POST", `${s.base}${path}`, body, s.cms);
    if (r.status !== 202 && r.status !== 200) throw new Error(`ingest ${r.status}: ${JSON.stringify(r.body)}`);
  };
  const run = async (n, offset) => {
    if (phase === "ingest") {
      await pool(n, 16, (i) => post("/events", makeEvent("post.published", offset + i)));
    } else {
      const batches = Math.ceil(n / 20);
      await pool(batches, 4, (b) =>
        post("/events/batch", {
          events: Array.from({ length: Math.min(20, n - b * 20) }, (_, j) =>
            makeEvent("post.published", offset + b * 20 + j),
          ),
        }),
      );
    }
    await receiver.expect("/hook/p", n * fan, 240_000);
    await receiver.collect("/hook/p");
  };
  await run(40, 0); // warm-up: compile, open the database
  const inspector = await connect(eh.inspectorPort);
  await inspector.send("Profiler.enable");
  await inspector.send("Profiler.setSamplingInterval", { interval: 200 });
  await inspector.send("Profiler.start");
  const t0 = Date.now();
  await run(events, 1000);
  const ms = Date.now() - t0;
  const { profile } = await inspector.send("Profiler.stop");
  inspector.close();
  const file = join(ROOT, "bench", ".state", `${phase}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  report(profile, ms, events * fan);
  console.log(`\nprofile: ${file}`);
} finally {
  await Promise.all([eh.stop(), receiver.close()]);
}

/** A minimal DevTools protocol client on the Worker's inspector. */
async function connect(port) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const target = targets.find((t) => t.webSocketDebuggerUrl) ?? targets[0];
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((res, rej) => (ws.once("open", res), ws.once("error", rej)));
  let next = 0;
  const waiting = new Map();
  ws.on("message", (data) => {
    const m = JSON.parse(String(data));
    if (m.id === undefined || !waiting.has(m.id)) return;
    const { resolve, reject } = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error) reject(new Error(JSON.stringify(m.error)));
    else resolve(m.result);
  });
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = ++next;
        waiting.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

/** Self time and total time (with what it calls) by function, from the sampled profile. */
function report(profile, wallMs, deliveries) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const interval = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length); // ms
  const hits = new Map();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const label = ({ callFrame: f }) =>
    `${f.functionName || "(anonymous)"}  ${f.url ? f.url.replace(/^.*\//, "") : "(native)"}:${f.lineNumber + 1}`;
  const self = new Map();
  const total = new Map();
  let busy = 0;
  for (const [id, n] of hits) {
    if (byId.get(id).callFrame.functionName === "(idle)") continue;
    busy += n;
    const own = label(byId.get(id));
    self.set(own, (self.get(own) ?? 0) + n);
    const seen = new Set(); // a recursive function counts once per sample
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const key = label(byId.get(at));
      if (seen.has(key) || key.startsWith("(root)")) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + n);
    }
  }
  const ms = (n) => (n * interval).toFixed(1);
  const per = (n) => ((n * interval) / deliveries).toFixed(3);
  const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k);
  console.log(
    `\n${phase}: ${deliveries} deliveries in ${wallMs} ms; the Worker's isolate busy ${ms(busy)} ms (${per(busy)} ms per delivery)`,
  );
  console.log("\nself time by function (ms, ms per delivery); (anonymous) native is mostly the runtime's own work:");
  for (const [k, n] of top(self, 30)) console.log(`  ${ms(n).padStart(8)} ${per(n).padStart(7)}  ${k}`);
  console.log("\ntotal time by function, with what it calls (ms, ms per delivery):");
  for (const [k, n] of top(total, 40)) console.log(`  ${ms(n).padStart(8)} ${per(n).padStart(7)}  ${k}`);
}
