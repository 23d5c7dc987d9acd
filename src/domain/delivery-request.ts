// The outbound request's headers. Custom headers go first and ours overwrite them by name, compared
// case-insensitively, so a custom header can never replace one of ours. A reserved name is dropped here too, not
// only refused by the API: a row written by other means (an old row, a direct edit) must not put a signature, a
// Host or a framing header of its own on the wire.
import { isReservedHeader } from "./custom-headers";

export interface DeliveryHeaderInput {
  /** The deployment's header prefix (HEADER_PREFIX, `X-SGEN` by default), or a format's own (X-PageGun). */
  prefix: string;
  userAgent: string;
  eventType: string;
  eventId: string;
  deliveryId: string;
  attempt: number;
  signature: Record<string, string>;
  /** The webhook's own fixed headers: they never replace one of ours. */
  custom: Record<string, string>;
}

export const MASK = "********";

export function deliveryHeaders(input: DeliveryHeaderInput): Record<string, string> {
  const p = input.prefix;
  const ours: Record<string, string> = {
    "Content-Type": "application/json",
    "User-Agent": input.userAgent,
    [`${p}-Event`]: input.eventType,
    [`${p}-Event-Id`]: input.eventId,
    [`${p}-Delivery`]: input.deliveryId,
    [`${p}-Delivery-Attempt`]: String(input.attempt),
    ...input.signature,
  };
  const taken = new Set(Object.keys(ours).map((k) => k.toLowerCase()));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.custom))
    if (!taken.has(k.toLowerCase()) && !isReservedHeader(k, p)) out[k] = v;
  return { ...out, ...ours };
}

/** For the log: custom header values masked, everything else as sent. */
export function maskedHeaders(headers: Record<string, string>, customNames: readonly string[]): Record<string, string> {
  const custom = new Set(customNames.map((n) => n.toLowerCase()));
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, custom.has(k.toLowerCase()) ? MASK : v]));
}
