// A webhook's own fixed headers: they can never replace a header we send, never smuggle a
// second header through CR/LF, and stay small.
import type { FieldError } from "./problems";
import { FIXED_HEADER_PREFIXES } from "./formats";

export const MAX_CUSTOM_HEADERS = 20;
export const MAX_CUSTOM_HEADER_BYTES = 8 * 1024;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const RESERVED = new Set([
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "content-type",
  "user-agent",
  "host",
  "content-length",
  "connection",
  "transfer-encoding",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
]);

/** Ours: the deployment's prefix (`prefix`) and every format's fixed one (X-PageGun-*), whatever the format. */
export function isReservedHeader(name: string, prefix: string): boolean {
  const n = name.toLowerCase();
  return (
    RESERVED.has(n) ||
    [prefix, ...FIXED_HEADER_PREFIXES].some((p) => n.startsWith(`${p.toLowerCase()}-`)) ||
    n.startsWith("proxy-")
  );
}

/** Errors name the header: path `headers.<Name>`. Empty array = valid. */
export function validateCustomHeaders(headers: Record<string, string>, prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  const names = Object.keys(headers);
  if (names.length > MAX_CUSTOM_HEADERS)
    errors.push({ path: "headers", message: `at most ${MAX_CUSTOM_HEADERS} headers` });
  let bytes = 0;
  const seen = new Set<string>();
  for (const name of names) {
    const value = headers[name]!;
    const path = `headers.${name}`;
    bytes += new TextEncoder().encode(name + value).byteLength;
    if (!TOKEN.test(name)) errors.push({ path, message: `header name ${JSON.stringify(name)} is not a valid token` });
    else if (isReservedHeader(name, prefix))
      errors.push({ path, message: `header ${name} is reserved and cannot be set` });
    else if (seen.has(name.toLowerCase())) errors.push({ path, message: `header ${name} is given twice` });
    if (typeof value !== "string" || /[\r\n\0]/.test(value))
      errors.push({ path, message: `header ${name} has a CR, LF or NUL in its value` });
    seen.add(name.toLowerCase());
  }
  if (bytes > MAX_CUSTOM_HEADER_BYTES)
    errors.push({ path: "headers", message: `headers add up to more than ${MAX_CUSTOM_HEADER_BYTES / 1024} KiB` });
  return errors;
}

/** A change to some custom headers that keeps the others: values are write-only, so an edit never restates them. */
export interface HeaderEdit {
  /** Added, or replacing the header of the same name (ignoring case). */
  set: Record<string, string>;
  /** Names to drop (ignoring case). */
  remove: string[];
}

export function applyHeaderEdit(current: Record<string, string>, edit: HeaderEdit): Record<string, string> {
  const dropped = new Set([...edit.remove, ...Object.keys(edit.set)].map((n) => n.toLowerCase()));
  const kept = Object.entries(current).filter(([name]) => !dropped.has(name.toLowerCase()));
  return { ...Object.fromEntries(kept), ...edit.set };
}
