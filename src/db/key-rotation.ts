// The re-encryption pass's state and its reads and writes over the webhooks' encrypted columns. A value is due when
// it does not start with the current key's prefix (`eh1.<key id>.`); compared with substr, never LIKE (no wildcard
// or case surprises).
import { database } from "./client";
import { keyRotation } from "./schema";
import { eq } from "drizzle-orm";

export type KeyRotationRow = typeof keyRotation.$inferSelect;

const PASS = "webhook_ciphertexts";

export function readKeyRotation(d1: D1Database): Promise<KeyRotationRow | undefined> {
  return database(d1).select().from(keyRotation).where(eq(keyRotation.name, PASS)).get();
}

/** Starts the pass over for `keyId`, unless it is already under way (or done) for that key. */
export async function startKeyRotation(d1: D1Database, keyId: string, now: number): Promise<void> {
  await d1
    .prepare(
      `INSERT INTO key_rotation (name, key_id, after_id, rewritten, unreadable, started_at, completed_at, updated_at)
       VALUES (?1, ?2, '', 0, 0, ?3, NULL, ?3)
       ON CONFLICT (name) DO UPDATE SET key_id = ?2, after_id = '', rewritten = 0, unreadable = 0, started_at = ?3,
         completed_at = NULL, updated_at = ?3
       WHERE key_rotation.key_id IS NOT ?2`,
    )
    .bind(PASS, keyId, now)
    .run();
}

export interface SealedColumns {
  id: string;
  secrets_enc: string | null;
  headers_enc: string | null;
}

const DUE = `((secrets_enc IS NOT NULL AND substr(secrets_enc, 1, length(?1)) IS NOT ?1)
              OR (headers_enc IS NOT NULL AND substr(headers_enc, 1, length(?1)) IS NOT ?1))`;

/** The next webhooks (deleted ones too) with a value not sealed under `prefix`, after `afterId`, by id. */
export async function dueForReencryption(d1: D1Database, prefix: string, afterId: string, limit: number) {
  const { results } = await d1
    .prepare(`SELECT id, secrets_enc, headers_enc FROM webhooks WHERE id > ?2 AND ${DUE} ORDER BY id LIMIT ?3`)
    .bind(prefix, afterId, limit)
    .all<SealedColumns>();
  return results;
}

/** How many webhooks still hold a value not sealed under `prefix`. */
export async function countDueForReencryption(d1: D1Database, prefix: string): Promise<number> {
  const row = await d1.prepare(`SELECT COUNT(*) AS n FROM webhooks WHERE ${DUE}`).bind(prefix).first<{ n: number }>();
  return row?.n ?? 0;
}

/**
 * The re-sealed values, written only if the row still holds what was read (a change made meanwhile is already
 * sealed under the current key, and wins). updated_at is left alone: this is not a change of configuration.
 */
export function rewriteSealedStatement(d1: D1Database, before: SealedColumns, after: SealedColumns) {
  return d1
    .prepare(
      `UPDATE webhooks SET secrets_enc = ?, headers_enc = ?
       WHERE id = ? AND secrets_enc IS ? AND headers_enc IS ?`,
    )
    .bind(after.secrets_enc, after.headers_enc, before.id, before.secrets_enc, before.headers_enc);
}

export async function advanceKeyRotation(
  d1: D1Database,
  keyId: string,
  step: { afterId: string; rewritten: number; unreadable: number; completedAt: number | null; now: number },
) {
  await d1
    .prepare(
      `UPDATE key_rotation SET after_id = ?, rewritten = rewritten + ?, unreadable = unreadable + ?,
         completed_at = ?, updated_at = ?
       WHERE name = ? AND key_id = ?`,
    )
    .bind(step.afterId, step.rewritten, step.unreadable, step.completedAt, step.now, PASS, keyId)
    .run();
}
