// The Webhooks index and New webhook, in the seed's words.
import type { WebhookView } from "../../webhooks/view";
import type { FieldError } from "../../domain/problems";
import { sitePath, webhookPath } from "../context";
import {
  FieldErrors,
  Flash,
  PostForm,
  Shell,
  StateBadge,
  StatusBadge,
  Table,
  TextField,
  Time,
  errorsFor,
  otherErrors,
  responseText,
} from "../ui";

interface Common {
  site: string;
  who: string;
  csrf: string;
}

export const WebhooksIndex = (
  p: Common & {
    hooks: WebhookView[];
    sort: "created_at" | "last_delivery_at";
    next: string | null;
    canManage: boolean;
    flash?: string | null;
    now: number;
  },
) => (
  <Shell title="Webhooks" site={{ id: p.site, tab: "webhooks" }} who={p.who} csrf={p.csrf}>
    <div class="head">
      <h1>Webhooks</h1>
      {p.canManage && (
        <a class="button" href={sitePath(p.site, "/webhooks/new")}>
          New webhook
        </a>
      )}
    </div>
    <Flash message={p.flash} />
    <p class="hint">
      Sort by: {p.sort === "created_at" ? <b>newest</b> : <a href={sitePath(p.site, "/webhooks")}>newest</a>} ·{" "}
      {p.sort === "last_delivery_at" ? (
        <b>last delivery</b>
      ) : (
        <a href={sitePath(p.site, "/webhooks?sort=last_delivery_at")}>last delivery</a>
      )}
    </p>
    {p.hooks.length === 0 ? (
      <p class="card">
        No webhook yet. {p.canManage ? "Click New webhook to create one." : "An integrations-admin can create one."}
      </p>
    ) : (
      <Table
        head={["Name", "Events", "Destination host", "Status", "Last delivery", "Created by", "Alert"]}
        rows={p.hooks.map((w) => [
          <a href={webhookPath(p.site, w.id, "/events")}>{w.name}</a>,
          w.events.length === 0 ? (
            <span class="muted">none</span>
          ) : (
            <span title={w.events.join(", ")}>
              {w.events.slice(0, 3).join(", ")}
              {w.events.length > 3 ? ` +${w.events.length - 3} more` : ""}
            </span>
          ),
          w.destination_host,
          <StatusBadge status={w.status} />,
          w.last_delivery ? (
            <>
              <StateBadge state={w.last_delivery.state} /> {responseText(w.last_delivery.response_status, null)}
              <br />
              <Time at={w.last_delivery.at} now={p.now} />
            </>
          ) : (
            <span class="muted">never</span>
          ),
          w.created_by,
          w.alert ? <span class="alert">⚠ {w.alert.message}</span> : <span class="muted">—</span>,
        ])}
      />
    )}
    {p.next && (
      <nav class="pager" aria-label="Pages">
        <a href={sitePath(p.site, `/webhooks?sort=${p.sort}&cursor=${encodeURIComponent(p.next)}`)}>Older</a>
      </nav>
    )}
  </Shell>
);

const NEW_FIELDS = ["name", "url", "secret", "description"];

export const NewWebhookPage = (
  p: Common & { values?: { name?: string; url?: string; description?: string }; errors?: FieldError[] },
) => {
  const errors = p.errors ?? [];
  return (
    <Shell title="New webhook" site={{ id: p.site, tab: "webhooks" }} who={p.who} csrf={p.csrf}>
      <h1>New webhook</h1>
      <p class="muted">It is saved as a Draft with no events; pick its events next.</p>
      <FieldErrors id="form-errors" errors={otherErrors(errors, NEW_FIELDS)} />
      <PostForm action={sitePath(p.site, "/webhooks")} csrf={p.csrf} class="card">
        <TextField
          name="name"
          label="Name"
          required
          maxlength={100}
          value={p.values?.name}
          errors={errors}
          hint="For people, such as slack-#editorial or crm-contact-mirror. It is not sent to the destination."
        />
        <TextField
          name="url"
          label="Destination URL"
          type="url"
          required
          maxlength={2048}
          value={p.values?.url}
          errors={errors}
          hint="An https:// URL on a public host."
        />
        <TextField
          name="secret"
          label="Shared secret (optional)"
          type="password"
          errors={errors}
          hint={`When set, every request is signed with it. It is stored encrypted and never shown again (16 to 256 characters; a whsec_… secret also gets Standard Webhooks signatures).${errors.length ? " Enter it again if you had typed one." : ""}`}
        />
        <label for="description">Description</label>
        <textarea id="description" name="description" maxlength={1000} aria-describedby="description-error">
          {p.values?.description ?? ""}
        </textarea>
        <FieldErrors id="description-error" errors={errorsFor(errors, "description")} />

        <div class="actions">
          <button type="submit">Save draft</button>
          <a href={sitePath(p.site, "/webhooks")}>Cancel</a>
        </div>
      </PostForm>
    </Shell>
  );
};
