// STUB (helper "domain" implements): the outbound request's headers.
export interface DeliveryHeaderInput {
  prefix: string;
  userAgent: string;
  eventType: string;
  eventId: string;
  deliveryId: string;
  attempt: number;
  signature: Record<string, string>;
  custom: Record<string, string>;
}
/** Custom headers first; ours always win (custom ones can never replace a contract header). */
export function deliveryHeaders(input: DeliveryHeaderInput): Record<string, string> { throw new Error("stub"); }
/** For the log: custom header values masked, everything else as sent. */
export function maskedHeaders(headers: Record<string, string>, customNames: readonly string[]): Record<string, string> { throw new Error("stub"); }
