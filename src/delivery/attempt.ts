// One attempt of one claimed delivery: build the request (body, signatures, headers), send it, and decide what
// it means for the delivery (delivered, retry later, failed for good, gone) and for its webhook (an alert, a
// pause, a disable). Nothing here writes to D1: the consumer records outcomes in groups.
import type { Env } from "../env";
import { FORMATS, isFormatName, type WebhookFormat } from "../domain/formats";
import { maskedHeaders } from "../domain/delivery-request";
import { decideAfterAttempt, parseRetryAfter, type AttemptVerdict } from "../domain/retry-policy";
import { checkDestination } from "../domain/ssrf";
import { TEST_EVENT_TYPE } from "../domain/catalog";
import { activeSecrets } from "../domain/secret-rotation";
import { CannotDecrypt } from "../domain/sealed";
import { NO_REACTION, reactToOutcome, type Reaction } from "../domain/webhook-reaction";
import type { FailureMode } from "../domain/line";
import { iso } from "../domain/time";
import type { AttemptRow } from "../db/attempts";
import type { ClaimedDelivery, DeliveryUpdate, SendContextEvent, SendContextWebhook } from "../db/deliveries";
import { USER_AGENT } from "../version";
import { log } from "../log";
import { devDestinationHosts, headerPrefix } from "../config";
import { send, type SendOutcome } from "./sender";
import { openHeaders, openSecrets } from "../webhooks/sealed-columns";

export interface Outcome {
  delivery: ClaimedDelivery;
  update: DeliveryUpdate;
  /** null when nothing was sent (the webhook was deleted, or is no longer active). */
  attempt: AttemptRow | null;
  verdict: AttemptVerdict | { kind: "held" } | { kind: "orphaned" };
  /** The queue message comes back after this many seconds (a retry), or is acked (null). */
  retryDelaySeconds: number | null;
  /** What the webhook does about it: an alert, a pause, a disable. */
  reaction: Reaction;
}

