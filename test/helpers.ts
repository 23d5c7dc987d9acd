// Fixtures for workerd tests: everything goes through the real API with the root token or a site key.
import { exports } from "cloudflare:workers";
import { TEST_ADMIN_TOKEN } from "./constants";

export const ROOT = TEST_ADMIN_TOKEN;

export async function api(
  method: string,
  path: string,
  body?: unknown,
  token: string = ROOT,
  headers: Record<string, string> = {},
): Promise<Response> {
  const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  return exports.default.fetch(new Request(`http://edgehooks.test${path}`, init));
}

export async function json<T = any>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}

let siteCounter = 0;

export async function createSite(slug = `site${++siteCounter}-${crypto.randomUUID().slice(0, 6)}`) {
  const res = await api("POST", "/v1/sites", { slug, host: `${slug}.example.com`, name: slug });
  if (res.status !== 201) throw new Error(`createSite: ${res.status} ${await res.text()}`);
  return json<{ id: string; slug: string; host: string }>(res);
}

export async function createKey(
  siteId: string,
  role: "ingest" | "viewer" | "integrations-admin",
  name = `${role} key`,
) {
  const res = await api("POST", `/v1/sites/${siteId}/keys`, { name, role });
  if (res.status !== 201) throw new Error(`createKey: ${res.status} ${await res.text()}`);
  return json<{ id: string; token: string; role: string }>(res);
}

export interface WebhookSetup {
  name?: string;
  url?: string;
  secret?: string;
  headers?: Record<string, string>;
  events?: string[];
  include_detail?: boolean;
  timeout_ms?: number;
  retry_policy?: unknown;
  failure_mode?: "continue" | "pause";
}

/** Creates a webhook and, when `events` is given, subscribes it (making it active) and sets its policy. */
export async function createWebhook(siteId: string, setup: WebhookSetup = {}) {
  const res = await api("POST", `/v1/sites/${siteId}/webhooks`, {
    name: setup.name ?? "hook",
    url: setup.url ?? "http://127.0.0.1:9/hook",
    ...(setup.secret ? { secret: setup.secret } : {}),
    ...(setup.headers ? { headers: setup.headers } : {}),
  });
  if (res.status !== 201) throw new Error(`createWebhook: ${res.status} ${await res.text()}`);
  let hook = await json(res);
  if (setup.events) {
    const r = await api("PUT", `/v1/sites/${siteId}/webhooks/${hook.id}/events`, {
      events: setup.events,
      ...(setup.include_detail !== undefined ? { include_detail: setup.include_detail } : {}),
    });
    if (r.status !== 200) throw new Error(`subscribe: ${r.status} ${await r.text()}`);
    hook = await json(r);
  }
  if (setup.timeout_ms !== undefined || setup.retry_policy !== undefined || setup.failure_mode !== undefined) {
    const r = await api("PUT", `/v1/sites/${siteId}/webhooks/${hook.id}/delivery`, {
      ...(setup.timeout_ms !== undefined ? { timeout_ms: setup.timeout_ms } : {}),
      ...(setup.retry_policy !== undefined ? { retry_policy: setup.retry_policy } : {}),
      ...(setup.failure_mode !== undefined ? { failure_mode: setup.failure_mode } : {}),
    });
    if (r.status !== 200) throw new Error(`policy: ${r.status} ${await r.text()}`);
    hook = await json(r);
  }
  return hook as { id: string; status: string; [k: string]: any };
}

export function sampleEvent(overrides: Record<string, unknown> = {}) {
  return {
    event_type: "post.published",
    actor: { id: "user_ada", email: "ada@example.com" },
    target: { type: "post", id: 4421, title: "Spring 2026 product update", url: "https://example.com/blog/spring" },
    ...overrides,
  };
}

/** The Worker's scheduled handler (sweeper and housekeeping) at a given time, as the cron calls it. */
export async function runCron(at: number) {
  const fetcher = exports.default as unknown as {
    scheduled(o: { scheduledTime: Date; cron: string }): Promise<{ outcome: string }>;
  };
  return fetcher.scheduled({ scheduledTime: new Date(at), cron: "* * * * *" });
}
