// The inspector receiver: an HTTP server on 127.0.0.1 that verifies each delivery's signatures on its own
// (node:crypto, independently of our Worker code) and answers as told: succeed, fail with a status for the
// first N requests or a fraction of them, be slow, send Retry-After, answer 410, redirect, stream a long
// body, or never answer at all. Behaviour can be set for the whole receiver or per request path, so tests
// sharing one receiver do not share its failures.
//
// Every request is recorded with the receiver's own view of it: when it arrived, when the answer was
// written, and whether the client went away before the answer was complete (a timeout on the sender's
// side). Arrivals and answers share one sequence counter, so their order is exact whatever the clock.
import { createServer } from "node:http";
import { createHmac, timingSafeEqual } from "node:crypto";
import { once } from "node:events";

/** Checks `P-Signature` (hex v1 over `t.body`) and, for whsec_ secrets, `webhook-signature`. */
export function verifySignatures(headers, rawBody, secret, prefix = "X-SGEN", nowSec = Math.floor(Date.now() / 1000)) {
  if (!secret) return { v1: null, standard: null };
  const sigHeader = headers[`${prefix.toLowerCase()}-signature`];
  let v1 = false;
  if (sigHeader) {
    const parts = sigHeader.split(",");
    const t = Number(parts.find((p) => p.startsWith("t="))?.slice(2));
    const expected = createHmac("sha256", Buffer.from(secret, "utf8")).update(`${t}.${rawBody}`).digest("hex");
    const fresh = Math.abs(nowSec - t) <= 300;
    v1 = fresh && parts.filter((p) => p.startsWith("v1=")).some((p) => safeEqual(p.slice(3), expected));
  }
  let standard = null;
  if (secret.startsWith("whsec_")) {
    const id = headers["webhook-id"];
    const ts = headers["webhook-timestamp"];
    const fresh = Math.abs(nowSec - Number(ts)) <= 300;
    const expected = createHmac("sha256", Buffer.from(secret.slice(6), "base64"))
      .update(`${id}.${ts}.${rawBody}`)
      .digest("base64");
    standard =
      fresh &&
      Boolean(
        headers["webhook-signature"]?.split(" ").some((s) => s.startsWith("v1,") && safeEqual(s.slice(3), expected)),
      );
  }
  return { v1, standard };
}

