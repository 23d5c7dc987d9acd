// Background jobs on their own queue: exports written in resumable steps, at most two per site; bulk replays as
// jobs, at most one per site, each page replayed once however often its message arrives.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, json } from "../helpers";
import { insertDelivery, insertHook, insertSite } from "../pipeline-fixtures";
import { createExport } from "../../src/logs/exports";
import { PART_BYTES, runExport, runExportStep } from "../../src/logs/export-writer";
import { replayNextPage, startBulkReplay } from "../../src/delivery/bulk-replay";
import type { Env } from "../../src/env";
import { keyActor } from "../../src/domain/actor";

/** Delivered rows straight into D1, enough to fill several 5 MiB parts. */
async function manyDeliveries(siteId: string, hookId: string, n: number) {
  await env.DB.prepare(
    `WITH RECURSIVE k(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM k WHERE v < ?)
     INSERT INTO deliveries (id, site_id, webhook_id, webhook_name, event_id, event_type, destination_host, target_key,
                             include_detail, retry_delays, state, attempts, created_at, updated_at, actor_email)
     SELECT printf('dlv_many_%s_%06d', ?, v), ?, ?, 'a webhook with a long enough name to fill the parts quickly',
            'evt_many_' || v, 'post.published', '127.0.0.1', 'post:1', 0, '[]', 'delivered', 1, ?, ?,
            'someone.with.a.rather.long.address@example.com' FROM k`,
  )
    .bind(n, siteId, siteId, hookId, Date.now(), Date.now())
    .run();
}

/** An export row as createExport writes it, without queueing it (so the test alone runs its steps). */
async function pendingExport(siteId: string, status = "pending") {
  const id = `exp_${crypto.randomUUID().slice(0, 12)}`;
  await env.DB.prepare(
    `INSERT INTO exports (id, site_id, filter, format, status, created_by, created_at, expires_at, updated_at)
     VALUES (?, ?, '{}', 'ndjson', ?, 'root', ?, ?, ?)`,
  )
    .bind(id, siteId, status, Date.now(), Date.now() + 86_400_000, Date.now())
    .run();
  return id;
}

/** The real R2 bucket, with uploadPart failing from its `failAt`-th call on: a step that dies mid-way. */
function failingR2(failAt: number): Env {
  let calls = 0;
  const wrapUpload = (u: R2MultipartUpload): R2MultipartUpload =>
    new Proxy(u, {
      get(target, prop) {
        if (prop === "uploadPart") {
          return (...args: Parameters<R2MultipartUpload["uploadPart"]>) => {
            if (++calls >= failAt) throw new Error("R2 went away");
            return target.uploadPart(...args);
          };
        }
        const v = Reflect.get(target, prop);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
  const bucket = new Proxy(env.EXPORTS, {
    get(target, prop) {
      if (prop === "resumeMultipartUpload")
        return (k: string, id: string) => wrapUpload(target.resumeMultipartUpload(k, id));
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { ...env, EXPORTS: bucket } as Env;
}

describe("exports", () => {
  it("resume after a step fails mid-way: no row lost, none written twice, in order", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/a" });
    const rows = 45_000; // more than two 5 MiB parts
    await manyDeliveries(site.id, hook.id, rows);
    const id = await pendingExport(site.id);

    await expect(runExportStep(failingR2(2), site.id, id)).rejects.toThrow("R2 went away");
    const saved = await env.DB.prepare("SELECT status, parts, after_seq, rows, lease_until FROM exports WHERE id = ?")
      .bind(id)
      .first<{ status: string; parts: string; after_seq: number; rows: number; lease_until: number | null }>();
    expect(saved!.status).toBe("running");
    expect(JSON.parse(saved!.parts)).toHaveLength(1); // the first part was kept
    expect(saved!.after_seq).toBeGreaterThan(0);
    expect(saved!.rows).toBeLessThan(rows);
    expect(saved!.lease_until).toBeNull(); // the failed step let go

    await runExport(env, site.id, id);
    const done = await json(api("GET", `/v1/sites/${site.id}/exports/${id}`));
    expect(done).toMatchObject({ status: "complete", rows });
    expect(done.bytes).toBeGreaterThan(2 * PART_BYTES);
    const file = await env.EXPORTS.get(`exports/${site.id}/${id}.ndjson`);
    const ids = (await file!.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).id as string);
    expect(ids).toHaveLength(rows);
    expect(new Set(ids).size).toBe(rows);
    expect(ids).toEqual([...ids].sort());
  });

  it("a step stops after its parts and the next one goes on from there", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/a" });
    await manyDeliveries(site.id, hook.id, 45_000);
    const id = await pendingExport(site.id);
    const steps: string[] = [];
    for (let i = 0; i < 10 && steps.at(-1) !== "done"; i++) steps.push(await runExportStep(env, site.id, id, 1));
    const parts = await env.DB.prepare("SELECT parts, rows FROM exports WHERE id = ?")
      .bind(id)
      .first<{ parts: string; rows: number }>();
    const uploaded = JSON.parse(parts!.parts).length as number;
    // One part per step, then the step that uploads the last part and completes.
    expect(steps).toEqual([...Array(uploaded - 1).fill("more"), "done"]);
    expect(uploaded).toBeGreaterThanOrEqual(3);
    expect(parts!.rows).toBe(45_000);
    expect(await runExportStep(env, site.id, id, 1)).toBe("done");
  });

  it("runs at most two per site at once: a third is a 409 naming the running ones", async () => {
    const site = await insertSite();
    const running = [await pendingExport(site.id, "running"), await pendingExport(site.id)];
    const res = await api("POST", `/v1/sites/${site.id}/exports`, { format: "csv" });
    expect(res.status).toBe(409);
    const problem = await json(res);
    for (const id of running) expect(problem.detail).toContain(id);
    const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM exports WHERE site_id = ?").bind(site.id).first();
    expect(count).toEqual({ n: 2 });
  });

  it("is created and audited without ever touching the deliveries queue", async () => {
    const site = await insertSite();
    const noDeliveries = { ...env, DELIVERIES: null } as unknown as Env; // any use would throw
    const row = await createExport(noDeliveries, site.id, {}, "ndjson", keyActor("key_ops", "ops"));
    const audit = await env.DB.prepare(
      "SELECT actor, actor_kind, actor_id, action, target_id FROM audit_log WHERE site_id = ?",
    )
      .bind(site.id)
      .all();
    expect(audit.results).toContainEqual({
      actor: "ops",
      actor_kind: "key",
      actor_id: "key_ops",
      action: "export.created",
      target_id: row.id,
    });
  });
});

describe("bulk replay jobs", () => {
  it("replay each page once, however often its message arrives", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/a", status: "paused" });
    for (let i = 0; i < 5; i++) await insertDelivery(site, hook, { target: { type: "post", id: i } });
    const noDeliveries = { ...env, DELIVERIES: null } as unknown as Env;
    const { job_id } = await startBulkReplay(
      noDeliveries,
      site.id,
      { webhook_id: hook.id },
      keyActor("key_ops", "ops"),
    );
    // Two copies of the same page message, at once.
    await Promise.all([replayNextPage(env, site.id, job_id!), replayNextPage(env, site.id, job_id!)]);
    const replays = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM deliveries WHERE webhook_id = ? AND replay_of IS NOT NULL",
    )
      .bind(hook.id)
      .first();
    expect(replays).toEqual({ n: 5 });
    const job = await env.DB.prepare("SELECT status, replayed FROM bulk_replays WHERE id = ?").bind(job_id).first();
    expect(job).toEqual({ status: "complete", replayed: 5 });
  });
});
