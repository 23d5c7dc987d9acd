// What one entry of the Delivery tab is (see delivery-fields.tsx), and what every entry shares.
import type { Child } from "hono/jsx";
import type { WebhookView } from "../webhooks/view";
import type { FieldError } from "../domain/problems";
import { type Form } from "./forms";
import { errorsFor } from "./ui";

export interface DeliveryField {
  /** The keys this field sets; errors under them show beside it. */
  paths: string[];
  /** Which of the API's requests carries it: the delivery policy, or the webhook's own fields (PATCH). */
  via: "policy" | "webhook";
  /** The editable control, showing the posted value again after an error. */
  edit(hook: WebhookView, errors: FieldError[], posted?: Form): Child;
  /** The setting in words, for keys that may only read. */
  show(hook: WebhookView): [label: string, value: string];
  /** This field's part of the policy, as the API takes it (strings that are not numbers stay strings: the
   * schema then names the field). */
  read(form: Form): Record<string, unknown>;
  /** Whether the parsed value equals the webhook's current one. */
  same(hook: WebhookView, input: Record<string, unknown>): boolean;
}

/** aria-invalid for a control whose path has an error. */
export const invalid = (errors: FieldError[], path: string) => (errorsFor(errors, path).length ? "true" : undefined);
