// The PageGun journey end to end: wrangler dev, webhooks configured with PageGun's own `PUT …/settings` body (plus
// format "pagegun"), and a receiver written from PageGun's documentation: its verifyWebhookSignature and its handler
// (signature check, JSON body, `event.data`, deduplication on x-pagegun-webhook-id, "return 5xx to retry, 4xx to
// stop"), copied as they stand, with node:http's raw body in place of express.raw.
import { createServer, type IncomingMessage, type Server } from "node:http";
import * as crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/wrangler-dev.mjs";
import { setupSite, startEdgehooks, type Edgehooks } from "./harness";

// ---- PageGun's documentation, Node.js/Express, as it stands ----
function verifyWebhookSignature(payload: any, signature: any, secret: any) {
  const expectedSignature = crypto.createHmac("sha256", secret).update(payload, "utf8").digest("hex");

  // Use timing-safe comparison to prevent timing attacks
  return crypto.timingSafeEqual(Buffer.from(`sha256=${expectedSignature}`, "utf8"), Buffer.from(signature, "utf8"));
}
// ---- end of PageGun's code ----

interface Seen {
  path: string;
  headers: IncomingMessage["headers"];
  rawBody: Buffer;
  status: number;
  event?: any;
}

/** PageGun's receiver: its handler's logic on node:http, answering as its documentation does. */
function pagegunReceiver(secret: string, failUntilAttempt = 0) {
  const webhookAttempts = new Map(); // "Track webhook delivery attempts", as the documentation does
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const payload = Buffer.concat(chunks); // express.raw({type: 'application/json'}) gives this Buffer
      const entry: Seen = { path: req.url ?? "", headers: req.headers, rawBody: payload, status: 0 };
      seen.push(entry);
      const answer = (status: number, text: string) => ((entry.status = status), res.writeHead(status).end(text));
      const signature = req.headers["x-pagegun-signature"];
      let valid: boolean;
      try {
        valid = verifyWebhookSignature(payload, signature, secret);
      } catch {
        return answer(500, "Internal Server Error"); // what Express answers when the handler throws
      }
      if (!valid) return answer(401, "Unauthorized");
      const webhookId = req.headers["x-pagegun-webhook-id"];
      const deliveryAttempt = parseInt(req.headers["x-pagegun-delivery-attempt"] as string) || 1;
      if (webhookAttempts.has(webhookId)) return answer(200, "Already processed");
      const event = JSON.parse(payload as unknown as string);
      entry.event = event;
      // processWebhook(event) fails while the test says so: "Return 5xx to trigger retry, 4xx to stop retrying".
      if (deliveryAttempt <= failUntilAttempt) return answer(503, "Temporary failure, please retry");
      webhookAttempts.set(webhookId, true);
      answer(200, `OK ${event.event} ${event.data.page_name}`);
    });
  });
  return { server, seen };
}

let eh: Edgehooks;
let receiver: ReturnType<typeof pagegunReceiver>;
let flaky: ReturnType<typeof pagegunReceiver>;
const ports: number[] = [];

beforeAll(async () => {
  receiver = pagegunReceiver("seo_webhook_secret");
  flaky = pagegunReceiver("flaky_webhook_secret", 2);
  for (const r of [receiver, flaky]) {
    const port = (await freePort()) as number;
    ports.push(port);
    await new Promise<void>((ok) => r.server.listen(port, "127.0.0.1", ok));
  }
  eh = await startEdgehooks();
});
afterAll(async () => {
  await eh?.stop();
  for (const r of [receiver, flaky]) r?.server.close();
});

const PAGE = {
  event_type: "page.published",
  fired_at: "2024-01-21T09:30:45Z",
  actor: { id: "user_ada", email: "ada@example.com" },
  target: {
    type: "page",
    id: "page_xyz789abc",
    title: "10 AI Tools Every Developer Should Know",
    url: "https://myproject.pagegun.io/blog/ai-tools-developers",
  },
  detail: {
    page_name: "10 AI Tools Every Developer Should Know",
    slug: "ai-tools-developers",
    subroute: "blog",
    type: "article",
    status: "published",
  },
};

async function deliveriesOf(s: { base: string; ops: string }, webhookId: string, settled = true) {
  return eh.until(
    () => eh.api("GET", `${s.base}/deliveries?webhook_id=${webhookId}`, undefined, s.ops),
    (r) => r.body.data.length > 0 && (!settled || ["delivered", "failed"].includes(r.body.data[0].state)),
  );
}

