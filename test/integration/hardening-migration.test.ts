// The hardening migration, run on a database written by the version before it: audit entries that named their actor
// by a name alone get the kind and id they can be proven to have, and no more; webhooks whose secrets and header
// values are in the old format (no subkey, no associated data, no key version) keep working, and the cron's
// re-encryption pass moves them to the new one.
import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { api, json } from "../helpers";
import { insertDelivery, runConsumer, webhookRow, type HookRow } from "../pipeline-fixtures";
import { spyReceiver } from "../receiver-spy";
import { legacyEncryptJson } from "../legacy-crypto";
import { runScheduled } from "../../src/scheduled";
import { currentPrefix } from "../../src/domain/sealed";
import { toHex } from "../../src/domain/crypto";
import { applyTheRest, databaseBefore } from "../migrations";

const T0 = Date.parse("2026-05-01T00:00:00Z");

async function site(id: string) {
  await env.DB.prepare("INSERT INTO sites (id, slug, host, name, created_at) VALUES (?, ?, ?, ?, ?)")
    .bind(id, id.replaceAll("_", "-"), `${id}.example.com`, id, T0)
    .run();
}

async function key(siteId: string, id: string, name: string, at = T0) {
  await env.DB.prepare(
    `INSERT INTO api_keys (id, site_id, name, role, token_hash, token_prefix, created_by, created_at)
     VALUES (?, ?, ?, 'integrations-admin', ?, 'ehk_xxxx', 'root', ?)`,
  )
    .bind(id, siteId, name, crypto.randomUUID(), at)
    .run();
}

/** An entry as the old writer made it: the actor's name, nothing else. */
async function oldEntry(siteId: string, actor: string, action: string, at = T0 + 1000) {
  await env.DB.prepare(
    `INSERT INTO audit_log (site_id, actor, action, target_type, target_id, changes, created_at)
     VALUES (?, ?, ?, 'webhook', 'wh_x', NULL, ?)`,
  )
    .bind(siteId, actor, action, at)
    .run();
}

const LEGACY_SECRET = "a-secret-from-before-the-upgrade";

/** A webhook as the version before stored it: secrets and header values under the raw key, bound to nothing. */
async function legacyWebhook(id: string, siteId: string): Promise<HookRow> {
  const url = `http://127.0.0.1:9/${id}`;
  await env.DB.prepare(
    `INSERT INTO webhooks (id, site_id, name, url, destination_host, status, events, include_detail, timeout_ms,
                           retry_policy, failure_mode, header_names, headers_enc, secrets_enc, created_by, created_at,
                           updated_at)
     VALUES (?, ?, ?, ?, '127.0.0.1', 'active', '["post.published"]', 0, 10000, ?, 'continue', '["X-Team"]', ?, ?,
             'root', ?, ?)`,
  )
    .bind(
      id,
      siteId,
      id,
      url,
      JSON.stringify({ name: "custom", delays_s: [5] }),
      await legacyEncryptJson(env.ENCRYPTION_KEY, { "X-Team": "search-team" }),
      await legacyEncryptJson(env.ENCRYPTION_KEY, [{ secret: LEGACY_SECRET, expires_at: null }]),
      T0,
      T0,
    )
    .run();
  return {
    id,
    site_id: siteId,
    url,
    status: "active",
    failure_mode: "continue",
    delays: [5],
    retry_on: "any",
    format: "sgen",
  };
}

let legacyHooks: HookRow[] = [];

