// Sign in with a site key (viewer or integrations-admin) or the root token, and the root operator's site picker.
import type { SiteRow } from "../../db/sites";
import { BASE, sitePath } from "../context";
import { CsrfField, FieldErrors, Flash, Shell, Table } from "../ui";

const REASONS: Record<string, string> = {
  ended: "Your session has ended (it expired, or its key was revoked). Sign in again.",
  required: "Sign in to continue.",
  signed_out: "You are signed out.",
};

export const SignInPage = ({ csrf, reason, error }: { csrf: string; reason?: string; error?: string }) => (
  <Shell title="Sign in">
    <h1>Sign in to the Edgehooks console</h1>
    <Flash message={reason ? REASONS[reason] : null} />
    <form method="post" action={`${BASE}/sign-in`} class="card">
      <CsrfField token={csrf} />
      <label for="token">Site key or root token</label>
      <input
        id="token"
        name="token"
        type="password"
        autocomplete="off"
        required
        aria-describedby="token-hint token-error"
        aria-invalid={error ? "true" : undefined}
      />
      <FieldErrors id="token-error" errors={error ? [{ path: "token", message: error }] : []} />
      <p id="token-hint" class="hint">
        A key with role viewer (read only) or integrations-admin, or the deployment's ADMIN_TOKEN. It is checked once
        and never stored in your browser: the console keeps a signed session cookie for 12 hours.
      </p>
      <div class="actions">
        <button type="submit">Sign in</button>
      </div>
    </form>
  </Shell>
);

export const SitesPage = ({ sites, who, csrf }: { sites: SiteRow[]; who: string; csrf: string }) => (
  <Shell title="Pick a site" who={who} csrf={csrf}>
    <h1>Pick a site</h1>
    <p class="muted">Webhooks are kept per site. As root you may open any of them.</p>
    {sites.length === 0 ? (
      <p class="card">No site yet. Create one with the API: POST /v1/sites.</p>
    ) : (
      <Table
        head={["Site", "Host", "Name"]}
        rows={sites.map((s) => [<a href={sitePath(s.id, "/webhooks")}>{s.id}</a>, s.host, s.name ?? "—"])}
      />
    )}
    <form method="get" action={`${BASE}/go`} class="card">
      <label for="site">Open a site by id</label>
      <input id="site" name="site" type="text" required placeholder="site_yoursite" />
      <div class="actions">
        <button type="submit">Open</button>
      </div>
    </form>
  </Shell>
);
