// The rule `npm run chaos` judges order by, on small receiver timelines: the two cases the older count
// missed (a delivery overtaken while still retrying that then fails for good; a 200 written after our
// timeout), and a correct timeline that must count nothing.
import { describe, expect, it } from "vitest";
import { eventOutcome, receiverDeliveries, violations, type JudgedEvent } from "../../bench/chaos-judge.mjs";

const MAX = 4;
const ev = (id: string, target = 1): JudgedEvent => ({ event_id: id, target: { type: "post", id: target } });

/** One request as the receiver recorded it: arrival at `seq`, then answered (or abandoned) at `end`. */
function attempt(seq: number, event: string, n: number, answer: { status: number; end: number; late?: boolean }) {
  return {
    headers: { "x-sgen-delivery": `dlv_${event}`, "x-sgen-delivery-attempt": String(n) },
    json: { event_id: event },
    seq,
    respondedStatus: answer.status,
    respondedSeq: answer.late ? null : answer.end,
    clientGone: answer.late === true,
    clientGoneSeq: answer.late ? answer.end : undefined,
  };
}

function judge(mode: "pause" | "continue", events: JudgedEvent[], arrivals: ReturnType<typeof attempt>[]) {
  const ds = receiverDeliveries(arrivals, MAX);
  return violations(mode, events, (e) => eventOutcome(ds.filter((d) => d.event_id === e.event_id)));
}

describe("chaos order judging", () => {
  it("counts a later event delivered while an earlier one of its target still retried, though that one then failed for good", () => {
    const arrivals = [
      attempt(1, "a", 1, { status: 503, end: 2 }),
      attempt(3, "a", 2, { status: 503, end: 4 }),
      attempt(5, "b", 1, { status: 200, end: 6 }), // overtakes a, which is still retrying
      attempt(7, "a", 3, { status: 503, end: 8 }),
      attempt(9, "a", 4, { status: 503, end: 10 }), // a fails for good only now
    ];
    expect(judge("continue", [ev("a"), ev("b")], arrivals)).toEqual([{ event: 1, event_id: "b", line: "post:1" }]);
    // Another target may overtake: continue mode promises order per target only.
    expect(judge("continue", [ev("a"), ev("b", 2)], arrivals)).toEqual([]);
  });

  it("does not count a 200 written after the sender gave up as delivered", () => {
    const arrivals = [
      attempt(1, "a", 1, { status: 200, end: 3, late: true }), // the sender timed out first
      attempt(4, "b", 1, { status: 200, end: 5 }), // so b overtook a, still in flight
      attempt(6, "a", 2, { status: 200, end: 7 }),
    ];
    expect(judge("pause", [ev("a"), ev("b", 2)], arrivals)).toEqual([{ event: 1, event_id: "b", line: "all" }]);
  });

  it("counts nothing on a correct line: each event after the previous one's outcome, failures included", () => {
    const arrivals = [
      attempt(1, "a", 1, { status: 503, end: 2 }),
      attempt(3, "a", 2, { status: 200, end: 4 }),
      ...[1, 2, 3, 4].map((n) => attempt(3 + 2 * n, "b", n, { status: 503, end: 4 + 2 * n })),
      attempt(13, "c", 1, { status: 200, end: 14 }),
    ];
    expect(judge("pause", [ev("a"), ev("b"), ev("c")], arrivals)).toEqual([]);
    const [, b] = receiverDeliveries(arrivals, MAX);
    expect(eventOutcome([b!])).toMatchObject({ delivered: false, failed: true, final: 12 });
  });

  it("counts an event overtaking one that never got an outcome at all", () => {
    const arrivals = [attempt(1, "a", 1, { status: 503, end: 2 }), attempt(3, "b", 1, { status: 200, end: 4 })];
    expect(judge("pause", [ev("a"), ev("b")], arrivals)).toHaveLength(1);
  });
});
