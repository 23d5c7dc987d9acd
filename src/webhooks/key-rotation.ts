// Re-encryption in the background. After ENCRYPTION_KEY changes (the old one kept as ENCRYPTION_KEY_PREVIOUS), and
// after the upgrade from the format without subkeys and associated data, every webhook's secrets and header values
// are re-sealed under the current key, a bounded page per cron run, resuming where the last run stopped. The pass
// is complete when no value is left under another key; then ENCRYPTION_KEY_PREVIOUS can be removed.
import type { Env } from "../env";
import { CannotDecrypt, currentPrefix, open, seal, type Binding } from "../domain/sealed";
import { keyId } from "../domain/key-derivation";
import { iso } from "../domain/time";
import {
  advanceKeyRotation,
  countDueForReencryption,
  dueForReencryption,
  readKeyRotation,
  rewriteSealedStatement,
  startKeyRotation,
  type SealedColumns,
} from "../db/key-rotation";
import { allDatabases } from "../db/route";
import { encryptionKeyring } from "../config";
import { log } from "../log";
import { headersOf, secretsOf } from "./sealed-columns";

/** Webhooks looked at per cron run: a few dozen decryptions and one D1 batch. */
export const REENCRYPT_PAGE = 50;

export interface StepResult {
  rewritten: number;
  unreadable: number;
  complete: boolean;
}

/** A value re-sealed under the current key; unchanged when it already is; null when no key opens it. */
async function resealed(env: Env, binding: Binding, stored: string | null, prefix: string) {
  if (stored === null || stored.startsWith(prefix)) return stored;
  const ring = encryptionKeyring(env);
  try {
    return await seal(ring, binding, await open<unknown>(ring, binding, stored));
  } catch (err) {
    if (err instanceof CannotDecrypt) return null;
    throw err;
  }
}

/**
 * One page of the pass in each database (the cron's step; each database keeps its own progress). Does nothing once
 * the pass is complete for the current key.
 */
export async function reencryptStep(env: Env, now: number, page = REENCRYPT_PAGE): Promise<StepResult> {
  const total: StepResult = { rewritten: 0, unreadable: 0, complete: true };
  for (const db of allDatabases(env)) {
    const r = await reencryptIn(env, db, now, page);
    total.rewritten += r.rewritten;
    total.unreadable += r.unreadable;
    total.complete &&= r.complete;
  }
  return total;
}

async function reencryptIn(env: Env, db: D1Database, now: number, page: number): Promise<StepResult> {
  const current = encryptionKeyring(env).current;
  const kid = await keyId(current);
  let state = await readKeyRotation(db);
  if (state?.keyId !== kid) {
    await startKeyRotation(db, kid, now);
    state = await readKeyRotation(db);
  }
  if (!state || state.completedAt !== null) return { rewritten: 0, unreadable: 0, complete: true };

  const prefix = await currentPrefix(current);
  const rows = await dueForReencryption(db, prefix, state.afterId, page);
  const statements: D1PreparedStatement[] = [];
  let unreadable = 0;
  for (const row of rows) {
    const after: SealedColumns = {
      id: row.id,
      secrets_enc: await resealed(env, secretsOf(row.id), row.secrets_enc, prefix),
      headers_enc: await resealed(env, headersOf(row.id), row.headers_enc, prefix),
    };
    const lost = (["secrets_enc", "headers_enc"] as const).filter((col) => row[col] !== null && after[col] === null);
    if (lost.length) {
      // Left as it is (an operator may still find the key); never a value in the log.
      unreadable++;
      log("warn", "re-encryption: a value no key opens", { webhook_id: row.id, columns: lost });
      continue;
    }
    statements.push(rewriteSealedStatement(db, row, after));
  }
  const results = statements.length ? await db.batch(statements) : [];
  const rewritten = results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
  const complete = rows.length < page;
  await advanceKeyRotation(db, kid, {
    afterId: rows.at(-1)?.id ?? state.afterId,
    rewritten,
    unreadable,
    completedAt: complete ? now : null,
    now,
  });
  if (complete) log("info", "re-encryption complete", { key_id: kid, rewritten: state.rewritten + rewritten });
  return { rewritten, unreadable, complete };
}

/** Where the pass stands, for the operator who rotates the key: `complete` says ENCRYPTION_KEY_PREVIOUS may go. */
export async function keyRotationStatus(env: Env) {
  const ring = encryptionKeyring(env);
  const kid = await keyId(ring.current);
  const prefix = await currentPrefix(ring.current);
  // Each database keeps its own pass; the operator sees them as one (complete when every one is).
  const perDatabase = await Promise.all(
    allDatabases(env).map(async (db) => {
      const [state, remaining] = await Promise.all([readKeyRotation(db), countDueForReencryption(db, prefix)]);
      return { pass: state?.keyId === kid ? state : null, remaining };
    }),
  );
  const passes = perDatabase.flatMap((d) => (d.pass ? [d.pass] : []));
  const remaining = perDatabase.reduce((n, d) => n + d.remaining, 0);
  const allComplete = passes.length === perDatabase.length && passes.every((p) => p.completedAt !== null);
  return {
    key_id: kid,
    previous_key_id: ring.previous ? await keyId(ring.previous) : null,
    reencryption: passes.length
      ? {
          started_at: iso(Math.min(...passes.map((p) => p.startedAt)))!,
          completed_at: allComplete ? iso(Math.max(...passes.map((p) => p.completedAt!))) : null,
          rewritten: passes.reduce((n, p) => n + p.rewritten, 0),
          unreadable: passes.reduce((n, p) => n + p.unreadable, 0),
        }
      : null,
    remaining,
    complete: remaining === 0,
  };
}
