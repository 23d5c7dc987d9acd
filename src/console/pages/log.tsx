// The Delivery Log tab: the filter row, newest first, 50 a page with "Older"; each row expands to its attempts;
// Retry, Replay and Resolve where the state allows; Replay all matching (after a dry-run count); Export.
import type { LogRowView } from "../../logs/delivery-view";
import type { ExportView } from "../../logs/exports";
import type { FieldError } from "../../domain/problems";
import type { deliveryDetail } from "../../logs/delivery-log";
import { BUILT_IN_EVENT_TYPES, TEST_EVENT_TYPE } from "../../domain/catalog";
import { deliveryStates } from "../../domain/delivery-state";
import { sitePath } from "../context";
import { FieldErrors, Flash, PostForm, Shell, StateBadge, Table, Time, responseText, utc, errorsFor } from "../ui";

/** The filter as typed in the form (times as the datetime-local inputs show them, in UTC). */
export interface FilterForm {
  state?: string;
  event_type?: string;
  webhook_id?: string;
  from?: string;
  to?: string;
}

const STATE_NAMES: Record<string, string> = {
  delivered: "Delivered",
  retrying: "Retrying",
  failed: "Permanently failed",
  pending: "Pending",
  held: "Held",
  resolved: "Resolved",
};

export function filterQuery(f: FilterForm, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...f, ...extra })) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

export const logPath = (site: string, f: FilterForm = {}, extra: Record<string, string> = {}) =>
  sitePath(site, `/log${filterQuery(f, extra)}`);

/** What a row's state allows, by the same rules the services enforce (they refuse anything else with a 409). */
export function rowActions(d: LogRowView): ("retry" | "replay" | "resolve")[] {
  const out: ("retry" | "replay" | "resolve")[] = [];
  if (d.state === "retrying" || d.state === "failed") out.push("retry");
  out.push("replay");
  if (d.state === "failed") out.push("resolve");
  return out;
}

const ACTION_WORDS = { retry: "Retry", replay: "Replay", resolve: "Resolve" } as const;

export interface LogPageProps {
  site: string;
  who: string;
  csrf: string;
  canManage: boolean;
  now: number;
  filter: FilterForm;
  filterErrors: FieldError[];
  rows: LogRowView[];
  next: string | null;
  webhooks: { id: string; name: string }[];
  exports: ExportView[];
  flash?: string | null;
}

export const LogPage = (p: LogPageProps) => {
  const back = logPath(p.site, p.filter);
  return (
    <Shell title="Delivery Log" site={{ id: p.site, tab: "log" }} who={p.who} csrf={p.csrf}>
      <h1>Delivery Log</h1>
      <Flash message={p.flash} />
      <FilterRow {...p} />
      <div id="log-results">
        <FieldErrors id="filter-errors" errors={p.filterErrors} />
        <p class="hint">Newest first, 50 a page. Times are UTC. Click a row to expand it.</p>
        <div class="log" aria-label="Deliveries" role="region">
          <div class="log-head" aria-hidden="true">
            <span>Triggered at</span>
            <span>Event</span>
            <span>Webhook</span>
            <span>Destination host</span>
            <span>Response</span>
            <span>State</span>
            <span>Latency</span>
            <span>Attempt</span>
            <span>Actor</span>
          </div>
          {p.rows.length === 0 && <p class="expand muted">No delivery matches.</p>}
          {p.rows.map((d) => (
            <LogRow site={p.site} d={d} csrf={p.csrf} canManage={p.canManage} now={p.now} back={back} />
          ))}
        </div>
        {p.next && (
          <nav class="pager" aria-label="Pages">
            <a href={logPath(p.site, p.filter, { cursor: p.next })}>Older</a>
          </nav>
        )}
      </div>
      {p.canManage && (
        <section class="card" aria-labelledby="bulk-h">
          <h2 id="bulk-h">Replay all matching</h2>
          <p class="hint">
            Re-sends every delivery that matches the filter above as a new delivery, oldest first. You see how many
            first.
          </p>
          <div id="bulk">
            <PostForm
              action={sitePath(p.site, "/log/replay")}
              csrf={p.csrf}
              hx={{ "hx-post": sitePath(p.site, "/log/replay"), "hx-target": "#bulk", "hx-swap": "innerHTML" }}
            >
              <FilterFields filter={p.filter} />
              <button type="submit" class="secondary">
                Replay all matching…
              </button>
            </PostForm>
          </div>
        </section>
      )}
      <ExportSection {...p} />
    </Shell>
  );
};

