// Receivers that behave like the chat platforms' incoming webhooks, for the end-to-end tests: each refuses what the
// platform refuses (with the platform's answer), takes what it takes, and throttles as it does. They run in Node on
// 127.0.0.1 and record every request with the time it arrived.
//   slack:   400 `no_text` without `text` or `blocks`; 400 `invalid_blocks` when a block's text passes 3,000
//            characters; 429 with `Retry-After: 1` for a message within a second of the last one it took for the
//            same webhook (URL path); else 200 `ok`.
//   discord: 400 (JSON, code 50006) without `content` or `embeds`; 400 (code 50035) past its limits (content 2,000,
//            embed title 256, description 4,096, all of an embed's text 6,000); else 204.
//   On request (throttleNext), any of them answers 429 as the platform does: Slack with `Retry-After`, Discord with
//   a JSON body's `retry_after` in seconds, Teams with `Retry-After`.
//   teams:   400 without an Adaptive Card attachment; 413 over 28 KB; else 202.
import { createServer, type IncomingHttpHeaders } from "node:http";

export type Platform = "slack" | "discord" | "teams";

export interface Arrival {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  json: any;
  /** Date.now() when the request's body had arrived. */
  at: number;
  status: number;
  answer: string;
}

export interface PlatformReceiver {
  url: string;
  arrivals: Arrival[];
  /** Arrivals the platform took (2xx). */
  accepted(): Arrival[];
  /** Resolves once `count` arrivals match (those already in, and those to come). */
  waitFor(match: (a: Arrival) => boolean, count?: number, timeoutMs?: number): Promise<Arrival[]>;
  /** Answer the next `times` requests with the platform's 429, asking for `retryAfter` seconds. */
  throttleNext(times: number, retryAfter: number): void;
  /** Answer the next `times` requests with this status (an outage), whatever they carry. */
  failNext(times: number, status?: number): void;
  close(): Promise<void>;
}

const SLACK_BLOCK_TEXT = 3000;
const DISCORD = { content: 2000, title: 256, description: 4096, embed: 6000 };
const TEAMS_MAX_BYTES = 28 * 1024;

type Answer = { status: number; body: string; headers?: Record<string, string> };

function slack(json: any, at: number, lastTaken: number | null): Answer {
  const hasText = typeof json?.text === "string" && json.text.length > 0;
  const hasBlocks = Array.isArray(json?.blocks) && json.blocks.length > 0;
  if (!hasText && !hasBlocks) return { status: 400, body: "no_text" };
  const texts = (json.blocks ?? []).flatMap((b: any) => [
    b?.text?.text,
    ...(b?.elements ?? []).map((e: any) => e?.text),
  ]);
  if (texts.some((t: unknown) => typeof t === "string" && (t.length === 0 || t.length > SLACK_BLOCK_TEXT)))
    return { status: 400, body: "invalid_blocks" };
  if (lastTaken !== null && at - lastTaken < 1000)
    return { status: 429, body: "rate_limited", headers: { "retry-after": "1" } };
  return { status: 200, body: "ok" };
}

function discord(json: any): Answer {
  const embeds = Array.isArray(json?.embeds) ? json.embeds : [];
  if (!(typeof json?.content === "string" && json.content.length > 0) && !embeds.length)
    return { status: 400, body: JSON.stringify({ message: "Cannot send an empty message", code: 50006 }) };
  const length = (s: unknown) => (typeof s === "string" ? s.length : 0);
  const tooLong =
    length(json.content) > DISCORD.content ||
    embeds.some((e: any) => {
      const fields = (e.fields ?? []).reduce((n: number, f: any) => n + length(f.name) + length(f.value), 0);
      const total = length(e.title) + length(e.description) + fields + length(e.footer?.text) + length(e.author?.name);
      return length(e.title) > DISCORD.title || length(e.description) > DISCORD.description || total > DISCORD.embed;
    });
  if (tooLong) return { status: 400, body: JSON.stringify({ message: "Invalid Form Body", code: 50035 }) };
  return { status: 204, body: "" };
}

