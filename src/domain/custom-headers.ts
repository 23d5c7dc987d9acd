// STUB (helper "domain" implements): custom header rules.
import type { FieldError } from "../api/problem";
/** Errors name the header: path `headers.<Name>`. Empty array = valid. */
export function validateCustomHeaders(headers: Record<string, string>, prefix: string): FieldError[] { throw new Error("stub"); }
