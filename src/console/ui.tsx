// The console's building blocks: the page shell, tabs, badges, times, forms with their CSRF token and field errors.
// Server-rendered with hono/jsx; no inline script or style anywhere (the Content-Security-Policy forbids both).
import type { Context } from "hono";
import type { Child, FC, PropsWithChildren } from "hono/jsx";
import type { FieldError } from "../domain/problems";
import { HTMX_URL, ICON_URL, STYLESHEET_URL } from "./assets";
import { BASE, sitePath, type ConsoleEnv } from "./context";

/** Sends a whole page; `<!doctype html>` first so browsers render in standards mode. */
export function page(c: Context<ConsoleEnv>, node: Child, status: 200 | 401 | 403 | 404 | 409 | 422 = 200) {
  return c.html(`<!doctype html>${String(node)}`, status);
}

/** A fragment for htmx to swap in. */
export function fragment(c: Context<ConsoleEnv>, node: Child, status: 200 | 404 | 409 | 422 = 200) {
  return c.html(String(node), status);
}

export const isHtmx = (c: Context<ConsoleEnv>) => c.req.header("hx-request") === "true";

interface ShellProps {
  title: string;
  /** The site this page belongs to, with the site-level tab that is open. */
  site?: { id: string; tab: "webhooks" | "log" | "audit" };
  who?: string;
  csrf?: string;
}

