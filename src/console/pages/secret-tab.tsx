// A webhook's Secret tab: set, generate or rotate the signing secret (shown once), with an overlap.
import { webhookPath } from "../context";
import { FieldErrors, PostForm, Time, errorsFor, otherErrors } from "../ui";
import type { WebhookPageProps } from "./webhook";

const OVERLAPS: [number, string][] = [
  [0, "No overlap: the old secret stops at once"],
  [3600, "1 hour"],
  [86400, "1 day"],
  [604800, "7 days"],
];

const OverlapSelect = ({ id }: { id: string }) => (
  <>
    <label for={id}>Keep the old secret valid for</label>
    <select id={id} name="overlap_seconds">
      {OVERLAPS.map(([s, label]) => (
        <option value={String(s)}>{label}</option>
      ))}
    </select>
  </>
);

export const SecretTab = (p: WebhookPageProps) => {
  const s = p.hook.secret;
  const errors = p.errors ?? [];
  return (
    <>
      <section class="card" aria-labelledby="secret-h">
        <h2 id="secret-h">Shared secret</h2>
        {s.set ? (
          <p>
            Set
            {s.rotated_at ? (
              <>
                , last changed <Time at={s.rotated_at} now={p.now} />
              </>
            ) : null}
            .
            {s.previous_expires_at && (
              <>
                {" "}
                The previous secret stays valid until <Time at={s.previous_expires_at} now={p.now} />.
              </>
            )}
          </p>
        ) : (
          <p>Not set: requests are not signed.</p>
        )}
        <p class="hint">A secret is stored encrypted and never shown again after it is set.</p>
      </section>
      {p.canManage && (
        <>
          <PostForm action={webhookPath(p.site, p.hook.id, "/secret")} csrf={p.csrf} class="card">
            <h2>Set a secret</h2>
            <label for="secret">Shared secret</label>
            <input
              id="secret"
              name="secret"
              type="password"
              autocomplete="off"
              required
              aria-invalid={errorsFor(errors, "secret").length ? "true" : undefined}
              aria-describedby="set-secret-error"
            />
            <FieldErrors id="set-secret-error" errors={errorsFor(errors, "secret")} />
            <OverlapSelect id="overlap-set" />
            <FieldErrors id="overlap-error" errors={otherErrors(errors, ["secret"])} />
            <div class="actions">
              <button type="submit">Set secret</button>
            </div>
          </PostForm>
          <PostForm action={webhookPath(p.site, p.hook.id, "/secret")} csrf={p.csrf} class="card">
            <h2>Generate and rotate</h2>
            <p class="hint">A new whsec_… secret of 32 random bytes, shown once.</p>
            <input type="hidden" name="generate" value="yes" />
            <OverlapSelect id="overlap-generate" />
            <div class="actions">
              <button type="submit">Generate secret</button>
            </div>
          </PostForm>
        </>
      )}
    </>
  );
};
