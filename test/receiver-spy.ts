// A receiver inside workerd: spies on fetch, records every request and answers as the test says.
// The answer is decided inside the consumer's own I/O context: workerd forbids settling one context's
// request from another, so a test keeps a delivery in flight by failing it (it retries), not by holding it.
//
// A fetch spy cannot show what happens on the wire (redirects followed or not, a timeout really aborting a
// request, a streamed body being cut): test/e2e/on-the-wire.e2e.test.ts does that against a real receiver.
//
// The real local queue keeps running between tests of a file, so a message left over from an earlier test
// can reach a later test's spy: read calls through `forSite`, which keeps only the test's own site.
import { vi } from "vitest";

export interface ReceivedCall {
  url: string;
  headers: Record<string, string>;
  body: string;
  json: any;
}

export type Behaviour = (call: ReceivedCall, calls: ReceivedCall[]) => Response | Promise<Response>;

export function spyReceiver() {
  const calls: ReceivedCall[] = [];
  let behaviour: Behaviour = () => new Response("ok");
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init as RequestInit);
    const body = await req.text();
    const call: ReceivedCall = { url: req.url, headers: Object.fromEntries(req.headers), body, json: safeJson(body) };
    calls.push(call);
    return behaviour(call, calls);
  });
  return {
    calls,
    set(b: Behaviour) {
      behaviour = b;
    },
    /** The calls carrying an envelope of this site: the test's own, whatever else the queue still holds. */
    forSite: (siteId: string) => calls.filter((c) => c.json?.site?.id === siteId),
    /** Event ids of this site's calls, in the order they reached the receiver. */
    eventIds: (siteId: string) =>
      calls.filter((c) => c.json?.site?.id === siteId).map((c) => c.json?.event_id as string),
  };
}

function safeJson(text: string) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const enc = new TextEncoder();

async function hmac(key: Uint8Array, message: string): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, enc.encode(message)));
}

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
const base64 = (b: Uint8Array) => btoa(String.fromCharCode(...b));
const unbase64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/**
 * What a receiver does, written here independently of our signing code: does any `v1=` of P-Signature
 * match any of `secrets` with a `t` within 5 minutes of `nowSec`, and (for whsec_ secrets) any Standard
 * Webhooks signature? `standard` is null when no secret is a whsec_ one.
 */
export async function verifyAt(call: ReceivedCall, secrets: string[], nowSec: number, prefix = "x-sgen") {
  const header = call.headers[`${prefix}-signature`] ?? "";
  const parts = header.split(",");
  const t = Number(parts.find((p) => p.startsWith("t="))?.slice(2));
  const given = parts.filter((p) => p.startsWith("v1=")).map((p) => p.slice(3));
  let v1 = false;
  if (Number.isInteger(t) && Math.abs(nowSec - t) <= 300)
    for (const s of secrets) if (given.includes(hex(await hmac(enc.encode(s), `${t}.${call.body}`)))) v1 = true;
  const whsec = secrets.filter((s) => s.startsWith("whsec_"));
  let standard: boolean | null = whsec.length ? false : null;
  const id = call.headers["webhook-id"];
  const ts = Number(call.headers["webhook-timestamp"]);
  const sigs = (call.headers["webhook-signature"] ?? "").split(" ").filter((s) => s.startsWith("v1,"));
  if (id && Number.isInteger(ts) && Math.abs(nowSec - ts) <= 300)
    for (const s of whsec)
      if (sigs.includes(`v1,${base64(await hmac(unbase64(s.slice(6)), `${id}.${ts}.${call.body}`))}`)) standard = true;
  return { v1, standard };
}