const FilterFields = ({ filter }: { filter: FilterForm }) => (
  <>
    {(["state", "event_type", "webhook_id", "from", "to"] as const).map((k) =>
      filter[k] ? <input type="hidden" name={k} value={filter[k]} /> : null,
    )}
  </>
);

const FilterRow = (p: LogPageProps) => {
  const f = p.filter;
  const errors = p.filterErrors;
  const types = [...BUILT_IN_EVENT_TYPES.map((e) => e.type), TEST_EVENT_TYPE];
  return (
    <form
      method="get"
      action={logPath(p.site)}
      class="card filters"
      aria-label="Filter"
      hx-get={logPath(p.site)}
      hx-trigger="change, submit"
      hx-target="#log-results"
      hx-select="#log-results"
      hx-swap="outerHTML"
      hx-push-url="true"
    >
      <Choice
        id="f-state"
        name="state"
        label="Status"
        value={f.state}
        options={deliveryStates.map((s) => [s, STATE_NAMES[s]!])}
      />
      <Choice id="f-event" name="event_type" label="Event" value={f.event_type} options={types.map((t) => [t, t])} />
      <Choice
        id="f-webhook"
        name="webhook_id"
        label="Webhook"
        value={f.webhook_id}
        options={p.webhooks.map((w) => [w.id, w.name])}
      />
      <div>
        <label for="f-from">From (UTC)</label>
        <input
          id="f-from"
          name="from"
          type="datetime-local"
          value={f.from}
          aria-invalid={errorsFor(errors, "from").length ? "true" : undefined}
        />
      </div>
      <div>
        <label for="f-to">To (UTC)</label>
        <input
          id="f-to"
          name="to"
          type="datetime-local"
          value={f.to}
          aria-invalid={errorsFor(errors, "to").length ? "true" : undefined}
        />
      </div>
      <div class="actions">
        <button type="submit">Filter</button>
        <a href={logPath(p.site)}>Clear</a>
      </div>
    </form>
  );
};

/** One select of the filter row, "Any" first. */
const Choice = (p: { id: string; name: string; label: string; value?: string; options: [string, string][] }) => (
  <div>
    <label for={p.id}>{p.label}</label>
    <select id={p.id} name={p.name}>
      <option value="">Any</option>
      {p.options.map(([value, text]) => (
        <option value={value} selected={p.value === value}>
          {text}
        </option>
      ))}
    </select>
  </div>
);

