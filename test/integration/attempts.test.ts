// What each attempt carries and obeys, through the API and the queue handler: a fresh signature every time,
// secret rotation (newest first, two Standard Webhooks secrets at once, the old one gone after its overlap),
// custom headers that never carry a reserved name, a URL changed while retrying, the policy a delivery
// started with, and 503 with Retry-After. Clocks are controlled (vi.setSystemTime) where time is the subject.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, createWebhook, json, sampleEvent } from "../helpers";
import {
  attemptRows,
  deliveryRow,
  insertDelivery,
  insertHook,
  insertSite,
  makeDue,
  runConsumer,
  type HookRow,
} from "../pipeline-fixtures";
import { spyReceiver, verifyAt } from "../receiver-spy";

let receiver: ReturnType<typeof spyReceiver>;
beforeEach(() => {
  receiver = spyReceiver();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const OLD = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3";
const WAIT = { timeout: 30_000, interval: 50 };

const hookRow = (site: { id: string }, id: string, url: string, delays: number[]): HookRow => ({
  id,
  site_id: site.id,
  url,
  status: "active",
  failure_mode: "continue",
  delays,
  retry_on: "any",
  format: "sgen",
});

/** The `v1=` values of a P-Signature header, in the order sent, and its `t`. */
function v1s(header: string) {
  const parts = header.split(",");
  return { t: Number(parts.find((p) => p.startsWith("t="))!.slice(2)), sigs: parts.filter((p) => p.startsWith("v1=")) };
}

describe("signatures", () => {
  it("signs every attempt afresh: a retry an hour later carries that hour's t and verifies then", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2030, 0, 1, 12, 0, 0));
    const site = await insertSite();
    const hook = await insertHook(site.id, { secrets: [OLD], delays: [3600] });
    const d = await insertDelivery(site, hook);
    receiver.set((_, calls) => new Response(null, { status: calls.length === 1 ? 500 : 204 }));

    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    vi.setSystemTime(Date.UTC(2030, 0, 1, 13, 0, 0));
    await makeDue(d.deliveryId);
    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    const [first, second] = receiver.forSite(site.id);
    expect(v1s(first!.headers["x-sgen-signature"]!).t).toBe(Date.UTC(2030, 0, 1, 12) / 1000);
    expect(v1s(second!.headers["x-sgen-signature"]!).t).toBe(Date.UTC(2030, 0, 1, 13) / 1000);
    expect(second!.headers["webhook-timestamp"]).toBe(String(Date.UTC(2030, 0, 1, 13) / 1000));
    // A receiver rejects a t more than 5 minutes old: the retry verifies at its own time.
    expect(await verifyAt(second!, [OLD], Date.UTC(2030, 0, 1, 13) / 1000)).toEqual({ v1: true, standard: true });
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "delivered", attempts: 2 });
  });

  it("during a rotation signs with both secrets, newest first, in both schemes; after the overlap, with the new one only", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2030, 0, 1, 12, 0, 0));
    const site = await insertSite();
    const made = await createWebhook(site.id, {
      url: "http://127.0.0.1:9/rotation",
      secret: OLD,
      events: ["post.published"],
    });
    const rotated = await api("POST", `/v1/sites/${site.id}/webhooks/${made.id}/secret`, {
      secret: NEW,
      overlap_seconds: 60,
    });
    expect(rotated.status).toBe(200);
    expect((await json(rotated)).previous_expires_at).toBe("2030-01-01T12:01:00.000Z");
    const hook = hookRow(site, made.id, "http://127.0.0.1:9/rotation", [60]);

    const during = await insertDelivery(site, hook);
    await runConsumer([{ delivery_id: during.deliveryId, webhook_id: hook.id }]);
    vi.setSystemTime(Date.UTC(2030, 0, 1, 12, 1, 1)); // one second past the overlap
    const after = await insertDelivery(site, hook);
    await runConsumer([{ delivery_id: after.deliveryId, webhook_id: hook.id }]);

    const [a, b] = receiver.forSite(site.id);
    const tA = Date.UTC(2030, 0, 1, 12, 0, 0) / 1000;
    const sigA = v1s(a!.headers["x-sgen-signature"]!);
    expect(sigA.sigs).toHaveLength(2);
    // Newest first: the first v1 is the new secret's, the second the old one's.
    expect(
      await verifyAt({ ...a!, headers: { ...a!.headers, "x-sgen-signature": `t=${tA},${sigA.sigs[0]}` } }, [NEW], tA),
    ).toMatchObject({ v1: true });
    expect(
      await verifyAt({ ...a!, headers: { ...a!.headers, "x-sgen-signature": `t=${tA},${sigA.sigs[1]}` } }, [OLD], tA),
    ).toMatchObject({ v1: true });
    const standard = a!.headers["webhook-signature"]!.split(" ");
    expect(standard).toHaveLength(2);
    expect(
      await verifyAt({ ...a!, headers: { ...a!.headers, "webhook-signature": standard[0]! } }, [NEW], tA),
    ).toMatchObject({ standard: true });
    expect(
      await verifyAt({ ...a!, headers: { ...a!.headers, "webhook-signature": standard[1]! } }, [OLD], tA),
    ).toMatchObject({ standard: true });

    const tB = Date.UTC(2030, 0, 1, 12, 1, 1) / 1000;
    expect(v1s(b!.headers["x-sgen-signature"]!).sigs).toHaveLength(1);
    expect(b!.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(await verifyAt(b!, [NEW], tB)).toEqual({ v1: true, standard: true });
    expect(await verifyAt(b!, [OLD], tB)).toEqual({ v1: false, standard: false });
  });
});

