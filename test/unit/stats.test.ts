import { describe, expect, it } from "vitest";
import { percentile, summarize } from "../../src/domain/stats";

describe("percentile (nearest rank)", () => {
  it("is null for no data and the only value for one", () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 95)).toBe(7);
  });

  it("picks the nearest-rank value of an ascending list", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 95)).toBe(95);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0)).toBe(1);
  });
});

describe("summarize", () => {
  it("counts every state, rates delivered over settled, and fills empty hours with zero", () => {
    const hour = 3600_000;
    const since = 100 * hour;
    const s = summarize(
      [
        { state: "delivered", n: 3 },
        { state: "failed", n: 1 },
        { state: "held", n: 2 },
      ],
      { p50: 20, p95: 30 },
      [{ hour: 101, n: 4 }],
      since,
      since + 2 * hour,
    );
    expect(s.counts).toEqual({ pending: 0, held: 2, retrying: 0, delivered: 3, failed: 1, resolved: 0 });
    expect(s.success_rate).toBe(0.75);
    expect(s.latency_ms).toEqual({ p50: 20, p95: 30 });
    expect(s.per_hour.map((h) => h.deliveries)).toEqual([0, 4, 0]);
    expect(s.per_hour[0]!.hour).toBe(new Date(since).toISOString());
  });

  it("has no success rate before anything settled", () => {
    expect(summarize([{ state: "pending", n: 1 }], { p50: null, p95: null }, [], 0, 0).success_rate).toBeNull();
  });
});
