// Verifies Edgehooks' own signature, `X-SGEN-Signature: t=<unix seconds>,v1=<hex>` (one v1= per valid secret
// during a rotation). Node's standard library only. Run: WEBHOOK_SECRET=… PORT=3000 node sgen.mjs
import { createServer } from "node:http";
import { createHmac, timingSafeEqual } from "node:crypto";

export function verify(rawBody, header, secret, now = Math.floor(Date.now() / 1000)) {
  const parts = (header ?? "").split(",");
  const t = Number(parts.find((p) => p.startsWith("t="))?.slice(2));
  if (!Number.isInteger(t) || Math.abs(now - t) > 300) return false; // older than 5 minutes: a replay
  const expected = Buffer.from(createHmac("sha256", secret).update(`${t}.`).update(rawBody).digest("hex"));
  return parts
    .filter((p) => p.startsWith("v1="))
    .some((p) => {
      const given = Buffer.from(p.slice(3));
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const rawBody = Buffer.concat(chunks); // verify the raw bytes, before parsing
    if (!verify(rawBody, req.headers["x-sgen-signature"], process.env.WEBHOOK_SECRET)) {
      return res.writeHead(401).end("invalid signature");
    }
    const event = JSON.parse(rawBody);
    // Deliveries are at least once: deduplicate on event.event_id (also in X-SGEN-Event-Id).
    res.writeHead(200).end(`ok ${event.event_type} ${event.event_id}`);
  });
}).listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? "127.0.0.1");
