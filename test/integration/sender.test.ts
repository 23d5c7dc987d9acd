// The sender against a real HTTP server: redirects are not followed, the timeout is a real AbortSignal, the
// response body is kept to 16 KiB of a real stream, and Retry-After is read.
import { describe, expect, inject, it } from "vitest";
import { RESPONSE_BODY_LIMIT, send } from "../../src/delivery/sender";

const base = inject("httpFixture");

describe("send", () => {
  it("reports a 2xx with its timing", async () => {
    const r = await send(`${base}/ok`, { "content-type": "application/json" }, "{}", 5000);
    expect(r.status).toBe(204);
    expect(r.error).toBeNull();
    expect(r.responseAt).not.toBeNull();
    expect(r.endedAt).toBeGreaterThanOrEqual(r.sentAt);
  });

  it("never follows a redirect: a 302 is a failed attempt that names where it pointed", async () => {
    const r = await send(`${base}/redirect`, {}, "{}", 5000);
    expect(r.status).toBe(302);
    expect(r.error).toBe("redirect");
    expect(r.errorMessage).toContain("http://127.0.0.1:9/elsewhere");
  });

  it("ends a request that never answers at the timeout, as a timeout", async () => {
    const r = await send(`${base}/stall`, {}, "{}", 1000);
    expect(r.status).toBeNull();
    expect(r.error).toBe("timeout");
    expect(r.endedAt - r.sentAt).toBeGreaterThanOrEqual(1000);
  });

  it("keeps 16 KiB of a longer streamed body and says it was truncated", async () => {
    const r = await send(`${base}/big`, {}, "{}", 5000);
    expect(r.status).toBe(200);
    expect(r.truncated).toBe(true);
    expect(new TextEncoder().encode(r.body!).byteLength).toBe(RESPONSE_BODY_LIMIT);
  });

  it("reads Retry-After", async () => {
    const r = await send(`${base}/retry-after`, {}, "{}", 5000);
    expect(r.status).toBe(503);
    expect(r.retryAfter).toBe("3");
    expect(r.error).toBe("http_status");
    expect(r.body).toBe("busy");
  });

  it("sorts a refused connection as a connection error", async () => {
    const r = await send("http://127.0.0.1:9/nothing-listens", {}, "{}", 5000);
    expect(r.status).toBeNull();
    expect(r.error).toBe("connection");
  });
});
