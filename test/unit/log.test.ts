import { afterEach, describe, expect, it, vi } from "vitest";
import { log } from "../../src/log";

afterEach(() => vi.restoreAllMocks());

describe("log", () => {
  it("writes one JSON line with the level, the message and the fields", () => {
    const out = vi.spyOn(console, "log").mockImplementation(() => undefined);
    log("info", "delivery attempt", { delivery_id: "dlv_1", status: 200 });
    expect(out).toHaveBeenCalledOnce();
    expect(JSON.parse(out.mock.calls[0]![0] as string)).toEqual({
      level: "info",
      msg: "delivery attempt",
      delivery_id: "dlv_1",
      status: 200,
    });
  });

  it("sends errors and warnings to their own streams", () => {
    const err = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    log("error", "failed", { error: new Error("boom") });
    log("warn", "careful");
    expect(JSON.parse(err.mock.calls[0]![0] as string).error).toBe("Error: boom");
    expect(JSON.parse(warn.mock.calls[0]![0] as string).level).toBe("warn");
  });

  it("never writes a value under a name that could hold a credential", () => {
    const out = vi.spyOn(console, "log").mockImplementation(() => undefined);
    log("info", "x", { secret: "whsec_abc", token: "ehk_1", authorization: "Bearer y", signature: "v1=z", id: "ok" });
    const line = out.mock.calls[0]![0] as string;
    for (const leaked of ["whsec_abc", "ehk_1", "Bearer y", "v1=z"]) expect(line).not.toContain(leaked);
    expect(JSON.parse(line).id).toBe("ok");
  });
});
