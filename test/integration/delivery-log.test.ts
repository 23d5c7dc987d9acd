// The delivery log in workerd: filters, stable paging, attempt detail per error class, stats, exports to R2
// with signed links, retention, and an EXPLAIN QUERY PLAN check on every log query.
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, json, runCron } from "../helpers";
import { attemptRows, insertDelivery, insertHook, insertKey, insertSite, runConsumer } from "../pipeline-fixtures";
import { spyReceiver } from "../receiver-spy";
import {
  attemptsOf,
  countMatching,
  listDeliveries,
  oneDelivery,
  pageForExport,
  purgeable,
  replayPage,
  run,
  statsCounts,
  statsHourly,
  statsLatencyPercentiles,
  type Sql,
} from "../../src/db/delivery-log";
import { purgeOldDeliveries } from "../../src/logs/retention";
import { percentile } from "../../src/domain/stats";
import { expireExports } from "../../src/logs/exports";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const HOUR = 3600_000;
const WAIT = { timeout: 50_000, interval: 100 };

/** A known history: deliveries in given states, event types, webhooks and times. */
async function history(siteId: string, site: Awaited<ReturnType<typeof insertSite>>) {
  const a = await insertHook(siteId, { url: "http://127.0.0.1:9/a" });
  const b = await insertHook(siteId, { url: "http://127.0.0.1:9/b" });
  const now = Date.now();
  const rows: { id: string; hook: string; state: string; type: string; at: number; latency: number | null }[] = [];
  const plan: [typeof a, string, string, number, number | null][] = [
    [a, "delivered", "post.published", now - 3 * HOUR, 120],
    [a, "delivered", "post.published", now - 2 * HOUR, 80],
    [a, "failed", "post.published", now - 2 * HOUR, null],
    [a, "delivered", "page.created", now - 1 * HOUR, 200],
    [b, "retrying", "post.published", now - 30 * 60_000, null],
    [b, "held", "page.created", now - 10 * 60_000, null],
    [a, "delivered", "post.published", now - 9 * 86_400_000, 50],
  ];
  for (const [hook, state, type, at, latency] of plan) {
    const d = await insertDelivery(site, hook);
    await env.DB.prepare(
      "UPDATE deliveries SET state = ?, event_type = ?, created_at = ?, latency_ms = ?, attempts = ? WHERE id = ?",
    )
      .bind(state, type, at, latency, state === "held" ? 0 : 1, d.deliveryId)
      .run();
    rows.push({ id: d.deliveryId, hook: hook.id, state, type, at, latency });
  }
  return { a, b, rows };
}

