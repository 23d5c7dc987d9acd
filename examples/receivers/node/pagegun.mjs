// Verifies a webhook with format "pagegun": `X-PageGun-Signature: sha256=<hex HMAC-SHA256 of the raw body>`, as
// PageGun's own documentation checks it. Node's standard library only.
// Run: WEBHOOK_SECRET=… PORT=3000 node pagegun.mjs
import { createServer } from "node:http";
import { createHmac, timingSafeEqual } from "node:crypto";

export function verify(rawBody, signature, secret) {
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(rawBody).digest("hex")}`);
  const given = Buffer.from(signature ?? "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const rawBody = Buffer.concat(chunks);
    if (!verify(rawBody, req.headers["x-pagegun-signature"], process.env.WEBHOOK_SECRET)) {
      return res.writeHead(401).end("invalid signature");
    }
    const { event, data } = JSON.parse(rawBody);
    // No timestamp in this scheme: deduplicate on X-PageGun-Webhook-Id (the event id), as PageGun advises.
    res.writeHead(200).end(`ok ${event} ${req.headers["x-pagegun-webhook-id"]} ${data.id}`);
  });
}).listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? "127.0.0.1");
