// The delivery formats a webhook may have. Adding one is one pure module (render, headers, defaults) and one entry
// here; the API, the settings document, the consumer and the delivery log all read this registry.
import { z } from "zod";
import { discord } from "./discord";
import { pagegun } from "./pagegun";
import { sgen } from "./sgen";
import { slack } from "./slack";
import { teams } from "./teams";
import type { WebhookFormat } from "./types";

export const FORMATS = { sgen, pagegun, slack, discord, teams } satisfies Record<string, WebhookFormat>;

export type FormatName = keyof typeof FORMATS;
export const FORMAT_NAMES = Object.keys(FORMATS) as [FormatName, ...FormatName[]];
export const DEFAULT_FORMAT: FormatName = "sgen";
export const formatSchema = z.enum(FORMAT_NAMES);

export function isFormatName(name: string): name is FormatName {
  return Object.hasOwn(FORMATS, name);
}

/** The chat formats: a message for a team channel, whose main text a message_template may set. */
export const CHAT_FORMATS = FORMAT_NAMES.filter((n) => (FORMATS[n] as WebhookFormat).chat === true);

/** The fixed header prefixes of every format: custom headers may not use them (nor the deployment's prefix). */
export const FIXED_HEADER_PREFIXES = Object.values(FORMATS as Record<string, WebhookFormat>).flatMap((f) =>
  f.fixedHeaderPrefix ? [f.fixedHeaderPrefix] : [],
);

export type { HeaderInput, StoredEvent, WebhookFormat } from "./types";
