// Site keys: one role each; the token itself is never stored, only its SHA-256.
import { and, desc, eq, isNull, lt } from "drizzle-orm";
import { database } from "./client";
import { apiKeys } from "./schema";
import { statement } from "./sql";

export type KeyRow = typeof apiKeys.$inferSelect;

/** The live key whose token hashes to `hash`; a revoked one is never found. */
export function findActiveKeyByHash(d1: D1Database, hash: string): Promise<KeyRow | undefined> {
  return database(d1)
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.tokenHash, hash), isNull(apiKeys.revokedAt)))
    .get();
}

export function findKey(d1: D1Database, siteId: string, id: string): Promise<KeyRow | undefined> {
  return database(d1)
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.siteId, siteId), eq(apiKeys.id, id)))
    .get();
}

/** Newest first; `beforeCreatedAt` is the cursor. */
export function listKeys(d1: D1Database, siteId: string, beforeCreatedAt: number | null, limit: number) {
  return database(d1)
    .select()
    .from(apiKeys)
    .where(
      and(eq(apiKeys.siteId, siteId), beforeCreatedAt !== null ? lt(apiKeys.createdAt, beforeCreatedAt) : undefined),
    )
    .orderBy(desc(apiKeys.createdAt))
    .limit(limit);
}

export function insertKeyStatement(d1: D1Database, row: KeyRow): D1PreparedStatement {
  return statement(d1, database(d1).insert(apiKeys).values(row));
}

export function revokeKeyStatement(d1: D1Database, id: string, at: number): D1PreparedStatement {
  return statement(d1, database(d1).update(apiKeys).set({ revokedAt: at }).where(eq(apiKeys.id, id)));
}
