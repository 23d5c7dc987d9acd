// What a delivery format is: how it renders the body from a stored event, which headers (and signature) go with
// it, and what a webhook created with it starts with. Each format is one pure module; index.ts lists them.
import type { RetryOn, RetryPolicy } from "../retry-policy";

/** An event as ingest stored it: the canonical envelope without `detail`, and the detail as JSON. */
export interface StoredEvent {
  envelope: string;
  detail: string | null;
}

export interface RenderOptions {
  /** The delivery's snapshot of the webhook's include_detail. */
  includeDetail: boolean;
}

/** What one attempt's headers are made from. A fresh `t` and fresh signatures on every attempt. */
export interface HeaderInput {
  /** The deployment's header prefix (HEADER_PREFIX, `X-SGEN` by default). */
  prefix: string;
  userAgent: string;
  eventType: string;
  eventId: string;
  deliveryId: string;
  attempt: number;
  /** The webhook's valid secrets, newest first; empty when it has none. */
  secrets: readonly string[];
  /** Unix seconds. */
  t: number;
  body: string;
  /** The webhook's own fixed headers: they never replace one of ours. */
  custom: Record<string, string>;
}

/** What a webhook created with this format starts with, where it differs from every webhook's defaults. */
export interface FormatDefaults {
  timeoutMs?: number;
  retryPolicy?: RetryPolicy;
  retryOn?: RetryOn;
  includeDetail?: boolean;
}

export interface WebhookFormat {
  /** Pure: the same event and options always give the same bytes (the delivery log renders it again). */
  render(event: StoredEvent, options: RenderOptions): string;
  headers(input: HeaderInput): Promise<Record<string, string>>;
  defaults: FormatDefaults;
  /** A header prefix this format always uses, whatever HEADER_PREFIX says: custom headers may not use it. */
  fixedHeaderPrefix?: string;
}
