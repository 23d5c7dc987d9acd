// The `teams` format: a Teams Workflows message ("When a Teams webhook request is received"), which posts an
// Adaptive Card to a channel.
//   body:    {"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive",
//            "contentUrl":null,"content":<Adaptive Card 1.4>}]}: a bold text block with the main text (the webhook's
//            message_template, or the target's title), facts naming the event type, the actor and the site, and an
//            Open button for the target's URL.
//   limits:  the whole body stays under 28,000 bytes (Teams refuses a message over about 28 KB): the main text is
//            cut with an ellipsis to what is left after the rest of the card.
//   headers: the usual P-Event* headers, and `Content-Type: application/json; charset=utf-8`: a Teams webhook that is
//            not told the charset counts a body twice (as UTF-16) against its limit. Nothing is signed.
import type { EnvelopeFields } from "../envelope";
import { deliveryHeaders } from "../delivery-request";
import { fit, isWebUrl, mainText, templateValues, type TemplateVariable } from "./chat-text";
import type { WebhookFormat } from "./types";

export const TEAMS_MAX_BYTES = 28_000;
/** A fact's value: the event's fields are short already; this only bounds the card's fixed part. */
const FACT_MAX = 1024;

const encoder = new TextEncoder();
export const utf8Length = (s: string) => encoder.encode(s).length;
/** What a string adds to the body: its UTF-8 bytes once written as JSON (quotes, backslashes and \n escaped). */
const jsonBytes = (s: string) => utf8Length(JSON.stringify(s)) - 2;

function card(main: string, values: Record<TemplateVariable, string>) {
  const actor = values["actor.email"] || values["actor.id"];
  const fact = (title: string, value: string) => ({ title, value: fit(value, FACT_MAX) });
  const url = values["target.url"];
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            { type: "TextBlock", text: main, wrap: true, size: "Medium", weight: "Bolder" },
            {
              type: "FactSet",
              facts: [
                fact("Event", values.event_type),
                ...(actor ? [fact("Actor", actor)] : []),
                fact("Site", values["site.host"]),
              ],
            },
          ],
          ...(isWebUrl(url) && { actions: [{ type: "Action.OpenUrl", title: "Open", url }] }),
        },
      },
    ],
  };
}

export function teamsBody(envelope: string, template: string | null | undefined): string {
  const e = JSON.parse(envelope) as EnvelopeFields;
  const values = templateValues(e);
  const budget = TEAMS_MAX_BYTES - utf8Length(JSON.stringify(card("", values)));
  const fallback = values["target.title"] ? "{{target.title}}" : "{{target.type}} {{target.id}}";
  return JSON.stringify(card(mainText(template, fallback, values, budget, { measure: jsonBytes }), values));
}

export const teams: WebhookFormat = {
  render: (event, { messageTemplate }) => teamsBody(event.envelope, messageTemplate),
  headers: async (i) => ({
    ...deliveryHeaders({ ...i, signature: {} }),
    "Content-Type": "application/json; charset=utf-8",
  }),
  // A Workflows webhook answers 4xx for a body it will never take, and throttles bursts.
  defaults: { retryOn: "server_errors", rateLimitPerS: 1 },
  chat: true,
};
