// Cost counters for `npm run bench`: D1 rows read and written (from each result's metadata), queue
// operations (each message written, read and deleted is one operation, as Queues bills them; a retry is
// read again), consumer invocations, Durable Object calls and outbound fetches, each counted where it
// happens. Off unless the BENCH_METRICS var is "1"; in workerd the Worker, its consumer and its Durable
// Objects share one isolate, so module counters add up.
import type { Env } from "./env";

export const counters = {
  d1_statements: 0,
  d1_rows_read: 0,
  d1_rows_written: 0,
  d1_changes: 0,
  /** Messages sent to a queue (one write each). */
  queue_writes: 0,
  /** Messages handed to a consumer invocation (one read each, again after every retry). */
  queue_reads: 0,
  /** Messages acknowledged, explicitly or by the invocation returning (one delete each). */
  queue_deletes: 0,
  /** Messages given back with retry(): read again later, deleted only then. */
  queue_retries: 0,
  consumer_invocations: 0,
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
    send: (body: T, opts?: QueueSendOptions) => (count("queue_writes"), q.send(body, opts)),
    sendBatch: (messages: Iterable<MessageSendRequest<T>>, opts?: QueueSendBatchOptions) => {
      const list = [...messages];
      count("queue_writes", list.length);
      return q.sendBatch(list, opts);
    },
  } as Queue<T>;
}

/**
 * A consumer invocation, counted: the invocation, its reads, and each message's ack (a delete) or retry.
 * A message neither acked nor retried is acked when the invocation returns, retried when it throws.
 * `run` is the invocation itself; without BENCH_METRICS the batch goes through untouched.
 */
export async function countedInvocation<T>(
  batch: MessageBatch<T>,
  env: Env,
  run: (batch: MessageBatch<T>) => Promise<void>,
): Promise<void> {
  if (env.BENCH_METRICS !== "1") return run(batch);
  count("consumer_invocations");
  count("queue_reads", batch.messages.length);
  const answered = new Set<string>();
  const answer = (id: string, kind: "queue_deletes" | "queue_retries") => {
    if (answered.has(id)) return;
    answered.add(id);
    count(kind);
  };
  const messages = batch.messages.map(
    (m) =>
      new Proxy(m, {
        get(target, prop) {
          if (prop === "ack") return () => (answer(target.id, "queue_deletes"), target.ack());
          if (prop === "retry")
            return (opts?: QueueRetryOptions) => (answer(target.id, "queue_retries"), target.retry(opts));
          const value = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        },
      }),
  );
  const counted = new Proxy(batch, {
    get(target, prop) {
      if (prop === "messages") return messages;
      if (prop === "ackAll") return () => (messages.forEach((m) => answer(m.id, "queue_deletes")), target.ackAll());
      if (prop === "retryAll")
        return (opts?: QueueRetryOptions) => (
          messages.forEach((m) => answer(m.id, "queue_retries")),
          target.retryAll(opts)
        );
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  try {
    await run(counted);
    for (const m of messages) answer(m.id, "queue_deletes");
  } catch (err) {
    for (const m of messages) answer(m.id, "queue_retries");
    throw err;
  }
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
