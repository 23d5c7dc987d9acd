import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, pageOf, readCursor } from "../../src/domain/cursor";
import { InvalidInput } from "../../src/domain/problems";

describe("cursors", () => {
  it("round-trip the sort key they were made from, url-safe", () => {
    const c = encodeCursor([1716394998000, "wh_~>?"]);
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c, ["number", "string"])).toEqual([1716394998000, "wh_~>?"]);
  });

  it("refuse a cursor of another shape, or not a cursor at all", () => {
    const seqCursor = encodeCursor([42]);
    expect(decodeCursor(seqCursor, ["number", "string"])).toBeNull();
    expect(decodeCursor(encodeCursor(["x"]), ["number"])).toBeNull();
    expect(decodeCursor(encodeCursor([1.5]), ["number"])).toBeNull();
    expect(decodeCursor("WyJ4Il0", ["number", "string"])).toBeNull(); // ["x"]
    expect(decodeCursor("not base64!", ["number"])).toBeNull();
    expect(decodeCursor(btoa('{"a":1}'), ["number"])).toBeNull();
  });

  it("readCursor: none is the first page; a wrong one names query.cursor", () => {
    expect(readCursor(undefined, ["number"])).toBeNull();
    expect(readCursor(encodeCursor([7]), ["number"])).toEqual([7]);
    try {
      readCursor("WyJ4Il0", ["number"]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidInput);
      expect((err as InvalidInput).errors[0]!.path).toBe("query.cursor");
    }
  });
});

describe("pageOf", () => {
  it("cuts limit + 1 rows to a page with a cursor after its last row, and no cursor on the last page", () => {
    const rows = [{ id: 5 }, { id: 4 }, { id: 3 }];
    const first = pageOf(rows, 2, (r) => [r.id]);
    expect(first.page).toEqual([{ id: 5 }, { id: 4 }]);
    expect(decodeCursor(first.nextCursor!, ["number"])).toEqual([4]);
    expect(pageOf(rows.slice(0, 2), 2, (r) => [r.id]).nextCursor).toBeNull();
  });
});
