// Formats and retry_on through the real pipeline in workerd: a pagegun webhook's deliveries, the server_errors
// rule, what a delivery keeps of its webhook, and the log showing the very bytes that were sent.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, createKey, createSite, json, sampleEvent } from "../helpers";
import { spyReceiver } from "../receiver-spy";
import {
  attemptRows,
  deliveryRow,
  insertDelivery,
  insertHook,
  insertSite,
  makeDue,
  runConsumer,
  webhookRow,
} from "../pipeline-fixtures";
import { pagegunSignature } from "../pagegun-signature";

const SECRET = "your_webhook_secret_here";

let receiver: ReturnType<typeof spyReceiver>;
beforeEach(() => {
  receiver = spyReceiver();
});
afterEach(() => vi.restoreAllMocks());

async function delivered(id: string) {
  await vi.waitFor(async () => expect((await deliveryRow(id))?.state).toBe("delivered"), { timeout: 10_000 });
}

describe("a pagegun webhook", () => {
  it("is created with PageGun's defaults, and shows its format and retry_on", async () => {
    const site = await createSite();
    const res = await api("POST", `/v1/sites/${site.id}/webhooks`, {
      name: "PageGun SEO",
      url: "http://127.0.0.1:9/pagegun",
      format: "pagegun",
    });
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({
      format: "pagegun",
      timeout_ms: 30000,
      retry_policy: { name: "custom", delays_s: [60, 300, 1500] },
      retry_on: "server_errors",
      include_detail: true,
    });
    const sgen = await json(
      await api("POST", `/v1/sites/${site.id}/webhooks`, { name: "x", url: "http://127.0.0.1:9/x" }),
    );
    expect(sgen).toMatchObject({ format: "sgen", retry_on: "any", timeout_ms: 10000, include_detail: false });
    const bad = await api("POST", `/v1/sites/${site.id}/webhooks`, {
      name: "x",
      url: "http://127.0.0.1:9/x",
      format: "rss",
    });
    expect(bad.status).toBe(422);
    expect((await json(bad)).errors[0].path).toBe("format");
  });

  it("delivers PageGun's payload, signed as PageGun signs, and the log shows exactly the bytes sent", async () => {
    const site = await createSite();
    const cms = (await createKey(site.id, "ingest")).token;
    const made = await json(
      await api("POST", `/v1/sites/${site.id}/webhooks`, {
        name: "PageGun",
        url: "http://127.0.0.1:9/pagegun",
        format: "pagegun",
        secret: SECRET,
        headers: { "X-Route": "seo-route-value" },
      }),
    );
    await api("PUT", `/v1/sites/${site.id}/webhooks/${made.id}/events`, { events: ["page.published"] });
    const accepted = await json(
      await api(
        "POST",
        `/v1/sites/${site.id}/events`,
        sampleEvent({
          event_type: "page.published",
          fired_at: "2024-01-21T09:30:45Z",
          target: { type: "page", id: "page_xyz789abc", title: "AI Tools", url: "https://p.example/blog/ai" },
          detail: { page_name: "AI Tools", slug: "ai", type: "article", status: "published" },
        }),
        cms,
      ),
    );
    await vi.waitFor(() => expect(receiver.calls).toHaveLength(1), { timeout: 10_000 });
    const call = receiver.calls[0]!;
    expect(call.body).toBe(
      `{"event":"page.published","timestamp":"2024-01-21T09:30:45.000Z","project_id":"${site.id}",` +
        '"data":{"type":"article","id":"page_xyz789abc","title":"AI Tools","url":"https://p.example/blog/ai",' +
        '"page_name":"AI Tools","slug":"ai","status":"published"}}',
    );
    expect(call.headers["x-pagegun-signature"]).toBe(await pagegunSignature(SECRET, call.body));
    expect(call.headers).toMatchObject({
      "x-pagegun-event": "page.published",
      "x-pagegun-event-id": accepted.event_id,
      "x-pagegun-webhook-id": accepted.event_id,
      "x-pagegun-delivery-attempt": "1",
      "x-route": "seo-route-value",
    });
    expect(Object.keys(call.headers).filter((h) => h.startsWith("x-sgen") || h.startsWith("webhook-"))).toEqual([]);

    const [row] = (await json(await api("GET", `/v1/sites/${site.id}/deliveries?webhook_id=${made.id}`))).data;
    await delivered(row.id);
    const detail = await json(await api("GET", `/v1/sites/${site.id}/deliveries/${row.id}`));
    expect(detail).toMatchObject({ format: "pagegun", retry_on: "server_errors" });
    expect(detail.attempts_detail[0].request.body).toBe(call.body);
    const logged = detail.attempts_detail[0].request.headers;
    expect(logged["X-PageGun-Signature"]).toBe(call.headers["x-pagegun-signature"]);
    expect(logged["X-Route"]).toBe("********");
  });

  it("sends a test event in its own format", async () => {
    const site = await createSite();
    const made = await json(
      await api("POST", `/v1/sites/${site.id}/webhooks`, {
        name: "PageGun",
        url: "http://127.0.0.1:9/pagegun",
        format: "pagegun",
      }),
    );
    await api("POST", `/v1/sites/${site.id}/webhooks/${made.id}/test`);
    await vi.waitFor(() => expect(receiver.calls).toHaveLength(1), { timeout: 10_000 });
    expect(receiver.calls[0]!.json).toMatchObject({
      event: "webhook.test",
      project_id: site.id,
      data: { type: "webhook", id: made.id, title: "PageGun", message: "Test event sent by root" },
    });
  });
});

