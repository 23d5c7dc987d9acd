// The inspector receiver: an HTTP server on 127.0.0.1 that verifies each delivery's signatures on its own
// (node:crypto, independently of our Worker code) and answers as told: succeed, fail with a status for the
// first N requests or a fraction of them, be slow, send Retry-After, or answer 410.
import { createServer } from "node:http";
import { createHmac, timingSafeEqual } from "node:crypto";

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
    const expected = createHmac("sha256", Buffer.from(secret.slice(6), "base64"))
      .update(`${id}.${ts}.${rawBody}`)
      .digest("base64");
    standard = Boolean(
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
 *              failEvents = [] (event ids whose every attempt fails) }
 */
export async function startReceiver({ port = 0, secret = null, prefix = "X-SGEN", behaviour = {}, log = null } = {}) {
  const received = [];
  const waiters = [];
  let b = { ...behaviour };
  let failuresLeft = b.failCount ?? 0;

  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      if (req.method === "GET" && req.url === "/__deliveries") {
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
      const sig = verifySignatures(req.headers, rawBody, secret, prefix);
      let status = 200;
      let headers = { "content-type": "text/plain" };
      let delay = b.delayMs ?? 0;
      if (b.gone) status = 410;
      else if (b.failEvents?.includes(json?.event_id)) status = b.failStatus ?? 500;
      else if ((b.downUntil ?? 0) > receivedAt) status = b.failStatus ?? 503;
      else if (failuresLeft > 0) {
        failuresLeft--;
        status = b.failStatus ?? 500;
      } else if ((b.failRate ?? 0) > 0 && Math.random() < b.failRate) status = b.failStatus ?? 500;
      if ((b.slowRate ?? 0) > 0 && Math.random() < b.slowRate) delay = b.slowMs ?? 0;
      if (status !== 200 && b.retryAfter != null) headers["retry-after"] = String(b.retryAfter);
      const entry = {
        method: req.method,
        url: req.url,
        headers: req.headers,
        rawBody,
        json,
        receivedAt,
        signatureValid: sig.v1,
        standardSignatureValid: sig.standard,
        respondedStatus: status,
      };
      received.push(entry);
      for (const w of [...waiters]) {
        if (w.predicate(entry)) {
          waiters.splice(waiters.indexOf(w), 1);
          clearTimeout(w.timer);
          w.resolve(entry);
        }
      }
      log?.(entry);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      res.writeHead(status, headers);
      res.end(status === 200 ? "ok" : `status ${status}`);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actualPort = server.address().port;

  return {
    port: actualPort,
    url: `http://127.0.0.1:${actualPort}/hook`,
    received,
    /** Resolves with the first delivery (already received, or to come) that matches. */
    waitFor(predicate, timeoutMs = 30_000) {
      const hit = received.find(predicate);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const w = {
          predicate,
          resolve,
          timer: setTimeout(
            () => reject(new Error(`receiver: no matching delivery within ${timeoutMs} ms`)),
            timeoutMs,
          ),
        };
        waiters.push(w);
      });
    },
    setBehaviour(next) {
      b = { ...next };
      failuresLeft = b.failCount ?? 0;
    },
    close() {
      for (const w of waiters) clearTimeout(w.timer);
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