describe("log list", () => {
  it("filters by each field alone and combined, newest first", async () => {
    const site = await insertSite();
    const viewer = await insertKey(site.id, "viewer");
    const { a, b, rows } = await history(site.id, site);
    const base = `/v1/sites/${site.id}/deliveries`;
    const ids = async (query: string) =>
      (await json(await api("GET", `${base}?${query}`, undefined, viewer))).data.map((d: any) => d.id);
    const expectIds = (pred: (r: (typeof rows)[number]) => boolean) =>
      rows
        .filter(pred)
        .map((r) => r.id)
        .reverse();

    expect(await ids("")).toEqual(expectIds(() => true));
    expect(await ids("state=delivered")).toEqual(expectIds((r) => r.state === "delivered"));
    expect(await ids("event_type=page.created")).toEqual(expectIds((r) => r.type === "page.created"));
    expect(await ids(`webhook_id=${b.id}`)).toEqual(expectIds((r) => r.hook === b.id));
    const from = new Date(Date.now() - 2.5 * HOUR).toISOString();
    const to = new Date(Date.now() - 0.5 * HOUR).toISOString();
    expect(await ids(`from=${from}`)).toEqual(expectIds((r) => r.at >= Date.parse(from)));
    expect(await ids(`from=${from}&to=${to}`)).toEqual(
      expectIds((r) => r.at >= Date.parse(from) && r.at < Date.parse(to)),
    );
    expect(await ids(`state=delivered&event_type=post.published&webhook_id=${a.id}&from=${from}`)).toEqual(
      expectIds(
        (r) => r.state === "delivered" && r.type === "post.published" && r.hook === a.id && r.at >= Date.parse(from),
      ),
    );
  });

  it("shows every field of the delivery object", async () => {
    const site = await insertSite();
    await history(site.id, site);
    const [d] = (await json(await api("GET", `/v1/sites/${site.id}/deliveries?state=failed`))).data;
    expect(Object.keys(d).sort()).toEqual(
      [
        "id",
        "webhook_id",
        "webhook_name",
        "event_id",
        "event_type",
        "destination_host",
        "state",
        "attempts",
        "throttles",
        "next_attempt_at",
        "response_status",
        "latency_ms",
        "last_error",
        "created_at",
        "delivered_at",
        "replay_of",
        "actor_email",
      ].sort(),
    );
    expect(d).toMatchObject({ state: "failed", actor_email: "ada@example.com", destination_host: "127.0.0.1" });
  });

  it("pages without duplicates or gaps while new deliveries arrive", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/a" });
    const made: string[] = [];
    for (let i = 0; i < 7; i++) made.push((await insertDelivery(site, hook)).deliveryId);
    const base = `/v1/sites/${site.id}/deliveries?limit=3`;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await json(await api("GET", cursor ? `${base}&cursor=${cursor}` : base));
      seen.push(...page.data.map((d: any) => d.id));
      cursor = page.next_cursor;
      await insertDelivery(site, hook); // arrives between pages
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
  });

  it("refuses bad filters and limits with a 422 naming them", async () => {
    const site = await insertSite();
    for (const [q, path] of [
      ["limit=201", "query.limit"],
      ["state=lost", "query.state"],
      ["from=yesterday", "query.from"],
      ["cursor=zzz", "query.cursor"],
    ]) {
      const res = await api("GET", `/v1/sites/${site.id}/deliveries?${q}`);
      expect(res.status, q).toBe(422);
      expect((await json(res)).errors[0].path).toBe(path);
    }
  });

  it("keeps keys to their site and role", async () => {
    const site = await insertSite();
    const other = await insertSite();
    const ingest = await insertKey(site.id, "ingest");
    const otherViewer = await insertKey(other.id, "viewer");
    expect((await api("GET", `/v1/sites/${site.id}/deliveries`, undefined, ingest)).status).toBe(403);
    expect((await api("GET", `/v1/sites/${site.id}/deliveries`, undefined, otherViewer)).status).toBe(404);
  });
});

describe("attempt detail", () => {
  let receiver: ReturnType<typeof spyReceiver>;
  beforeEach(() => {
    receiver = spyReceiver();
  });

  async function attemptOnce(respond: () => Response | Promise<Response>) {
    const site = await insertSite();
    const hook = await insertHook(site.id, {
      delays: [5],
      headers: { "X-Secret-Header": "masked-value-1234" },
      secrets: ["s3cret-signing-key"],
    });
    const d = await insertDelivery(site, hook, { detail: { changes: ["title"] } });
    receiver.set(respond);
    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    const res = await api("GET", `/v1/sites/${site.id}/deliveries/${d.deliveryId}`);
    expect(res.status).toBe(200);
    return { body: await json(res), d, site };
  }

  it("a success: request with signature and masked custom headers, response, timing", async () => {
    const { body, d } = await attemptOnce(() => new Response('{"ok":true}', { status: 200 }));
    expect(body).toMatchObject({
      id: d.deliveryId,
      state: "delivered",
      attempts: 1,
      response_status: 200,
      last_error: null,
    });
    const [a] = body.attempts_detail;
    expect(a.request.body).toBe(d.body);
    expect(a.request.headers["X-Secret-Header"]).toBe("********");
    expect(a.request.headers["X-SGEN-Signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(a.response).toEqual({ status: 200, body: '{"ok":true}', truncated: false });
    expect(a.error).toBeNull();
    expect(a.timing).toMatchObject({ prepared_ms: expect.any(Number), total_ms: expect.any(Number) });
    expect(Date.parse(a.timing.response_at)).toBeGreaterThanOrEqual(Date.parse(a.timing.sent_at));
    expect(JSON.stringify(body)).not.toContain("masked-value-1234");
    expect(JSON.stringify(body)).not.toContain("s3cret-signing-key");
  });

  it("a fetch that ends in a TimeoutError: error timeout, no response (the real abort is tested on the wire)", async () => {
    const { body } = await attemptOnce(() => {
      throw new DOMException("timed out", "TimeoutError");
    });
    expect(body).toMatchObject({ state: "retrying", last_error: "timeout", response_status: null });
    expect(body.attempts_detail[0]).toMatchObject({ error: "timeout", response: null, timing: { response_at: null } });
  });

  it("a connection refusal", async () => {
    vi.restoreAllMocks(); // a real fetch to a closed port
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:1/closed", delays: [5] });
    const d = await insertDelivery(site, hook);
    await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]);
    const body = await json(await api("GET", `/v1/sites/${site.id}/deliveries/${d.deliveryId}`));
    expect(body.attempts_detail[0]).toMatchObject({ error: "connection", response: null });
    expect(body.attempts_detail[0].error_message).toEqual(expect.any(String));
  });

  it("a 3xx: error redirect, naming where it pointed (not following it is tested on the wire)", async () => {
    const { body, site } = await attemptOnce(
      () => new Response(null, { status: 301, headers: { location: "https://elsewhere.example.com" } }),
    );
    expect(body.attempts_detail[0]).toMatchObject({ error: "redirect", response: { status: 301 } });
    expect(body.attempts_detail[0].error_message).toContain("elsewhere.example.com");
    expect(receiver.forSite(site.id)).toHaveLength(1);
  });

  it("a 4xx with a long body keeps 16 KiB and says it was truncated", async () => {
    const { body } = await attemptOnce(() => new Response("e".repeat(40_000), { status: 422 }));
    expect(body).toMatchObject({ state: "retrying", last_error: "http_status", response_status: 422 });
    const [a] = body.attempts_detail;
    expect(a.response.truncated).toBe(true);
    expect(a.response.body).toHaveLength(16 * 1024);
  });
});

