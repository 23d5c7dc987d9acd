// Starts Edgehooks under `wrangler dev` on a free loopback port with fresh local state, and gives tests an
// API client, a way to run the cron (the sweeper), and a hard restart on the same state.
import { mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import {
  ROOT,
  applyMigrations,
  localRunVars,
  startWranglerDev,
  type WranglerDev,
} from "../../scripts/wrangler-dev.mjs";

export const ADMIN = "e2e-admin-token";

export interface Edgehooks {
  baseUrl: string;
  persistTo: string;
  api<T = any>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  runScheduled(): Promise<void>;
  /** A hard stop, as a crash would be (SIGKILL to the runtime's process group); `start` brings it back. */
  kill(): Promise<void>;
  /** Starts the runtime again on the same port and local state. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Polls the API until `check` passes (bounded); for states that have no event to await. */
  until<T>(read: () => Promise<T>, check: (v: T) => boolean, timeoutMs?: number): Promise<T>;
}

export async function startEdgehooks(vars: Record<string, string> = {}): Promise<Edgehooks> {
  mkdirSync(join(ROOT, ".e2e"), { recursive: true });
  const persistTo = mkdtempSync(join(ROOT, ".e2e", "state-"));
  applyMigrations({ persistTo });
  const allVars = localRunVars(ADMIN, vars);
  const start = () => startWranglerDev({ persistTo, vars: allVars, logFile: join(persistTo, "wrangler.log") });
  let dev: WranglerDev = await start();
  const port = dev.port;
  const baseUrl = dev.baseUrl;
  return {
    baseUrl,
    persistTo,
    async api(method, path, body, token = ADMIN) {
      const res = await fetch(baseUrl + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: any = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: res.status, body: parsed };
    },
    async runScheduled() {
      await fetch(`${baseUrl}/__scheduled?cron=*+*+*+*+*`);
    },
    async kill() {
      await dev.kill();
    },
    async start() {
      dev = await startWranglerDev({ port, persistTo, vars: allVars, logFile: join(persistTo, "wrangler.log") });
    },
    async stop() {
      await dev.stop();
    },
    async until(read, check, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = await read();
        if (check(v)) return v;
        if (Date.now() > deadline)
          throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(v).slice(0, 500)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

/** A site with an integrations-admin key and an ingest key. */
export async function setupSite(eh: Edgehooks, slug: string) {
  const site = await eh.api("POST", "/v1/sites", { id: `site_${slug}`, slug, host: `${slug}.example.com` });
  if (site.status !== 201) throw new Error(`site: ${JSON.stringify(site.body)}`);
  const ops = await eh.api("POST", `/v1/sites/site_${slug}/keys`, { name: "ops", role: "integrations-admin" });
  const cms = await eh.api("POST", `/v1/sites/site_${slug}/keys`, { name: "cms", role: "ingest" });
  return {
    site: `site_${slug}`,
    base: `/v1/sites/site_${slug}`,
    ops: ops.body.token as string,
    cms: cms.body.token as string,
  };
}

export async function createWebhook(
  eh: Edgehooks,
  s: { base: string; ops: string },
  opts: {
    url: string;
    secret?: string;
    events?: string[];
    retry_policy?: unknown;
    failure_mode?: "continue" | "pause";
    timeout_ms?: number;
    headers?: Record<string, string>;
    include_detail?: boolean;
  },
) {
  const made = await eh.api(
    "POST",
    `${s.base}/webhooks`,
    {
      name: "e2e",
      url: opts.url,
      ...(opts.secret ? { secret: opts.secret } : {}),
      ...(opts.headers ? { headers: opts.headers } : {}),
    },
    s.ops,
  );
  if (made.status !== 201) throw new Error(`webhook: ${JSON.stringify(made.body)}`);
  const id = made.body.id as string;
  const subscribed = await eh.api(
    "PUT",
    `${s.base}/webhooks/${id}/events`,
    {
      events: opts.events ?? ["post.published"],
      ...(opts.include_detail !== undefined ? { include_detail: opts.include_detail } : {}),
    },
    s.ops,
  );
  if (subscribed.status !== 200) throw new Error(`events: ${JSON.stringify(subscribed.body)}`);
  const policy = {
    ...(opts.retry_policy ? { retry_policy: opts.retry_policy } : {}),
    ...(opts.failure_mode ? { failure_mode: opts.failure_mode } : {}),
    ...(opts.timeout_ms ? { timeout_ms: opts.timeout_ms } : {}),
  };
  if (Object.keys(policy).length) {
    const r = await eh.api("PUT", `${s.base}/webhooks/${id}/delivery`, policy, s.ops);
    if (r.status !== 200) throw new Error(`policy: ${JSON.stringify(r.body)}`);
  }
  return id;
}

let n = 0;
export function event(target: number | { type: string; id: number } = ++n, extra: Record<string, unknown> = {}) {
  const t = typeof target === "number" ? { type: "post", id: target } : target;
  return {
    event_type: "post.published",
    event_id: `evt_e2e_${Date.now()}_${++n}`,
    actor: { id: "user_ada", email: "ada@example.com" },
    target: { ...t, title: "A post", url: "https://example.com/p" },
    ...extra,
  };
}

/**
 * A webhook whose URL ends in its own id (`…/hook/{id}`), so its arrivals at a shared receiver can be told
 * apart and it can have a receiver behaviour of its own (`receiver.route(pathOf(id), …)`).
 */
export async function createWebhookAtOwnPath(
  eh: Edgehooks,
  s: { base: string; ops: string },
  receiverUrl: string,
  opts: Omit<Parameters<typeof createWebhook>[2], "url">,
) {
  const id = await createWebhook(eh, s, { ...opts, url: receiverUrl });
  const r = await eh.api(
    "PATCH",
    `${s.base}/webhooks/${id}`,
    { url: receiverUrl.replace("/hook", `/hook/${id}`) },
    s.ops,
  );
  if (r.status !== 200) throw new Error(`webhook url: ${JSON.stringify(r.body)}`);
  return id;
}

/** The receiver path of a webhook made by createWebhookAtOwnPath. */
export const pathOf = (webhookId: string) => `/hook/${webhookId}`;
