// The delivery log's filter, shared by the list, bulk replay and exports. Times are milliseconds since the epoch
// over when a delivery was triggered: from inclusive, to exclusive.
import type { FieldError } from "./problems";
import type { DeliveryState } from "./delivery-state";

export interface DeliveryFilter {
  state?: DeliveryState;
  event_type?: string;
  webhook_id?: string;
  from?: number;
  to?: number;
}

export interface FilterInput {
  state?: DeliveryState;
  event_type?: string;
  webhook_id?: string;
  /** RFC 3339, already validated as a date-time. */
  from?: string;
  to?: string;
}

/** The filter as stored and queried, or the field that makes it impossible (from not before to). */
export function toDeliveryFilter(q: FilterInput): { filter: DeliveryFilter } | { error: FieldError } {
  const from = q.from ? Date.parse(q.from) : undefined;
  const to = q.to ? Date.parse(q.to) : undefined;
  if (from !== undefined && to !== undefined && from >= to)
    return { error: { path: "from", message: "must be before to" } };
  return {
    filter: {
      ...(q.state && { state: q.state }),
      ...(q.event_type && { event_type: q.event_type }),
      ...(q.webhook_id && { webhook_id: q.webhook_id }),
      ...(from !== undefined && { from }),
      ...(to !== undefined && { to }),
    },
  };
}
