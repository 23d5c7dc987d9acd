// The bench's cost counters against the real local D1 and Durable Object storage: what they count is what
// `npm run bench` reports per delivery (and prices), so they are checked against known work here.
import { env, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { counters, instrument, instrumentState, resetCounters, statementLabel } from "../../src/metrics";
import { WebhookSequencer } from "../../src/sequencer/webhook-sequencer";

const on = { ...env, BENCH_METRICS: "1" };

beforeEach(() => resetCounters());

describe("bench counters", () => {
  it("count nothing, and wrap nothing, unless BENCH_METRICS is 1", async () => {
    const off = { ...env, BENCH_METRICS: "" };
    expect(instrument(off)).toBe(off);
    await runInDurableObject(env.SEQUENCER.get(env.SEQUENCER.idFromName("metrics-off")), async (_, state) => {
      expect(instrumentState(state, off)).toBe(state);
    });
  });

  it("D1: a batch is one round trip, each of its statements is counted, billed rows include index entries", async () => {
    await env.DB.batch([
      env.DB.prepare("CREATE TABLE IF NOT EXISTS metrics_t (id INTEGER PRIMARY KEY, tag TEXT)"),
      env.DB.prepare("CREATE INDEX IF NOT EXISTS metrics_t_tag ON metrics_t (tag)"),
    ]);
    const db = instrument(on).DB;
    await db.batch([
      db.prepare("INSERT INTO metrics_t (tag) VALUES (?)").bind("a"),
      db.prepare("INSERT INTO metrics_t (tag) VALUES (?)").bind("b"),
      db.prepare("SELECT id FROM metrics_t WHERE id IN (?, ?, ?)").bind(1, 2, 3),
    ]);
    await db.prepare("SELECT COUNT(*) AS n FROM metrics_t").first();

    expect(counters.d1_round_trips).toBe(2);
    expect(counters.d1_statements).toBe(4);
    // Two inserted rows, each with its index entry: 4 billed rows, 2 table rows.
    expect(counters.d1_changes).toBe(2);
    expect(counters.d1_rows_written).toBe(4);
    const insert = counters.by_statement["INSERT INTO metrics_t (tag) VALUES (?…)"]!;
    expect(insert).toMatchObject({ count: 2, rows_written: 4, changes: 2 });
    expect(counters.by_statement["SELECT id FROM metrics_t WHERE id IN (?…)"]?.count).toBe(1);
    const shapes = Object.entries(counters.by_round_trip).map(([k, v]) => [k, v.count, v.statements]);
    expect(shapes).toEqual([
      ["INSERT INTO metrics_t (tag) VALUES (?…) ×2 | SELECT id FROM metrics_t WHERE id IN (?…)", 1, 3],
      ["SELECT COUNT(*) AS n FROM metrics_t", 1, 1],
    ]);
  });

  it("names a statement by its SQL, whatever its whitespace and the length of its id list", () => {
    expect(statementLabel("SELECT a\n   FROM t WHERE id IN (?,?, ?) AND x IN (?)")).toBe(
      "SELECT a FROM t WHERE id IN (?…) AND x IN (?…)",
    );
  });

  it("Durable Object storage: reads, writes and deletes per key, inside transactions too", async () => {
    const stub = env.SEQUENCER.get(env.SEQUENCER.idFromName("metrics-on"));
    await runInDurableObject(stub, async (_, state) => {
      const storage = instrumentState(state, on).storage;
      await storage.put({ a: 1, b: 2 });
      await storage.put("c", 3);
      expect(await storage.get(["a", "b"])).toEqual(
        new Map([
          ["a", 1],
          ["b", 2],
        ]),
      );
      expect(await storage.get("c")).toBe(3);
      expect((await storage.list()).size).toBe(3);
      await storage.delete(["a", "b"]);
      await storage.transaction(async (txn) => {
        await txn.put("d", 4);
        await txn.delete("c");
      });
      expect(await storage.getAlarm()).toBeNull();
    });
    expect(counters.do_storage_writes).toBe(4); // a, b, c, d
    expect(counters.do_storage_reads).toBe(2 + 1 + 3 + 1); // get ×2 keys, get, list of 3, getAlarm
    expect(counters.do_storage_deletes).toBe(3); // a, b, c
  });

  it("the sequencer counts its own storage operations when BENCH_METRICS is 1", async () => {
    const stub = env.SEQUENCER.get(env.SEQUENCER.idFromName("metrics-sequencer"));
    await runInDurableObject(stub, async (_, state) => {
      const counted = new WebhookSequencer(state, on) as unknown as { ctx: DurableObjectState };
      await counted.ctx.storage.put("k", 1);
      expect(await counted.ctx.storage.get("k")).toBe(1);
      const plain = new WebhookSequencer(state, { ...env, BENCH_METRICS: "" }) as unknown as {
        ctx: DurableObjectState;
      };
      expect(plain.ctx).toBe(state);
    });
    expect([counters.do_storage_writes, counters.do_storage_reads]).toEqual([1, 1]);
  });
});
