// Ids carry a prefix naming their kind (site_, key_, wh_, evt_, dlv_, exp_, rpl_) and 80 random bits.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lowercase

export type IdPrefix = "site" | "key" | "wh" | "evt" | "dlv" | "exp" | "rpl";

export function randomToken(chars: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(chars));
  let out = "";
  for (const b of bytes) out += ALPHABET[b & 31];
  return out;
}

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomToken(16)}`;
}
