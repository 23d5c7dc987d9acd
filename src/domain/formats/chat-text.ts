// Text for chat platforms: fitting a value into a platform's limit (cut with an ellipsis, never rejected by the
// platform), and the message template (`{{target.title}}` and the like) that makes a chat message's main text.
// Pure: the slack, discord and teams formats build on it.
import type { EnvelopeFields } from "../envelope";

export const ELLIPSIS = "…";

/** Length in UTF-16 code units: never less than the characters a platform counts, so a fit is always a fit. */
export const utf16Length = (s: string) => s.length;

export interface FitOptions {
  /** What the platform would read as markup, neutralised (applied to the raw value, and to its cut prefix). */
  escape?: (raw: string) => string;
  /** How the limit is counted (default: UTF-16 code units). Must grow with the text, and add up over parts. */
  measure?: (s: string) => number;
}

const same = (s: string) => s;

/**
 * `raw`, escaped, when it fits in `max`; else its longest prefix (whole code points, so never half an emoji or an
 * escape) that fits together with an ellipsis.
 */
export function fit(raw: string, max: number, { escape = same, measure = utf16Length }: FitOptions = {}): string {
  const whole = escape(raw);
  if (measure(whole) <= max) return whole;
  if (measure(ELLIPSIS) > max) return "";
  const points = Array.from(raw);
  const cut = (n: number) => escape(points.slice(0, n).join("")) + ELLIPSIS;
  // The largest n whose cut fits: escaping never makes a longer prefix shorter, so a binary search finds it.
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(cut(mid)) <= max) lo = mid;
    else hi = mid - 1;
  }
  return cut(lo);
}

// ---- The message template -----------------------------------------------------------------------------------

/** The values a template may name: the envelope's fields, by their JSON path. */
export const TEMPLATE_VARIABLES = [
  "event_id",
  "event_type",
  "fired_at",
  "site.id",
  "site.slug",
  "site.host",
  "actor.id",
  "actor.email",
  "target.type",
  "target.id",
  "target.title",
  "target.url",
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/** A template is a short text: its own words fit every platform's main text whatever the values are. */
export const MAX_TEMPLATE_LENGTH = 1000;

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const KNOWN = new Set<string>(TEMPLATE_VARIABLES);

/** Why a template cannot be used (a placeholder naming nothing we have), or null. */
export function templateProblem(template: string): string | null {
  const unknown = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((name) => !KNOWN.has(name));
  if (!unknown.length) return null;
  return `unknown placeholder ${unknown.map((n) => `{{${n}}}`).join(", ")}: use ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(", ")}`;
}

/** The values of an event, as text: a field the event does not have is empty. */
export function templateValues(e: EnvelopeFields): Record<TemplateVariable, string> {
  return {
    event_id: e.event_id,
    event_type: e.event_type,
    fired_at: e.fired_at,
    "site.id": e.site.id,
    "site.slug": e.site.slug,
    "site.host": e.site.host,
    "actor.id": e.actor?.id ?? "",
    "actor.email": e.actor?.email ?? "",
    "target.type": e.target.type,
    "target.id": String(e.target.id),
    "target.title": e.target.title ?? "",
    "target.url": e.target.url ?? "",
  };
}

type Part = { text: string } | { name: TemplateVariable };

function parse(template: string): Part[] {
  const parts: Part[] = [];
  let at = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (m.index > at) parts.push({ text: template.slice(at, m.index) });
    // A placeholder that names nothing (only possible in a template stored before a check) stays as written.
    parts.push(KNOWN.has(m[1]!) ? { name: m[1] as TemplateVariable } : { text: m[0] });
    at = m.index + m[0].length;
  }
  if (at < template.length) parts.push({ text: template.slice(at) });
  return parts;
}

export interface TemplateOptions {
  /** How a value is escaped for the platform; the variable's name lets a URL be treated as a URL. */
  escape?: (raw: string, name: TemplateVariable) => string;
  measure?: (s: string) => number;
}

/**
 * The template with each placeholder replaced by its value, escaped, in at most `max`. The template's own words are
 * the operator's markup and stay as written; when the whole is too long, the longest values are cut (with an
 * ellipsis) to a common length, so a long title gives way before a short URL does and the markup around each value
 * stays intact.
 */
export function renderTemplate(
  template: string,
  values: Record<TemplateVariable, string>,
  max: number,
  { escape = same, measure = utf16Length }: TemplateOptions = {},
): string {
  const parts = parse(template);
  const fixed = parts.reduce((n, p) => n + ("text" in p ? measure(p.text) : 0), 0);
  const full = parts.map((p) => ("text" in p ? p.text : escape(values[p.name], p.name)));
  const sizes = parts.map((p, i) => ("name" in p ? measure(full[i]!) : 0));
  const total = (cap: number) => fixed + sizes.reduce((n, s) => n + Math.min(s, cap), 0);
  if (total(Infinity) <= max) return full.join("");
  if (fixed > max) return fit(parts.map((p) => ("text" in p ? p.text : "")).join(""), max, { measure });
  // The largest common cap on a value's length that fits, then each longer value is cut to it.
  let lo = 0;
  let hi = Math.max(...sizes);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (total(mid) <= max) lo = mid;
    else hi = mid - 1;
  }
  return parts
    .map((p, i) => {
      if ("text" in p) return p.text;
      if (sizes[i]! <= lo) return full[i]!;
      return fit(values[p.name], lo, { escape: (raw) => escape(raw, p.name), measure });
    })
    .join("");
}

/** Whether a URL may be offered as a link (a target's URL is any valid URL; chat platforms link the web only). */
export function isWebUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

// ---- What every chat format shares ------------------------------------------------------------------------------

/**
 * The main text when the webhook has no template: the event type and the target's title, linked to its URL where
 * the platform can link (`link(url, title)` in its markup), else the target's type and id.
 */
export function defaultTemplate(
  values: Record<TemplateVariable, string>,
  markup: { strong: (s: string) => string; link: (url: string, text: string | null) => string },
): string {
  const head = `${markup.strong("{{event_type}}")}: `;
  const title = values["target.title"] !== "";
  const url = values["target.url"];
  if (url !== "" && isWebUrl(url)) return head + markup.link("{{target.url}}", title ? "{{target.title}}" : null);
  const what = title ? "{{target.title}}" : "{{target.type}} {{target.id}}";
  return head + what + (url !== "" ? " {{target.url}}" : "");
}

/**
 * The webhook's template rendered in `max`, or the default one when there is none or it comes out empty (a
 * template naming only a field the event lacks): a chat platform refuses an empty message.
 */
export function mainText(
  template: string | null | undefined,
  fallback: string,
  values: Record<TemplateVariable, string>,
  max: number,
  options: TemplateOptions,
): string {
  const own = template ? renderTemplate(template, values, max, options) : "";
  return own.trim() !== "" ? own : renderTemplate(fallback, values, max, options);
}
