// Cost counters for `npm run bench`: D1 rows read and written (from each result's metadata), queue
// messages, Durable Object calls and outbound fetches. Off unless the BENCH_METRICS var is "1"; in
// workerd the Worker, its consumer and its Durable Objects share one isolate, so module counters add up.
import type { Env } from "./env";

export const counters = {
  d1_statements: 0,
  d1_rows_read: 0,
  d1_rows_written: 0,
  d1_changes: 0,
  queue_messages: 0,
  do_calls: 0,
  fetches: 0,
};

export function resetCounters() {
  for (const k of Object.keys(counters) as (keyof typeof counters)[]) counters[k] = 0;
}

export function count(key: keyof typeof counters, n = 1) {
  counters[key] += n;
}

function tally(meta: D1Meta | undefined) {
  counters.d1_statements++;
  if (!meta) return;
  counters.d1_rows_read += meta.rows_read ?? 0;
  counters.d1_rows_written += meta.rows_written ?? 0;
  counters.d1_changes += meta.changes ?? 0;
}

class CountedStatement {
  constructor(readonly inner: D1PreparedStatement) {}
  bind(...values: unknown[]) {
    return new CountedStatement(this.inner.bind(...values));
  }
  async all<T>() {
    const r = await this.inner.all<T>();
    tally(r.meta);
    return r;
  }
  async run<T>() {
    const r = await this.inner.run<T>();
    tally(r.meta);
    return r;
  }
  /** Through all(), so its metadata is counted. */
  async first<T>(column?: string) {
    const r = await this.all<Record<string, unknown>>();
    const row = r.results[0];
    return (row === undefined ? null : column ? row[column] : row) as T | null;
  }
  async raw<T>(options?: { columnNames?: boolean }) {
    counters.d1_statements++;
    return this.inner.raw<T>(options as { columnNames: true }) as Promise<T[]>;
  }
}

function countingD1(db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => new CountedStatement(target.prepare(sql));
      if (prop === "batch")
        return async (statements: (D1PreparedStatement | CountedStatement)[]) => {
          const results = await target.batch(statements.map((s) => (s instanceof CountedStatement ? s.inner : s)));
          for (const r of results) tally(r.meta);
          return results;
        };
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as D1Database;
}

function countingQueue<T>(q: Queue<T>): Queue<T> {
  return {
    send: (body: T, opts?: QueueSendOptions) => (count("queue_messages"), q.send(body, opts)),
    sendBatch: (messages: Iterable<MessageSendRequest<T>>, opts?: QueueSendBatchOptions) => {
      const list = [...messages];
      count("queue_messages", list.length);
      return q.sendBatch(list, opts);
    },
  } as Queue<T>;
}

/** The env every entry point uses: counting wrappers when BENCH_METRICS is "1", the bindings as they are otherwise. */
export function instrument(env: Env): Env {
  if (env.BENCH_METRICS !== "1") return env;
  return { ...env, DB: countingD1(env.DB), DELIVERIES: countingQueue(env.DELIVERIES), JOBS: countingQueue(env.JOBS) };
}

/**
 * D1 wrapped to count round trips (a statement run alone, or one batch) made through it: how the console shows,
 * with BENCH_METRICS on, what one page cost. Per request, unlike the module-wide counters above.
 */
export function countRoundTrips(db: D1Database): { db: D1Database; trips: () => number } {
  let trips = 0;
  const wrap = (inner: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(inner, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
        if (prop === "all" || prop === "run" || prop === "first" || prop === "raw") {
          const fn = Reflect.get(target, prop) as (...args: unknown[]) => unknown;
          return (...args: unknown[]) => (trips++, fn.apply(target, args));
        }
        if (prop === UNWRAP) return target;
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const counted = new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql));
      if (prop === "batch")
        return (statements: D1PreparedStatement[]) => {
          trips++;
          return target.batch(
            statements.map((s) => (s as unknown as Record<symbol, D1PreparedStatement>)[UNWRAP] ?? s),
          );
        };
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db: counted, trips: () => trips };
}

const UNWRAP = Symbol("unwrap");
