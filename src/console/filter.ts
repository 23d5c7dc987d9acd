// The Delivery Log's filter row, read with the API's own filter schema and rules (state, event_type, webhook_id,
// from before to). The From and To inputs are datetime-local fields read as UTC.
import { FilterQuery, filterFromQuery } from "../api/openapi-common";
import { zodFieldErrors } from "../api/problem";
import { InvalidInput, type FieldError } from "../domain/problems";
import type { DeliveryFilter } from "../domain/filter";
import type { FilterForm } from "./pages/log";

const LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** "2026-05-22T14:03" (what a datetime-local input sends) as the RFC 3339 UTC time it means here. */
function asUtc(value: string | undefined): string | undefined {
  if (!value) return undefined;
  return LOCAL.test(value) ? `${value.length === 16 ? `${value}:00` : value}Z` : value;
}

/** The form's values, without empty ones and trimmed to what the inputs show. */
export function filterForm(read: (name: string) => string | undefined): FilterForm {
  const f: FilterForm = {};
  for (const k of ["state", "event_type", "webhook_id", "from", "to"] as const) {
    const v = read(k)?.trim();
    if (v) f[k] = k === "from" || k === "to" ? v.replace(/Z$/, "").slice(0, 19) : v;
  }
  return f;
}

export function parseFilter(
  f: FilterForm,
): { filter: DeliveryFilter; errors: [] } | { filter: null; errors: FieldError[] } {
  const parsed = FilterQuery.safeParse({ ...f, from: asUtc(f.from), to: asUtc(f.to) });
  if (!parsed.success) return { filter: null, errors: zodFieldErrors(parsed.error) };
  try {
    return { filter: filterFromQuery(parsed.data), errors: [] };
  } catch (err) {
    if (err instanceof InvalidInput) return { filter: null, errors: err.errors };
    throw err;
  }
}
