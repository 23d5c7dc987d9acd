// How a webhook reacts to the outcome of one of its deliveries: a delivery that fails for good raises an alert,
// and pauses the webhook in pause mode; a 410 Gone disables it. Test deliveries never change the webhook.
import type { FailureMode } from "./line";

export type AlertKind = "endpoint_gone" | "paused_on_failure" | "delivery_failed";

export interface Alert {
  kind: AlertKind;
  since: string;
  delivery_id: string | null;
  message: string;
}

export interface Reaction {
  alert: Alert | null;
  status: "paused" | "disabled" | null;
}

export interface OutcomeFacts {
  /** What the attempt's verdict was: settled as delivered, retrying, failed for good, or gone (410). */
  verdict: "delivered" | "retry" | "failed" | "gone";
  failureMode: FailureMode;
  isTest: boolean;
  deliveryId: string;
  eventType: string;
  attempts: number;
  url: string;
  /** The failure as the log shows it ("HTTP 500", "no response within the webhook's timeout"). */
  error: string;
  /** RFC 3339. */
  at: string;
}

export const NO_REACTION: Reaction = { alert: null, status: null };

export function reactToOutcome(o: OutcomeFacts): Reaction {
  if (o.isTest || (o.verdict !== "failed" && o.verdict !== "gone")) return NO_REACTION;
  if (o.verdict === "gone") {
    const message = `${o.url} answered 410 Gone: the webhook is disabled until resumed`;
    return { alert: { kind: "endpoint_gone", since: o.at, delivery_id: o.deliveryId, message }, status: "disabled" };
  }
  const plural = o.attempts === 1 ? "" : "s";
  const message = `${o.eventType} delivery ${o.deliveryId} failed after ${o.attempts} attempt${plural}: ${o.error}`;
  const pause = o.failureMode === "pause";
  return {
    alert: { kind: pause ? "paused_on_failure" : "delivery_failed", since: o.at, delivery_id: o.deliveryId, message },
    status: pause ? "paused" : null,
  };
}

/** Several outcomes of one webhook in one batch: the last alert stands, and disabled outranks paused. */
export function combineReactions(a: Reaction, b: Reaction): Reaction {
  const status = a.status === "disabled" || b.status === "disabled" ? "disabled" : (b.status ?? a.status);
  return { alert: b.alert ?? a.alert, status };
}
