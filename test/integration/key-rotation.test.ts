// Rotating ENCRYPTION_KEY: the new key seals, the previous one is still read, the cron re-seals every webhook's
// values a bounded page at a time, and GET /v1/key-rotation says when ENCRYPTION_KEY_PREVIOUS may go. A value
// moved to another webhook is never used to sign.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, createKey, json } from "../helpers";
import { attemptRows, insertDelivery, insertHook, insertSite, runConsumer, webhookRow } from "../pipeline-fixtures";
import { spyReceiver } from "../receiver-spy";
import { createWebhook, getWebhook } from "../../src/webhooks/config";
import { currentSecret, headerValues } from "../../src/webhooks/webhook-rows";
import { keyRotationStatus, reencryptStep } from "../../src/webhooks/key-rotation";
import { linkIsValid, signLink } from "../../src/logs/exports";
import { CannotDecrypt, currentPrefix } from "../../src/domain/sealed";
import { ROOT_ACTOR } from "../../src/domain/actor";
import { toBase64 } from "../../src/domain/crypto";
import type { Env } from "../../src/env";

afterEach(() => vi.restoreAllMocks());

const OLD = env.ENCRYPTION_KEY;
const NEW = toBase64(crypto.getRandomValues(new Uint8Array(32)));
const withKeys = (current: string, previous = "") =>
  ({ ...env, ENCRYPTION_KEY: current, ENCRYPTION_KEY_PREVIOUS: previous }) as Env;

/** Steps the pass until it is complete (each step is one bounded page). */
async function runPass(e: Env, now: number, page = 50) {
  for (let i = 0; i < 100; i++) if ((await reencryptStep(e, now, page)).complete) return;
  throw new Error("the pass never completed");
}

describe("rotating ENCRYPTION_KEY", () => {
  it("keeps every secret and header value readable through the rotation, re-seals them in the background and says when it is done", async () => {
    const site = await insertSite();
    const made: { id: string }[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        await createWebhook(
          withKeys(OLD),
          site.id,
          {
            name: `r${i}`,
            url: `https://hooks.example.com/${i}`,
            secret: `secret-number-${i}-long`,
            headers: { "X-I": `${i}` },
          },
          ROOT_ACTOR,
        ),
      );
    }
    await runPass(withKeys(OLD), 1); // whatever earlier tests left: everything under OLD now
    const rotating = withKeys(NEW, OLD);
    const read = async (e: Env, i: number) => {
      const row = await getWebhook(e, site.id, made[i]!.id);
      return [await currentSecret(e, row), await headerValues(e, row)];
    };
    expect(await read(rotating, 0)).toEqual(["secret-number-0-long", { "X-I": "0" }]);

    // The pass, two webhooks per step, resumes where it stopped and then says it is complete.
    const before = await keyRotationStatus(rotating);
    expect(before).toMatchObject({ previous_key_id: expect.stringMatching(/^[0-9a-f]{8}$/), complete: false });
    expect(before.remaining).toBeGreaterThanOrEqual(5);
    const first = await reencryptStep(rotating, 2, 2);
    expect(first).toEqual({ rewritten: 2, unreadable: 0, complete: false });
    await runPass(rotating, 3, 2);
    const after = await keyRotationStatus(rotating);
    expect(after).toMatchObject({ remaining: 0, complete: true, reencryption: { unreadable: 0 } });
    expect(after.reencryption!.completed_at).not.toBeNull();
    expect(after.reencryption!.rewritten).toBe(before.remaining);
    const prefix = await currentPrefix(NEW);
    for (const hook of made) {
      const row = await webhookRow(hook.id);
      expect(row!.secrets_enc.startsWith(prefix)).toBe(true);
      expect(row!.headers_enc.startsWith(prefix)).toBe(true);
    }
    // A step after completion does nothing.
    expect(await reencryptStep(rotating, 4)).toEqual({ rewritten: 0, unreadable: 0, complete: true });

    // ENCRYPTION_KEY_PREVIOUS removed: everything still reads; the old key alone reads nothing any more.
    expect(await read(withKeys(NEW), 4)).toEqual(["secret-number-4-long", { "X-I": "4" }]);
    await expect(read(withKeys(OLD), 4)).rejects.toBeInstanceOf(CannotDecrypt);
  });

  it("keeps export links signed before the rotation valid while ENCRYPTION_KEY_PREVIOUS is set", async () => {
    const expires = Date.now() + 60_000;
    const signed = await signLink(withKeys(OLD), "exp_1", expires);
    expect(await linkIsValid(withKeys(NEW, OLD), "exp_1", String(expires), signed, Date.now())).toBe(true);
    expect(await linkIsValid(withKeys(NEW), "exp_1", String(expires), signed, Date.now())).toBe(false);
  });

  it("answers GET /v1/key-rotation to root only", async () => {
    const site = await insertSite();
    const admin = await createKey(site.id, "integrations-admin");
    expect((await api("GET", "/v1/key-rotation", undefined, admin.token)).status).toBe(403);
    const res = await api("GET", "/v1/key-rotation");
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ key_id: expect.stringMatching(/^[0-9a-f]{8}$/), previous_key_id: null });
  });
});

