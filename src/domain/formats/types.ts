// What a delivery format is: how it renders the body from a stored event, which headers (and signature) go with
// it, and what a webhook created with it starts with. Each format is one pure module; index.ts lists them.
import type { DeliveryHeaderInput } from "../delivery-request";
import type { RetryOn, RetryPolicy } from "../retry-policy";

/** An event as ingest stored it: the canonical envelope without `detail`, and the detail as JSON. */
export interface StoredEvent {
  envelope: string;
  detail: string | null;
}

export interface RenderOptions {
  /** The delivery's snapshot of the webhook's include_detail. */
  includeDetail: boolean;
  /** The delivery's snapshot of the webhook's message_template (chat formats' main text), or null. */
  messageTemplate?: string | null;
}

/** What one attempt's headers are made from: ours but the signature, which the format makes from these. */
export interface HeaderInput extends Omit<DeliveryHeaderInput, "signature"> {
  /** The webhook's valid secrets, newest first; empty when it has none. */
  secrets: readonly string[];
  /** Unix seconds: a fresh `t` (and fresh signatures) on every attempt. */
  t: number;
  body: string;
}

/** What a webhook created with this format starts with, where it differs from every webhook's defaults. */
export interface FormatDefaults {
  timeoutMs?: number;
  retryPolicy?: RetryPolicy;
  retryOn?: RetryOn;
  includeDetail?: boolean;
  /** Requests per second its line may send (the platform's own limit), where the format has one. */
  rateLimitPerS?: number;
}

export interface WebhookFormat {
  /** Pure: the same event and options always give the same bytes (the delivery log renders it again). */
  render(event: StoredEvent, options: RenderOptions): string;
  headers(input: HeaderInput): Promise<Record<string, string>>;
  defaults: FormatDefaults;
  /** A header prefix this format always uses, whatever HEADER_PREFIX says: custom headers may not use it. */
  fixedHeaderPrefix?: string;
  /** A chat platform's message: its main text may come from the webhook's message_template; nothing is signed. */
  chat?: boolean;
}
