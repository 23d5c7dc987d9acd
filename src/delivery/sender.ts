// One HTTP attempt: POST with the webhook's timeout, redirects never followed, the response body kept up
// to 16 KiB, and failures sorted into the error classes the log shows.
import { count } from "../metrics";

export const RESPONSE_BODY_LIMIT = 16 * 1024;

const utf8 = new TextDecoder();

export type AttemptError = "timeout" | "dns" | "connection" | "tls" | "http_status" | "redirect" | "blocked";

export interface SendOutcome {
  status: number | null;
  body: string | null;
  truncated: boolean;
  retryAfter: string | null;
  error: AttemptError | null;
  errorMessage: string | null;
  sentAt: number;
  responseAt: number | null;
  endedAt: number;
}

export async function send(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<SendOutcome> {
  count("fetches");
  const sentAt = Date.now();
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal });
  } catch (err) {
    const endedAt = Date.now();
    return {
      status: null,
      body: null,
      truncated: false,
      retryAfter: null,
      ...classify(err),
      sentAt,
      responseAt: null,
      endedAt,
    };
  }
  const responseAt = Date.now();
  const { text, truncated } = await readCapped(res);
  const status = res.status;
  const error: AttemptError | null =
    status >= 200 && status < 300 ? null : status >= 300 && status < 400 ? "redirect" : "http_status";
  return {
    status,
    body: text,
    truncated,
    retryAfter: res.headers.get("retry-after"),
    error,
    errorMessage:
      error === "redirect"
        ? `redirect to ${res.headers.get("location") ?? "(no location)"} not followed`
        : error
          ? `HTTP ${status}`
          : null,
    sentAt,
    responseAt,
    endedAt: Date.now(),
  };
}

/** Reads at most RESPONSE_BODY_LIMIT bytes and drops the rest; a body that stalls past the timeout is cut. */
async function readCapped(res: Response): Promise<{ text: string | null; truncated: boolean }> {
  if (!res.body) return { text: null, truncated: false };
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  let ended = false;
  try {
    while (size < RESPONSE_BODY_LIMIT) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      parts.push(value);
      size += value.byteLength;
    }
    if (size >= RESPONSE_BODY_LIMIT) truncated = true;
  } catch {
    truncated = true;
  } finally {
    // The rest is dropped unread; a body read to its end has nothing left to cancel.
    if (!ended) reader.cancel().catch(() => undefined);
  }
  const all = new Uint8Array(Math.min(size, RESPONSE_BODY_LIMIT));
  let offset = 0;
  for (const p of parts) {
    const take = Math.min(p.byteLength, all.byteLength - offset);
    all.set(p.subarray(0, take), offset);
    offset += take;
    if (offset >= all.byteLength) break;
  }
  return { text: utf8.decode(all), truncated };
}

function classify(err: unknown): { error: AttemptError; errorMessage: string } {
  const name = (err as { name?: string })?.name ?? "";
  const message = String((err as { message?: string })?.message ?? err);
  if (name === "TimeoutError" || name === "AbortError")
    return { error: "timeout", errorMessage: "no response within the webhook's timeout" };
  if (/dns|resolve|lookup|name not|ENOTFOUND/i.test(message)) return { error: "dns", errorMessage: message };
  if (/tls|ssl|certificate|handshake/i.test(message)) return { error: "tls", errorMessage: message };
  return { error: "connection", errorMessage: message };
}