function safeEqual(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * behaviour: { failStatus = 500, failCount = 0, failRate = 0, delayMs = 0, slowRate = 0, slowMs = 0,
 *              retryAfter = null, gone = false, downUntil = 0 (ms epoch: fail everything until then),
 *              failEvents = [] (event ids whose every attempt fails), secret (for this path's checks),
 *              respond(entry, history) => answer | undefined (decides per request; history = this
 *              path's earlier requests) }
 * answer: { status = 200, headers = {}, body, delayMs = 0, streamBytes (write this many bytes in 1 KiB
 *           chunks), never (never answer; the request stays open until the client gives up) }
 */
export async function startReceiver({ port = 0, secret = null, prefix = "X-SGEN", behaviour = {}, log = null } = {}) {
  const received = [];
  const waiters = [];
  let seq = 0;
  let open = 0;
  const fallback = { b: { ...behaviour }, failuresLeft: behaviour.failCount ?? 0 };
  const routes = new Map();
  const ruleFor = (path) => routes.get(path) ?? fallback;

  /** Re-checks every waiter: called whenever an entry arrives or changes. */
  const notify = () => {
    for (const w of [...waiters]) {
      const hit = received.find(w.predicate);
      if (hit) {
        waiters.splice(waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(hit);
      }
    }
  };

  /** What to answer, from the path's behaviour. */
  function decide(rule, entry, history) {
    const b = rule.b;
    const custom = b.respond?.(entry, history);
    if (custom) return custom;
    let status = 200;
    const headers = { "content-type": "text/plain" };
    let delayMs = b.delayMs ?? 0;
    if (b.gone) status = 410;
    else if (b.failEvents?.includes(entry.json?.event_id)) status = b.failStatus ?? 500;
    else if ((b.downUntil ?? 0) > entry.receivedAt) status = b.failStatus ?? 503;
    else if (rule.failuresLeft > 0) {
      rule.failuresLeft--;
      status = b.failStatus ?? 500;
    } else if ((b.failRate ?? 0) > 0 && Math.random() < b.failRate) status = b.failStatus ?? 500;
    if ((b.slowRate ?? 0) > 0 && Math.random() < b.slowRate) delayMs = b.slowMs ?? 0;
    if (status !== 200 && b.retryAfter != null) headers["retry-after"] = String(b.retryAfter);
    return { status, headers, delayMs };
  }

  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      const path = (req.url ?? "/").split("?")[0];
      if (req.method === "GET" && path === "/__deliveries") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(
          JSON.stringify(
            received.map(({ json, headers, respondedStatus, receivedAt, signatureValid }) => ({
              json,
              headers,
              respondedStatus,
              receivedAt,
              signatureValid,
            })),
          ),
        );
      }
      const receivedAt = Date.now();
      let json = null;
      try {
        json = JSON.parse(rawBody);
      } catch {}
      const rule = ruleFor(path);
      const sig = verifySignatures(req.headers, rawBody, rule.b.secret ?? secret, prefix);
      const entry = {
        method: req.method,
        url: req.url,
        path,
        headers: req.headers,
        rawBody,
        json,
        seq: ++seq,
        receivedAt,
        signatureValid: sig.v1,
        standardSignatureValid: sig.standard,
        respondedStatus: null,
        respondedAt: null,
        respondedSeq: null,
        /** The client closed the connection before our answer was complete (it gave up: a timeout). */
        clientGone: false,
        clientGoneAt: null,
        bytesSent: 0,
      };
      const history = received.filter((r) => r.path === path);
      const answer = decide(rule, entry, history);
      entry.respondedStatus = answer.never ? null : (answer.status ?? 200);
      open++;
      res.on("close", () => {
        open--;
        if (!res.writableFinished) {
          entry.clientGone = true;
          entry.clientGoneAt = Date.now();
          entry.clientGoneSeq = ++seq;
        }
        notify();
      });
      res.on("finish", () => {
        entry.respondedAt = Date.now();
        entry.respondedSeq = ++seq;
        notify();
      });
      received.push(entry);
      notify();
      log?.(entry);
      if (answer.never) return; // the request stays open until the client goes away
      if ((answer.delayMs ?? 0) > 0) await new Promise((r) => setTimeout(r, answer.delayMs));
      if (res.destroyed) return;
      const status = answer.status ?? 200;
      const headers = { "content-type": "text/plain", ...(answer.headers ?? {}) };
      if (answer.streamBytes) {
        res.writeHead(status, headers);
        const chunk = Buffer.alloc(1024, "x");
        for (let sent = 0; sent < answer.streamBytes && !res.destroyed; sent += chunk.length) {
          const part = chunk.subarray(0, Math.min(chunk.length, answer.streamBytes - sent));
          entry.bytesSent += part.length;
          if (!res.write(part)) await Promise.race([once(res, "drain"), once(res, "close")]);
        }
        if (!res.destroyed) res.end();
        return;
      }
      const body = answer.body ?? (status === 200 ? "ok" : `status ${status}`);
      entry.bytesSent = Buffer.byteLength(body);
      res.writeHead(status, headers);
      res.end(body);
    });
  });
  // Idle keep-alive connections stay open longer than any pause in a test or a run: a server that closes
  // one just as the sender reuses it turns a good request into a connection error that never arrives here
  // (a rotation's 2 s overlap hit exactly that with a 1 s timeout). close() ends them all at once anyway.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 130_000;
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actualPort = server.address().port;

  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}/hook`,
    received,
    /** Requests received whose answer is not yet complete. */
    openRequests: () => open,
    /** The last value of the sequence that orders arrivals, answers and clients going away. */
    sequence: () => seq,
    /**
     * Resolves with the first request (already received, or to come) that matches; the predicate is checked
     * again whenever a request arrives, is answered, or its client goes away.
     */
    waitFor(predicate, timeoutMs = 30_000) {
      const hit = received.find(predicate);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = {
          predicate,
          resolve,
          timer: setTimeout(() => {
            waiters.splice(waiters.indexOf(w), 1);
            reject(new Error(`receiver: no matching request within ${timeoutMs} ms`));
          }, timeoutMs),
        };
        waiters.push(w);
      });
    },
    /** The behaviour of every path without its own. */
    setBehaviour(next) {
      fallback.b = { ...next };
      fallback.failuresLeft = fallback.b.failCount ?? 0;
    },
    /** The behaviour of one path (`/hook/…`), alone. */
    route(path, next) {
      routes.set(path, { b: { ...next }, failuresLeft: next.failCount ?? 0 });
    },
    close() {
      for (const w of waiters) clearTimeout(w.timer);
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