describe("stats", () => {
  it("summarises a known history", async () => {
    const site = await insertSite();
    const { a } = await history(site.id, site);
    const res = await api("GET", `/v1/sites/${site.id}/webhooks/${a.id}/stats?window=24h`);
    const stats = await json(res);
    expect(stats).toMatchObject({
      window: "24h",
      counts: { delivered: 3, failed: 1, held: 0, retrying: 0 },
      success_rate: 0.75,
      latency_ms: { p50: 120, p95: 200 },
    });
    expect(stats.per_hour.reduce((n: number, h: any) => n + h.deliveries, 0)).toBe(4);
    expect(stats.per_hour.length).toBeGreaterThanOrEqual(24);
    const week = await json(await api("GET", `/v1/sites/${site.id}/webhooks/${a.id}/stats?window=7d`));
    expect(week.counts.delivered).toBe(3);
    expect((await api("GET", `/v1/sites/${site.id}/webhooks/${a.id}/stats?window=1y`)).status).toBe(422);
  });

  it("computes p50/p95 in SQL exactly as the nearest-rank rule does, for any count", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id);
    const latencies: number[] = [];
    for (let i = 0; i < 37; i++) {
      const d = await insertDelivery(site, hook, { target: { type: "post", id: i } });
      const latency = (i * 7919) % 1000; // distinct, unordered
      latencies.push(latency);
      await env.DB.prepare("UPDATE deliveries SET state = 'delivered', latency_ms = ? WHERE id = ?")
        .bind(latency, d.deliveryId)
        .run();
      const sorted = [...latencies].sort((x, y) => x - y);
      if ([1, 2, 3, 19, 20, 37].includes(latencies.length)) {
        const stats = await json(api("GET", `/v1/sites/${site.id}/webhooks/${hook.id}/stats`));
        expect(stats.latency_ms, `n=${latencies.length}`).toEqual({
          p50: percentile(sorted, 50),
          p95: percentile(sorted, 95),
        });
      }
    }
  });
});

describe("stats at scale", () => {
  it("reads a webhook's p50/p95 from D1 as one row of two numbers, never its latency rows", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id);
    const d = await insertDelivery(site, hook);
    // 500 delivered rows in one statement, each with its own latency.
    await env.DB.prepare(
      `INSERT INTO deliveries (id, site_id, webhook_id, webhook_name, event_id, event_type, destination_host,
                               target_key, include_detail, retry_delays, state, attempts, latency_ms, created_at,
                               updated_at)
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
       SELECT 'dlv_stat_' || i, ?1, ?2, 'h', ?3, 'post.published', 'h', 'post:1', 0, '[]', 'delivered', 1, i, ?4, ?4
       FROM n`,
    )
      .bind(site.id, hook.id, d.eventId, Date.now())
      .run();
    const { results } = await run(env.DB, statsLatencyPercentiles(site.id, hook.id, Date.now() - HOUR)).all();
    expect(results).toEqual([{ p50: 250, p95: 475 }]);
  });
});

