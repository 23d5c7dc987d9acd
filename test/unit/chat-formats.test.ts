// The chat formats as pure functions: each platform's message from a stored event, the message template, every
// field inside the platform's limits (cut with an ellipsis), and markup escaped so nothing breaks or pings.
import { describe, expect, it } from "vitest";
import { envelopeBody, type EnvelopeFields } from "../../src/domain/envelope";
import { FORMATS, CHAT_FORMATS, type HeaderInput } from "../../src/domain/formats";
import {
  ELLIPSIS,
  fit,
  renderTemplate,
  templateProblem,
  templateValues,
  TEMPLATE_VARIABLES,
} from "../../src/domain/formats/chat-text";
import { SLACK_LIMITS } from "../../src/domain/formats/slack";
import { DISCORD_LIMITS, embedCharacters } from "../../src/domain/formats/discord";
import { TEAMS_MAX_BYTES, utf8Length } from "../../src/domain/formats/teams";
import { SEED_EVENT_FIELDS } from "../seed-event";

const fields = (
  over: Partial<EnvelopeFields> = {},
  target: Partial<EnvelopeFields["target"]> = {},
): EnvelopeFields => ({
  ...SEED_EVENT_FIELDS,
  target: {
    ...SEED_EVENT_FIELDS.target,
    ...target,
  },
  ...over,
});
const stored = (f: EnvelopeFields) => ({ envelope: envelopeBody(f), detail: null });
const render = (name: "slack" | "discord" | "teams", f: EnvelopeFields, messageTemplate: string | null = null) =>
  JSON.parse(FORMATS[name].render(stored(f), { includeDetail: false, messageTemplate }));

describe("fitting a value into a limit", () => {
  it("keeps what fits, else cuts whole code points and ends with an ellipsis", () => {
    expect(fit("hello", 5)).toBe("hello");
    expect(fit("hello world", 6)).toBe(`hello${ELLIPSIS}`);
    expect(fit("hello", 0)).toBe("");
    // An emoji is two UTF-16 units: never cut in half.
    expect(fit("ab😀cd", 4)).toBe(`ab${ELLIPSIS}`);
    expect(fit("ab😀cd", 5)).toBe(`ab😀${ELLIPSIS}`);
  });

  it("measures the escaped text, and never cuts an escape in half", () => {
    const escape = (s: string) => s.replace(/&/g, "&amp;");
    expect(fit("a&b&c", 9, { escape })).toBe(`a&amp;b${ELLIPSIS}`);
    expect(fit("a&b&c", 6, { escape })).toBe(`a${ELLIPSIS}`);
  });
});

describe("the message template", () => {
  const values = templateValues(fields());

  it("knows the envelope's fields and names any placeholder it does not", () => {
    expect(TEMPLATE_VARIABLES).toContain("target.title");
    expect(templateProblem("{{event_type}}: {{ target.title }} by {{actor.email}} on {{site.host}}")).toBeNull();
    expect(templateProblem("{{target.body}} and {{nope}}")).toMatch(
      /unknown placeholder \{\{target\.body\}\}, \{\{nope\}\}/,
    );
    expect(templateProblem("no placeholders { at all }")).toBeNull();
  });

  it("fills each placeholder with its value, escaped, and leaves the template's own words as written", () => {
    const escape = (raw: string) => raw.toUpperCase();
    expect(renderTemplate("*{{event_type}}* <{{target.url}}|{{ target.title }}>", values, 1000, { escape })).toBe(
      "*POST.PUBLISHED* <HTTPS://YOURSITE.COM/BLOG/SPRING-2026-PRODUCT-UPDATE|SPRING 2026 PRODUCT UPDATE>",
    );
    expect(renderTemplate("{{actor.id}} {{target.id}}", templateValues(fields({ actor: null })), 100)).toBe(" 4421");
  });

  it("cuts the longest values first, to a common length, keeping the markup around each", () => {
    const long = templateValues(fields({}, { title: "t".repeat(5000) }));
    const out = renderTemplate("<{{target.url}}|{{target.title}}>", long, 200);
    expect(out.length).toBeLessThanOrEqual(200);
    expect(out.startsWith(`<${long["target.url"]}|ttt`)).toBe(true);
    expect(out.endsWith(`${ELLIPSIS}>`)).toBe(true);
  });
});

