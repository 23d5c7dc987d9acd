// The Delivery tab's flow-control entries: the rate limit and the auto-pause rule (one DeliveryField each).
import { MAX_RATE_PER_S, MIN_RATE_PER_S, windowText, type AutoPause } from "../domain/flow-control";
import { webhookDefaults } from "../domain/webhook-defaults";
import { checked, numberOrText, text } from "./forms";
import { FieldErrors, errorsFor } from "./ui";
import { invalid, type DeliveryField } from "./delivery-field";

const perSecond = (r: number | null) => (r === null ? "no limit" : `${r} per second`);

export const rateLimit: DeliveryField = {
  paths: ["rate_limit_per_s"],
  via: "policy",
  edit: (hook, errors, posted) => (
    <div>
      <label for="rate_limit_per_s">Rate limit (requests per second)</label>
      <input
        id="rate_limit_per_s"
        name="rate_limit_per_s"
        type="number"
        min={String(MIN_RATE_PER_S)}
        max={String(MAX_RATE_PER_S)}
        step="any"
        value={posted ? (text(posted, "rate_limit_per_s") ?? "") : (hook.rate_limit_per_s?.toString() ?? "")}
        aria-invalid={invalid(errors, "rate_limit_per_s")}
        aria-describedby="rate-hint rate-error"
      />
      <p id="rate-hint" class="hint">
        Empty: no limit. {MIN_RATE_PER_S} to {MAX_RATE_PER_S}; requests then go one at a time, never faster. Slack and
        Teams take about {webhookDefaults("slack").rateLimitPerS} a second, Discord{" "}
        {webhookDefaults("discord").rateLimitPerS}.
      </p>
      <FieldErrors id="rate-error" errors={errorsFor(errors, "rate_limit_per_s")} />
    </div>
  ),
  show: (hook) => ["Rate limit", perSecond(hook.rate_limit_per_s)],
  read: (form) => {
    const v = numberOrText(text(form, "rate_limit_per_s"));
    return { rate_limit_per_s: v ?? null };
  },
  same: (hook, input) => input.rate_limit_per_s === undefined || input.rate_limit_per_s === hook.rate_limit_per_s,
};

const autoPauseText = (a: AutoPause | null) =>
  a === null
    ? "off"
    : `at ${Math.round(a.failure_rate * 1000) / 10}% failed of at least ${a.min_attempts} attempts in ${windowText(a.window_s)}`;

const AUTO_PAUSE_SUGGESTED: AutoPause = { failure_rate: 0.5, min_attempts: 10, window_s: 300 };

export const autoPause: DeliveryField = {
  paths: ["auto_pause"],
  via: "policy",
  edit: (hook, errors, posted) => {
    const on = posted ? checked(posted, "auto_pause") : hook.auto_pause !== null;
    const rule = hook.auto_pause ?? AUTO_PAUSE_SUGGESTED;
    const value = (name: string, current: number) => (posted ? (text(posted, name) ?? "") : String(current));
    return (
      <fieldset aria-describedby="auto-pause-hint auto-pause-error">
        <legend>Auto-pause</legend>
        <label class="check">
          <input type="checkbox" name="auto_pause" value="on" checked={on} /> Pause automatically on a high failure rate
        </label>
        <label for="auto_pause_percent">Failure rate (%)</label>
        <input
          id="auto_pause_percent"
          name="auto_pause_percent"
          type="number"
          min="1"
          max="100"
          step="any"
          value={value("auto_pause_percent", Math.round(rule.failure_rate * 1000) / 10)}
          aria-invalid={invalid(errors, "auto_pause.failure_rate")}
        />
        <label for="auto_pause_min">At least this many attempts</label>
        <input
          id="auto_pause_min"
          name="auto_pause_min"
          type="number"
          min="1"
          step="1"
          value={value("auto_pause_min", rule.min_attempts)}
          aria-invalid={invalid(errors, "auto_pause.min_attempts")}
        />
        <label for="auto_pause_window">In the last (seconds)</label>
        <input
          id="auto_pause_window"
          name="auto_pause_window"
          type="number"
          min="10"
          max="86400"
          step="1"
          value={value("auto_pause_window", rule.window_s)}
          aria-invalid={invalid(errors, "auto_pause.window_s")}
        />
        <p id="auto-pause-hint" class="hint">
          When at least that many attempts ended in the window and that share of them failed, the webhook becomes Paused
          with an alert, in either failure mode. Resume clears it.
        </p>
        <FieldErrors id="auto-pause-error" errors={errorsFor(errors, "auto_pause")} />
      </fieldset>
    );
  },
  show: (hook) => ["Auto-pause", autoPauseText(hook.auto_pause)],
  read: (form) => {
    if (!checked(form, "auto_pause")) return { auto_pause: null };
    const percent = numberOrText(text(form, "auto_pause_percent"));
    return {
      auto_pause: {
        failure_rate: typeof percent === "number" ? percent / 100 : percent,
        min_attempts: numberOrText(text(form, "auto_pause_min")),
        window_s: numberOrText(text(form, "auto_pause_window")),
      },
    };
  },
  same: (hook, input) => {
    if (input.auto_pause === undefined) return true;
    const next = input.auto_pause as AutoPause | null;
    const now = hook.auto_pause;
    if (next === null || now === null) return next === now;
    return (
      next.failure_rate === now.failure_rate && next.min_attempts === now.min_attempts && next.window_s === now.window_s
    );
  },
};