export const LogRow = ({
  site,
  d,
  csrf,
  canManage,
  now,
  back,
  notice,
}: {
  site: string;
  d: LogRowView;
  csrf: string;
  canManage: boolean;
  now: number;
  back: string;
  notice?: { text: string; href?: string };
}) => {
  const detail = sitePath(site, `/log/${encodeURIComponent(d.id)}`);
  return (
    <div class="row" id={`row-${d.id}`}>
      <details
        hx-get={`${detail}?part=attempts`}
        hx-trigger="toggle once"
        hx-target={`#expand-${d.id}`}
        hx-swap="innerHTML"
      >
        <summary>
          <span>
            <span class="cell-label">Triggered</span>
            <Time at={d.created_at} now={now} />
          </span>
          <span>
            <span class="cell-label">Event</span>
            <code>{d.event_type}</code>
          </span>
          <span>
            <span class="cell-label">Webhook</span>
            {d.webhook_name}
          </span>
          <span>
            <span class="cell-label">Host</span>
            {d.destination_host}
          </span>
          <span>
            <span class="cell-label">Response</span>
            {responseText(d.response_status, d.last_error)}
          </span>
          <span>
            <span class="cell-label">State</span>
            <StateBadge state={d.state} />
          </span>
          <span>
            <span class="cell-label">Latency</span>
            {d.latency_ms === null ? "—" : `${d.latency_ms} ms`}
          </span>
          <span>
            <span class="cell-label">Attempt</span>
            {d.attempts === 0 ? "none yet" : `${d.attempts} of ${d.max_attempts}`}
            {d.throttles > 0 && ` · ${d.throttles} throttled`}
          </span>
          <span>
            <span class="cell-label">Actor</span>
            {d.actor_email ?? "—"}
          </span>
        </summary>
        <div class="expand" id={`expand-${d.id}`}>
          <p>
            <a href={detail}>Open delivery {d.id}</a> to see each attempt's request and response.
          </p>
        </div>
      </details>
      {(canManage || notice) && (
        <div class="row-actions">
          {notice && (
            <span role="status" class="hint">
              {notice.href ? <a href={notice.href}>{notice.text}</a> : notice.text}
            </span>
          )}
          {canManage &&
            rowActions(d).map((a) => {
              const action = `${detail}/${a}`;
              return (
                <PostForm
                  action={action}
                  csrf={csrf}
                  class="inline"
                  hx={{ "hx-post": action, "hx-target": `#row-${d.id}`, "hx-swap": "outerHTML" }}
                >
                  <input type="hidden" name="back" value={back} />
                  <button type="submit" class="small secondary" aria-label={`${ACTION_WORDS[a]} ${d.id}`}>
                    {ACTION_WORDS[a]}
                  </button>
                </PostForm>
              );
            })}
        </div>
      )}
    </div>
  );
};

export type DeliveryDetail = Awaited<ReturnType<typeof deliveryDetail>>;

/** Each attempt: request body and headers, response status and body, error class, timing breakdown. */
export const Attempts = ({ d }: { d: DeliveryDetail }) => (
  <div>
    <dl class="kv">
      <dt>Delivery</dt>
      <dd>
        <code>{d.id}</code>
        {d.replay_of && (
          <>
            {" "}
            (a replay of <code>{d.replay_of}</code>)
          </>
        )}
      </dd>
      <dt>Event id</dt>
      <dd>
        <code>{d.event_id}</code>
      </dd>
      {d.next_attempt_at && (
        <>
          <dt>Next attempt</dt>
          <dd>
            <Time at={d.next_attempt_at} />
          </dd>
        </>
      )}
    </dl>
    {d.attempts_detail.length === 0 && <p class="muted">No attempt yet.</p>}
    {d.attempts_detail.map((a) => (
      <section class="attempt" aria-label={`Attempt ${a.n}`}>
        <h3>Attempt {a.n}</h3>
        <dl class="kv">
          <dt>Started</dt>
          <dd>
            <Time at={a.started_at} />
          </dd>
          <dt>Response</dt>
          <dd>{responseText(a.response?.status ?? null, a.error)}</dd>
          {a.error && (
            <>
              <dt>Error class</dt>
              <dd>
                <code>{a.error}</code> {a.error_message}
              </dd>
            </>
          )}
          <dt>Timing</dt>
          <dd>
            prepared {a.timing.prepared_ms} ms · sent {utc(a.timing.sent_at)} · response received{" "}
            {a.timing.response_at ? utc(a.timing.response_at) : "—"} · total {a.timing.total_ms} ms
          </dd>
          <dt>Request</dt>
          <dd>
            POST <code>{a.request.url}</code>
          </dd>
        </dl>
        <h4>Request headers</h4>
        <pre class="req-headers">
          {Object.entries(a.request.headers)
            .map(([k, v]) => `${k}: ${v}`)
            .join("\n")}
        </pre>
        <h4>Request body</h4>
        <pre class="req-body">{a.request.body ?? "(removed by retention)"}</pre>
        <h4>Response body{a.response?.truncated ? " (first 16 KiB)" : ""}</h4>
        <pre class="res-body">{a.response?.body ?? "(no response)"}</pre>
      </section>
    ))}
  </div>
);

