// Events in, signed deliveries out, end to end: wrangler dev (workerd, local D1, Queue, Durable Object) and a
// real receiver on 127.0.0.1 that verifies signatures with its own code. Each test has its own site and
// webhook, and the receiver's behaviour for that webhook's path alone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../scripts/receiver-lib.mjs";
import { createWebhookAtOwnPath, event, pathOf, setupSite, startEdgehooks, type Edgehooks } from "./harness";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
let eh: Edgehooks;
let receiver: Receiver;

beforeAll(async () => {
  [eh, receiver] = await Promise.all([startEdgehooks(), startReceiver({ secret: SECRET })]);
});
afterAll(async () => {
  await Promise.all([eh?.stop(), receiver?.close()]);
});

describe("events in, signed deliveries out", () => {
  it("delivers an event with valid signatures, the contract's headers and the exact envelope", async () => {
    const s = await setupSite(eh, "signed");
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, { secret: SECRET });
    const e = event(4421, { detail: { changes: ["title"] } });

    const accepted = await eh.api("POST", `${s.base}/events`, e, s.cms);
    expect(accepted).toEqual({ status: 202, body: { event_id: e.event_id, deliveries: 1, duplicate: false } });
    const got = await receiver.waitFor((r) => r.path === pathOf(hook));

    expect(got.signatureValid).toBe(true);
    expect(got.standardSignatureValid).toBe(true);
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["user-agent"]).toMatch(/^Edgehooks\/\d/);
    expect(got.headers["x-sgen-event"]).toBe("post.published");
    expect(got.headers["x-sgen-event-id"]).toBe(e.event_id);
    expect(got.headers["x-sgen-delivery"]).toMatch(/^dlv_/);
    expect(got.headers["x-sgen-delivery-attempt"]).toBe("1");
    expect(got.headers["webhook-id"]).toBe(e.event_id);
    expect(Object.keys(got.json)).toEqual(["event_id", "event_type", "fired_at", "site", "actor", "target"]); // no detail unless asked
    expect(got.json).toMatchObject({
      site: { id: s.site, slug: "signed", host: "signed.example.com" },
      actor: e.actor,
      target: e.target,
    });

    const dup = await eh.api("POST", `${s.base}/events`, e, s.cms);
    expect(dup).toEqual({ status: 200, body: { event_id: e.event_id, deliveries: 1, duplicate: true } });
  });

  it("retries a receiver that fails twice and delivers on the third attempt, each attempt signed afresh", async () => {
    const s = await setupSite(eh, "flaky");
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, {
      secret: SECRET,
      retry_policy: { delays_s: [1, 1] },
    });
    receiver.route(pathOf(hook), { failCount: 2, failStatus: 503 });
    const e = event();

    await eh.api("POST", `${s.base}/events`, e, s.cms);
    const third = await receiver.waitFor((r) => r.path === pathOf(hook) && r.respondedStatus === 200);

    expect(third.headers["x-sgen-delivery-attempt"]).toBe("3");
    const attempts = receiver.received.filter((r) => r.path === pathOf(hook));
    expect(attempts.map((r) => r.headers["x-sgen-delivery-attempt"])).toEqual(["1", "2", "3"]);
    // Each verified at its arrival, and each with its own, later t (the attempts are at least 1 s apart).
    expect(attempts.map((r) => [r.signatureValid, r.standardSignatureValid])).toEqual([
      [true, true],
      [true, true],
      [true, true],
    ]);
    const ts = attempts.map((r) => Number(r.headers["webhook-timestamp"]));
    expect(ts[1]).toBeGreaterThan(ts[0]!);
    expect(ts[2]).toBeGreaterThan(ts[1]!);
    const [listed] = (
      await eh.until(
        () => eh.api("GET", `${s.base}/deliveries?webhook_id=${hook}`, undefined, s.ops),
        (r) => r.body.data[0]?.state === "delivered",
      )
    ).body.data;
    expect(listed).toMatchObject({ state: "delivered", attempts: 3, response_status: 200 });
    const detail = (await eh.api("GET", `${s.base}/deliveries/${listed.id}`, undefined, s.ops)).body;
    expect(detail.attempts_detail.map((a: any) => a.response?.status)).toEqual([503, 503, 200]);
  });

  it("ends failed with an alert when the receiver always fails", async () => {
    const s = await setupSite(eh, "down");
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, { retry_policy: { delays_s: [1] } });
    receiver.route(pathOf(hook), { failStatus: 500, failRate: 1 });
    await eh.api("POST", `${s.base}/events`, event(), s.cms);

    const failed = await eh.until(
      () => eh.api("GET", `${s.base}/deliveries?webhook_id=${hook}`, undefined, s.ops),
      (r) => r.body.data[0]?.state === "failed",
    );
    expect(failed.body.data[0]).toMatchObject({ attempts: 2, response_status: 500, last_error: "http_status" });
    const webhook = (await eh.api("GET", `${s.base}/webhooks/${hook}`, undefined, s.ops)).body;
    expect(webhook.alert).toMatchObject({ kind: "delivery_failed", delivery_id: failed.body.data[0].id });
    expect(webhook.last_delivery).toMatchObject({ state: "failed", response_status: 500 });
    expect(receiver.received.filter((r) => r.path === pathOf(hook))).toHaveLength(2);
  });
});
