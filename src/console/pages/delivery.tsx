// One delivery, opened from the Delivery Log: each attempt's request, response, error class and timing.
import type { deliveryDetail } from "../../logs/delivery-log";
import { Shell, StateBadge, Time, responseText, utc } from "../ui";
import { logPath } from "./log";

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
