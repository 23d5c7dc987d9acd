// A receiver inside workerd: spies on fetch, records every request and answers as the test says. A test
// can hold a response open to keep a delivery in flight, then release it.
import { vi } from "vitest";

export interface ReceivedCall {
  url: string;
  headers: Record<string, string>;
  body: string;
  json: any;
  answer(res: Response): void;
}

export type Behaviour = (call: ReceivedCall) => Response | "hold" | Promise<Response>;

export function spyReceiver() {
  const calls: ReceivedCall[] = [];
  let behaviour: Behaviour = () => new Response("ok");
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init as RequestInit);
    const body = await req.text();
    let answer!: (res: Response) => void;
    const answered = new Promise<Response>((r) => (answer = r));
    const call: ReceivedCall = { url: req.url, headers: Object.fromEntries(req.headers), body, json: safeJson(body), answer };
    calls.push(call);
    const out = await behaviour(call);
    if (out !== "hold") return out;
    return answered;
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