describe("retry_on", () => {
  it("server_errors: a 400 ends the delivery after one attempt, with an alert", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { delays: [60, 300, 1500], retry_on: "server_errors" });
    const d = await insertDelivery(site, hook);
    receiver.set(() => new Response("bad payload", { status: 400 }));

    const run = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    expect(run.retryMessages).toEqual([]);
    expect(run.explicitAcks).toEqual(run.ids);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({
      state: "failed",
      attempts: 1,
      response_status: 400,
      next_attempt_at: null,
    });
    expect(await attemptRows(d.deliveryId)).toHaveLength(1);
    expect(JSON.parse((await webhookRow(hook.id))!.alert)).toMatchObject({ kind: "delivery_failed" });
  });

  it("server_errors: a 503 is retried on the policy's schedule, then delivered", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { delays: [60, 300, 1500], retry_on: "server_errors" });
    const d = await insertDelivery(site, hook);
    receiver.set(() => new Response("busy", { status: 503 }));

    const first = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    expect(first.retryMessages).toEqual([{ msgId: first.ids[0], delaySeconds: 60 }]);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "retrying", attempts: 1, response_status: 503 });

    receiver.set(() => new Response("ok"));
    await makeDue(d.deliveryId);
    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "delivered", attempts: 2 });
  });

  it("any (the default): a 400 is retried like any failure", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { delays: [60] });
    const d = await insertDelivery(site, hook);
    receiver.set(() => new Response("bad payload", { status: 400 }));
    const run = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    expect(run.retryMessages).toEqual([{ msgId: run.ids[0], delaySeconds: 60 }]);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "retrying", attempts: 1 });
  });

  it("is set with the delivery policy, and validated", async () => {
    const site = await createSite();
    const made = await json(
      await api("POST", `/v1/sites/${site.id}/webhooks`, { name: "x", url: "http://127.0.0.1:9/x" }),
    );
    const set = await api("PUT", `/v1/sites/${site.id}/webhooks/${made.id}/delivery`, { retry_on: "server_errors" });
    expect((await json(set)).retry_on).toBe("server_errors");
    const bad = await api("PUT", `/v1/sites/${site.id}/webhooks/${made.id}/delivery`, { retry_on: "some" });
    expect(bad.status).toBe(422);
    expect((await json(bad)).errors[0].path).toBe("retry_on");
  });
});

describe("a delivery keeps what it started with", () => {
  it("goes on in its own format and retry_on after the webhook changes both", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, {
      delays: [60, 300],
      retry_on: "server_errors",
      format: "pagegun",
      secrets: [SECRET],
    });
    const d = await insertDelivery(site, hook);
    await env.DB.prepare("UPDATE webhooks SET format = 'sgen', retry_on = 'any' WHERE id = ?").bind(hook.id).run();
    receiver.set(() => new Response("no", { status: 422 }));

    const run = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    expect(run.retryMessages).toEqual([]);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "failed", attempts: 1, format: "pagegun" });
    const call = receiver.calls[0]!;
    expect(Object.keys(JSON.parse(call.body))).toEqual(["event", "timestamp", "project_id", "data"]);
    expect(call.headers["x-pagegun-signature"]).toBe(await pagegunSignature(SECRET, call.body));
    // The log renders it again from the delivery's own snapshot: the same bytes.
    const detail = await json(await api("GET", `/v1/sites/${site.id}/deliveries/${d.deliveryId}`));
    expect(detail.attempts_detail[0].request.body).toBe(call.body);
  });

  it("an sgen delivery's log body is the envelope as sent, with detail when the webhook asked", async () => {
    const site = await createSite();
    const made = await json(
      await api("POST", `/v1/sites/${site.id}/webhooks`, { name: "x", url: "http://127.0.0.1:9/x" }),
    );
    await api("PUT", `/v1/sites/${site.id}/webhooks/${made.id}/events`, {
      events: ["post.published"],
      include_detail: true,
    });
    await api("POST", `/v1/sites/${site.id}/events`, sampleEvent({ detail: { changes: ["title"] } }));
    await vi.waitFor(() => expect(receiver.calls).toHaveLength(1), { timeout: 10_000 });
    const [row] = (await json(await api("GET", `/v1/sites/${site.id}/deliveries`))).data;
    await delivered(row.id);
    const detail = await json(await api("GET", `/v1/sites/${site.id}/deliveries/${row.id}`));
    expect(detail.format).toBe("sgen");
    expect(detail.attempts_detail[0].request.body).toBe(receiver.calls[0]!.body);
    expect(JSON.parse(receiver.calls[0]!.body).detail).toEqual({ changes: ["title"] });
  });
});
