// How `npm run chaos` judges order and outcome, kept apart from the run so it can be tested on its own
// (test/unit/chaos-judge.test.ts). Pure functions over plain records.

/** The line an event belongs to where the mode promises order: the webhook (pause) or its target (continue). */
export function lineOf(mode, event) {
  return mode === "pause" ? "all" : `${event.target.type}:${event.target.id}`;
}

/**
 * Order violations over one webhook's events, in acceptance order: an event whose first successful attempt
 * began before an earlier event of its line had its final outcome (delivered, or failed for good). An
 * earlier event that never had one counts as never. `outcome(event)` gives { okStart, final } on one
 * clock (null when there is none). Each violating event counts once.
 */
export function violations(mode, events, outcome) {
  const latestFinal = new Map();
  const found = [];
  for (const [k, e] of events.entries()) {
    const line = lineOf(mode, e);
    const { okStart, final } = outcome(e);
    const before = latestFinal.get(line) ?? Number.NEGATIVE_INFINITY;
    if (okStart !== null && okStart < before) found.push({ event: k, event_id: e.event_id, line });
    latestFinal.set(line, Math.max(before, final ?? Number.POSITIVE_INFINITY));
  }
  return found;
}

/**
 * One webhook's deliveries as its receiver saw them, from the receiver's records (scripts/receiver-lib.mjs):
 * attempts grouped by delivery id. An attempt succeeded only if it was answered 2xx and the answer was
 * complete before the sender gave up (a 200 written after our timeout is not a delivery). A delivery failed
 * for good when no attempt succeeded and its last permitted attempt (`maxAttempts`) ended. Times are the
 * receiver's sequence numbers: exact order, whatever the clock.
 */
export function receiverDeliveries(arrivals, maxAttempts) {
  const byDelivery = new Map();
  for (const a of arrivals) {
    const id = a.headers["x-sgen-delivery"];
    (byDelivery.get(id) ?? byDelivery.set(id, []).get(id)).push(a);
  }
  return [...byDelivery].map(([id, attempts]) => {
    const ok = attempts.find((a) => a.respondedStatus >= 200 && a.respondedStatus < 300 && !a.clientGone);
    const last = attempts.find(
      (a) => Number(a.headers["x-sgen-delivery-attempt"]) === maxAttempts && (a.respondedSeq || a.clientGone),
    );
    return {
      id,
      event_id: attempts[0].json?.event_id,
      first: attempts[0].seq,
      okStart: ok ? ok.seq : null,
      okEnd: ok ? ok.respondedSeq : null,
      failedAt: !ok && last ? (last.clientGoneSeq ?? last.respondedSeq) : null,
    };
  });
}

/** An event's outcome from its deliveries (the original and any replays): the earliest success or end. */
export function eventOutcome(deliveries) {
  const oks = deliveries.filter((d) => d.okStart !== null);
  const finals = deliveries.map((d) => d.okEnd ?? d.failedAt).filter((x) => x !== null);
  return {
    okStart: oks.length ? Math.min(...oks.map((d) => d.okStart)) : null,
    final: finals.length ? Math.min(...finals) : null,
    delivered: oks.length > 0,
    failed: deliveries.some((d) => d.failedAt !== null),
  };
}
