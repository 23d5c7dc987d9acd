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

/** One page of the pass (the cron's step). Does nothing once the pass is complete for the current key. */
export async function reencryptStep(env: Env, now: number, page = REENCRYPT_PAGE): Promise<StepResult> {
  const current = encryptionKeyring(env).current;
  const kid = await keyId(current);
  let state = await readKeyRotation(env.DB);
  if (state?.keyId !== kid) {
    await startKeyRotation(env.DB, kid, now);
    state = await readKeyRotation(env.DB);
  }
  if (!state || state.completedAt !== null) return { rewritten: 0, unreadable: 0, complete: true };

  const prefix = await currentPrefix(current);
  const rows = await dueForReencryption(env.DB, prefix, state.afterId, page);
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
    statements.push(rewriteSealedStatement(env.DB, row, after));
  }
  const results = statements.length ? await env.DB.batch(statements) : [];
  const rewritten = results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
  const complete = rows.length < page;
  await advanceKeyRotation(env.DB, kid, {
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
  const [state, remaining] = await Promise.all([
    readKeyRotation(env.DB),
    countDueForReencryption(env.DB, await currentPrefix(ring.current)),
  ]);
  const pass = state?.keyId === kid ? state : null;
  return {
    key_id: kid,
    previous_key_id: ring.previous ? await keyId(ring.previous) : null,
    reencryption: pass
      ? {
          started_at: iso(pass.startedAt)!,
          completed_at: iso(pass.completedAt),
          rewritten: pass.rewritten,
          unreadable: pass.unreadable,
        }
      : null,
    remaining,
    complete: remaining === 0,
  };
}
