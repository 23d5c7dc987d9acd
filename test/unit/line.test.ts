import { describe, expect, it } from "vitest";
import { releasable, type LineEntry } from "../../src/domain/line";

const e = (id: string, order: number, target: string, phase: LineEntry["phase"] = "waiting"): LineEntry => ({
  id,
  order,
  target,
  phase,
});
const ids = (entries: LineEntry[]) => entries.map((x) => x.id);

describe("the line", () => {
  it("pause mode releases only the head, and nothing while one is in flight", () => {
    expect(ids(releasable([e("c", 3, "t"), e("a", 1, "x"), e("b", 2, "y")], "pause", "active"))).toEqual(["a"]);
    expect(ids(releasable([e("a", 1, "x", "inflight"), e("b", 2, "y")], "pause", "active"))).toEqual([]);
  });

  it("continue mode releases the first of each target that has nothing in flight", () => {
    const line = [e("a1", 1, "A"), e("b1", 2, "B"), e("a2", 3, "A"), e("c1", 4, "C", "inflight"), e("c2", 5, "C")];
    expect(ids(releasable(line, "continue", "active"))).toEqual(["a1", "b1"]);
  });

  it("a failing target never holds back another", () => {
    const line = [e("a1", 1, "A", "inflight"), e("a2", 2, "A"), e("b1", 3, "B")];
    expect(ids(releasable(line, "continue", "active"))).toEqual(["b1"]);
  });

  it("a webhook that is not active releases nothing", () => {
    for (const status of ["paused", "disabled", "draft", "deleted"] as const) {
      expect(releasable([e("a", 1, "A")], "continue", status)).toEqual([]);
      expect(releasable([e("a", 1, "A")], "pause", status)).toEqual([]);
    }
  });

  it("orders by position, then id, whatever the input order", () => {
    expect(ids(releasable([e("z", 2, "A"), e("y", 2, "B"), e("x", 1, "C")], "pause", "active"))).toEqual(["x"]);
    expect(ids(releasable([e("z", 2, "A"), e("y", 2, "A")], "continue", "active"))).toEqual(["y"]);
  });
});
