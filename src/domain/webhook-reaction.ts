// How a webhook reacts to the outcome of one of its deliveries: a delivery that fails for good raises an alert,
// and pauses the webhook in pause mode; a 410 Gone disables it, and so does failing without a single success for
// AUTO_DISABLE_DAYS. The same reaction names the operational events it raises (webhook.paused, webhook.disabled,
// delivery.failed): the alert and the events come from this one rule. Test deliveries never change the webhook, and
// the outcome of an operational delivery raises no further operational event (no loops).
import type { FailureMode } from "./line";
import type { OperationalEventType } from "./catalog";
import { failingTooLong } from "./flow-control";

export type AlertKind = "endpoint_gone" | "paused_on_failure" | "delivery_failed" | "auto_paused" | "failing_too_long";

export interface Alert {
  kind: AlertKind;
  since: string;
  delivery_id: string | null;
  message: string;
}

/** An operational event to raise: its type, and the target and detail its envelope carries. */
export interface RaisedEvent {
  type: OperationalEventType;
  /** The webhook it is about: it is never delivered to that one. */
  aboutWebhookId: string;
  target: { type: "webhook" | "delivery"; id: string; title: string };
  detail: Record<string, unknown>;
}

export interface Reaction {
  alert: Alert | null;
  status: "paused" | "disabled" | null;
  events: RaisedEvent[];
}

export interface OutcomeFacts {
  /** What the attempt's verdict was: delivered, retrying, throttled, failed for good, or gone (410). */
  verdict: "delivered" | "retry" | "throttled" | "failed" | "gone";
  failureMode: FailureMode;
  isTest: boolean;
  /** The delivery carries an operational event: its outcome raises no operational event of its own. */
  isOperational: boolean;
  webhookId: string;
  webhookName: string;
  deliveryId: string;
  eventId: string;
  eventType: string;
  attempts: number;
  url: string;
  /** The failure as the log shows it ("HTTP 500", "no response within the webhook's timeout"). */
  error: string;
  /** RFC 3339. */
  at: string;
  /** The first failure since the webhook's last success (ms), or null; with `autoDisableDays`, the disable rule. */
  failingSince?: number | null;
  now?: number;
  autoDisableDays?: number;
}

export const NO_REACTION: Reaction = { alert: null, status: null, events: [] };

export function reactToOutcome(o: OutcomeFacts): Reaction {
  if (o.isTest || o.verdict === "delivered" || o.verdict === "throttled") return NO_REACTION;
  const failedForGood = o.verdict === "failed" || o.verdict === "gone";
  const tooLong =
    o.verdict !== "gone" &&
    o.now !== undefined &&
    o.autoDisableDays !== undefined &&
    failingTooLong(o.failingSince ?? null, o.now, o.autoDisableDays);
  if (!failedForGood && !tooLong) return NO_REACTION;

  const raise = (alert: Alert, status: Reaction["status"]): Reaction => {
    if (o.isOperational) return { alert, status, events: [] };
    const events: RaisedEvent[] = [];
    if (status) events.push(webhookEvent(status === "paused" ? "webhook.paused" : "webhook.disabled", o, alert));
    if (failedForGood) events.push(deliveryFailedEvent(o, alert));
    return { alert, status, events };
  };
  const alert = (kind: AlertKind, message: string): Alert => ({
    kind,
    since: o.at,
    delivery_id: o.deliveryId,
    message,
  });

  if (o.verdict === "gone") {
    return raise(
      alert("endpoint_gone", `${o.url} answered 410 Gone: the webhook is disabled until resumed`),
      "disabled",
    );
  }
  if (tooLong) {
    const since = new Date(o.failingSince!).toISOString();
    const message = `Every attempt has failed since ${since} (${o.autoDisableDays} days): the webhook is disabled until resumed. Last: ${o.error}`;
    return raise(alert("failing_too_long", message), "disabled");
  }
  const plural = o.attempts === 1 ? "" : "s";
  const message = `${o.eventType} delivery ${o.deliveryId} failed after ${o.attempts} attempt${plural}: ${o.error}`;
  const pause = o.failureMode === "pause";
  return raise(alert(pause ? "paused_on_failure" : "delivery_failed", message), pause ? "paused" : null);
}

/** webhook.paused or webhook.disabled, about the webhook, with the alert that says why. */
export function webhookEvent(
  type: "webhook.paused" | "webhook.disabled",
  hook: { webhookId: string; webhookName: string },
  alert: Alert,
): RaisedEvent {
  return {
    type,
    aboutWebhookId: hook.webhookId,
    target: { type: "webhook", id: hook.webhookId, title: `${hook.webhookName}: ${alert.message}` },
    detail: { webhook_id: hook.webhookId, webhook_name: hook.webhookName, alert },
  };
}

function deliveryFailedEvent(o: OutcomeFacts, alert: Alert): RaisedEvent {
  return {
    type: "delivery.failed",
    aboutWebhookId: o.webhookId,
    target: { type: "delivery", id: o.deliveryId, title: `${o.webhookName}: ${alert.message}` },
    detail: {
      webhook_id: o.webhookId,
      webhook_name: o.webhookName,
      delivery_id: o.deliveryId,
      event_id: o.eventId,
      event_type: o.eventType,
      attempts: o.attempts,
      error: o.error,
    },
  };
}

/**
 * Several outcomes of one webhook in one batch: the last alert stands, disabled outranks paused, every
 * delivery.failed is raised, and one webhook.paused or webhook.disabled: the one of the status that stands.
 */
export function combineReactions(a: Reaction, b: Reaction): Reaction {
  const status = a.status === "disabled" || b.status === "disabled" ? "disabled" : (b.status ?? a.status);
  const statusEvent = status === "disabled" ? "webhook.disabled" : status === "paused" ? "webhook.paused" : null;
  const all = [...a.events, ...b.events];
  const last = [...all].reverse().find((e) => e.type === statusEvent);
  return {
    alert: b.alert ?? a.alert,
    status,
    events: [...(last ? [last] : []), ...all.filter((e) => e.type === "delivery.failed")],
  };
}