describe("custom headers", () => {
  it("never puts a reserved name on the wire, even one stored without the API's checks", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, {
      url: "http://127.0.0.1:9/reserved",
      headers: {
        "X-Team": "search",
        "x-sgen-signature": "t=1,v1=forged",
        "X-SGEN-Event": "forged.event",
        "X-SGEN-Extra": "forged-extra",
        "webhook-signature": "v1,forged",
        "Webhook-Id": "forged-id",
        "content-type": "text/forged",
        "User-Agent": "forged-agent",
        Host: "forged.example.com",
        "Transfer-Encoding": "forged",
        "Proxy-Authorization": "forged",
      },
    });
    const d = await insertDelivery(site, hook);

    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    const [call] = receiver.forSite(site.id);
    expect(call!.headers["x-team"]).toBe("search");
    expect(JSON.stringify(call!.headers)).not.toContain("forged");
    expect(call!.headers["x-sgen-event"]).toBe("post.published");
    expect(call!.headers["content-type"]).toBe("application/json");
    expect(call!.headers["user-agent"]).toMatch(/^Edgehooks\//);
    for (const name of [
      "x-sgen-signature",
      "x-sgen-extra",
      "webhook-signature",
      "webhook-id",
      "host",
      "proxy-authorization",
    ])
      expect(call!.headers, name).not.toHaveProperty(name);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "delivered" });
  });
});

describe("a delivery already retrying", () => {
  /** A webhook made through the API and an event through ingest whose first attempt fails; the next is 10 min away. */
  async function retryingDelivery(url: string) {
    const site = await insertSite();
    const hook = await createWebhook(site.id, {
      url,
      events: ["post.published"],
      retry_policy: { delays_s: [600, 900] },
    });
    receiver.set(() => new Response("busy", { status: 500 }));
    expect((await api("POST", `/v1/sites/${site.id}/events`, sampleEvent())).status).toBe(202);
    const row = await vi.waitFor(async () => {
      const r = await env.DB.prepare("SELECT id, state FROM deliveries WHERE webhook_id = ?")
        .bind(hook.id)
        .first<{ id: string; state: string }>();
      expect(r?.state).toBe("retrying");
      return r!;
    }, WAIT);
    return { site, hook, deliveryId: row.id };
  }

  it("goes to the webhook's new URL on its next attempt", async () => {
    const { site, hook, deliveryId } = await retryingDelivery("http://127.0.0.1:9/old");
    const patched = await api("PATCH", `/v1/sites/${site.id}/webhooks/${hook.id}`, { url: "http://127.0.0.1:9/new" });
    expect(patched.status).toBe(200);
    receiver.set(() => new Response("ok"));

    await makeDue(deliveryId);
    await runConsumer([{ delivery_id: deliveryId, webhook_id: hook.id }]);

    expect(receiver.forSite(site.id).map((c) => new URL(c.url).pathname)).toEqual(["/old", "/new"]);
    expect((await attemptRows(deliveryId)).map((a) => a.url)).toEqual([
      "http://127.0.0.1:9/old",
      "http://127.0.0.1:9/new",
    ]);
    expect(await deliveryRow(deliveryId)).toMatchObject({ state: "delivered", attempts: 2 });
  });

  it("keeps the retry policy it started with when the webhook's policy changes", async () => {
    const { site, hook, deliveryId } = await retryingDelivery("http://127.0.0.1:9/policy");
    const changed = await api("PUT", `/v1/sites/${site.id}/webhooks/${hook.id}/delivery`, { retry_policy: "none" });
    expect((await json(changed)).retry_policy).toEqual({ name: "none", delays_s: [] });

    await makeDue(deliveryId);
    const run = await runConsumer([{ delivery_id: deliveryId, webhook_id: hook.id }]);

    // Its own second delay (900 s), where the webhook's policy now would have failed it for good.
    expect(run.retryMessages).toEqual([{ msgId: run.ids[0], delaySeconds: 900 }]);
    expect(await deliveryRow(deliveryId)).toMatchObject({ state: "retrying", attempts: 2 });
  });
});

describe("503 with Retry-After", () => {
  it("waits at least as long as the receiver asked when that is longer than the policy's delay", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { delays: [5, 5] });
    const d = await insertDelivery(site, hook);
    receiver.set(() => new Response("maintenance", { status: 503, headers: { "retry-after": "120" } }));

    const before = Date.now();
    const run = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    expect(run.retryMessages).toEqual([{ msgId: run.ids[0], delaySeconds: 120 }]);
    const row = await deliveryRow(d.deliveryId);
    expect(row).toMatchObject({ state: "retrying", response_status: 503 });
    expect(row!.next_attempt_at).toBeGreaterThanOrEqual(before + 120_000);
  });

  it("keeps the policy's delay when the receiver asks for less, and when a 500 sends Retry-After", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { delays: [30, 30] });
    const short = await insertDelivery(site, hook);
    const plain = await insertDelivery(site, hook, { target: { type: "post", id: 2 } });

    receiver.set(() => new Response("soon", { status: 503, headers: { "retry-after": "2" } }));
    const a = await runConsumer([{ delivery_id: short.deliveryId, webhook_id: hook.id }]);
    receiver.set(() => new Response("error", { status: 500, headers: { "retry-after": "120" } }));
    const b = await runConsumer([{ delivery_id: plain.deliveryId, webhook_id: hook.id }]);

    expect(a.retryMessages).toEqual([{ msgId: a.ids[0], delaySeconds: 30 }]);
    expect(b.retryMessages).toEqual([{ msgId: b.ids[0], delaySeconds: 30 }]);
  });
});
