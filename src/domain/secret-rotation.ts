// Signing secrets as stored (encrypted) on a webhook: newest first. A rotation may keep the previous secret valid
// for an overlap, so receivers can switch at their own pace: every delivery then carries one signature per valid
// secret.
export interface StoredSecret {
  secret: string;
  /** null for the current secret; when the previous one stops being used. */
  expires_at: number | null;
}

/** At most 7 days of overlap. */
export const MAX_OVERLAP_SECONDS = 7 * 24 * 3600;

export interface Rotation {
  entries: StoredSecret[];
  /** When the kept previous secret expires, or null when none is kept. */
  previousExpiresAt: number | null;
}

/**
 * `next` becomes the current secret. With an overlap, the secret that was current until now stays valid until
 * now + overlap; any older one is dropped (one overlap at a time).
 */
export function rotateSecrets(
  current: readonly StoredSecret[],
  next: string,
  overlapSeconds: number,
  now: number,
): Rotation {
  const previous = current[0];
  if (!previous || overlapSeconds <= 0)
    return { entries: [{ secret: next, expires_at: null }], previousExpiresAt: null };
  const previousExpiresAt = now + overlapSeconds * 1000;
  return {
    entries: [
      { secret: next, expires_at: null },
      { secret: previous.secret, expires_at: previousExpiresAt },
    ],
    previousExpiresAt,
  };
}

/** The secrets a delivery is signed with at `now`, newest first. */
export function activeSecrets(entries: readonly StoredSecret[], now: number): string[] {
  return entries.filter((s) => s.expires_at === null || s.expires_at > now).map((s) => s.secret);
}