describe("a value bound to its webhook", () => {
  it("copied onto another webhook, never signs anything: the attempt is blocked and nothing is sent", async () => {
    const receiver = spyReceiver();
    const site = await insertSite();
    const a = await insertHook(site.id, { url: "http://127.0.0.1:9/a", secrets: ["the-secret-of-webhook-a"] });
    const b = await insertHook(site.id, { url: "http://127.0.0.1:9/b", secrets: ["the-secret-of-webhook-b"] });
    await env.DB.prepare(
      "UPDATE webhooks SET secrets_enc = (SELECT secrets_enc FROM webhooks WHERE id = ?) WHERE id = ?",
    )
      .bind(a.id, b.id)
      .run();
    const d = await insertDelivery(site, b);
    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: b.id }]);
    expect(receiver.calls).toHaveLength(0);
    const [attempt] = await attemptRows(d.deliveryId);
    expect(attempt).toMatchObject({ error: "blocked" });
    expect(attempt!.error_message).toContain("cannot be decrypted");
  });
});

describe("a value no configured key opens", () => {
  it("is a 409 naming what to set again, never a 5xx; setting a new secret replaces it", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, {
      url: "https://hooks.example.com/lost",
      secrets: ["a-secret-sealed-elsewhere"],
    });
    // Sealed under a key this deployment no longer has (replaced without ENCRYPTION_KEY_PREVIOUS).
    const lost = await createWebhook(
      withKeys(NEW),
      site.id,
      { name: "lost", url: "https://hooks.example.com/x", secret: "sealed-under-a-lost-key" },
      ROOT_ACTOR,
    );
    await env.DB.prepare(
      "UPDATE webhooks SET secrets_enc = (SELECT secrets_enc FROM webhooks WHERE id = ?) WHERE id = ?",
    )
      .bind(lost.id, hook.id)
      .run();
    await env.DB.prepare("DELETE FROM webhooks WHERE id = ?").bind(lost.id).run();

    // Settings as code compares the stored secret with the document's: it cannot, and says what to do.
    const doc = {
      webhooks: [{ url: "https://hooks.example.com/lost", events: ["post.published"], secret: "a-secret-of-16-chars" }],
    };
    const planned = await api("PUT", `/v1/sites/${site.id}/settings?dry_run=true`, doc);
    expect(planned.status).toBe(409);
    expect(await json(planned)).toMatchObject({ title: "Conflict", detail: expect.stringContaining("set them again") });

    const set = await api("POST", `/v1/sites/${site.id}/webhooks/${hook.id}/secret`, {
      secret: "a-fresh-secret-value-1",
    });
    expect(set.status).toBe(200);
    expect((await api("PUT", `/v1/sites/${site.id}/settings?dry_run=true`, doc)).status).toBe(200);
  });
});
