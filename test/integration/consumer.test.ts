// The queue consumer in workerd: claim, sign, send, record, retry with the policy's delay (asserted through
// the real queue() handler's retryMessages), Retry-After, 410, permanent failure and the lease.
// The receiver here is a fetch spy: it shows what we send and how we classify an answer, not what happens
// on the wire (a redirect not followed, a timeout that really aborts): test/e2e/on-the-wire.e2e.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { verifyV1 } from "../../src/domain/signing";
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { consumeQueue, SEND_LANES } from "../../src/delivery/consumer";
import type { DeliveryMessage } from "../../src/delivery/messages";
import { counters, instrument, resetCounters } from "../../src/metrics";
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

interface Call {
  url: string;
  headers: Record<string, string>;
  body: string;
}

let calls: Call[] = [];
let respond: (call: Call) => Response | Promise<Response> = () => new Response("ok");

beforeEach(() => {
  calls = [];
  respond = () => new Response("ok");
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init as RequestInit);
    const call = { url: req.url, headers: Object.fromEntries(req.headers), body: await req.text() };
    calls.push(call);
    return respond(call);
  });
});
afterEach(() => vi.restoreAllMocks());

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const WAIT = { timeout: 30_000, interval: 5 };

describe("consumer", () => {
  it("sends the signed envelope with the contract's headers and acks on 2xx", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { secrets: [SECRET], headers: { "X-Team": "blue-team-value" } });
    const d = await insertDelivery(site, hook);

    const run = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    expect(run.explicitAcks).toEqual(run.ids);
    expect(run.retryMessages).toEqual([]);
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.url).toBe(hook.url);
    expect(call.body).toBe(d.body);
    expect(call.headers["content-type"]).toBe("application/json");
    expect(call.headers["user-agent"]).toMatch(/^Edgehooks\//);
    expect(call.headers["x-sgen-event"]).toBe("post.published");
    expect(call.headers["x-sgen-event-id"]).toBe(d.eventId);
    expect(call.headers["x-sgen-delivery"]).toBe(d.deliveryId);
    expect(call.headers["x-sgen-delivery-attempt"]).toBe("1");
    expect(call.headers["x-team"]).toBe("blue-team-value");
    expect(call.headers["webhook-id"]).toBe(d.eventId);
    const sig = call.headers["x-sgen-signature"]!;
    expect(await verifyV1(sig, [SECRET], call.body, Math.floor(Date.now() / 1000))).toBe(true);

    const row = await deliveryRow(d.deliveryId);
    expect(row).toMatchObject({ state: "delivered", attempts: 1, response_status: 200, lease_until: null });
    expect(row!.delivered_at).toBeGreaterThan(0);
    const [attempt] = await attemptRows(d.deliveryId);
    expect(attempt).toMatchObject({ n: 1, response_status: 200, response_body: "ok", error: null });
    // The log keeps the signature but never a custom header's value.
    const logged = JSON.parse(attempt!.request_headers);
    expect(JSON.stringify(logged)).not.toContain("blue-team-value");
    expect(logged["X-SGEN-Signature"] ?? logged["x-sgen-signature"]).toBe(sig);
    expect(await webhookRow(hook.id)).toMatchObject({ last_delivery_state: "delivered", last_delivery_status: 200 });
  });

  it("retries a failure with the policy's delay, then delivers on a later attempt", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { delays: [7, 11] });
    const d = await insertDelivery(site, hook);
    respond = () => new Response("boom", { status: 500 });

    const first = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    expect(first.retryMessages).toEqual([{ msgId: first.ids[0], delaySeconds: 7 }]);
    let row = await deliveryRow(d.deliveryId);
    expect(row).toMatchObject({ state: "retrying", attempts: 1, response_status: 500, last_error: "http_status" });
    expect(row!.next_attempt_at).toBeGreaterThan(Date.now() + 5000);

    // The same message again before the delay is over: nothing is sent, it waits out the rest.
    const early = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    expect(calls).toHaveLength(1);
    expect(early.retryMessages[0]!.delaySeconds).toBeGreaterThan(0);

    await makeDue(d.deliveryId);
    const second = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    expect(second.retryMessages).toEqual([{ msgId: second.ids[0], delaySeconds: 11 }]);

    respond = () => new Response(null, { status: 204 });
    await makeDue(d.deliveryId);
    const third = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    expect(third.explicitAcks).toEqual(third.ids);
    expect(calls.map((c) => c.headers["x-sgen-delivery-attempt"])).toEqual(["1", "2", "3"]);
    row = await deliveryRow(d.deliveryId);
    expect(row).toMatchObject({ state: "delivered", attempts: 3, response_status: 204 });
    expect((await attemptRows(d.deliveryId)).map((a) => a.response_status)).toEqual([500, 500, 204]);
  });

  it("ends failed after the last attempt, and the webhook carries an alert", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { delays: [1] });
    const d = await insertDelivery(site, hook);
    respond = () => new Response("nope", { status: 400 });

    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    await makeDue(d.deliveryId);
    const last = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    expect(last.explicitAcks).toEqual(last.ids);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "failed", attempts: 2, next_attempt_at: null });
    const w = await webhookRow(hook.id);
    expect(w!.status).toBe("active");
    expect(JSON.parse(w!.alert)).toMatchObject({ kind: "delivery_failed", delivery_id: d.deliveryId });
  });

  it("in pause mode, a permanent failure pauses the webhook", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { delays: [], failure_mode: "pause" });
    const d = await insertDelivery(site, hook);
    respond = () => new Response("down", { status: 503 });

    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "failed", attempts: 1 });
    const w = await webhookRow(hook.id);
    expect(w!.status).toBe("paused");
    expect(JSON.parse(w!.alert)).toMatchObject({ kind: "paused_on_failure", delivery_id: d.deliveryId });
  });

  it("honours Retry-After on 429 when it asks for longer than the policy", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { delays: [5] });
    const d = await insertDelivery(site, hook);
    respond = () => new Response("slow down", { status: 429, headers: { "retry-after": "120" } });

    const run = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    expect(run.retryMessages).toEqual([{ msgId: run.ids[0], delaySeconds: 120 }]);
  });

  it("stops on 410 Gone and disables the webhook with an alert", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { delays: [5, 5] });
    const d = await insertDelivery(site, hook);
    respond = () => new Response("gone", { status: 410 });

    const run = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    expect(run.explicitAcks).toEqual(run.ids);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "failed", attempts: 1, last_error: "gone" });
    const w = await webhookRow(hook.id);
    expect(w!.status).toBe("disabled");
    expect(JSON.parse(w!.alert)).toMatchObject({ kind: "endpoint_gone" });
  });

  it("records a 3xx as a failed attempt of class redirect, to be retried", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { delays: [5] });
    const d = await insertDelivery(site, hook);
    respond = () => new Response(null, { status: 302, headers: { location: "https://elsewhere.example.com/" } });

    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    expect(calls).toHaveLength(1);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({
      state: "retrying",
      response_status: 302,
      last_error: "redirect",
    });
  });

  it("sends a delivery once when its message arrives twice in a batch or while leased", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id);
    const d = await insertDelivery(site, hook);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    respond = async () => {
      await gate;
      return new Response("ok");
    };
    const msg = { delivery_id: d.deliveryId, webhook_id: hook.id };

    const inFlight = runConsumer([msg, msg]);
    await vi.waitFor(() => expect(calls).toHaveLength(1), WAIT);
    const duplicate = await runConsumer([msg]); // arrives while the first holds the lease
    expect(duplicate.explicitAcks).toEqual(duplicate.ids);
    release();
    const done = await inFlight;

    expect(done.explicitAcks.sort()).toEqual(done.ids.sort());
    expect(calls).toHaveLength(1);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "delivered", attempts: 1 });
  });

  it("sends through six lanes: never more than six requests waiting on a receiver at once", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id);
    const ds = [];
    for (let i = 0; i < 10; i++) ds.push(await insertDelivery(site, hook, { target: { type: "post", id: i } }));
    let inFlight = 0;
    let most = 0;
    let held: (() => void)[] = [];
    respond = async () => {
      most = Math.max(most, ++inFlight);
      // Answers wait until the lanes are full (or every request has started), then go together.
      const answered = new Promise<void>((r) => held.push(r));
      if (inFlight === SEND_LANES || calls.length === ds.length) {
        for (const release of held) release();
        held = [];
      }
      await answered;
      inFlight--;
      return new Response("ok");
    };

    const run = await runConsumer(ds.map((d) => ({ delivery_id: d.deliveryId, webhook_id: hook.id })));

    expect(calls).toHaveLength(10);
    expect(most).toBe(SEND_LANES);
    expect(run.explicitAcks.sort()).toEqual(run.ids.sort());
  });

  it("records a fast delivery while a slow one in the same batch is still waiting on its receiver", async () => {
    const site = await insertSite();
    const slowHook = await insertHook(site.id, { url: "https://slow.example.com/hook" });
    const fastHook = await insertHook(site.id, { url: "https://fast.example.com/hook" });
    const slow = await insertDelivery(site, slowHook);
    const fast = await insertDelivery(site, fastHook);
    let fastWasRecordedFirst = false;
    respond = async (call) => {
      if (call.url.startsWith("https://slow.")) {
        await vi.waitFor(async () => expect((await deliveryRow(fast.deliveryId))!.state).toBe("delivered"), WAIT);
        fastWasRecordedFirst = true;
      }
      return new Response("ok");
    };

    await runConsumer([
      { delivery_id: slow.deliveryId, webhook_id: slowHook.id },
      { delivery_id: fast.deliveryId, webhook_id: fastHook.id },
    ]);

    expect(fastWasRecordedFirst).toBe(true);
    expect(await deliveryRow(slow.deliveryId)).toMatchObject({ state: "delivered" });
  });

  it("tells each webhook's sequencer once per batch, however many of its deliveries the batch held", async () => {
    const site = await insertSite();
    const busy = await insertHook(site.id, { url: "https://busy.example.com/hook" });
    const quiet = await insertHook(site.id, { url: "https://quiet.example.com/hook" });
    const ds = [];
    for (let i = 0; i < 8; i++)
      ds.push({ d: await insertDelivery(site, busy, { target: { type: "post", id: i } }), hook: busy });
    ds.push({ d: await insertDelivery(site, quiet), hook: quiet });
    resetCounters();

    await runConsumer(ds.map(({ d, hook }) => ({ delivery_id: d.deliveryId, webhook_id: hook.id })));

    expect(counters.do_calls).toBe(2);
    for (const { d } of ds) expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "delivered" });
  });

  it("records a webhook's deliveries in a batch in one write, and logs the batch in one line", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id);
    const ds = [];
    for (let i = 0; i < 10; i++) ds.push(await insertDelivery(site, hook, { target: { type: "post", id: i } }));
    const lines: Record<string, unknown>[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(JSON.parse(line)));
    let answered = 0;
    respond = async () => {
      // The first answers come back while later requests are still waiting on the receiver.
      if (++answered <= SEND_LANES) await vi.waitFor(() => expect(calls.length).toBeGreaterThan(SEND_LANES - 1), WAIT);
      return new Response("ok");
    };
    resetCounters();
    const batch = createMessageBatch<DeliveryMessage>(
      "edgehooks-deliveries",
      ds.map((d, i) => ({
        id: `share-${i}`,
        timestamp: new Date(),
        attempts: 1,
        body: { delivery_id: d.deliveryId, webhook_id: hook.id, site_id: site.id },
      })),
    );
    const ctx = createExecutionContext();

    // With the bench's counters on, to count the writes.
    await consumeQueue(batch, instrument({ ...env, BENCH_METRICS: "1" }));

    expect((await getQueueResult(batch, ctx)).explicitAcks.length).toBe(10);
    for (const d of ds) expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "delivered", attempts: 1 });
    const outcomeWrites = Object.entries(counters.by_round_trip)
      .filter(([shape]) => shape.startsWith("UPDATE deliveries SET state"))
      .reduce((n, [, t]) => n + t.count, 0);
    expect(outcomeWrites).toBe(1);
    // Delivered attempts are in the delivery log; the Worker's log has one line for the batch.
    expect(lines.filter((l) => l.msg === "delivery attempt")).toEqual([]);
    expect(lines.filter((l) => l.msg === "delivery batch")).toEqual([
      expect.objectContaining({
        messages: 10,
        delivered: 10,
        ms: expect.any(Number),
        claim_ms: expect.any(Number),
        send_ms: expect.any(Number),
        record_ms: expect.any(Number),
        settle_ms: expect.any(Number),
      }),
    ]);
  });

  it("holds a delivery whose webhook was paused after it was released", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { status: "paused" });
    const d = await insertDelivery(site, hook);

    const run = await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    expect(run.explicitAcks).toEqual(run.ids);
    expect(calls).toHaveLength(0);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "held", attempts: 0 });
  });

  it("refuses to send to a private address that is not a dev host", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "https://10.0.0.8/hook", delays: [5] });
    const d = await insertDelivery(site, hook);

    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    expect(calls).toHaveLength(0);
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "retrying", last_error: "blocked" });
  });

  it("records a fetch that ends in a TimeoutError as error class timeout", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { delays: [5], timeout_ms: 1000 });
    const d = await insertDelivery(site, hook);
    respond = () => {
      throw new DOMException("The operation was aborted due to timeout", "TimeoutError");
    };

    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);

    const [attempt] = await attemptRows(d.deliveryId);
    expect(attempt).toMatchObject({ error: "timeout", response_status: null });
    expect(await deliveryRow(d.deliveryId)).toMatchObject({ state: "retrying", last_error: "timeout" });
  });
});