describe("a PageGun receiver written from PageGun's documentation", () => {
  it("verifies and reads our deliveries, configured with PageGun's own settings body", async () => {
    const s = await setupSite(eh, "pagegun");
    const base = `http://127.0.0.1:${ports[0]}`;
    // PageGun's "Multiple Webhooks Configuration" body, with `format` added to each entry.
    const doc = {
      webhooks: [
        { url: `${base}/webhooks/pagegun/social`, events: ["page.published"], secret: "social_webhook_secret" },
        {
          url: `${base}/webhooks/pagegun/seo`,
          events: ["page.published", "page.updated", "page.deleted"],
          secret: "seo_webhook_secret",
        },
        {
          url: `${base}/backup/webhooks/pagegun`,
          events: ["page.created", "page.updated", "page.deleted"],
          secret: "backup_webhook_secret",
        },
      ].map((w) => ({ ...w, format: "pagegun" })),
    };
    const plan = await eh.api("PUT", `${s.base}/settings`, doc, s.ops);
    expect(plan.status).toBe(200);
    expect(plan.body.created).toHaveLength(3);
    const seoId = plan.body.created[1].id;

    const accepted = await eh.api("POST", `${s.base}/events`, PAGE, s.cms);
    expect(accepted.body.deliveries).toBe(2);
    const [seo] = (await deliveriesOf(s, seoId)).body.data;
    expect(seo).toMatchObject({ state: "delivered", attempts: 1, response_status: 200 });

    const got = receiver.seen.find((r) => r.path === "/webhooks/pagegun/seo" && r.status === 200)!;
    expect(got.event).toEqual({
      event: "page.published",
      timestamp: "2024-01-21T09:30:45.000Z",
      project_id: s.site,
      data: {
        type: "article",
        id: "page_xyz789abc",
        title: "10 AI Tools Every Developer Should Know",
        url: "https://myproject.pagegun.io/blog/ai-tools-developers",
        page_name: "10 AI Tools Every Developer Should Know",
        slug: "ai-tools-developers",
        subroute: "blog",
        status: "published",
      },
    });
    expect(Object.keys(got.event)).toEqual(["event", "timestamp", "project_id", "data"]);
    expect(got.headers).toMatchObject({
      "content-type": "application/json",
      "x-pagegun-event": "page.published",
      "x-pagegun-event-id": accepted.body.event_id,
      "x-pagegun-webhook-id": accepted.body.event_id,
      "x-pagegun-delivery": seo.id,
      "x-pagegun-delivery-attempt": "1",
    });
    // The social webhook signs with its own secret, which this receiver does not have: PageGun's check says 401,
    // and with retry_on server_errors (PageGun's default) the delivery stops there.
    const socialId = plan.body.created[0].id;
    const [social] = (await deliveriesOf(s, socialId)).body.data;
    expect(social).toMatchObject({ state: "failed", attempts: 1, response_status: 401 });

    // The log shows the very bytes the receiver got.
    const detail = (await eh.api("GET", `${s.base}/deliveries/${seo.id}`, undefined, s.ops)).body;
    expect(detail.attempts_detail[0].request.body).toBe(got.rawBody.toString("utf8"));
    expect(detail.attempts_detail[0].response.body).toBe(`OK page.published ${PAGE.detail.page_name}`);

    // A replay is a new delivery of the same event: the receiver's deduplication on x-pagegun-webhook-id holds.
    await eh.api("POST", `${s.base}/deliveries/${seo.id}/replay`, undefined, s.ops);
    const again = await eh.until(
      () => eh.api("GET", `${s.base}/deliveries?webhook_id=${seoId}`, undefined, s.ops),
      (r) => r.body.data.length === 2 && r.body.data[0].state === "delivered",
    );
    expect(again.body.data[0].replay_of).toBe(seo.id);
    const replayed = (await eh.api("GET", `${s.base}/deliveries/${again.body.data[0].id}`, undefined, s.ops)).body;
    expect(replayed.attempts_detail[0].response.body).toBe("Already processed");
  });

  it("gets a failed delivery again after its 503, as PageGun promises, with the attempt number", async () => {
    const s = await setupSite(eh, "pagegunflaky");
    const doc = {
      webhooks: [
        {
          url: `http://127.0.0.1:${ports[1]}/webhooks/pagegun`,
          events: ["page.published"],
          secret: "flaky_webhook_secret",
          format: "pagegun",
          retry_policy: { delays_s: [1, 1, 1] },
        },
      ],
    };
    const id = (await eh.api("PUT", `${s.base}/settings`, doc, s.ops)).body.created[0].id;
    await eh.api("POST", `${s.base}/events`, PAGE, s.cms);
    const [d] = (await deliveriesOf(s, id)).body.data;
    expect(d).toMatchObject({ state: "delivered", attempts: 3, response_status: 200 });
    expect(flaky.seen.map((r) => [r.headers["x-pagegun-delivery-attempt"], r.status])).toEqual([
      ["1", 503],
      ["2", 503],
      ["3", 200],
    ]);
  });
});
