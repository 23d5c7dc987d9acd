// Edges of the webhook and delivery lifecycles: deleting a webhook with deliveries waiting, the daily
// summary in the audit log, and log lines that never carry a secret or a header value.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, json } from "../helpers";
import { acceptEvents } from "../../src/delivery/ingest";
import { writeDailySummaries } from "../../src/db/audit";
import { insertDelivery, insertHook, insertSite, runConsumer } from "../pipeline-fixtures";
import { spyReceiver } from "../receiver-spy";

let receiver: ReturnType<typeof spyReceiver>;
beforeEach(() => {
  receiver = spyReceiver();
});
afterEach(() => vi.restoreAllMocks());

const WAIT = { timeout: 15_000, interval: 50 };

describe("deleting a webhook", () => {
  it("ends its waiting deliveries failed (webhook_deleted), keeps its log readable, and sends nothing more", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { status: "paused", url: "http://127.0.0.1:9/x" });
    await acceptEvents(env, site.id, [
      { event_type: "post.published", target: { type: "post", id: 1 } },
      { event_type: "post.published", target: { type: "post", id: 2 } },
    ]);
    const before = await json(await api("GET", `/v1/sites/${site.id}/deliveries?webhook_id=${hook.id}`));
    expect(before.data.map((d: any) => d.state)).toEqual(["held", "held"]);

    expect((await api("DELETE", `/v1/sites/${site.id}/webhooks/${hook.id}`)).status).toBe(204);

    const after = await json(await api("GET", `/v1/sites/${site.id}/deliveries?webhook_id=${hook.id}`));
    expect(after.data.map((d: any) => [d.state, d.last_error])).toEqual([
      ["failed", "webhook_deleted"],
      ["failed", "webhook_deleted"],
    ]);
    expect((await api("GET", `/v1/sites/${site.id}/deliveries/${after.data[0].id}`)).status).toBe(200);
    expect(receiver.calls).toHaveLength(0);
  });

  it("fails a delivery whose webhook was deleted while its message was in the queue", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/x" });
    const d = await insertDelivery(site, hook);
    await env.DB.prepare("UPDATE webhooks SET deleted_at = ? WHERE id = ?").bind(Date.now(), hook.id).run();

    const run = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    expect(run.explicitAcks).toEqual(run.ids);
    const row = await env.DB.prepare("SELECT state, last_error FROM deliveries WHERE id = ?")
      .bind(d.deliveryId)
      .first();
    expect(row).toEqual({ state: "failed", last_error: "webhook_deleted" });
    expect(receiver.calls).toHaveLength(0);
  });
});

describe("daily summary", () => {
  it("writes one entry per webhook for the previous UTC day, once", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/x" });
    const today = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    for (const state of ["delivered", "delivered", "failed"]) {
      const d = await insertDelivery(site, hook);
      await env.DB.prepare("UPDATE deliveries SET state = ?, created_at = ? WHERE id = ?")
        .bind(state, today - 3_600_000, d.deliveryId)
        .run();
    }
    const now = today + 60_000;
    expect(await writeDailySummaries(env.DB, now)).toBe(1);
    expect(await writeDailySummaries(env.DB, now + 60_000)).toBe(0);

    const log = await json(await api("GET", `/v1/sites/${site.id}/audit-log`));
    const entry = log.data.find((e: any) => e.action === "delivery.daily_summary");
    expect(entry).toMatchObject({
      actor: { kind: "system", id: "system", name: "system" },
      target_id: hook.id,
      changes: { day: new Date(today - 86_400_000).toISOString().slice(0, 10), counts: { delivered: 2, failed: 1 } },
    });
  });
});

describe("log lines", () => {
  it("carry delivery, webhook, status and latency, never a secret or a header value", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...a) => void lines.push(a.join(" ")));
    vi.spyOn(console, "error").mockImplementation((...a) => void lines.push(a.join(" ")));
    const site = await insertSite();
    const hook = await insertHook(site.id, {
      secrets: ["log-line-secret-123"],
      headers: { "X-Api-Key": "log-line-header-value" },
      delays: [5],
    });
    const d = await insertDelivery(site, hook);
    receiver.set(() => new Response("nope", { status: 500 }));

    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    const attempt = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "delivery attempt");
    expect(attempt).toMatchObject({
      delivery_id: d.deliveryId,
      webhook_id: hook.id,
      status: 500,
      outcome: "retrying",
      latency_ms: expect.any(Number),
    });
    expect(lines.join("\n")).not.toContain("log-line-secret-123");
    expect(lines.join("\n")).not.toContain("log-line-header-value");
    await vi.waitFor(() => expect(receiver.calls.length).toBeGreaterThan(0), WAIT);
  });
});