export const Shell: FC<PropsWithChildren<ShellProps>> = ({ title, site, who, csrf, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="htmx-config" content='{"includeIndicatorCSS":false}' />
      <title>{`${title} · Edgehooks`}</title>
      <link rel="icon" href={ICON_URL} type="image/svg+xml" />
      <link rel="stylesheet" href={STYLESHEET_URL} />
      <script src={HTMX_URL} defer></script>
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={BASE}>
          Edgehooks console
        </a>
        {who && <span class="who">Signed in as {who}</span>}
        {who && csrf && (
          <form method="post" action={`${BASE}/sign-out`} class="inline">
            <CsrfField token={csrf} />
            <button type="submit" class="link">
              Sign out
            </button>
          </form>
        )}
      </header>
      {site && (
        <>
          <div class="sitebar">
            <span class="site">
              Integrations → Webhooks · site <code>{site.id}</code>
            </span>
          </div>
          <nav class="tabs" aria-label="Webhooks page">
            <Tab href={sitePath(site.id, "/webhooks")} current={site.tab === "webhooks"}>
              Webhooks
            </Tab>
            <Tab href={sitePath(site.id, "/log")} current={site.tab === "log"}>
              Delivery Log
            </Tab>
            <Tab href={sitePath(site.id, "/audit")} current={site.tab === "audit"}>
              Audit Log
            </Tab>
          </nav>
        </>
      )}
      <main id="main">{children}</main>
    </body>
  </html>
);

export const Tab: FC<PropsWithChildren<{ href: string; current: boolean }>> = ({ href, current, children }) => (
  <a href={href} aria-current={current ? "page" : undefined}>
    {children}
  </a>
);

/**
 * A table that stacks into labelled lines on a narrow screen (each cell carries its column's name). A wide one
 * scrolls sideways, so its wrapper takes keyboard focus (a keyboard user can scroll it too) and names itself.
 */
export const Table: FC<{ head: string[]; rows: Child[][] }> = ({ head, rows }) => (
  <div class="table-wrap" tabindex={0} role="region" aria-label={`Table: ${head.join(", ")}`}>
    <table class="responsive-table">
      <thead>
        <tr>
          {head.map((h) => (
            <th scope="col">{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((cells) => (
          <tr>
            {cells.map((cell, i) => (
              <td data-label={head[i]}>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

export const CsrfField: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />;

/** A form that posts to the server; it works without script, htmx enhances it where asked. */
export const PostForm: FC<
  PropsWithChildren<{ action: string; csrf: string; class?: string; hx?: Record<string, string> }>
> = ({ action, csrf, class: cls, hx = {}, children }) => (
  <form method="post" action={action} class={cls} {...hx}>
    <CsrfField token={csrf} />
    {children}
  </form>
);

export const Flash: FC<{ message?: string | null; kind?: "ok" | "error" | "secret" }> = ({ message, kind = "ok" }) =>
  message ? (
    <p class={`flash ${kind === "ok" ? "" : kind}`} role={kind === "error" ? "alert" : "status"}>
      {message}
    </p>
  ) : null;

/** Errors for one field, or for the form when no field is named. */
export const FieldErrors: FC<{ errors: FieldError[]; id: string }> = ({ errors, id }) =>
  errors.length ? (
    <div id={id} class="field-error">
      {errors.map((e) => (
        <p>{e.message}</p>
      ))}
    </div>
  ) : null;

/** A labelled input with its hint and its field errors (named by the API's path for the field). */
export const TextField: FC<{
  name: string;
  label: string;
  errors: FieldError[];
  type?: "text" | "url" | "password";
  value?: string;
  hint?: Child;
  required?: boolean;
  maxlength?: number;
}> = ({ name, label, errors, type = "text", value, hint, required, maxlength }) => {
  const mine = errorsFor(errors, name);
  return (
    <>
      <label for={name}>{label}</label>
      <input
        id={name}
        name={name}
        type={type}
        required={required}
        maxlength={maxlength}
        value={type === "password" ? undefined : value}
        autocomplete={type === "password" ? "off" : undefined}
        aria-invalid={mine.length ? "true" : undefined}
        aria-describedby={`${name}-error${hint ? ` ${name}-hint` : ""}`}
      />
      {hint && (
        <p id={`${name}-hint`} class="hint">
          {hint}
        </p>
      )}
      <FieldErrors id={`${name}-error`} errors={mine} />
    </>
  );
};

/** The errors whose path is `path` or below it ("retry_policy" takes "retry_policy.delays_s.0"). */
export function errorsFor(errors: FieldError[], ...paths: string[]): FieldError[] {
  return errors.filter((e) => paths.some((p) => e.path === p || e.path.startsWith(`${p}.`)));
}

/** The errors no field of the form shows, so none is ever lost. */
export function otherErrors(errors: FieldError[], shown: string[]): FieldError[] {
  return errors.filter((e) => !shown.some((p) => e.path === p || e.path.startsWith(`${p}.`)));
}

// ---- Words and colours --------------------------------------------------------------------------------------

const STATE_WORDS: Record<string, [string, string]> = {
  delivered: ["Delivered", "b-ok"],
  retrying: ["Retrying", "b-warn"],
  failed: ["Permanently failed", "b-bad"],
  pending: ["Pending", "b-info"],
  held: ["Held", "b-idle"],
  resolved: ["Resolved", "b-idle"],
};

export const StateBadge: FC<{ state: string | null }> = ({ state }) => {
  if (!state) return <span class="muted">—</span>;
  const [word, cls] = STATE_WORDS[state] ?? [state, "b-idle"];
  return <span class={`badge ${cls}`}>{word}</span>;
};

const STATUS_WORDS: Record<string, [string, string]> = {
  draft: ["Draft", "b-idle"],
  active: ["Active", "b-ok"],
  paused: ["Paused", "b-warn"],
  disabled: ["Disabled", "b-bad"],
};

export const StatusBadge: FC<{ status: string }> = ({ status }) => {
  const [word, cls] = STATUS_WORDS[status] ?? [status, "b-idle"];
  return <span class={`badge ${cls}`}>{word}</span>;
};

const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  410: "Gone",
  413: "Payload Too Large",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

const ERROR_WORDS: Record<string, string> = {
  timeout: "Timed out",
  dns: "Name not resolved",
  connection: "Connection failed",
  tls: "TLS failed",
  redirect: "Redirect (not followed)",
  blocked: "Blocked address",
  gone: "410 Gone",
  webhook_deleted: "Webhook deleted",
  throttled: "Throttled",
};

/** "200 OK", "503 Service Unavailable", or the error class in words ("Timed out"). */
export function responseText(status: number | null, error: string | null): string {
  if (status !== null) return `${status} ${REASONS[status] ?? ""}`.trim();
  if (error) return ERROR_WORDS[error] ?? error;
  return "—";
}

// ---- Times: UTC, with a relative hint -----------------------------------------------------------------------

export function utc(ms: number | string): string {
  const d = typeof ms === "string" ? new Date(ms) : new Date(ms);
  return d
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");
}

export function relative(ms: number, now = Date.now()): string {
  const s = Math.round((now - ms) / 1000);
  const abs = Math.abs(s);
  const [n, unit] =
    abs < 45
      ? [0, ""]
      : abs < 3600
        ? [Math.round(abs / 60), "min"]
        : abs < 86400
          ? [Math.round(abs / 3600), "h"]
          : [Math.round(abs / 86400), "d"];
  if (!unit) return "just now";
  return s >= 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

export const Time: FC<{ at: string | number | null; now?: number }> = ({ at, now }) => {
  if (at === null) return <span class="muted">—</span>;
  const ms = typeof at === "string" ? Date.parse(at) : at;
  return (
    <span>
      <time datetime={new Date(ms).toISOString()}>{utc(ms)}</time> <span class="hint">({relative(ms, now)})</span>
    </span>
  );
};

export function who(auth: ConsoleEnv["Variables"]["auth"]): string {
  return auth.kind === "root" ? "root" : `${auth.name} (${auth.role})`;
}
