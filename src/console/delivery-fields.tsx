// The Delivery tab's fields. Each field renders itself, reads its part of the posted form into the API's shape
// (validated by the shared schema, applied by the same service as the API's request that carries it: PUT
// …/delivery for the policy, PATCH …/webhooks/{id} for the format and message template), and says whether the
// value is what the webhook already has (so only real changes are saved and audited). A new delivery setting is
// one more entry in DELIVERY_FIELDS.
import type { WebhookView } from "../webhooks/view";
import { RETRY_PRESETS, resolveRetryPolicy, type RetryPolicyInput } from "../domain/retry-policy";
import { FORMAT_NAMES, type FormatName } from "../domain/formats";
import { MAX_TEMPLATE_LENGTH, TEMPLATE_VARIABLES } from "../domain/formats/chat-text";
import { numberOrText, text, type Form } from "./forms";
import { FieldErrors, errorsFor } from "./ui";
import { invalid, type DeliveryField } from "./delivery-field";
import { autoPause, rateLimit } from "./flow-control-fields";

const seconds = (s: number) => (s < 60 ? `${s} s` : s < 3600 ? `${s / 60} min` : `${s / 3600} h`);
const delaysText = (delays: readonly number[]) => (delays.length ? delays.map(seconds).join(", ") : "no retries");

const timeout: DeliveryField = {
  paths: ["timeout_ms"],
  via: "policy",
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
  via: "policy",
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
  via: "policy",
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

const FORMAT_LABELS: Record<FormatName, string> = {
  sgen: "SGEN: the JSON envelope, signed (X-SGEN-Signature)",
  pagegun: "PageGun: PageGun's payload and signature, for receivers written from PageGun's documentation",
  slack: "Slack: a message for a channel's incoming webhook",
  discord: "Discord: a message for a channel's webhook",
  teams: "Microsoft Teams: an Adaptive Card for a Workflows webhook",
};

const format: DeliveryField = {
  paths: ["format"],
  via: "webhook",
  edit: (hook, errors, posted) => {
    const chosen = posted ? text(posted, "format") : hook.format;
    return (
      <div>
        <label for="format">Format</label>
        <select
          id="format"
          name="format"
          aria-describedby="format-hint format-error"
          aria-invalid={invalid(errors, "format")}
        >
          {FORMAT_NAMES.map((name) => (
            <option value={name} selected={chosen === name}>
              {FORMAT_LABELS[name]}
            </option>
          ))}
        </select>
        <p id="format-hint" class="hint">
          What each delivery's body and headers look like. A new format applies to deliveries made from now on and
          changes no other setting.
        </p>
        <FieldErrors id="format-error" errors={errorsFor(errors, "format")} />
      </div>
    );
  },
  show: (hook) => ["Format", FORMAT_LABELS[hook.format as FormatName] ?? hook.format],
  read: (form) => {
    const v = text(form, "format");
    return v === undefined ? {} : { format: v };
  },
  same: (hook, input) => input.format === undefined || input.format === hook.format,
};

const messageTemplate: DeliveryField = {
  paths: ["message_template"],
  via: "webhook",
  edit: (hook, errors, posted) => (
    <div>
      <label for="message_template">Message template (Slack, Discord and Teams)</label>
      <textarea
        id="message_template"
        name="message_template"
        maxlength={MAX_TEMPLATE_LENGTH}
        aria-invalid={invalid(errors, "message_template")}
        aria-describedby="template-hint template-error"
      >
        {posted ? (text(posted, "message_template") ?? "") : (hook.message_template ?? "")}
      </textarea>
      <p id="template-hint" class="hint">
        The message's main text. Empty: the event type and the title, linked to its URL. Placeholders:{" "}
        {TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(", ")}. Values are escaped and cut to the platform's limits.
      </p>
      <FieldErrors id="template-error" errors={errorsFor(errors, "message_template")} />
    </div>
  ),
  show: (hook) => ["Message template", hook.message_template ?? "the format's own"],
  read: (form) => ({ message_template: text(form, "message_template") ?? null }),
  same: (hook, input) => input.message_template === undefined || input.message_template === hook.message_template,
};

const retryOn: DeliveryField = {
  paths: ["retry_on"],
  via: "policy",
  edit: (hook, errors, posted) => {
    const chosen = posted ? text(posted, "retry_on") : hook.retry_on;
    return (
      <fieldset aria-describedby="retry-on-error">
        <legend>Retry on</legend>
        <label class="radio">
          <input type="radio" name="retry_on" value="any" checked={chosen === "any"} /> Any failure: every failed
          attempt is retried while the policy has retries left
        </label>
        <label class="radio">
          <input type="radio" name="retry_on" value="server_errors" checked={chosen === "server_errors"} /> Server
          errors only: a 4xx answer (other than 408 and 429) fails the delivery at once
        </label>
        <FieldErrors id="retry-on-error" errors={errorsFor(errors, "retry_on")} />
      </fieldset>
    );
  },
  show: (hook) => ["Retry on", hook.retry_on === "any" ? "Any failure" : "Server errors only"],
  read: (form) => {
    const v = text(form, "retry_on");
    return v === undefined ? {} : { retry_on: v };
  },
  same: (hook, input) => input.retry_on === undefined || input.retry_on === hook.retry_on,
};

export const DELIVERY_FIELDS: DeliveryField[] = [
  format,
  messageTemplate,
  timeout,
  retryPolicy,
  retryOn,
  failureMode,
  rateLimit,
  autoPause,
];

const fieldsVia = (via: DeliveryField["via"]) => DELIVERY_FIELDS.filter((f) => f.via === via);

/** The delivery policy as posted, in the API's shape, for deliveryPolicySchema to judge. */
export function readPolicy(form: Form): Record<string, unknown> {
  return Object.assign({}, ...fieldsVia("policy").map((f) => f.read(form)));
}

/** The webhook's own fields the tab sets (format, message template), for webhookPatchSchema to judge. */
export function readWebhookFields(form: Form): Record<string, unknown> {
  return Object.assign({}, ...fieldsVia("webhook").map((f) => f.read(form)));
}

/** Only the settings that change: an unchanged form saves (and audits) nothing. */
export function changed<T extends object>(hook: WebhookView, input: T, via: DeliveryField["via"]): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const f of fieldsVia(via)) {
    if (f.same(hook, input as Record<string, unknown>)) continue;
    for (const p of f.paths) if (p in input) out[p] = (input as Record<string, unknown>)[p];
  }
  return out as Partial<T>;
}
