// Edges of the webhook and delivery lifecycles: deleting a webhook with deliveries waiting, the daily
// summary in the audit log, and log lines that never carry a secret or a header value.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, json, sampleEvent, runCron } from "../helpers";
import { insertDelivery, insertHook, insertSite, makeDue, runConsumer } from "../pipeline-fixtures";
import { spyReceiver } from "../receiver-spy";

let receiver: ReturnType<typeof spyReceiver>;
beforeEach(() => {
  receiver = spyReceiver();
});
afterEach(() => vi.restoreAllMocks());

const WAIT = { timeout: 30_000, interval: 50 };
const DAY = 86_400_000;

async function states(webhookId: string) {
  const { results } = await env.DB.prepare("SELECT state, last_error FROM deliveries WHERE webhook_id = ? ORDER BY seq")
    .bind(webhookId)
    .all<{ state: string; last_error: string | null }>();
  return results;
}

describe("deleting a webhook", () => {
  it("ends its waiting deliveries failed (webhook_deleted), keeps its log readable, and sends nothing more", async () => {
    const site = await insertSite();
    // An active pause line: the head's first attempt fails and its retry is ten minutes away; the next is held.
    const hook = await insertHook(site.id, { failure_mode: "pause", delays: [600], url: "http://127.0.0.1:9/deleted" });
    receiver.set(() => new Response("busy", { status: 500 }));
    const sent = await api("POST", `/v1/sites/${site.id}/events/batch`, {
      events: [sampleEvent({ target: { type: "post", id: 1 } }), sampleEvent({ target: { type: "post", id: 2 } })],
    });
    expect(sent.status).toBe(202);
    await vi.waitFor(
      async () => expect((await states(hook.id)).map((d) => d.state)).toEqual(["retrying", "held"]),
      WAIT,
    );
    const [head] = (await json(await api("GET", `/v1/sites/${site.id}/deliveries?webhook_id=${hook.id}`))).data.slice(
      -1,
    );

    expect((await api("DELETE", `/v1/sites/${site.id}/webhooks/${hook.id}`)).status).toBe(204);
    expect((await states(hook.id))[1]).toEqual({ state: "failed", last_error: "webhook_deleted" });

    // The head's retry comes due after the delete: it is not sent, and ends failed too.
    await makeDue(head.id);
    const run = await runConsumer([{ delivery_id: head.id, webhook_id: hook.id }]);
    expect(run.explicitAcks).toEqual(run.ids);
    expect(await states(hook.id)).toEqual([
      { state: "failed", last_error: "webhook_deleted" },
      { state: "failed", last_error: "webhook_deleted" },
    ]);
    expect(receiver.forSite(site.id)).toHaveLength(1); // the head's first attempt, before the delete
    const detail = await api("GET", `/v1/sites/${site.id}/deliveries/${head.id}`);
    expect(detail.status).toBe(200);
    expect((await json(detail)).attempts_detail).toHaveLength(1);
  });

  it("fails a delivery whose webhook was deleted while its message was in the queue", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/x" });
    const d = await insertDelivery(site, hook);
    await env.DB.prepare("UPDATE webhooks SET deleted_at = ? WHERE id = ?").bind(Date.now(), hook.id).run();

    const run = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    expect(run.explicitAcks).toEqual(run.ids);
    expect(await states(hook.id)).toEqual([{ state: "failed", last_error: "webhook_deleted" }]);
    expect(receiver.forSite(site.id)).toHaveLength(0);
  });
});

describe("daily summary", () => {
  it("the cron writes one entry per webhook for the previous UTC day, once", async () => {
    // A fixed day, far from today's date: the test means the same at any hour it runs.
    const dayStart = Date.UTC(2020, 0, 14);
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/x" });
    for (const [state, at] of [
      ["delivered", dayStart + 1_000],
      ["delivered", dayStart + DAY - 3_600_000],
      ["failed", dayStart + DAY - 1],
      ["delivered", dayStart + DAY], // the next day: not counted
      ["failed", dayStart - 1], // the day before: not counted
    ] as const) {
      const d = await insertDelivery(site, hook);
      await env.DB.prepare("UPDATE deliveries SET state = ?, created_at = ? WHERE id = ?")
        .bind(state, at, d.deliveryId)
        .run();
    }

    await runCron(dayStart + DAY + 60_000);
    await runCron(dayStart + DAY + 120_000);

    const log = await json(await api("GET", `/v1/sites/${site.id}/audit-log`));
    const entries = log.data.filter((e: any) => e.action === "delivery.daily_summary");
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor: { kind: "system", id: "system", name: "system" },
      target_id: hook.id,
      changes: { day: "2020-01-14", counts: { delivered: 2, failed: 1 } },
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

    // The attempt really went out with the secret's signature and the header, so both were at hand.
    const [call] = receiver.forSite(site.id);
    expect(call!.headers["x-api-key"]).toBe("log-line-header-value");
    expect(call!.headers["x-sgen-signature"]).toMatch(/v1=/);
    const attempt = lines
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === "delivery attempt" && l.delivery_id === d.deliveryId);
    expect(attempt).toMatchObject({
      delivery_id: d.deliveryId,
      webhook_id: hook.id,
      status: 500,
      outcome: "retrying",
      latency_ms: expect.any(Number),
    });
    expect(lines.join("\n")).not.toContain("log-line-secret-123");
    expect(lines.join("\n")).not.toContain("log-line-header-value");
  });
});
