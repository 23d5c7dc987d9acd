// A receiver inside workerd: spies on fetch, records every request and answers as the test says.
// The answer is decided inside the consumer's own I/O context: workerd forbids settling one context's
// request from another, so a test keeps a delivery in flight by failing it (it retries), not by holding it.
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
    /** Event ids in the order they reached the receiver. */
    eventIds: () => calls.map((c) => c.json?.event_id as string),
  };
}

function safeJson(text: string) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
