// Opaque list cursors: base64url of the last row's sort key, e.g. [created_at, id]. A cursor is read back only
// when it has exactly the shape its list gave out; anything else is "not a cursor we gave out", never a crash.
import { InvalidInput } from "./problems";

export type CursorPart = "number" | "string";

export function encodeCursor(parts: readonly (string | number)[]): string {
  return btoa(JSON.stringify(parts)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The cursor's parts when they match `shape` (types and count), else null. */
export function decodeCursor(cursor: string, shape: readonly CursorPart[]): (string | number)[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== shape.length) return null;
  const ok = parsed.every((p, i) =>
    shape[i] === "number" ? typeof p === "number" && Number.isSafeInteger(p) : typeof p === "string",
  );
  return ok ? (parsed as (string | number)[]) : null;
}

/** The cursor's parts, null for the first page; a cursor we did not give out is an invalid `query.cursor`. */
export function readCursor(cursor: string | undefined, shape: readonly CursorPart[]): (string | number)[] | null {
  if (cursor === undefined || cursor === "") return null;
  const parts = decodeCursor(cursor, shape);
  if (!parts)
    throw new InvalidInput(
      [{ path: "query.cursor", message: "is not a cursor we gave out" }],
      "cursor is not one we gave out",
    );
  return parts;
}

/** One page of a list read with `limit + 1` rows: the page, and the cursor after its last row when there is more. */
export function pageOf<T>(rows: readonly T[], limit: number, sortKey: (row: T) => readonly (string | number)[]) {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(sortKey(last)) : null };
}
