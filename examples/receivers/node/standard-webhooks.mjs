// Verifies the Standard Webhooks headers Edgehooks adds when the secret is `whsec_<base64>`: webhook-id,
// webhook-timestamp and webhook-signature (`v1,<base64>`, space-separated). Node's standard library only.
// Run: WEBHOOK_SECRET=whsec_… PORT=3000 node standard-webhooks.mjs
import { createServer } from "node:http";
import { createHmac, timingSafeEqual } from "node:crypto";

export function verify(rawBody, headers, secret, now = Math.floor(Date.now() / 1000)) {
  const id = headers["webhook-id"];
  const t = Number(headers["webhook-timestamp"]);
  if (!id || !Number.isInteger(t) || Math.abs(now - t) > 300) return false; // older than 5 minutes: a replay
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = Buffer.from(createHmac("sha256", key).update(`${id}.${t}.`).update(rawBody).digest("base64"));
  return (headers["webhook-signature"] ?? "").split(" ").some((s) => {
    const given = Buffer.from(s.startsWith("v1,") ? s.slice(3) : "");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const rawBody = Buffer.concat(chunks);
    if (!verify(rawBody, req.headers, process.env.WEBHOOK_SECRET)) return res.writeHead(401).end("invalid signature");
    const event = JSON.parse(rawBody);
    // Deliveries are at least once: deduplicate on the webhook-id header (the event id).
    res.writeHead(200).end(`ok ${event.event_type} ${req.headers["webhook-id"]}`);
  });
}).listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? "127.0.0.1");
