// The Audit Log tab: who changed what, when; newest first, paged.
import type { AuditActorView, AuditPage } from "../../logs/audit";
import { sitePath } from "../context";
import { Shell, Table, Time } from "../ui";

/** Root and system by kind; a key by its name and id, so a name can never pass for root. */
const Who = ({ actor }: { actor: AuditActorView }) =>
  actor.kind === "root" || actor.kind === "system" ? (
    <b>{actor.kind}</b>
  ) : actor.kind === "key" ? (
    <>
      {actor.name} <code>{actor.id}</code>
    </>
  ) : (
    <span title="Recorded before actors were kept by kind; the name matched no single key">
      {actor.name} (unverified)
    </span>
  );

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
      <Table
        head={["When", "Who", "What", "On", "Changes"]}
        rows={p.page.data.map((e) => [
          <Time at={e.created_at} now={p.now} />,
          <Who actor={e.actor} />,
          <code>{e.action}</code>,
          <>
            {e.target_type} <code>{e.target_id}</code>
          </>,
          <code class="mono">{changesText(e.changes)}</code>,
        ])}
      />
    )}
    <nav class="pager" aria-label="Pages">
      {!p.first && <a href={sitePath(p.site, "/audit")}>Newest</a>}
      {p.page.next_cursor && (
        <a href={sitePath(p.site, `/audit?cursor=${encodeURIComponent(p.page.next_cursor)}`)}>Older</a>
      )}
    </nav>
  </Shell>
);