export async function attemptDelivery(
  env: Env,
  d: ClaimedDelivery,
  hook: SendContextWebhook | undefined,
  event: SendContextEvent | undefined,
  claimedAt: number,
  manual: boolean,
): Promise<Outcome> {
  const base = {
    id: d.id,
    lease: d.lease_until,
    attempts: d.attempts,
    response_status: null,
    latency_ms: null,
    delivered_at: null,
  };
  const isTest = d.event_type === TEST_EVENT_TYPE;
  const unsent = (update: DeliveryUpdate, verdict: Outcome["verdict"]): Outcome => ({
    delivery: d,
    update,
    attempt: null,
    verdict,
    retryDelaySeconds: null,
    reaction: NO_REACTION,
  });
  if (!hook || hook.deleted_at !== null || !event) {
    const now = Date.now();
    return unsent(
      { ...base, state: "failed", next_attempt_at: null, last_error: "webhook_deleted", updated_at: now },
      { kind: "orphaned" },
    );
  }
  if (!isTest && !manual && hook.status !== "active") {
    // Paused or disabled since this delivery was released: it waits in the line for resume.
    const now = Date.now();
    return unsent(
      { ...base, state: "held", next_attempt_at: now, last_error: null, updated_at: now },
      { kind: "held" },
    );
  }

  const n = d.attempts + 1;
  // The format the delivery was made with (its snapshot), whatever the webhook's is now.
  const format = deliveryFormat(d);
  const body = format.render({ envelope: event.body, detail: event.detail }, { includeDetail: d.include_detail === 1 });
  // A secret or header value no key opens (ENCRYPTION_KEY replaced without ENCRYPTION_KEY_PREVIOUS, a value moved
  // to another row) is never sent without: the attempt fails as blocked and is retried by the policy.
  const sealed = await requestHeaders(env, d, hook, format, body, n).catch((err: unknown) => {
    if (err instanceof CannotDecrypt) return err;
    throw err;
  });
  const headers = sealed instanceof CannotDecrypt ? {} : sealed;
  const destination = checkDestination(hook.url, devDestinationHosts(env));
  const preparedAt = Date.now();
  const result: SendOutcome =
    sealed instanceof CannotDecrypt
      ? blocked(`nothing was sent: ${sealed.message} (ENCRYPTION_KEY, ENCRYPTION_KEY_PREVIOUS)`, preparedAt)
      : destination.ok
        ? await send(hook.url, headers, body, hook.timeout_ms)
        : blocked(destination.reason, preparedAt);

  const verdict = decideAfterAttempt({
    delays: JSON.parse(d.retry_delays) as number[],
    attemptsMade: n,
    status: result.status,
    retryAfterSeconds: parseRetryAfter(result.retryAfter, result.endedAt),
    retryOn: d.retry_on,
  });
  const latency = (result.responseAt ?? result.endedAt) - result.sentAt;
  const now = Date.now();
  const update: DeliveryUpdate = {
    ...base,
    attempts: n,
    state: verdict.kind === "delivered" ? "delivered" : verdict.kind === "retry" ? "retrying" : "failed",
    next_attempt_at: verdict.kind === "retry" ? now + verdict.delaySeconds * 1000 : null,
    response_status: result.status,
    latency_ms: latency,
    last_error: verdict.kind === "gone" ? "gone" : result.error,
    delivered_at: verdict.kind === "delivered" ? now : null,
    updated_at: now,
  };
  const attempt: AttemptRow = {
    delivery_id: d.id,
    n,
    started_at: claimedAt,
    url: hook.url,
    request_headers: JSON.stringify(maskedHeaders(headers, JSON.parse(hook.header_names) as string[])),
    response_status: result.status,
    response_body: result.body,
    response_truncated: result.truncated ? 1 : 0,
    error: result.error,
    error_message: result.errorMessage,
    prepared_ms: preparedAt - claimedAt,
    sent_at: result.sentAt,
    response_at: result.responseAt,
    total_ms: result.endedAt - claimedAt,
  };
  log("info", "delivery attempt", {
    delivery_id: d.id,
    webhook_id: d.webhook_id,
    event_id: d.event_id,
    event_type: d.event_type,
    attempt: n,
    status: result.status,
    error: result.error,
    latency_ms: latency,
    outcome: update.state,
  });
  const reaction = reactToOutcome({
    verdict: verdict.kind,
    failureMode: hook.failure_mode as FailureMode,
    isTest,
    deliveryId: d.id,
    eventType: d.event_type,
    attempts: n,
    url: hook.url,
    error: result.errorMessage ?? result.error ?? "unknown error",
    at: iso(now)!,
  });
  return {
    delivery: d,
    update,
    attempt,
    verdict,
    retryDelaySeconds: verdict.kind === "retry" ? verdict.delaySeconds : null,
    reaction,
  };
}

/** A delivery's format. One this version does not know (written by a newer one) is sent as sgen, and logged. */
function deliveryFormat(d: ClaimedDelivery): WebhookFormat {
  if (isFormatName(d.format)) return FORMATS[d.format];
  log("warn", "unknown delivery format; sending as sgen", { delivery_id: d.id, format: d.format });
  return FORMATS.sgen;
}

/** The format's headers: fresh signatures (a new `t` on every attempt) and the webhook's custom headers. */
async function requestHeaders(
  env: Env,
  d: ClaimedDelivery,
  hook: SendContextWebhook,
  format: WebhookFormat,
  body: string,
  attempt: number,
) {
  const secrets = hook.secrets_enc ? activeSecrets(await openSecrets(env, hook.id, hook.secrets_enc), Date.now()) : [];
  const custom = hook.headers_enc ? await openHeaders(env, hook.id, hook.headers_enc) : {};
  return format.headers({
    prefix: headerPrefix(env),
    userAgent: USER_AGENT,
    eventType: d.event_type,
    eventId: d.event_id,
    deliveryId: d.id,
    attempt,
    secrets,
    t: Math.floor(Date.now() / 1000),
    body,
    custom,
  });
}

/** A destination the SSRF rules refuse (checked again at send time: the rules may be stricter now). */
function blocked(reason: string, at: number): SendOutcome {
  return {
    status: null,
    body: null,
    truncated: false,
    retryAfter: null,
    error: "blocked",
    errorMessage: reason,
    sentAt: at,
    responseAt: null,
    endedAt: at,
  };
}
