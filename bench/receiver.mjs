// The bench's receiver: an HTTP server on 127.0.0.1, in a process of its own, that does no work beyond reading
// each request's body while a phase is timed. It keeps the arrival time, the path, the raw headers (as Node
// already has them) and the raw body, and answers 200. Nothing is parsed or verified then.
//
// After a phase, off the clock, collect() has it parse every body it kept and check every signature (both
// schemes, with scripts/receiver-lib.mjs's independent node:crypto check, as of the arrival time), and hand
// back the event ids with their arrival times. So the ceiling and our pipeline are timed against the same
// receiver doing the same (next to no) work, and every signature is still checked.
//
// The parent talks to it over IPC: expect(path, n) resolves when the path has had n requests since its last
// collect(), with no polling; collect(path) drains the path.
import { fork } from "node:child_process";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { verifySignatures } from "../scripts/receiver-lib.mjs";

const SELF = fileURLToPath(import.meta.url);

/** Starts the receiver process. Resolves once it listens. */
export async function startBenchReceiver({ secret, prefix = "X-SGEN" }) {
  const child = fork(SELF, ["--serve"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let nextId = 0;
  const pending = new Map();
  let exited = false;
  child.on("message", (m) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(new Error(m.error));
    else p.resolve(m.result);
  });
  child.on("exit", (code) => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error(`bench receiver exited (${code})`));
    pending.clear();
  });
  const call = (op, args = {}) =>
    new Promise((resolve, reject) => {
      if (exited) return reject(new Error("bench receiver has exited"));
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      child.send({ id, op, ...args });
    });
  const { port } = await call("listen", { secret, prefix });
  return {
    port,
    url: `http://127.0.0.1:${port}/hook`,
    /**
     * Resolves with {n, last_at} once `path` (`/hook/…`) has had `n` requests since its last collect(), or
     * rejects after `timeoutMs`.
     */
    expect: (path, n, timeoutMs) => call("expect", { path, n, timeoutMs }),
    /**
     * Off the clock: parses and verifies everything `path` received since its last collect(), and forgets it.
     * Resolves with {n, failed, failures (a few), arrivals: [[event_id, at], …], first_at, last_at}.
     */
    collect: (path) => call("collect", { path }),
    /** The receiver process's own CPU time so far, in ms. */
    cpuMs: () => call("cpu"),
    async close() {
      if (exited) return;
      const done = new Promise((r) => child.once("exit", r));
      child.send({ id: 0, op: "close" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await done;
      clearTimeout(timer);
    },
  };
}

function serve() {
  let config = { secret: null, prefix: "X-SGEN" };
  /** path -> { entries: [{ at, rawHeaders, chunks }], waiter } */
  const paths = new Map();
  const bucket = (path) => {
    let b = paths.get(path);
    if (!b) paths.set(path, (b = { entries: [], waiter: null }));
    return b;
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const at = Date.now();
      const b = bucket(req.url);
      b.entries.push({ at, rawHeaders: req.rawHeaders, chunks });
      res.writeHead(200, { "content-type": "text/plain", "content-length": "2" });
      res.end("ok");
      if (b.waiter && b.entries.length >= b.waiter.n) b.waiter.done();
    });
  });
  // Idle keep-alive connections stay open longer than any pause between phases (see scripts/receiver-lib.mjs).
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 130_000;

  const reply = (id, result) => process.send({ id, result });
  const fail = (id, error) => process.send({ id, error: String(error) });
  process.on("message", (m) => {
    switch (m.op) {
      case "listen":
        config = { secret: m.secret, prefix: m.prefix };
        server.listen(0, "127.0.0.1", () => reply(m.id, { port: server.address().port }));
        return;
      case "expect": {
        const b = bucket(m.path);
        const answer = () => ({ n: b.entries.length, last_at: b.entries.at(-1)?.at ?? null });
        if (b.entries.length >= m.n) return reply(m.id, answer());
        const timer = setTimeout(() => {
          b.waiter = null;
          fail(m.id, `receiver: ${b.entries.length} of ${m.n} requests on ${m.path} within ${m.timeoutMs} ms`);
        }, m.timeoutMs);
        b.waiter = {
          n: m.n,
          done: () => {
            clearTimeout(timer);
            b.waiter = null;
            reply(m.id, answer());
          },
        };
        return;
      }
      case "collect": {
        const b = bucket(m.path);
        const entries = b.entries;
        b.entries = [];
        try {
          reply(m.id, check(entries, config));
        } catch (err) {
          fail(m.id, err);
        }
        return;
      }
      case "cpu": {
        const u = process.cpuUsage();
        return reply(m.id, (u.user + u.system) / 1000);
      }
      case "close":
        server.closeAllConnections?.();
        server.close(() => process.exit(0));
        return;
    }
  });
  process.on("disconnect", () => process.exit(0));
}

/** Parses each body and checks its signatures as of its arrival. */
function check(entries, { secret, prefix }) {
  const arrivals = [];
  const failures = [];
  for (const e of entries) {
    const rawBody = Buffer.concat(e.chunks).toString("utf8");
    const headers = {};
    for (let i = 0; i < e.rawHeaders.length; i += 2) headers[e.rawHeaders[i].toLowerCase()] = e.rawHeaders[i + 1];
    let eventId = null;
    try {
      eventId = JSON.parse(rawBody)?.event_id ?? null;
    } catch {}
    const sig = verifySignatures(headers, rawBody, secret, prefix, Math.floor(e.at / 1000));
    const ok = sig.v1 === true && (sig.standard === null || sig.standard === true);
    if (!ok) failures.push({ event_id: eventId, at: e.at, v1: sig.v1, standard: sig.standard });
    arrivals.push([eventId, e.at]);
  }
  return {
    n: entries.length,
    failed: failures.length,
    failures: failures.slice(0, 5),
    arrivals,
    first_at: entries[0]?.at ?? null,
    last_at: entries.at(-1)?.at ?? null,
  };
}

if (process.argv[1] === SELF && process.argv.includes("--serve")) serve();
