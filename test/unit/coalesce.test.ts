import { describe, expect, it } from "vitest";
import { coalesce } from "../../src/delivery/coalesce";

/** A promise the test settles itself, to hold a commit open. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe("coalesce (group commit)", () => {
  it("puts calls made in the same turn into one group, and answers each with its own result", async () => {
    const groups: number[][] = [];
    const double = coalesce(async (xs: number[]) => (groups.push(xs), xs.map((x) => x * 2)));
    expect(await Promise.all([double(1), double(2), double(3)])).toEqual([2, 4, 6]);
    expect(groups).toEqual([[1, 2, 3]]);
  });

  it("groups the calls that arrive while a commit runs into the next commit", async () => {
    const groups: string[][] = [];
    const first = gate();
    const commit = coalesce(async (xs: string[]) => {
      groups.push(xs);
      if (groups.length === 1) await first.opened;
      return xs;
    });
    const a = commit("a");
    await Promise.resolve();
    await Promise.resolve();
    const b = commit("b");
    const c = commit("c");
    first.open();
    expect(await Promise.all([a, b, c])).toEqual(["a", "b", "c"]);
    expect(groups).toEqual([["a"], ["b", "c"]]);
  });

  it("rejects every call of a failed group, and the next group still runs", async () => {
    let fail = true;
    const commit = coalesce(async (xs: number[]) => {
      if (fail) throw new Error("d1 down");
      return xs;
    });
    const failed = await Promise.allSettled([commit(1), commit(2)]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    expect(await commit(3)).toBe(3);
  });
});
