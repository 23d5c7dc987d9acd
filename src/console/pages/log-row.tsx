// One row of the Delivery Log: its state, what it was, and the actions its state allows (a row expands in place).
import type { LogRowView } from "../../logs/delivery-view";
import { sitePath } from "../context";
import { PostForm, StateBadge, Time, responseText } from "../ui";

/** What a row's state allows, by the same rules the services enforce (they refuse anything else with a 409). */
export function rowActions(d: LogRowView): ("retry" | "replay" | "resolve")[] {
  const out: ("retry" | "replay" | "resolve")[] = [];
  if (d.state === "retrying" || d.state === "failed") out.push("retry");
  out.push("replay");
  if (d.state === "failed") out.push("resolve");
  return out;
}

const ACTION_WORDS = { retry: "Retry", replay: "Replay", resolve: "Resolve" } as const;

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
