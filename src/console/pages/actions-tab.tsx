// A webhook's Actions tab: send a test event, pause or resume (replaying failed ones), rename or move it, delete.
import { webhookPath } from "../context";
import { text } from "../forms";
import { FieldErrors, PostForm, TextField, otherErrors } from "../ui";
import type { WebhookPageProps } from "./webhook";

export const ActionsTab = (p: WebhookPageProps) => {
  if (!p.canManage) {
    return <p class="card muted">Your key may only read: actions need an integrations-admin key.</p>;
  }
  const h = p.hook;
  const errors = p.errors ?? [];
  const at = (rest: string) => webhookPath(p.site, h.id, rest);
  if (p.confirmDelete) {
    return (
      <PostForm action={at("/delete")} csrf={p.csrf} class="card">
        <h2>Delete webhook {h.name}?</h2>
        <p>
          Its configuration is removed. Deliveries still waiting for it end as failed; its delivery log stays, so the
          evidence of what it did is kept.
        </p>
        <input type="hidden" name="confirm" value="yes" />
        <div class="actions">
          <button type="submit" class="danger">
            Delete webhook
          </button>
          <a href={at("/actions")}>Cancel</a>
        </div>
      </PostForm>
    );
  }
  return (
    <>
      <section class="card" aria-labelledby="test-h">
        <h2 id="test-h">Send test event</h2>
        <p class="hint">A webhook.test event to this webhook alone (drafts and paused ones too).</p>
        <PostForm action={at("/test")} csrf={p.csrf}>
          <button type="submit">Send test event</button>
        </PostForm>
      </section>
      <section class="card" aria-labelledby="flow-h">
        <h2 id="flow-h">Pause or resume</h2>
        {h.status === "draft" && <p class="muted">A Draft sends nothing yet: pick its events first.</p>}
        {h.status === "active" && (
          <PostForm action={at("/pause")} csrf={p.csrf}>
            <p class="hint">Nothing new goes out; an attempt under way finishes; the rest waits, held, in order.</p>
            <button type="submit">Pause</button>
          </PostForm>
        )}
        {(h.status === "paused" || h.status === "disabled") && (
          <PostForm action={at("/resume")} csrf={p.csrf}>
            <p class="hint">Clears the alert and sends what is held, in order.</p>
            <label class="check">
              <input type="checkbox" name="replay_failed" value="true" /> Replay failed deliveries first, oldest first
            </label>
            <div class="actions">
              <button type="submit">Resume</button>
            </div>
          </PostForm>
        )}
      </section>
      <PostForm action={at("/settings")} csrf={p.csrf} class="card">
        <h2>Name and destination</h2>
        <FieldErrors id="settings-errors" errors={otherErrors(errors, ["name", "url", "description"])} />
        <TextField
          name="name"
          label="Name"
          required
          maxlength={100}
          value={p.posted ? text(p.posted, "name") : h.name}
          errors={errors}
        />
        <TextField
          name="url"
          label="Destination URL"
          type="url"
          required
          maxlength={2048}
          value={p.posted ? text(p.posted, "url") : h.url}
          errors={errors}
        />
        <p class="hint">A new URL applies from the next attempt, also for deliveries already retrying.</p>
        <label for="description">Description</label>
        <textarea id="description" name="description" maxlength={1000}>
          {p.posted ? (text(p.posted, "description") ?? "") : (h.description ?? "")}
        </textarea>
        <div class="actions">
          <button type="submit">Save</button>
        </div>
      </PostForm>
      <section class="card" aria-labelledby="delete-h">
        <h2 id="delete-h">Delete webhook</h2>
        <p class="hint">Pause first and let deliveries under way settle. You will be asked to confirm.</p>
        <a class="button secondary" href={at("/actions?confirm=delete")}>
          Delete webhook…
        </a>
      </section>
    </>
  );
};
