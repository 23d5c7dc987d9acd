// What a user-supplied signing secret must be: long enough not to be guessed offline from a signed request
// (16 characters at least), and a `whsec_` secret must decode to 24–64 bytes, as Standard Webhooks libraries
// require.
import { fromBase64 } from "./crypto";

export const MIN_SECRET_LENGTH = 16;
export const MAX_SECRET_LENGTH = 256;

/** Why the secret is refused, or null when it is fine. */
export function secretProblem(secret: string): string | null {
  if (secret.length < MIN_SECRET_LENGTH) return `must be at least ${MIN_SECRET_LENGTH} characters`;
  if (secret.length > MAX_SECRET_LENGTH) return `must be at most ${MAX_SECRET_LENGTH} characters`;
  if (!secret.startsWith("whsec_")) return null;
  const b64 = secret.slice(6);
  let bytes = -1;
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    try {
      bytes = fromBase64(b64).byteLength;
    } catch {
      bytes = -1;
    }
  }
  if (bytes < 0) return "must be whsec_ followed by base64";
  if (bytes < 24 || bytes > 64) return `whsec_ must decode to 24–64 bytes (this one is ${bytes})`;
  return null;
}
