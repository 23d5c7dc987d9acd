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
      <div class="table-wrap">
        <table class="responsive-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Events</th>
              <th scope="col">Destination host</th>
              <th scope="col">Status</th>
              <th scope="col">Last delivery</th>
              <th scope="col">Created by</th>
              <th scope="col">Alert</th>
            </tr>
          </thead>
          <tbody>
            {p.hooks.map((w) => (
              <tr>
                <td data-label="Name">
                  <a href={webhookPath(p.site, w.id, "/events")}>{w.name}</a>
                </td>
                <td data-label="Events">
                  {w.events.length === 0 ? (
                    <span class="muted">none</span>
                  ) : (
                    <span title={w.events.join(", ")}>
                      {w.events.slice(0, 3).join(", ")}
                      {w.events.length > 3 ? ` +${w.events.length - 3} more` : ""}
                    </span>
                  )}
                </td>
                <td data-label="Destination host">{w.destination_host}</td>
                <td data-label="Status">
                  <StatusBadge status={w.status} />
                </td>
                <td data-label="Last delivery">
                  {w.last_delivery ? (
                    <>
                      <StateBadge state={w.last_delivery.state} /> {responseText(w.last_delivery.response_status, null)}
                      <br />
                      <Time at={w.last_delivery.at} now={p.now} />
                    </>
                  ) : (
                    <span class="muted">never</span>
                  )}
                </td>
                <td data-label="Created by">{w.created_by}</td>
                <td data-label="Alert">
                  {w.alert ? <span class="alert">⚠ {w.alert.message}</span> : <span class="muted">—</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
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
  const invalid = (path: string) => (errorsFor(errors, path).length ? "true" : undefined);
  return (
    <Shell title="New webhook" site={{ id: p.site, tab: "webhooks" }} who={p.who} csrf={p.csrf}>
      <h1>New webhook</h1>
      <p class="muted">It is saved as a Draft with no events; pick its events next.</p>
      <FieldErrors id="form-errors" errors={otherErrors(errors, NEW_FIELDS)} />
      <PostForm action={sitePath(p.site, "/webhooks")} csrf={p.csrf} class="card">
        <label for="name">Name</label>
        <input
          id="name"
          name="name"
          type="text"
          required
          maxlength={100}
          value={p.values?.name}
          aria-invalid={invalid("name")}
          aria-describedby="name-error name-hint"
        />
        <p id="name-hint" class="hint">
          For people, such as slack-#editorial or crm-contact-mirror. It is not sent to the destination.
        </p>
        <FieldErrors id="name-error" errors={errorsFor(errors, "name")} />

        <label for="url">Destination URL</label>
        <input
          id="url"
          name="url"
          type="url"
          required
          maxlength={2048}
          value={p.values?.url}
          aria-invalid={invalid("url")}
          aria-describedby="url-error url-hint"
        />
        <p id="url-hint" class="hint">
          An https:// URL on a public host.
        </p>
        <FieldErrors id="url-error" errors={errorsFor(errors, "url")} />

        <label for="secret">Shared secret (optional)</label>
        <input
          id="secret"
          name="secret"
          type="password"
          autocomplete="off"
          aria-invalid={invalid("secret")}
          aria-describedby="secret-error secret-hint"
        />
        <p id="secret-hint" class="hint">
          When set, every request is signed with it. It is stored encrypted and never shown again (8 to 256 characters;
          a whsec_… secret also gets Standard Webhooks signatures).
          {errors.length ? " Enter it again if you had typed one." : ""}
        </p>
        <FieldErrors id="secret-error" errors={errorsFor(errors, "secret")} />

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