describe("exports", () => {
  /** Starts an export and awaits the queue's job finishing it, as an operator polling GET …/exports/{id}. */
  async function exportOf(siteId: string, body: Record<string, unknown>, wait = WAIT) {
    const res = await api("POST", `/v1/sites/${siteId}/exports`, body);
    expect(res.status).toBe(202);
    const job = await json(res);
    return vi.waitFor(async () => {
      const now = await json(await api("GET", `/v1/sites/${siteId}/exports/${job.id}`));
      expect(now.status).toBe("complete");
      return now;
    }, wait);
  }
  const pathOf = (link: string) => new URL(link).pathname + new URL(link).search;

  it("writes CSV and NDJSON to R2 and serves them through a signed link", async () => {
    const site = await insertSite();
    const { rows } = await history(site.id, site);
    const csv = await exportOf(site.id, { format: "csv", state: "delivered" });
    expect(csv).toMatchObject({ status: "complete", rows: 4, format: "csv" });
    const file = await api("GET", pathOf(csv.download_url), undefined, "");
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toContain("text/csv");
    const lines = (await file.text()).trim().split("\r\n");
    expect(lines[0]).toBe(
      "id,webhook_id,webhook_name,event_id,event_type,destination_host,state,attempts,next_attempt_at,response_status,latency_ms,last_error,created_at,delivered_at,replay_of,actor_email",
    );
    expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(
      rows.filter((r) => r.state === "delivered").map((r) => r.id),
    );

    const nd = await exportOf(site.id, { format: "ndjson" });
    const text = await (await api("GET", pathOf(nd.download_url), undefined, "")).text();
    const objects = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(objects.map((o) => o.id)).toEqual(rows.map((r) => r.id));
    expect(objects[0]).toMatchObject({ webhook_name: expect.any(String), state: expect.any(String) });
  });

  it("refuses a tampered link", async () => {
    const site = await insertSite();
    await history(site.id, site);
    const job = await exportOf(site.id, { format: "ndjson" });
    const url = new URL(job.download_url);
    const expires = Number(url.searchParams.get("expires"));
    const signature = url.searchParams.get("signature")!;
    expect((await api("GET", pathOf(job.download_url), undefined, "")).status).toBe(200);
    for (const forged of [
      `${url.pathname}?expires=${expires + 1000}&signature=${signature}`,
      `${url.pathname}?expires=${expires}&signature=${signature.replace(/^./, (c) => (c === "0" ? "1" : "0"))}`,
      `${url.pathname}?expires=${expires}`,
      `/exports/exp_someone_else/download?expires=${expires}&signature=${signature}`,
    ])
      expect((await api("GET", forged, undefined, "")).status, forged).toBe(403);
  });

  it("refuses its own, correctly signed link once it has expired", async () => {
    const site = await insertSite();
    await history(site.id, site);
    const job = await exportOf(site.id, { format: "csv" });
    const expires = Date.parse(job.expires_at);
    expect(Number(new URL(job.download_url).searchParams.get("expires"))).toBe(expires);

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(expires - 60_000);
    expect((await api("GET", pathOf(job.download_url), undefined, "")).status).toBe(200);
    vi.setSystemTime(expires + 1);
    const late = await api("GET", pathOf(job.download_url), undefined, "");
    expect(late.status).toBe(403);
    expect(late.headers.get("content-type")).toContain("application/problem+json");
  });

  it("expiry removes the file and marks the export expired", async () => {
    const site = await insertSite();
    await history(site.id, site);
    const job = await exportOf(site.id, { format: "ndjson" });
    const row = await env.DB.prepare("SELECT object_key, expires_at FROM exports WHERE id = ?")
      .bind(job.id)
      .first<{ object_key: string; expires_at: number }>();
    expect(await env.EXPORTS.head(row!.object_key)).not.toBeNull();

    await expireExports(env, row!.expires_at - 1);
    expect(await env.EXPORTS.head(row!.object_key)).not.toBeNull(); // not yet
    await expireExports(env, row!.expires_at + 1);

    expect(await env.EXPORTS.head(row!.object_key)).toBeNull();
    const after = await json(await api("GET", `/v1/sites/${site.id}/exports/${job.id}`));
    expect(after).toMatchObject({ status: "expired", download_url: null });
  });

  it("streams a large export in equal parts and counts every row", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/a" });
    await env.DB.prepare(
      `INSERT INTO deliveries (id, site_id, webhook_id, webhook_name, event_id, event_type, destination_host, target_key, include_detail, retry_delays, state, attempts, created_at, updated_at, actor_email)
       SELECT 'dlv_bulk_' || value, ?, ?, 'hook with a longish name to fill the file', 'evt_bulk_' || value, 'post.published', '127.0.0.1', 'post:1', 0, '[]', 'delivered', 1, ?, ?, 'someone.with.a.long.address@example.com'
       FROM generate_series(1, 25000)`,
    )
      .bind(site.id, hook.id, Date.now(), Date.now())
      .run()
      .catch(async () => {
        // generate_series may be missing: fall back to a recursive CTE.
        await env.DB.prepare(
          `WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 25000)
           INSERT INTO deliveries (id, site_id, webhook_id, webhook_name, event_id, event_type, destination_host, target_key, include_detail, retry_delays, state, attempts, created_at, updated_at, actor_email)
           SELECT 'dlv_bulk_' || value, ?, ?, 'hook with a longish name to fill the file', 'evt_bulk_' || value, 'post.published', '127.0.0.1', 'post:1', 0, '[]', 'delivered', 1, ?, ?, 'someone.with.a.long.address@example.com' FROM n`,
        )
          .bind(site.id, hook.id, Date.now(), Date.now())
          .run();
      });
    const job = await exportOf(site.id, { format: "ndjson" }, { timeout: 170_000, interval: 250 });
    expect(job).toMatchObject({ status: "complete", rows: 25000 });
    expect(job.bytes).toBeGreaterThan(5 * 1024 * 1024); // more than one part
    const url = new URL(job.download_url);
    const text = await (await api("GET", url.pathname + url.search, undefined, "")).text();
    expect(text.trim().split("\n")).toHaveLength(25000);
  }, 180_000); // 25,000 rows through the real queue: generous on a busy machine
});