export const DeliveryPage = (p: { site: string; who: string; csrf: string; d: DeliveryDetail }) => (
  <Shell title={`Delivery ${p.d.id}`} site={{ id: p.site, tab: "log" }} who={p.who} csrf={p.csrf}>
    <p class="hint">
      <a href={logPath(p.site)}>← Delivery Log</a>
    </p>
    <div class="head">
      <h1>
        <code>{p.d.event_type}</code> to {p.d.webhook_name}
      </h1>
      <StateBadge state={p.d.state} />
    </div>
    <Attempts d={p.d} />
  </Shell>
);

/** The dry-run answer of Replay all matching: the count, and a button that replays exactly that filter. */
export const BulkConfirm = (p: { site: string; csrf: string; filter: FilterForm; count: number }) =>
  p.count === 0 ? (
    <p role="status">No delivery matches this filter: nothing to replay.</p>
  ) : (
    <PostForm action={sitePath(p.site, "/log/replay")} csrf={p.csrf}>
      <p role="status">
        <b>{p.count}</b> {p.count === 1 ? "delivery matches" : "deliveries match"} this filter. Replay{" "}
        {p.count === 1 ? "it" : "them all"}, oldest first?
      </p>
      <FilterFields filter={p.filter} />
      <input type="hidden" name="confirm" value="yes" />
      <div class="actions">
        <button type="submit">
          Replay {p.count} {p.count === 1 ? "delivery" : "deliveries"}
        </button>
        <a href={logPath(p.site, p.filter)}>Cancel</a>
      </div>
    </PostForm>
  );

export const BulkConfirmPage = (p: { site: string; who: string; csrf: string; filter: FilterForm; count: number }) => (
  <Shell title="Replay all matching" site={{ id: p.site, tab: "log" }} who={p.who} csrf={p.csrf}>
    <h1>Replay all matching</h1>
    <div class="card">
      <BulkConfirm {...p} />
    </div>
  </Shell>
);

const ExportSection = (p: LogPageProps) => (
  <section class="card" aria-labelledby="export-h">
    <h2 id="export-h">Export</h2>
    <PostForm action={sitePath(p.site, "/exports")} csrf={p.csrf}>
      <p class="hint">The deliveries matching the filter above, oldest first; the link works for 7 days.</p>
      <FilterFields filter={p.filter} />
      <fieldset>
        <legend>Format</legend>
        <label class="radio">
          <input type="radio" name="format" value="csv" checked /> CSV
        </label>
        <label class="radio">
          <input type="radio" name="format" value="ndjson" /> NDJSON
        </label>
      </fieldset>
      <button type="submit">Export</button>
    </PostForm>
    <h3>Exports</h3>
    {p.exports.length === 0 ? (
      <p class="muted">None yet.</p>
    ) : (
      <Table
        head={["Created", "Format", "Status", "Rows", "Link"]}
        rows={p.exports.map((e) => [
          <Time at={e.created_at} now={p.now} />,
          e.format.toUpperCase(),
          e.status,
          e.rows ?? "—",
          e.download_url ? (
            <a href={e.download_url} download>
              Download {e.id}.{e.format}
            </a>
          ) : e.status === "pending" || e.status === "running" ? (
            <a href={logPath(p.site, p.filter)}>Being written: refresh</a>
          ) : (
            <span class="muted">{e.error ?? "—"}</span>
          ),
        ])}
      />
    )}
  </section>
);
