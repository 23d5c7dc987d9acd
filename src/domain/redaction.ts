// What a reader who may not change a site (a viewer) is not shown. A destination URL's path and query often are
// its credentials (a Slack, Discord or Zapier webhook URL is a bearer token), so a viewer sees only its scheme and
// host, everywhere a URL can surface: the webhook, the attempt log, the audit log, alerts. A signature, with the
// body and `t` beside it, can be replayed within a receiver's tolerance or used to guess the secret offline, so a
// viewer never sees one. Those who may change the site (integrations-admin, root) see everything.
import { MASK } from "./delivery-request";

/** "full": may manage the site; "redacted": may only read it. */
export type Audience = "full" | "redacted";

function parsedUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** The URL with its path, query and fragment replaced by a mask: `https://hooks.slack.com/********`. */
export function redactUrl(url: string): string {
  const parsed = parsedUrl(url);
  if (!parsed) return MASK;
  // The origin leaves out any user name or password too.
  if (parsed.origin === "null") return MASK;
  const bare = parsed.pathname === "/" && !parsed.search && !parsed.hash;
  return bare ? `${parsed.origin}/` : `${parsed.origin}/${MASK}`;
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>]+/gi;

/** Every http(s) URL in a text, redacted (an alert's message, an error message). */
export function redactUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (found) => redactUrl(found));
}

/**
 * Every URL in a text, and also the destination's own path and query wherever they appear without it (a receiver's
 * error page that echoes "Cannot POST /services/T0/B0/XXXX").
 */
export function redactDestinationIn(text: string, destination: string): string {
  let out = redactUrlsIn(text);
  const url = parsedUrl(destination);
  if (!url) return out;
  for (const secretPart of [url.pathname + url.search, url.pathname]) {
    if (secretPart.length > 1) out = out.split(secretPart).join(`/${MASK}`);
  }
  return out;
}

/** A JSON value with every string's URLs redacted (the audit log's `changes`). */
export function redactUrlsDeep(value: unknown): unknown {
  if (typeof value === "string") return redactUrlsIn(value);
  if (Array.isArray(value)) return value.map(redactUrlsDeep);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactUrlsDeep(v)]));
  }
  return value;
}

/**
 * Signature headers masked: any header named `…-signature` (`X-SGEN-Signature` under any prefix,
 * `webhook-signature`, `X-PageGun-Signature`). Without one, a body and its `t` can neither be replayed nor used to
 * test guesses at the secret.
 */
export function maskSignatures(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, /signature$/i.test(k) ? MASK : v]));
}