describe("retention", () => {
  async function siteRows(siteId: string) {
    const { results } = await env.DB.prepare("SELECT id, state, event_id FROM deliveries WHERE site_id = ?")
      .bind(siteId)
      .all<{ id: string; state: string; event_id: string }>();
    return results;
  }

  it("the cron purges settled deliveries past LOG_RETENTION_DAYS with their attempts and events, keeps what is still needed, and a second run changes nothing", async () => {
    spyReceiver();
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/a", delays: [5] });
    const old = Date.now() - 40 * 86_400_000;
    const made: Record<string, { deliveryId: string; eventId: string }> = {};
    for (const state of ["delivered", "failed", "resolved", "held", "pending", "retrying"]) {
      const d = await insertDelivery(site, hook);
      await runConsumer([{ delivery_id: d.deliveryId, webhook_id: hook.id }]); // gives it an attempt
      await env.DB.prepare("UPDATE deliveries SET state = ?, created_at = ?, next_attempt_at = NULL WHERE id = ?")
        .bind(state, old, d.deliveryId)
        .run();
      await env.DB.prepare("UPDATE events SET received_at = ? WHERE id = ?").bind(old, d.eventId).run();
      made[state] = d;
    }
    const recent = await insertDelivery(site, hook);
    await env.DB.prepare("UPDATE deliveries SET state = 'delivered' WHERE id = ?").bind(recent.deliveryId).run();
    const eventExists = async (id: string) =>
      (await env.DB.prepare("SELECT 1 FROM events WHERE site_id = ? AND id = ?").bind(site.id, id).first()) !== null;

    await runCron(Date.now());

    const left = await siteRows(site.id);
    expect(left.map((r) => r.state).sort()).toEqual(["delivered", "held", "pending", "retrying"]);
    expect(left.map((r) => r.id)).toContain(recent.deliveryId);
    for (const state of ["held", "pending", "retrying"]) {
      expect(await attemptRows(made[state]!.deliveryId)).toHaveLength(1);
      expect(await eventExists(made[state]!.eventId)).toBe(true);
    }
    for (const state of ["delivered", "failed", "resolved"]) {
      expect(await attemptRows(made[state]!.deliveryId)).toEqual([]);
      expect(await eventExists(made[state]!.eventId)).toBe(false);
    }
    expect(await eventExists(recent.eventId)).toBe(true);

    await runCron(Date.now());
    expect(await siteRows(site.id)).toEqual(left);
  });

  it("purges in bounded chunks: no statement removes more than 500 rows, and one run removes at most 10,000", async () => {
    const site = await insertSite();
    const hook = await insertHook(site.id, { url: "http://127.0.0.1:9/a" });
    const old = Date.now() - 40 * 86_400_000;
    await env.DB.prepare(
      `WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 10600)
       INSERT INTO deliveries (id, site_id, webhook_id, webhook_name, event_id, event_type, destination_host, target_key, include_detail, retry_delays, state, attempts, created_at, updated_at)
       SELECT 'dlv_old_' || value, ?, ?, 'hook', 'evt_old_' || value, 'post.published', '127.0.0.1', 'post:1', 0, '[]', 'delivered', 1, ?, ? FROM n`,
    )
      .bind(site.id, hook.id, old, old)
      .run();
    // Counts the rows each statement of a purge run removes.
    const removed: number[] = [];
    const db = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "batch")
          return async (statements: D1PreparedStatement[]) => {
            const results = await target.batch(statements);
            for (const r of results) removed.push(r.meta.changes ?? 0);
            return results;
          };
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const countOld = async () =>
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE site_id = ?")
        .bind(site.id)
        .first<{ n: number }>())!.n;

    const first = await purgeOldDeliveries({ ...env, DB: db }, Date.now());
    expect(first.deliveries).toBe(10_000);
    expect(await countOld()).toBe(600);
    expect(Math.max(...removed)).toBe(500);
    const second = await purgeOldDeliveries({ ...env, DB: db }, Date.now());
    expect(second.deliveries).toBe(600);
    expect(await countOld()).toBe(0);
    expect(Math.max(...removed)).toBe(500);
  });
});