describe("slack", () => {
  it("sends text and blocks naming the event type, the title linked to its URL, the site and the actor", () => {
    const body = render("slack", fields());
    expect(body).toEqual({
      text: "*post.published*: <https://yoursite.com/blog/spring-2026-product-update|Spring 2026 product update>",
      blocks: [
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: "*post.published*: <https://yoursite.com/blog/spring-2026-product-update|Spring 2026 product update>",
          },
        },
        {
          type: "context",
          elements: [{ type: "mrkdwn", text: "post.published · yoursite.com · by ada@yoursite.com" }],
        },
      ],
    });
  });

  it("escapes &, < and > in values, so a title can neither break the link nor mention anyone", () => {
    const body = render(
      "slack",
      fields({}, { title: "Q&A: <!channel> <@U123> & more", url: "https://x.io/a|b?x=1&y=2" }),
    );
    expect(body.text).toBe(
      "*post.published*: <https://x.io/a%7Cb?x=1&amp;y=2|Q&amp;A: &lt;!channel&gt; &lt;@U123&gt; &amp; more>",
    );
  });

  it("keeps text within 40,000 characters and each block's text within 3,000, cut with an ellipsis", () => {
    const body = render("slack", fields({}, { title: "A".repeat(60_000) }));
    expect(body.text.length).toBeLessThanOrEqual(SLACK_LIMITS.text);
    expect(body.text.length).toBeGreaterThan(SLACK_LIMITS.text - 10);
    expect(body.text.endsWith(`${ELLIPSIS}>`)).toBe(true);
    expect(body.blocks[0].text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.blockText);
    expect(body.blocks[0].text.text).toContain("https://yoursite.com/blog/spring-2026-product-update|AAA");
    const escaped = render("slack", fields({}, { title: "&".repeat(20_000) }));
    expect(escaped.blocks[0].text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.blockText);
    expect(escaped.blocks[0].text.text).toMatch(/(&amp;)+…>$/);
  });

  it("uses the template as the main text, falling back to its own when the template comes out empty", () => {
    expect(render("slack", fields(), "New on {{site.host}}: {{target.title}}").text).toBe(
      "New on yoursite.com: Spring 2026 product update",
    );
    expect(render("slack", fields({ actor: null }), "{{actor.email}}").text).toMatch(/^\*post\.published\*: </);
  });

  it("names the target by type and id when it has no title, and shows a URL it cannot link as text", () => {
    expect(render("slack", fields({}, { title: undefined, url: undefined })).text).toBe("*post.published*: post 4421");
    expect(render("slack", fields({}, { url: "ftp://files.example.com/x" })).text).toBe(
      "*post.published*: Spring 2026 product update ftp://files.example.com/x",
    );
  });
});

