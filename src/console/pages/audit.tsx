// The Audit Log tab: who changed what, when; newest first, paged.
import type { AuditPage } from "../../logs/audit";
import { sitePath } from "../context";
import { Shell, Time } from "../ui";

function changesText(changes: unknown): string {
  if (changes === null || changes === undefined) return "";
  return JSON.stringify(changes);
}

export const AuditLogPage = (p: {
  site: string;
  who: string;
  csrf: string;
  page: AuditPage;
  now: number;
  first: boolean;
}) => (
  <Shell title="Audit Log" site={{ id: p.site, tab: "audit" }} who={p.who} csrf={p.csrf}>
    <h1>Audit Log</h1>
    <p class="hint">Who changed what, when. Newest first. Secrets and header values never appear here.</p>
    {p.page.data.length === 0 ? (
      <p class="card muted">Nothing yet.</p>
    ) : (
      <div class="table-wrap">
        <table class="responsive-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">On</th>
              <th scope="col">Changes</th>
            </tr>
          </thead>
          <tbody>
            {p.page.data.map((e) => (
              <tr>
                <td data-label="When">
                  <Time at={e.created_at} now={p.now} />
                </td>
                <td data-label="Who">{e.actor}</td>
                <td data-label="What">
                  <code>{e.action}</code>
                </td>
                <td data-label="On">
                  {e.target_type} <code>{e.target_id}</code>
                </td>
                <td data-label="Changes">
                  <code class="mono">{changesText(e.changes)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    )}
    <nav class="pager" aria-label="Pages">
      {!p.first && <a href={sitePath(p.site, "/audit")}>Newest</a>}
      {p.page.next_cursor && (
        <a href={sitePath(p.site, `/audit?cursor=${encodeURIComponent(p.page.next_cursor)}`)}>Older</a>
      )}
    </nav>
  </Shell>
);
