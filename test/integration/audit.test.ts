// The audit log records every change, by every surface (the REST API, settings as code, the console), and says who
// made it by kind and id: what the token was, never a name someone chose. Each mutating operation of the OpenAPI
// document is driven once here, and a new one without a case fails the first test.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import document from "../../docs/openapi.json";
import { api, createKey, createSite, json, ROOT, sampleEvent } from "../helpers";
import { consoleSignIn } from "../console-client";

/** Ingest is the delivery log's to record (every event and delivery is in it), not the audit log's. */
const NOT_AUDITED = new Set(["sendEvent", "sendEventBatch"]);

interface World {
  site: string;
  base: string;
  admin: { id: string; token: string; name: string };
}

let w: World;

beforeAll(async () => {
  const site = (await createSite()).id;
  const admin = await createKey(site, "integrations-admin", "ops admin");
  w = { site, base: `/v1/sites/${site}`, admin: { id: admin.id, token: admin.token, name: "ops admin" } };
});

async function newestEntries(site: string, n = 5) {
  return (await json(api("GET", `/v1/sites/${site}/audit-log?limit=${n}`))).data as any[];
}

async function webhook(events: string[] = ["post.published"]) {
  const res = await api(
    "POST",
    `${w.base}/webhooks`,
    { name: "audited", url: `http://127.0.0.1:9/${crypto.randomUUID()}` },
    w.admin.token,
  );
  const hook = await json(res);
  if (events.length)
    expect((await api("PUT", `${w.base}/webhooks/${hook.id}/events`, { events }, w.admin.token)).status).toBe(200);
  return hook.id as string;
}

/** A delivery of a new webhook, made failed (as if its retries ran out). */
async function failedDelivery() {
  const hookId = await webhook();
  const ingest = await createKey(w.site, "ingest");
  expect((await api("POST", `${w.base}/events`, sampleEvent(), ingest.token)).status).toBe(202);
  const row = await env.DB.prepare("SELECT id FROM deliveries WHERE webhook_id = ?")
    .bind(hookId)
    .first<{ id: string }>();
  await env.DB.prepare("UPDATE deliveries SET state = 'failed', lease_until = NULL WHERE id = ?").bind(row!.id).run();
  return { hookId, deliveryId: row!.id };
}

type Case = () => Promise<{ res: Response; action: string; target?: string; token?: "root" }>;