describe("query plans", () => {
  it("serves every log query from an index, never a full scan of deliveries or attempts", async () => {
    const now = Date.now();
    const queries: [string, Sql][] = [
      ["list", listDeliveries("site_x", {}, null, 50)],
      ["list by state", listDeliveries("site_x", { state: "failed" }, 10, 50)],
      ["list by type", listDeliveries("site_x", { event_type: "post.published" }, null, 50)],
      ["list by webhook", listDeliveries("site_x", { webhook_id: "wh_x" }, null, 50)],
      ["list by time", listDeliveries("site_x", { from: now - HOUR, to: now }, null, 50)],
      [
        "list combined",
        listDeliveries(
          "site_x",
          { state: "failed", event_type: "post.published", webhook_id: "wh_x", from: now - HOUR },
          99,
          50,
        ),
      ],
      ["one", oneDelivery("site_x", "dlv_x")],
      ["attempts", attemptsOf("dlv_x")],
      ["export page", pageForExport("site_x", { state: "delivered" }, 0, 1000)],
      ["stats counts", statsCounts("site_x", "wh_x", now - HOUR)],
      ["stats latency", statsLatencyPercentiles("site_x", "wh_x", now - HOUR)],
      ["stats hourly", statsHourly("site_x", "wh_x", now - HOUR)],
      ["purgeable", purgeable("site_x", now, 500)],
      ["bulk replay count", countMatching("site_x", { state: "failed", webhook_id: "wh_x" })],
      ["bulk replay page", replayPage("site_x", { event_type: "post.published" }, 0, 1000, 100)],
    ];
    for (const [name, q] of queries) {
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${q.sql}`)
        .bind(...q.params)
        .all<{ detail: string }>();
      const plan = results.map((r) => r.detail).join(" | ");
      expect(plan, `${name}: ${plan}`).not.toMatch(/SCAN (deliveries|attempts)\b(?! USING)/);
      expect(plan, `${name}: ${plan}`).toMatch(/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/);
    }
  });
});