function teams(json: any, bytes: number): Answer {
  if (bytes > TEAMS_MAX_BYTES) return { status: 413, body: "Request Entity Too Large" };
  const card = Array.isArray(json?.attachments)
    ? json.attachments.find((a: any) => a?.contentType === "application/vnd.microsoft.card.adaptive")
    : undefined;
  if (json?.type !== "message" || card?.content?.type !== "AdaptiveCard")
    return { status: 400, body: "The request body must contain an Adaptive Card attachment" };
  return { status: 202, body: "" };
}

function tooMany(platform: Platform, retryAfter: number): Answer {
  if (platform !== "discord")
    return { status: 429, body: "rate_limited", headers: { "retry-after": String(Math.ceil(retryAfter)) } };
  const body = { message: "You are being rate limited.", retry_after: retryAfter, global: false };
  return { status: 429, body: JSON.stringify(body), headers: { "content-type": "application/json" } };
}

export async function startPlatform(platform: Platform): Promise<PlatformReceiver> {
  const arrivals: Arrival[] = [];
  const waiters: { match: (a: Arrival) => boolean; count: number; done: (a: Arrival[]) => void }[] = [];
  const lastTaken = new Map<string, number>();
  let throttles = { left: 0, retryAfter: 0 };
  let failures = { left: 0, status: 500 };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const buffer = Buffer.concat(chunks);
      const raw = buffer.toString("utf8");
      const at = Date.now();
      let json: any = null;
      try {
        json = JSON.parse(raw);
      } catch {}
      let answer: Answer;
      if (failures.left > 0) {
        failures.left--;
        answer = { status: failures.status, body: "outage" };
      } else if (throttles.left > 0) {
        throttles.left--;
        answer = tooMany(platform, throttles.retryAfter);
      } else if (platform === "slack") answer = slack(json, at, lastTaken.get(req.url ?? "/") ?? null);
      else if (platform === "discord") answer = discord(json);
      else answer = teams(json, buffer.length);
      if (answer.status < 300) lastTaken.set(req.url ?? "/", at);
      const arrival: Arrival = {
        path: req.url ?? "/",
        headers: req.headers,
        raw,
        json,
        at,
        status: answer.status,
        answer: answer.body,
      };
      arrivals.push(arrival);
      for (const w of [...waiters]) {
        const hits = arrivals.filter(w.match);
        if (hits.length >= w.count) {
          waiters.splice(waiters.indexOf(w), 1);
          w.done(hits);
        }
      }
      res.writeHead(answer.status, answer.headers ?? { "content-type": "text/plain" });
      res.end(answer.body);
    });
  });
  // Longer than any wait a test makes between two requests: a socket the server closes for idleness just as the
  // runtime reuses it fails that request with a connection error (a 1 s timeout did, to a retry sent 1 s after a
  // 429). close() ends the kept-alive sockets itself.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no port");

  return {
    url: `http://127.0.0.1:${address.port}/${platform}`,
    arrivals,
    accepted: () => arrivals.filter((a) => a.status < 300),
    waitFor(match, count = 1, timeoutMs = 60_000) {
      const hits = arrivals.filter(match);
      if (hits.length >= count) return Promise.resolve(hits);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(
            new Error(`${platform}: ${arrivals.filter(match).length} of ${count} arrivals within ${timeoutMs} ms`),
          );
        }, timeoutMs);
        const w = {
          match,
          count,
          done: (a: Arrival[]) => {
            clearTimeout(timer);
            resolve(a);
          },
        };
        waiters.push(w);
      });
    },
    throttleNext(times, retryAfter) {
      throttles = { left: times, retryAfter };
    },
    failNext(times, status = 500) {
      failures = { left: times, status };
    },
    close() {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
