// HTTP semantics on the wire: wrangler dev (workerd's real fetch) against a real receiver on 127.0.0.1.
// What a fetch spy cannot show: a redirect left unfollowed, a request really aborted at the webhook's
// timeout, a streamed body cut at 16 KiB, 410 and Retry-After from a real server, the headers that arrive,
// and signatures across a secret rotation. Each test has its own site, webhook and receiver path.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, verifySignatures, type Received, type Receiver } from "../../scripts/receiver-lib.mjs";
import { createWebhookAtOwnPath, event, pathOf, setupSite, startEdgehooks, type Edgehooks } from "./harness";

const OLD = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3";

let eh: Edgehooks;
let receiver: Receiver;

beforeAll(async () => {
  [eh, receiver] = await Promise.all([startEdgehooks(), startReceiver()]);
});
afterAll(async () => {
  await Promise.all([eh?.stop(), receiver?.close()]);
});

let sites = 0;
const site = () => setupSite(eh, `wire${++sites}`);
const at = (hook: string) => receiver.received.filter((r) => r.path === pathOf(hook));

/** The webhook's only delivery once it has settled (delivered or failed for good), with every attempt. */
async function settledDelivery(s: { base: string; ops: string }, hook: string) {
  const listed = await eh.until(
    () => eh.api("GET", `${s.base}/deliveries?webhook_id=${hook}`, undefined, s.ops),
    (r) => r.body.data.length === 1 && ["delivered", "failed"].includes(r.body.data[0].state),
  );
  return (await eh.api("GET", `${s.base}/deliveries/${listed.body.data[0].id}`, undefined, s.ops)).body;
}

/** Each `v1=` of P-Signature alone, checked with one secret; and each Standard Webhooks signature alone. */
function signaturesBy(r: Received, secret: string) {
  const parts = r.headers["x-sgen-signature"]!.split(",");
  const t = parts.find((p) => p.startsWith("t="))!;
  const v1 = parts
    .filter((p) => p.startsWith("v1="))
    .map((one) => verifySignatures({ "x-sgen-signature": `${t},${one}` }, r.rawBody, secret).v1);
  const standard = r.headers["webhook-signature"]!.split(" ").map(
    (one) => verifySignatures({ ...r.headers, "webhook-signature": one }, r.rawBody, secret).standard,
  );
  return { v1, standard };
}