beforeAll(async () => {
  await databaseBefore("ADD `actor_kind`");
  await site("site_plain");
  await key("site_plain", "key_ops", "ops");
  await key("site_plain", "key_twin_a", "twin");
  await key("site_plain", "key_twin_b", "twin");
  await key("site_plain", "key_late", "late", T0 + 5000);
  await oldEntry("site_plain", "root", "a.root");
  await oldEntry("site_plain", "system", "a.system");
  await oldEntry("site_plain", "ops", "a.ops");
  await oldEntry("site_plain", "twin", "a.twin");
  await oldEntry("site_plain", "late", "a.late");
  await oldEntry("site_plain", "gone", "a.gone");
  // A site where a key was named root, back when that was allowed: its "root" entries prove nothing.
  await site("site_spoofed");
  await key("site_spoofed", "key_fake_root", "root");
  await oldEntry("site_spoofed", "root", "b.root");
  legacyHooks = [await legacyWebhook("wh_legacy_1", "site_plain"), await legacyWebhook("wh_legacy_2", "site_plain")];
  await applyTheRest();
});

async function actors(siteId: string) {
  const { data } = await json(api("GET", `/v1/sites/${siteId}/audit-log`));
  return Object.fromEntries(data.map((e: any) => [e.action, e.actor]));
}

describe("audit entries written before actors had a kind", () => {
  it("get the kind and id they can be proven to have, and unknown where a name could be anyone", async () => {
    expect(await actors("site_plain")).toEqual({
      "a.root": { kind: "root", id: "root", name: "root" },
      "a.system": { kind: "system", id: "system", name: "system" },
      "a.ops": { kind: "key", id: "key_ops", name: "ops" },
      // Two keys had this name: either could have done it.
      "a.twin": { kind: "unknown", id: null, name: "twin" },
      // The only key of this name was made after the entry.
      "a.late": { kind: "unknown", id: null, name: "late" },
      "a.gone": { kind: "unknown", id: null, name: "gone" },
    });
  });

  it("never read as root where a key was named root", async () => {
    expect(await actors("site_spoofed")).toEqual({ "b.root": { kind: "unknown", id: null, name: "root" } });
  });
});

afterEach(() => vi.restoreAllMocks());

const SITE = { id: "site_plain", slug: "site-plain", host: "site_plain.example.com" };

/** Sends one delivery to the webhook and answers what the receiver got. */
async function deliverTo(hook: HookRow) {
  const receiver = spyReceiver();
  const d = await insertDelivery(SITE, hook);
  await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
  expect(receiver.calls).toHaveLength(1);
  return receiver.calls[0]!;
}

async function expectSignedWithTheLegacySecret(call: { headers: Record<string, string>; body: string }) {
  const [t, v1] = call.headers["x-sgen-signature"]!.split(",").map((p) => p.split("=")[1]!);
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(LEGACY_SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const expected = toHex(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${t}.${call.body}`)));
  expect(v1).toBe(expected);
  expect(call.headers["x-team"]).toBe("search-team");
}

describe("secrets and header values in the format before the upgrade", () => {
  it("keep working before the re-encryption pass: deliveries are signed with the stored secret and carry the header", async () => {
    const row = await webhookRow("wh_legacy_1");
    expect(row!.secrets_enc.startsWith("eh1.")).toBe(false);
    await expectSignedWithTheLegacySecret(await deliverTo(legacyHooks[0]!));
  });

  it("are re-sealed by the cron's pass (subkey, associated data, key version), and still work afterwards", async () => {
    const before = await json(api("GET", "/v1/key-rotation"));
    expect(before).toMatchObject({ remaining: 2, complete: false });
    await runScheduled(env, Date.now());
    const prefix = await currentPrefix(env.ENCRYPTION_KEY);
    for (const hook of legacyHooks) {
      const row = await webhookRow(hook.id);
      expect(row!.secrets_enc.startsWith(prefix)).toBe(true);
      expect(row!.headers_enc.startsWith(prefix)).toBe(true);
    }
    const after = await json(api("GET", "/v1/key-rotation"));
    expect(after).toMatchObject({ remaining: 0, complete: true, reencryption: { rewritten: 2, unreadable: 0 } });
    await expectSignedWithTheLegacySecret(await deliverTo(legacyHooks[1]!));
  });
});
