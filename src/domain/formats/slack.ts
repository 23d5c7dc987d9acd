// The `slack` format: a Slack incoming-webhook message, so a team channel shows the event as a message.
//   body:    {"text", "blocks"}: `text` (what notifications show) and a section block with the main text (the
//            webhook's message_template, or the event type and the target's title linked to its URL), then a
//            context block with the event type, the site and the actor.
//   limits:  `text` 40,000 characters, a block's text 3,000: longer values are cut with an ellipsis.
//   markup:  values are escaped as Slack asks (&, < and > as &amp; &lt; &gt;), so a title can neither break the
//            message nor mention @channel; the template's own words are mrkdwn, as the operator wrote them.
//   headers: the usual P-Event* headers; nothing is signed (Slack ignores signatures).
import type { EnvelopeFields } from "../envelope";
import { deliveryHeaders } from "../delivery-request";
import { defaultTemplate, mainText, renderTemplate, templateValues, type TemplateVariable } from "./chat-text";
import type { WebhookFormat } from "./types";

export const SLACK_LIMITS = { text: 40_000, blockText: 3_000 } as const;

export const escapeSlack = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A URL inside `<url|text>`: a `|` would end it early, so it is percent-encoded first. */
const slackValue = (raw: string, name: TemplateVariable) =>
  escapeSlack(name === "target.url" ? raw.replace(/\|/g, "%7C") : raw);

const MARKUP = {
  strong: (s: string) => `*${s}*`,
  link: (url: string, text: string | null) => (text === null ? `<${url}>` : `<${url}|${text}>`),
};

/** " · by {{actor.email}}" (or the actor's id), or nothing when the event has no actor. */
export function byActor(values: Record<TemplateVariable, string>): string {
  if (values["actor.email"]) return " · by {{actor.email}}";
  return values["actor.id"] ? " · by {{actor.id}}" : "";
}

export function slackBody(envelope: string, template: string | null | undefined): string {
  const e = JSON.parse(envelope) as EnvelopeFields;
  const values = templateValues(e);
  const fallback = defaultTemplate(values, MARKUP);
  const options = { escape: slackValue };
  const context = `{{event_type}} · {{site.host}}${byActor(values)}`;
  return JSON.stringify({
    text: mainText(template, fallback, values, SLACK_LIMITS.text, options),
    blocks: [
      {
        type: "section",
        text: { type: "mrkdwn", text: mainText(template, fallback, values, SLACK_LIMITS.blockText, options) },
      },
      {
        type: "context",
        elements: [{ type: "mrkdwn", text: renderTemplate(context, values, SLACK_LIMITS.blockText, options) }],
      },
    ],
  });
}

export const slack: WebhookFormat = {
  render: (event, { messageTemplate }) => slackBody(event.envelope, messageTemplate),
  headers: async (i) => deliveryHeaders({ ...i, signature: {} }),
  // Slack answers 4xx for a message it will never take (no_text, an archived channel, a revoked URL), and takes
  // about one message per second per webhook.
  defaults: { retryOn: "server_errors", rateLimitPerS: 1 },
  chat: true,
};
