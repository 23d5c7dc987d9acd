// A first attempt that delivers is kept on its delivery row, not in an attempts row (D1 bills each row written).
// The log must show it exactly as it showed the row: same fields, same types, same values.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, json } from "../helpers";
import { insertDelivery, insertHook, insertSite, makeDue, runConsumer } from "../pipeline-fixtures";
import { spyReceiver } from "../receiver-spy";

let receiver: ReturnType<typeof spyReceiver>;
beforeEach(() => {
  receiver = spyReceiver();
});
afterEach(() => vi.restoreAllMocks());

const WAIT = { timeout: 50_000, interval: 100 };

async function attemptsTableRows(deliveryId: string) {
  return (await env.DB.prepare("SELECT n FROM attempts WHERE delivery_id = ?").bind(deliveryId).all()).results;
}

async function detail(siteId: string, id: string) {
  const res = await api("GET", `/v1/sites/${siteId}/deliveries/${id}`);
  expect(res.status).toBe(200);
  return json(res);
}

describe("a first attempt that delivers", () => {
  it("writes no attempts row, and the detail shows it as the row would: moved into a row, the API output is the same", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { headers: { "X-Secret-Header": "masked-value-1234" }, secrets: ["k3y"] });
    const d = await insertDelivery(site, hook);
    receiver.set(() => new Response('{"ok":true}', { status: 201 }));
    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    expect(await attemptsTableRows(d.deliveryId)).toEqual([]);
    const inline = await detail(site.id, d.deliveryId);
    expect(inline).toMatchObject({ state: "delivered", attempts: 1, response_status: 201 });
    const [call] = receiver.forSite(site.id);
    const [a] = inline.attempts_detail;
    expect(inline.attempts_detail).toHaveLength(1);
    expect(a).toMatchObject({
      n: 1,
      request: { url: hook.url, body: call!.body },
      response: { status: 201, body: '{"ok":true}', truncated: false },
      error: null,
      error_message: null,
      throttle: null,
    });
    expect(a.request.headers["X-Secret-Header"]).toBe("********");
    expect(a.request.headers["X-SGEN-Signature"]).toBe(call!.headers["x-sgen-signature"]);
    expect(a.timing).toEqual({
      prepared_ms: expect.any(Number),
      sent_at: expect.any(String),
      response_at: expect.any(String),
      total_ms: expect.any(Number),
    });
    expect(Date.parse(a.timing.response_at) - Date.parse(a.timing.sent_at)).toBe(inline.latency_ms);

    // The same attempt as a row of its own, as every attempt was written before: the API says exactly the same.
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO attempts (delivery_id, n, started_at, url, request_headers, response_status, response_body,
                               response_truncated, error, error_message, throttle_ms, prepared_ms, sent_at,
                               response_at, total_ms)
         SELECT id, 1, first_attempt->>'started_at', first_attempt->>'url', first_attempt->>'request_headers',
                response_status, first_attempt->>'response_body', first_attempt->>'response_truncated', NULL, NULL,
                NULL, first_attempt->>'prepared_ms', first_attempt->>'sent_at', first_attempt->>'response_at',
                first_attempt->>'total_ms'
         FROM deliveries WHERE id = ?`,
      ).bind(d.deliveryId),
      env.DB.prepare("UPDATE deliveries SET first_attempt = NULL WHERE id = ?").bind(d.deliveryId),
    ]);
    expect(await detail(site.id, d.deliveryId)).toEqual(inline);
  });

  it("appears in an export with its status and latency", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id);
    const d = await insertDelivery(site, hook);
    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    const shown = await detail(site.id, d.deliveryId);

    const res = await api("POST", `/v1/sites/${site.id}/exports`, { format: "ndjson" });
    const job = await json(res);
    const done = await vi.waitFor(async () => {
      const now = await json(await api("GET", `/v1/sites/${site.id}/exports/${job.id}`));
      expect(now.status).toBe("complete");
      return now;
    }, WAIT);
    const link = new URL(done.download_url);
    const text = await (await api("GET", link.pathname + link.search, undefined, "")).text();
    const [row] = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(row).toMatchObject({ id: d.deliveryId, state: "delivered", attempts: 1, response_status: 200 });
    expect(row.latency_ms).toBe(shown.latency_ms);
  });

  it("a failed first attempt keeps its row, and so does the retry that delivers", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { delays: [5] });
    const d = await insertDelivery(site, hook);
    receiver.set((_, calls) => new Response(null, { status: calls.length === 1 ? 500 : 204 }));
    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    await makeDue(d.deliveryId);
    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    expect(await attemptsTableRows(d.deliveryId)).toEqual([{ n: 1 }, { n: 2 }]);
    const row = await env.DB.prepare("SELECT first_attempt FROM deliveries WHERE id = ?").bind(d.deliveryId).first();
    expect(row).toEqual({ first_attempt: null });
    const shown = await detail(site.id, d.deliveryId);
    expect(
      shown.attempts_detail.map((a: { n: number; response: { status: number } }) => [a.n, a.response.status]),
    ).toEqual([
      [1, 500],
      [2, 204],
    ]);
  });
});
