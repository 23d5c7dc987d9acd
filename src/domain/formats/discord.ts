// The `discord` format: a Discord webhook message.
//   body:    {"content", "embeds", "allowed_mentions"}: `content` is the main text (the webhook's message_template,
//            or the event type, the target's title and its URL); one embed with the title linked to the URL, the
//            event type and the actor as fields, the site as its footer and fired_at as its timestamp.
//   limits:  content 2,000 characters; an embed's title 256, a field's value 1,024, its footer 2,048, all its text
//            6,000: longer values are cut with an ellipsis.
//   markup:  nobody is ever pinged: `allowed_mentions: {"parse": []}`, and @everyone, @here and <@…>/<#…> in a
//            value are broken with a zero-width space. Markdown in a value of `content` is escaped with a backslash.
//   headers: the usual P-Event* headers; nothing is signed.
import type { EnvelopeFields } from "../envelope";
import { deliveryHeaders } from "../delivery-request";
import { defaultTemplate, fit, isWebUrl, mainText, templateValues, type TemplateVariable } from "./chat-text";
import type { WebhookFormat } from "./types";

export const DISCORD_LIMITS = {
  content: 2000,
  title: 256,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  embedTotal: 6000,
} as const;

const ZWSP = "\u200b";

/** @everyone, @here, and user, role and channel mentions, made inert (allowed_mentions already stops pings). */
export const escapeMentions = (s: string) =>
  s.replace(/@(everyone|here)/gi, `@${ZWSP}$1`).replace(/<([@#])/g, `<${ZWSP}$1`);

/** Discord's markdown: a backslash before any punctuation shows it as it is. */
export const escapeDiscordMarkdown = (s: string) => escapeMentions(s.replace(/[\\*_~`|[\]()>#-]/g, "\\$&"));

/** A URL inside `<…>` (which keeps Discord from previewing it a second time beside the embed). */
const contentValue = (raw: string, name: TemplateVariable) =>
  name === "target.url" ? raw.replace(/[<> ]/g, encodeURIComponent) : escapeDiscordMarkdown(raw);

const MARKUP = {
  strong: (s: string) => `**${s}**`,
  link: (url: string, text: string | null) => (text === null ? `<${url}>` : `${text} <${url}>`),
};

export function discordBody(envelope: string, template: string | null | undefined): string {
  const e = JSON.parse(envelope) as EnvelopeFields;
  const values = templateValues(e);
  const content = mainText(template, defaultTemplate(values, MARKUP), values, DISCORD_LIMITS.content, {
    escape: contentValue,
  });
  const plain = { escape: escapeMentions };
  const actor = values["actor.email"] || values["actor.id"];
  const url = values["target.url"];
  const embed = {
    title: fit(
      values["target.title"] || `${values["target.type"]} ${values["target.id"]}`,
      DISCORD_LIMITS.title,
      plain,
    ),
    ...(isWebUrl(url) && { url }),
    fields: [
      { name: "Event", value: fit(values.event_type, DISCORD_LIMITS.fieldValue, plain), inline: true },
      ...(actor ? [{ name: "Actor", value: fit(actor, DISCORD_LIMITS.fieldValue, plain), inline: true }] : []),
    ],
    footer: { text: fit(values["site.host"], DISCORD_LIMITS.footer, plain) },
    timestamp: values.fired_at,
  };
  return JSON.stringify({ content, embeds: [embed], allowed_mentions: { parse: [] } });
}

/** The characters Discord counts against an embed's 6,000: title, description, field names and values, footer. */
export function embedCharacters(embed: {
  title?: string;
  description?: string;
  fields?: { name: string; value: string }[];
  footer?: { text: string };
}): number {
  const fields = (embed.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
  return (embed.title?.length ?? 0) + (embed.description?.length ?? 0) + fields + (embed.footer?.text.length ?? 0);
}

export const discord: WebhookFormat = {
  render: (event, { messageTemplate }) => discordBody(event.envelope, messageTemplate),
  headers: async (i) => deliveryHeaders({ ...i, signature: {} }),
  // Discord answers 4xx for a message it will never take (an unknown webhook, a bad body); a webhook takes
  // about 30 messages a minute.
  defaults: { retryOn: "server_errors", rateLimitPerS: 0.5 },
  chat: true,
};
