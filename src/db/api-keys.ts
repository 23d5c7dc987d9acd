// Site keys: one role each; the token itself is never stored, only its SHA-256.
import { and, desc, eq, lt, or } from "drizzle-orm";
import { database } from "./client";
import { apiKeys } from "./schema";
import { statement } from "./sql";

export type KeyRow = typeof apiKeys.$inferSelect;

export function findKey(d1: D1Database, siteId: string, id: string): Promise<KeyRow | undefined> {
  return database(d1)
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.siteId, siteId), eq(apiKeys.id, id)))
    .get();
}

/** Newest first; `after` is the cursor: the last row's created_at and id (keys made in the same millisecond). */
export function listKeys(d1: D1Database, siteId: string, after: [number, string] | null, limit: number) {
  const page = after
    ? or(lt(apiKeys.createdAt, after[0]), and(eq(apiKeys.createdAt, after[0]), lt(apiKeys.id, after[1])))
    : undefined;
  return database(d1)
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.siteId, siteId), page))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
    .limit(limit);
}

export function insertKeyStatement(d1: D1Database, row: KeyRow): D1PreparedStatement {
  return statement(d1, database(d1).insert(apiKeys).values(row));
}

export function revokeKeyStatement(d1: D1Database, id: string, at: number): D1PreparedStatement {
  return statement(d1, database(d1).update(apiKeys).set({ revokedAt: at }).where(eq(apiKeys.id, id)));
}

/**
 * The live key whose token hashes to `hash` (a revoked one is never found): what identifying a caller needs of it,
 * as a statement, so ingest can put it in one batch with the site's context. parseActiveKey reads its result.
 */
export function activeKeyByHashStatement(d1: D1Database, hash: string): D1PreparedStatement {
  return d1
    .prepare(
      `SELECT id, site_id AS siteId, name, role, token_hash AS tokenHash FROM api_keys
       WHERE token_hash = ? AND revoked_at IS NULL`,
    )
    .bind(hash);
}

export type ActiveKey = Pick<KeyRow, "id" | "siteId" | "name" | "role" | "tokenHash">;

export function parseActiveKey(result: D1Result | undefined): ActiveKey | undefined {
  return (result?.results ?? [])[0] as ActiveKey | undefined;
}