describe("discord", () => {
  it("sends content and one embed (title linked to the URL, event type, actor), pinging no one", () => {
    const body = render("discord", fields());
    expect(body.content).toBe(
      "**post.published**: Spring 2026 product update <https://yoursite.com/blog/spring-2026-product-update>",
    );
    expect(body.embeds).toEqual([
      {
        title: "Spring 2026 product update",
        url: "https://yoursite.com/blog/spring-2026-product-update",
        fields: [
          { name: "Event", value: "post.published", inline: true },
          { name: "Actor", value: "ada@yoursite.com", inline: true },
        ],
        footer: { text: "yoursite.com" },
        timestamp: "2026-05-22T14:03:18Z",
      },
    ]);
    expect(body.allowed_mentions).toEqual({ parse: [] });
  });

  it("breaks @everyone, @here and <@…> mentions in values, and escapes markdown in the content", () => {
    const body = render("discord", fields({}, { title: "@everyone look: <@123> **bold** @here" }));
    expect(body.content).not.toMatch(/@everyone|@here|<@1/);
    expect(body.content).toContain("\\*\\*bold\\*\\*");
    expect(body.embeds[0].title).toBe("@\u200beveryone look: <\u200b@123> **bold** @\u200bhere");
    expect(render("discord", fields(), "@everyone {{target.title}}").allowed_mentions).toEqual({ parse: [] });
  });

  it("keeps content within 2,000, the embed's title within 256 and all its text within 6,000", () => {
    const body = render("discord", fields({}, { title: "T".repeat(60_000) }), "{{target.title}} {{target.url}}");
    expect(body.content.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
    expect(body.content.endsWith(`${ELLIPSIS} https://yoursite.com/blog/spring-2026-product-update`)).toBe(true);
    expect(body.embeds[0].title.length).toBe(DISCORD_LIMITS.title);
    expect(body.embeds[0].title.endsWith(ELLIPSIS)).toBe(true);
    expect(embedCharacters(body.embeds[0])).toBeLessThanOrEqual(DISCORD_LIMITS.embedTotal);
  });
});

describe("teams", () => {
  it("sends a Workflows message with an Adaptive Card: the title, facts, and an Open button for the URL", () => {
    const body = render("teams", fields());
    expect(body.type).toBe("message");
    expect(body.attachments).toHaveLength(1);
    const [attachment] = body.attachments;
    expect(attachment.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(attachment.content).toMatchObject({
      type: "AdaptiveCard",
      version: "1.4",
      body: [
        { type: "TextBlock", text: "Spring 2026 product update", wrap: true },
        {
          type: "FactSet",
          facts: [
            { title: "Event", value: "post.published" },
            { title: "Actor", value: "ada@yoursite.com" },
            { title: "Site", value: "yoursite.com" },
          ],
        },
      ],
      actions: [{ type: "Action.OpenUrl", title: "Open", url: "https://yoursite.com/blog/spring-2026-product-update" }],
    });
  });

  it("stays under 28,000 bytes however long the title, in any script", () => {
    for (const ch of ["T", "é", "語", "😀", '"']) {
      const raw = FORMATS.teams.render(stored(fields({}, { title: ch.repeat(60_000) })), { includeDetail: false });
      expect(utf8Length(raw)).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
      expect(utf8Length(raw)).toBeGreaterThan(TEAMS_MAX_BYTES - 8);
      expect(JSON.parse(raw).attachments[0].content.body[0].text.endsWith(ELLIPSIS)).toBe(true);
    }
  });
});

describe("every chat format", () => {
  const input = (body: string): HeaderInput => ({
    prefix: "X-SGEN",
    userAgent: "Edgehooks/0.1.0",
    eventType: "post.published",
    eventId: "evt_1",
    deliveryId: "dlv_1",
    attempt: 1,
    secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    t: 1700000000,
    body,
    custom: { "X-Team": "blue" },
  });

  it("is slack, discord and teams", () => {
    expect(CHAT_FORMATS).toEqual(["slack", "discord", "teams"]);
  });

  it("sends the usual P-Event* headers and signs nothing (Teams is told the charset)", async () => {
    for (const name of CHAT_FORMATS) {
      const headers = await FORMATS[name].headers(input("{}"));
      expect(headers).toEqual({
        "X-Team": "blue",
        "Content-Type": name === "teams" ? "application/json; charset=utf-8" : "application/json",
        "User-Agent": "Edgehooks/0.1.0",
        "X-SGEN-Event": "post.published",
        "X-SGEN-Event-Id": "evt_1",
        "X-SGEN-Delivery": "dlv_1",
        "X-SGEN-Delivery-Attempt": "1",
      });
    }
  });

  it("renders the same bytes every time, from the stored event and the template alone", () => {
    for (const name of CHAT_FORMATS)
      for (const messageTemplate of [null, "{{target.title}} ({{actor.email}})"])
        expect(FORMATS[name].render(stored(fields()), { includeDetail: true, messageTemplate })).toBe(
          FORMATS[name].render(stored(fields()), { includeDetail: false, messageTemplate }),
        );
  });
});