const CASES: Record<string, Case> = {
  createSite: async () => {
    const res = await api("POST", "/v1/sites", {
      slug: `audited-${crypto.randomUUID().slice(0, 8)}`,
      host: "a.example",
    });
    return { res, action: "site.created", token: "root" };
  },
  createKey: async () => ({
    res: await api("POST", `${w.base}/keys`, { name: "made", role: "viewer" }, w.admin.token),
    action: "key.created",
  }),
  revokeKey: async () => {
    const key = await createKey(w.site, "viewer", "to revoke");
    return {
      res: await api("DELETE", `${w.base}/keys/${key.id}`, undefined, w.admin.token),
      action: "key.revoked",
      target: key.id,
    };
  },
  createSiteEventType: async () => ({
    res: await api("POST", `${w.base}/event-types`, { type: "course.audited", description: "x" }, w.admin.token),
    action: "event_type.created",
    target: "course.audited",
  }),
  deleteSiteEventType: async () => {
    await api("POST", `${w.base}/event-types`, { type: "course.gone", description: "x" }, w.admin.token);
    return {
      res: await api("DELETE", `${w.base}/event-types/course.gone`, undefined, w.admin.token),
      action: "event_type.deleted",
      target: "course.gone",
    };
  },
  createWebhook: async () => ({
    res: await api("POST", `${w.base}/webhooks`, { name: "n", url: "https://hooks.example.com/a" }, w.admin.token),
    action: "webhook.created",
  }),
  updateWebhook: async () => {
    const id = await webhook([]);
    return {
      res: await api("PATCH", `${w.base}/webhooks/${id}`, { name: "renamed" }, w.admin.token),
      action: "webhook.updated",
      target: id,
    };
  },
  deleteWebhook: async () => {
    const id = await webhook([]);
    return {
      res: await api("DELETE", `${w.base}/webhooks/${id}`, undefined, w.admin.token),
      action: "webhook.deleted",
      target: id,
    };
  },
  setWebhookEvents: async () => {
    const id = await webhook([]);
    return {
      res: await api("PUT", `${w.base}/webhooks/${id}/events`, { events: ["page.published"] }, w.admin.token),
      action: "webhook.events_changed",
      target: id,
    };
  },
  setWebhookDeliveryPolicy: async () => {
    const id = await webhook([]);
    return {
      res: await api("PUT", `${w.base}/webhooks/${id}/delivery`, { timeout_ms: 5000 }, w.admin.token),
      action: "webhook.policy_changed",
      target: id,
    };
  },
  setWebhookSecret: async () => {
    const id = await webhook([]);
    return {
      res: await api("POST", `${w.base}/webhooks/${id}/secret`, {}, w.admin.token),
      action: "webhook.secret_set",
      target: id,
    };
  },
  pauseWebhook: async () => {
    const id = await webhook();
    return {
      res: await api("POST", `${w.base}/webhooks/${id}/pause`, undefined, w.admin.token),
      action: "webhook.paused",
      target: id,
    };
  },
  resumeWebhook: async () => {
    const id = await webhook();
    await api("POST", `${w.base}/webhooks/${id}/pause`, undefined, w.admin.token);
    return {
      res: await api("POST", `${w.base}/webhooks/${id}/resume`, {}, w.admin.token),
      action: "webhook.resumed",
      target: id,
    };
  },
  sendWebhookTest: async () => {
    const id = await webhook([]);
    return {
      res: await api("POST", `${w.base}/webhooks/${id}/test`, undefined, w.admin.token),
      action: "webhook.test_sent",
      target: id,
    };
  },
  putSiteSettings: async () => {
    // A site of its own: the document deletes every webhook it does not list.
    const site = (await createSite()).id;
    const key = await createKey(site, "integrations-admin", "ops admin");
    w = { ...w, site, base: `/v1/sites/${site}`, admin: { id: key.id, token: key.token, name: "ops admin" } };
    const doc = { webhooks: [{ url: "https://hooks.example.com/settings", events: ["post.published"] }] };
    return { res: await api("PUT", `${w.base}/settings`, doc, key.token), action: "webhook.created" };
  },
  retryDelivery: async () => {
    const { deliveryId } = await failedDelivery();
    return {
      res: await api("POST", `${w.base}/deliveries/${deliveryId}/retry`, undefined, w.admin.token),
      action: "delivery.retried",
      target: deliveryId,
    };
  },
  replayDelivery: async () => {
    const { deliveryId } = await failedDelivery();
    return {
      res: await api("POST", `${w.base}/deliveries/${deliveryId}/replay`, undefined, w.admin.token),
      action: "delivery.replayed",
      target: deliveryId,
    };
  },
  resolveDelivery: async () => {
    const { deliveryId } = await failedDelivery();
    return {
      res: await api("POST", `${w.base}/deliveries/${deliveryId}/resolve`, undefined, w.admin.token),
      action: "delivery.resolved",
      target: deliveryId,
    };
  },
  bulkReplayDeliveries: async () => {
    const { hookId } = await failedDelivery();
    return {
      res: await api("POST", `${w.base}/deliveries/replay`, { webhook_id: hookId }, w.admin.token),
      action: "deliveries.bulk_replay_started",
    };
  },
  createExport: async () => ({
    res: await api("POST", `${w.base}/exports`, { format: "csv" }, w.admin.token),
    action: "export.created",
  }),
};

