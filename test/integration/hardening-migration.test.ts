// The hardening migration, run on a database written by the version before it: audit entries that named their actor
// by a name alone get the kind and id they can be proven to have, and no more.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, json } from "../helpers";
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
