import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("health", () => {
  it("answers with a D1 check", async () => {
    const res = await exports.default.fetch("http://x/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", d1: "ok" });
    expect(env.DB).toBeDefined();
  });
});
