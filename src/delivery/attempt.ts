// One attempt of one claimed delivery: build the request (body, signatures, headers), send it, and decide what
// it means for the delivery (delivered, retry later, failed for good, gone) and for its webhook (an alert, a
// pause, a disable). Nothing here writes to D1: the consumer records outcomes in groups.
import type { Env } from "../env";
import { FORMATS, isFormatName, type WebhookFormat } from "../domain/formats";
import { maskedHeaders } from "../domain/delivery-request";
import { decideAfterAttempt, parseRetryAfter, throttleWaitMs, type AttemptVerdict } from "../domain/retry-policy";
import { checkDestination } from "../domain/ssrf";
import { isOperationalEventType, TEST_EVENT_TYPE } from "../domain/catalog";
import { activeSecrets, type StoredSecret } from "../domain/secret-rotation";
import { CannotDecrypt } from "../domain/sealed";
import { NO_REACTION, reactToOutcome, type Reaction } from "../domain/webhook-reaction";
import type { FailureMode } from "../domain/line";
import { iso } from "../domain/time";
import type { AttemptRow } from "../db/attempts";
import type { ClaimedDelivery, DeliveryUpdate, SendContextEvent, SendContextWebhook } from "../db/sending";
import { USER_AGENT } from "../version";
import { log } from "../log";
import { autoDisableDays, devDestinationHosts, headerPrefix } from "../config";
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
  /** What the webhook does about it: an alert, a pause, a disable, and the operational events they raise. */
  reaction: Reaction;
  /** When the request's answer (or its timeout or error) came back: a rate-limited line paces from it. */
  endedAt: number | null;
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
    throttles: d.throttles,
    throttled_ms: d.throttled_ms,
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
    endedAt: null,
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

  // Every request of the delivery is numbered (the log's n, P-Delivery-Attempt); a throttled one spends no attempt.
  const n = d.attempts + d.throttles + 1;
  // The format the delivery was made with (its snapshot), whatever the webhook's is now.
  const format = deliveryFormat(d);
  const body = format.render(
    { envelope: event.body, detail: event.detail },
    { includeDetail: d.include_detail === 1, messageTemplate: d.message_template },
  );
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

  const asked = result.status === 429 ? throttleWaitMs(result.retryAfter, result.body, result.endedAt) : null;
  const verdict = decideAfterAttempt({
    delays: JSON.parse(d.retry_delays) as number[],
    attemptsMade: d.attempts + 1,
    status: result.status,
    retryAfterSeconds: parseRetryAfter(result.retryAfter, result.endedAt),
    retryOn: d.retry_on,
    ...(asked !== null && { throttle: { waitMs: asked, throttledMs: d.throttled_ms } }),
  });
  const throttled = result.status === 429;
  const waitMs = verdict.kind === "throttled" ? verdict.waitMs : null;
  const latency = (result.responseAt ?? result.endedAt) - result.sentAt;
  const now = Date.now();
  const next =
    verdict.kind === "retry" ? now + verdict.delaySeconds * 1000 : waitMs !== null ? result.endedAt + waitMs : null;
  const update: DeliveryUpdate = {
    ...base,
    attempts: throttled ? d.attempts : d.attempts + 1,
    throttles: throttled ? d.throttles + 1 : d.throttles,
    throttled_ms: d.throttled_ms + (waitMs ?? 0),
    state: verdict.kind === "delivered" ? "delivered" : next !== null ? "retrying" : "failed",
    next_attempt_at: next,
    response_status: result.status,
    latency_ms: latency,
    last_error: verdict.kind === "gone" ? "gone" : throttled ? "throttled" : result.error,
    delivered_at: verdict.kind === "delivered" ? now : null,
    updated_at: now,
  };
  const errorMessage = throttled
    ? waitMs !== null
      ? `throttled (429): waiting ${waitMs / 1000} s before the next request, without spending an attempt`
      : `throttled (429) again after ${d.throttled_ms / 1000} s of throttle waits: giving up (at most 24 h)`
    : result.errorMessage;
  const attempt: AttemptRow = {
    delivery_id: d.id,
    n,
    started_at: claimedAt,
    url: hook.url,
    request_headers: JSON.stringify(maskedHeaders(headers, JSON.parse(hook.header_names) as string[])),
    response_status: result.status,
    response_body: result.body,
    response_truncated: result.truncated ? 1 : 0,
    error: throttled ? "throttled" : result.error,
    error_message: errorMessage,
    throttle_ms: waitMs,
    prepared_ms: preparedAt - claimedAt,
    sent_at: result.sentAt,
    response_at: result.responseAt,
    total_ms: result.endedAt - claimedAt,
  };
  // An attempt that delivered is in the delivery log and counted in its batch's line (consumer.ts); one that did
  // not gets a line of its own, for whoever debugs from the Worker's logs.
  if (update.state !== "delivered")
    log("info", "delivery attempt", {
      delivery_id: d.id,
      webhook_id: d.webhook_id,
      event_id: d.event_id,
      event_type: d.event_type,
      attempt: n,
      status: result.status,
      error: attempt.error,
      latency_ms: latency,
      outcome: update.state,
      ...(waitMs !== null && { throttle_ms: waitMs }),
    });
  const reaction = reactToOutcome({
    verdict: verdict.kind,
    failureMode: hook.failure_mode as FailureMode,
    isTest,
    isOperational: isOperationalEventType(d.event_type),
    webhookId: hook.id,
    webhookName: hook.name,
    deliveryId: d.id,
    eventId: d.event_id,
    eventType: d.event_type,
    attempts: update.attempts,
    url: hook.url,
    error: errorMessage ?? result.error ?? "unknown error",
    at: iso(now)!,
    failingSince: hook.failing_since,
    now,
    autoDisableDays: autoDisableDays(env),
  });
  return {
    delivery: d,
    update,
    attempt,
    verdict,
    retryDelaySeconds: next === null ? null : Math.max(0, Math.ceil((next - now) / 1000)),
    reaction,
    endedAt: result.endedAt,
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
  const { stored, custom } = await openedColumns(env, hook);
  const secrets = activeSecrets(stored, Date.now());
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

/**
 * A webhook's secrets and custom headers, decrypted once per consumer batch: the batch reads each webhook once (one
 * object for all its deliveries), and the plaintext lives no longer than that object.
 */
const opened = new WeakMap<SendContextWebhook, Promise<{ stored: StoredSecret[]; custom: Record<string, string> }>>();

function openedColumns(env: Env, hook: SendContextWebhook) {
  let columns = opened.get(hook);
  if (!columns) {
    columns = (async () => ({
      stored: hook.secrets_enc ? await openSecrets(env, hook.id, hook.secrets_enc) : [],
      custom: hook.headers_enc ? await openHeaders(env, hook.id, hook.headers_enc) : {},
    }))();
    opened.set(hook, columns);
  }
  return columns;
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
