// GET /health through the Worker's own fetch handler: its D1 check is a real query, so a D1 that fails
// turns the answer into 503 "degraded".
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/api/app";

afterEach(() => vi.restoreAllMocks());

describe("health", () => {
  it("answers ok with a D1 check that passes", async () => {
    const res = await exports.default.fetch("http://x/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", d1: "ok", bindings: { DB: true, DELIVERIES: true } });
  });

  it("answers 503 degraded when its D1 query fails", async () => {
    vi.spyOn(env.DB, "prepare").mockImplementation(() => {
      throw new Error("D1 is unreachable");
    });
    const res = await exports.default.fetch("http://x/health");
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "degraded", d1: "error" });
  });

  // A misrouted deployment says so at /health instead of answering some sites and failing others.
  it.each([
    ['{"site_a":"DB_9"}', { DB: true, DB_9: false }],
    ["not json", { DB: true }],
  ])("answers 503 degraded when SITE_DATABASES is %s", async (routing, bindings) => {
    const app = createApp();
    const res = await app.fetch(new Request("http://x/health"), { ...env, SITE_DATABASES: routing });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "degraded", d1: "error", bindings });
  });
});
