// POST /run {url, secret, count, concurrency, prefix} → signs and POSTs `count` envelopes to `url` with at
// most `concurrency` in flight, exactly as the consumer does (same envelope, same signing code, same headers),
// and answers {sent, ok, failed, ms}.
import { envelopeBody } from "../../src/domain/envelope";
import { signatureHeaders } from "../../src/domain/signing";
import { deliveryHeaders } from "../../src/domain/delivery-request";

interface Run {
  url: string;
  secret: string;
  count: number;
  concurrency: number;
  prefix?: string;
  tag?: string;
}

export default {
  async fetch(req: Request): Promise<Response> {
    if (req.method !== "POST" || new URL(req.url).pathname !== "/run")
      return new Response("POST /run", { status: 404 });
    const run = (await req.json()) as Run;
    const prefix = run.prefix ?? "X-SGEN";
    const started = Date.now();
    let next = 0;
    let ok = 0;
    let failed = 0;
    const worker = async () => {
      while (next < run.count) {
        const i = next++;
        const eventId = `evt_ceiling_${run.tag ?? "x"}_${i}`;
        const body = envelopeBody({
          event_id: eventId,
          event_type: "post.published",
          fired_at: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          site: { id: "site_bench", slug: "bench", host: "bench.example.com" },
          actor: { id: "user_ada", email: "ada@example.com" },
          target: { type: "post", id: i, title: "Bench post", url: "https://bench.example.com/p" },
        });
        const t = Math.floor(Date.now() / 1000);
        const headers = deliveryHeaders({
          prefix,
          userAgent: "Edgehooks-ceiling/1",
          eventType: "post.published",
          eventId,
          deliveryId: `dlv_ceiling_${i}`,
          attempt: 1,
          signature: await signatureHeaders({ prefix, secrets: [run.secret], eventId, t, body }),
          custom: {},
        });
        try {
          const res = await fetch(run.url, {
            method: "POST",
            headers,
            body,
            redirect: "manual",
            signal: AbortSignal.timeout(10_000),
          });
          await res.arrayBuffer();
          if (res.ok) ok++;
          else failed++;
        } catch {
          failed++;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(run.concurrency, 50)) }, worker));
    return Response.json({ sent: run.count, ok, failed, ms: Date.now() - started });
  },
};
