// The Delivery Log tab: the filter row, newest first, 50 a page with "Older"; each row expands to its attempts;
// Retry, Replay and Resolve where the state allows; Replay all matching (after a dry-run count); Export. One delivery's
// attempts are in delivery.tsx.
import type { LogRowView } from "../../logs/delivery-view";
import type { ExportView } from "../../logs/exports";
import type { FieldError } from "../../domain/problems";
import { BUILT_IN_EVENT_TYPES, TEST_EVENT_TYPE } from "../../domain/catalog";
import { deliveryStates } from "../../domain/delivery-state";
import { sitePath } from "../context";
import { LogRow } from "./log-row";
import { FieldErrors, Flash, PostForm, Shell, Table, Time, errorsFor } from "../ui";

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