describe("the audit log", () => {
  it("records every mutating operation of the API with the actor's kind and id", async () => {
    const mutating = Object.values(document.paths).flatMap((ops) =>
      Object.entries(ops as Record<string, { operationId: string }>)
        .filter(([method]) => method !== "get")
        .map(([, op]) => op.operationId),
    );
    expect(mutating.filter((id) => !NOT_AUDITED.has(id)).sort()).toEqual(Object.keys(CASES).sort());

    for (const [operation, run] of Object.entries(CASES)) {
      const { res, action, target, token } = await run();
      expect(res.status, operation).toBeLessThan(300);
      const body = res.status === 204 ? null : await json(res);
      const site = operation === "createSite" ? body.id : w.site;
      const entry = (await newestEntries(site)).find((e) => e.action === action);
      expect(entry, operation).toBeDefined();
      expect(entry.actor, operation).toEqual(
        token === "root"
          ? { kind: "root", id: "root", name: "root" }
          : { kind: "key", id: w.admin.id, name: w.admin.name },
      );
      if (target) expect(entry.target_id, operation).toBe(target);
    }
  });

  it("records every change made through the console, naming the signed-in key by kind and id", async () => {
    const site = (await createSite()).id;
    const key = await createKey(site, "integrations-admin", "console admin");
    w = { ...w, site, base: `/v1/sites/${site}`, admin: { id: key.id, token: key.token, name: "console admin" } };
    const browser = await consoleSignIn(key.token);
    const p = `/console/sites/${site}`;
    const created = await browser.post(`${p}/webhooks`, { name: "console hook", url: "https://hooks.example.com/c" });
    expect(created.status).toBe(303);
    const hookId = /webhooks\/(wh_[a-z0-9]+)/.exec(created.headers.get("location")!)![1]!;
    const hook = `${p}/webhooks/${hookId}`;
    const { deliveryId: failed } = await failedDelivery();
    const { deliveryId: toResolve } = await failedDelivery();
    const { deliveryId: toReplay, hookId: bulkHook } = await failedDelivery();

    const posts: [string, Record<string, string>, string][] = [
      [`${hook}/events`, { events: "post.published" }, "webhook.events_changed"],
      [
        `${hook}/delivery`,
        { timeout_s: "5", retry_policy: "default", failure_mode: "continue" },
        "webhook.policy_changed",
      ],
      [`${hook}/secret`, { generate: "on", overlap_seconds: "0" }, "webhook.secret_set"],
      [`${hook}/settings`, { name: "renamed", url: "https://hooks.example.com/c" }, "webhook.updated"],
      [`${hook}/test`, {}, "webhook.test_sent"],
      [`${hook}/pause`, {}, "webhook.paused"],
      [`${hook}/resume`, {}, "webhook.resumed"],
      [`${p}/log/${failed}/retry`, {}, "delivery.retried"],
      [`${p}/log/${toReplay}/replay`, {}, "delivery.replayed"],
      [`${p}/log/${toResolve}/resolve`, {}, "delivery.resolved"],
      [`${p}/log/replay`, { webhook_id: bulkHook, confirm: "yes" }, "deliveries.bulk_replay_started"],
      [`${p}/exports`, { format: "csv" }, "export.created"],
      [`${hook}/delete`, { confirm: "yes" }, "webhook.deleted"],
    ];
    for (const [path, fields, action] of posts) {
      const res = await browser.post(path, fields);
      // A new secret is shown once, in the answer to its post; every other form redirects back.
      expect(res.status, `${path}: ${res.status < 400 ? "" : await res.text()}`).toBe(
        path.endsWith("/secret") ? 200 : 303,
      );
      const entry = (await newestEntries(site, 3)).find((e) => e.action === action);
      expect(entry, path).toBeDefined();
      expect(entry.actor, path).toEqual({ kind: "key", id: key.id, name: "console admin" });
    }
    const created0 = (await newestEntries(site, 100)).find((e) => e.action === "webhook.created");
    expect(created0.actor).toEqual({ kind: "key", id: key.id, name: "console admin" });
  });

  it("never lets a key's name pass for root: the kind and id come from the token", async () => {
    const site = (await createSite()).id;
    // Not "root" (refused), but reads like it: Cyrillic о in place of o.
    const lookalike = await createKey(site, "integrations-admin", "rооt");
    await api("POST", `/v1/sites/${site}/webhooks`, { name: "x", url: "https://hooks.example.com/x" }, lookalike.token);
    await api("POST", `/v1/sites/${site}/webhooks`, { name: "y", url: "https://hooks.example.com/y" }, ROOT);
    const [byRoot, byKey] = (await newestEntries(site, 2)) as any[];
    expect(byKey.actor).toEqual({ kind: "key", id: lookalike.id, name: "rооt" });
    expect(byRoot.actor).toEqual({ kind: "root", id: "root", name: "root" });
  });
});
