/** API times are RFC 3339 strings in UTC; storage is integer milliseconds. */
export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/** RFC 3339 without fractional seconds, as the envelope's `fired_at` shows it. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