describe("on the wire", () => {
  it("does not follow a 302: one request, a failed attempt of class redirect", async () => {
    const s = await site();
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, { retry_policy: "none" });
    const elsewhere = `${pathOf(hook)}/elsewhere`;
    receiver.route(pathOf(hook), {
      respond: () => ({ status: 302, headers: { location: `http://127.0.0.1:${receiver.port}${elsewhere}` } }),
    });
    receiver.route(elsewhere, {});

    await eh.api("POST", `${s.base}/events`, event(), s.cms);
    const d = await settledDelivery(s, hook);
    expect(d.state).toBe("failed");

    expect(d).toMatchObject({ attempts: 1, response_status: 302, last_error: "redirect" });
    expect(d.attempts_detail[0]).toMatchObject({ error: "redirect", response: { status: 302 } });
    expect(d.attempts_detail[0].error_message).toContain(elsewhere);
    expect(at(hook)).toHaveLength(1);
    expect(receiver.received.filter((r) => r.path === elsewhere)).toHaveLength(0);
  });

  it("cuts a receiver that never answers at the webhook's timeout, no sooner, and records a timeout", async () => {
    const s = await site();
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, { retry_policy: "none", timeout_ms: 1000 });
    receiver.route(pathOf(hook), { respond: () => ({ never: true }) });

    await eh.api("POST", `${s.base}/events`, event(), s.cms);
    // The request really was aborted: the receiver sees its client go away, with no answer sent.
    const cut = await receiver.waitFor((r) => r.path === pathOf(hook) && r.clientGone);
    const d = await settledDelivery(s, hook);
    expect(d.state).toBe("failed");

    expect(cut.respondedAt).toBeNull();
    expect(d).toMatchObject({ attempts: 1, response_status: null, last_error: "timeout" });
    const [attempt] = d.attempts_detail;
    expect(attempt).toMatchObject({ error: "timeout", response: null, timing: { response_at: null } });
    // From the moment it was ready to send until it gave up: at least the webhook's timeout.
    expect(attempt.timing.total_ms - attempt.timing.prepared_ms).toBeGreaterThanOrEqual(1000);
  });

  it("keeps the first 16 KiB of a 64 KiB streamed response, marked truncated", async () => {
    const s = await site();
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, { retry_policy: "none" });
    receiver.route(pathOf(hook), { respond: () => ({ status: 200, streamBytes: 64 * 1024 }) });

    await eh.api("POST", `${s.base}/events`, event(), s.cms);
    const d = await settledDelivery(s, hook);
    expect(d.state).toBe("delivered");

    expect(d.attempts_detail[0].response).toEqual({ status: 200, body: "x".repeat(16 * 1024), truncated: true });
  });

  it("answers 410 by failing the delivery at once and disabling the webhook; what follows is held", async () => {
    const s = await site();
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, { retry_policy: { delays_s: [1, 1] } });
    receiver.route(pathOf(hook), { gone: true });

    await eh.api("POST", `${s.base}/events`, event(), s.cms);
    const d = await settledDelivery(s, hook);
    expect(d.state).toBe("failed");
    expect(d).toMatchObject({ attempts: 1, response_status: 410, last_error: "gone" });
    const webhook = (await eh.api("GET", `${s.base}/webhooks/${hook}`, undefined, s.ops)).body;
    expect(webhook).toMatchObject({ status: "disabled", alert: { kind: "endpoint_gone", delivery_id: d.id } });

    const next = event();
    expect((await eh.api("POST", `${s.base}/events`, next, s.cms)).status).toBe(202);
    const held = await eh.api("GET", `${s.base}/deliveries?webhook_id=${hook}&state=held`, undefined, s.ops);
    expect(held.body.data.map((x: any) => x.event_id)).toEqual([next.event_id]);
    expect(at(hook)).toHaveLength(1);
  });

  it("waits at least the 3 s a 503's Retry-After asks for, though the policy says 1 s", async () => {
    const s = await site();
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, { retry_policy: { delays_s: [1] } });
    receiver.route(pathOf(hook), {
      respond: (_, history) =>
        history.length === 0 ? { status: 503, headers: { "retry-after": "3" } } : { status: 200 },
    });

    await eh.api("POST", `${s.base}/events`, event(), s.cms);
    const d = await settledDelivery(s, hook);
    expect(d.state).toBe("delivered");

    expect(d.attempts_detail.map((a: any) => a.response.status)).toEqual([503, 200]);
    const [first, second] = at(hook);
    expect(second!.receivedAt - first!.respondedAt!).toBeGreaterThanOrEqual(3000);
  });

  it("sends the webhook's custom headers; reserved names are refused and never arrive", async () => {
    const s = await site();
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, {
      secret: OLD,
      headers: { "X-Team": "search", Authorization: "Bearer receiver-token" },
    });
    for (const name of ["X-SGEN-Signature", "X-SGEN-Event", "webhook-signature", "Content-Type", "Host"]) {
      const refused = await eh.api(
        "PATCH",
        `${s.base}/webhooks/${hook}`,
        { headers: { "X-Team": "search", [name]: "forged" } },
        s.ops,
      );
      expect(refused.status, name).toBe(422);
      expect(refused.body.errors.map((e: any) => e.path)).toContain(`headers.${name}`);
    }

    const e = event();
    await eh.api("POST", `${s.base}/events`, e, s.cms);
    const got = await receiver.waitFor((r) => r.path === pathOf(hook));

    expect(got.headers["x-team"]).toBe("search");
    expect(got.headers["authorization"]).toBe("Bearer receiver-token");
    expect(JSON.stringify(got.headers)).not.toContain("forged");
    expect(got.headers["x-sgen-event-id"]).toBe(e.event_id);
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["host"]).toBe(`127.0.0.1:${receiver.port}`);
    expect(verifySignatures(got.headers, got.rawBody, OLD)).toEqual({ v1: true, standard: true });
    // The log shows the names, never the values.
    const d = await settledDelivery(s, hook);
    expect(d.state).toBe("delivered");
    expect(d.attempts_detail[0].request.headers).toMatchObject({ "X-Team": "********", Authorization: "********" });
  });

  it("puts the event's detail on the wire, last, only for a webhook that asked for it", async () => {
    const s = await site();
    const withDetail = await createWebhookAtOwnPath(eh, s, receiver.url, { include_detail: true });
    const without = await createWebhookAtOwnPath(eh, s, receiver.url, {});
    const e = event(7, { detail: { changes: ["title", "body"], editor: "ada" } });

    await eh.api("POST", `${s.base}/events`, e, s.cms);
    const [a, b] = await Promise.all([
      receiver.waitFor((r) => r.path === pathOf(withDetail)),
      receiver.waitFor((r) => r.path === pathOf(without)),
    ]);

    expect(Object.keys(a.json)).toEqual(["event_id", "event_type", "fired_at", "site", "actor", "target", "detail"]);
    expect(a.json.detail).toEqual({ changes: ["title", "body"], editor: "ada" });
    expect(a.rawBody.endsWith(`"detail":{"changes":["title","body"],"editor":"ada"}}`)).toBe(true);
    expect(Object.keys(b.json)).not.toContain("detail");
  });

  it("signs with both secrets during a rotation's overlap, newest first, and with the new one only after it", async () => {
    const s = await site();
    const hook = await createWebhookAtOwnPath(eh, s, receiver.url, { secret: OLD });
    const rotated = await eh.api(
      "POST",
      `${s.base}/webhooks/${hook}/secret`,
      { secret: NEW, overlap_seconds: 2 },
      s.ops,
    );
    expect(rotated.status).toBe(200);
    const expiresAt = Date.parse(rotated.body.previous_expires_at);

    const during = event();
    await eh.api("POST", `${s.base}/events`, during, s.cms);
    const a = await receiver.waitFor((r) => r.path === pathOf(hook) && r.json?.event_id === during.event_id);
    expect(signaturesBy(a, NEW)).toEqual({ v1: [true, false], standard: [true, false] });
    expect(signaturesBy(a, OLD)).toEqual({ v1: [false, true], standard: [false, true] });

    // The overlap is the behaviour under test: wait it out, no longer.
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now() + 1)));
    const after = event();
    await eh.api("POST", `${s.base}/events`, after, s.cms);
    const b = await receiver.waitFor((r) => r.path === pathOf(hook) && r.json?.event_id === after.event_id);
    expect(signaturesBy(b, NEW)).toEqual({ v1: [true], standard: [true] });
    expect(verifySignatures(b.headers, b.rawBody, OLD)).toEqual({ v1: false, standard: false });
  });
});
