// The Delivery tab's policy fields. Each field renders itself, reads its part of the posted form into the API's
// shape (validated by the shared schema, applied by the same service as PUT …/delivery), and says whether the
// value is what the webhook already has (so only real changes are saved and audited). A new delivery setting
// (a format, retry_on, message_template, rate_limit_per_s, auto_pause) is one more entry in DELIVERY_FIELDS.
import type { Child } from "hono/jsx";
import type { WebhookView } from "../webhooks/view";
import type { FieldError } from "../domain/problems";
import { RETRY_PRESETS, resolveRetryPolicy, type RetryPolicyInput } from "../domain/retry-policy";
import type { DeliveryPolicyInput } from "../domain/webhook-input";
import { numberOrText, text, type Form } from "./forms";
import { FieldErrors, errorsFor } from "./ui";

export interface DeliveryField {
  /** The policy keys this field sets; errors under them show beside it. */
  paths: string[];
  /** The editable control, showing the posted value again after an error. */
  edit(hook: WebhookView, errors: FieldError[], posted?: Form): Child;
  /** The setting in words, for keys that may only read. */
  show(hook: WebhookView): [label: string, value: string];
  /** This field's part of the policy, as the API takes it (strings that are not numbers stay strings: the
   * schema then names the field). */
  read(form: Form): Record<string, unknown>;
  /** Whether the parsed value equals the webhook's current one. */
  same(hook: WebhookView, input: DeliveryPolicyInput): boolean;
}

const seconds = (s: number) => (s < 60 ? `${s} s` : s < 3600 ? `${s / 60} min` : `${s / 3600} h`);
const delaysText = (delays: readonly number[]) => (delays.length ? delays.map(seconds).join(", ") : "no retries");

const invalid = (errors: FieldError[], path: string) => (errorsFor(errors, path).length ? "true" : undefined);

const timeout: DeliveryField = {
  paths: ["timeout_ms"],
  edit: (hook, errors, posted) => (
    <div>
      <label for="timeout_s">Timeout (seconds)</label>
      <input
        id="timeout_s"
        name="timeout_s"
        type="number"
        min="1"
        max="30"
        step="any"
        value={posted ? (text(posted, "timeout_s") ?? "") : String(hook.timeout_ms / 1000)}
        aria-invalid={invalid(errors, "timeout_ms")}
        aria-describedby="timeout-hint timeout-error"
      />
      <p id="timeout-hint" class="hint">
        How long to wait for the destination to answer. Default 10, at most 30.
      </p>
      <FieldErrors id="timeout-error" errors={errorsFor(errors, "timeout_ms")} />
    </div>
  ),
  show: (hook) => ["Timeout", `${hook.timeout_ms / 1000} s`],
  read: (form) => {
    const v = numberOrText(text(form, "timeout_s"));
    return v === undefined ? {} : { timeout_ms: typeof v === "number" ? Math.round(v * 1000) : v };
  },
  same: (hook, input) => input.timeout_ms === undefined || input.timeout_ms === hook.timeout_ms,
};

const PRESET_LABELS: Record<string, string> = {
  default: `Default: exponential, ${RETRY_PRESETS.default.length} retries (${delaysText(RETRY_PRESETS.default)})`,
  aggressive: `Aggressive: ${RETRY_PRESETS.aggressive.length} retries, 30 s apart`,
  none: "None: one attempt only",
};

const retryPolicy: DeliveryField = {
  paths: ["retry_policy"],
  edit: (hook, errors, posted) => {
    const chosen = posted ? (text(posted, "retry_policy") ?? "") : hook.retry_policy.name;
    const delays = posted ? (text(posted, "retry_delays") ?? "") : hook.retry_policy.delays_s.join(", ");
    return (
      <fieldset aria-describedby="retry-error">
        <legend>Retry policy</legend>
        {(["default", "aggressive", "none"] as const).map((name) => (
          <label class="radio">
            <input type="radio" name="retry_policy" value={name} checked={chosen === name} /> {PRESET_LABELS[name]}
          </label>
        ))}
        <label class="radio">
          <input type="radio" name="retry_policy" value="custom" checked={chosen === "custom"} /> Your own delays
        </label>
        <label for="retry_delays">Delays before each retry, in seconds</label>
        <input
          id="retry_delays"
          name="retry_delays"
          type="text"
          inputmode="numeric"
          value={delays}
          aria-invalid={invalid(errors, "retry_policy")}
          aria-describedby="retry-hint"
        />
        <p id="retry-hint" class="hint">
          Used with “Your own delays”: 1 to 10 delays, each 1 to 43200 seconds, separated by commas (10, 60, 600).
          In-flight retries keep the policy they started with.
        </p>
        <FieldErrors id="retry-error" errors={errorsFor(errors, "retry_policy")} />
      </fieldset>
    );
  },
  show: (hook) => ["Retry policy", `${hook.retry_policy.name}: ${delaysText(hook.retry_policy.delays_s)}`],
  read: (form) => {
    const chosen = text(form, "retry_policy");
    if (chosen === undefined) return {};
    if (chosen !== "custom") return { retry_policy: chosen };
    const parts = (text(form, "retry_delays") ?? "").split(/[\s,]+/).filter(Boolean);
    return { retry_policy: { delays_s: parts.map((p) => numberOrText(p)) } };
  },
  same: (hook, input) => {
    if (input.retry_policy === undefined) return true;
    const next = resolveRetryPolicy(input.retry_policy as RetryPolicyInput);
    return next.name === hook.retry_policy.name && next.delays_s.join() === hook.retry_policy.delays_s.join();
  },
};

const failureMode: DeliveryField = {
  paths: ["failure_mode"],
  edit: (hook, errors, posted) => {
    const chosen = posted ? text(posted, "failure_mode") : hook.failure_mode;
    return (
      <fieldset aria-describedby="failure-error">
        <legend>Failure mode</legend>
        <label class="radio">
          <input type="radio" name="failure_mode" value="continue" checked={chosen === "continue"} /> Continue: keep
          sending new events while failed ones retry (fire-and-forget destinations)
        </label>
        <label class="radio">
          <input type="radio" name="failure_mode" value="pause" checked={chosen === "pause"} /> Pause: one at a time, in
          order; a permanent failure pauses the webhook until you resume it (when order matters)
        </label>
        <FieldErrors id="failure-error" errors={errorsFor(errors, "failure_mode")} />
      </fieldset>
    );
  },
  show: (hook) => ["Failure mode", hook.failure_mode === "pause" ? "Pause" : "Continue"],
  read: (form) => {
    const v = text(form, "failure_mode");
    return v === undefined ? {} : { failure_mode: v };
  },
  same: (hook, input) => input.failure_mode === undefined || input.failure_mode === hook.failure_mode,
};

export const DELIVERY_FIELDS: DeliveryField[] = [timeout, retryPolicy, failureMode];

/** The whole policy as posted, in the API's shape, for deliveryPolicySchema to judge. */
export function readPolicy(form: Form): Record<string, unknown> {
  return Object.assign({}, ...DELIVERY_FIELDS.map((f) => f.read(form)));
}

/** Only the settings that change: an unchanged form saves (and audits) nothing. */
export function changedPolicy(hook: WebhookView, input: DeliveryPolicyInput): DeliveryPolicyInput {
  const out: Record<string, unknown> = {};
  for (const f of DELIVERY_FIELDS) {
    if (f.same(hook, input)) continue;
    for (const p of f.paths) if (p in input) out[p] = (input as Record<string, unknown>)[p];
  }
  return out as DeliveryPolicyInput;
}
