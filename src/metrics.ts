// Cost counters for `npm run bench`: D1 statements, round trips and rows read and written (from each result's
// metadata), Durable Object storage operations, queue operations (each message written, read and deleted is one
// operation, as Queues bills them; a retry is read again), consumer invocations, Durable Object calls and
// outbound fetches, each counted where it happens. Off unless the BENCH_METRICS var is "1"; in workerd the
// Worker, its consumer and its Durable Objects share one isolate, so module counters add up.
// One module, longer than most, so that the rest of src/ knows nothing of the counters: each hook is one line where it
// is called.
import type { Env } from "./env";
import { parseSiteDatabases } from "./domain/site-databases";

/** One SQL text's share: how often it ran, and the rows its results' metadata report. */
export interface StatementTally {
  count: number;
  rows_read: number;
  rows_written: number;
  changes: number;
}

/** One shape of round trip (the labels of its statements, in order): how often it went, and its rows. */
export interface RoundTripTally {
  count: number;
  statements: number;
  rows_read: number;
  rows_written: number;
}

export const counters = {
  d1_statements: 0,
  /** A batch, or a statement run alone: each is one request to the database. */
  d1_round_trips: 0,
  d1_rows_read: 0,
  /** Billed rows written: table rows and every index entry the write touched (meta.rows_written). */
  d1_rows_written: 0,
  /** Table rows inserted, updated or deleted (meta.changes). */
  d1_changes: 0,
  /**
   * Durable Object storage, counted per key as SQLite-backed objects bill it (rows read / rows written):
   * a get or list reads a row per key, a put writes one per key, a delete one per key (deletes are billed
   * as rows written). setAlarm counts as a write (it is billed as a row written), deleteAlarm and deleteAll
   * as one delete, getAlarm as a read.
   */
  do_storage_reads: 0,
  do_storage_writes: 0,
  do_storage_deletes: 0,
  /** Messages sent to a queue (one write each). */
  queue_writes: 0,
  /** Messages handed to a consumer invocation (one read each, again after every retry). */
  queue_reads: 0,
  /** Messages acknowledged, explicitly or by the invocation returning (one delete each). */
  queue_deletes: 0,
  /** Messages given back with retry(): read again later, deleted only then. */
  queue_retries: 0,
  consumer_invocations: 0,
  /** Invocations that have returned or thrown: equal to the above when no consumer is running. */
  consumer_invocations_finished: 0,
  do_calls: 0,
  fetches: 0,
  /** Per SQL text (whitespace collapsed, id lists shortened): where the statements and rows go. */
  by_statement: {} as Record<string, StatementTally>,
  /** Per round trip shape: which statements travel together, and how often. */
  by_round_trip: {} as Record<string, RoundTripTally>,
};

type Counter = Exclude<keyof typeof counters, "by_statement" | "by_round_trip">;

export function resetCounters() {
  for (const k of Object.keys(counters) as (keyof typeof counters)[]) {
    if (k === "by_statement" || k === "by_round_trip") counters[k] = {};
    else counters[k] = 0;
  }
}

export function count(key: Counter, n = 1) {
  counters[key] += n;
}

/** The SQL as the breakdown names it: whitespace collapsed, and any list of placeholders `(?, ?, …)` as `(?…)`. */
export function statementLabel(sql: string): string {
  return sql
    .replace(/\s+/g, " ")
    .replace(/\(\s*\?(\s*,\s*\?)*\s*\)/g, "(?…)")
    .trim();
}

/** Counts one statement's result (meta undefined: a raw() call, which has none) and returns its rows. */
function tally(sql: string, meta: D1Meta | undefined): Omit<StatementTally, "count"> {
  const rows = { rows_read: meta?.rows_read ?? 0, rows_written: meta?.rows_written ?? 0, changes: meta?.changes ?? 0 };
  counters.d1_statements++;
  counters.d1_rows_read += rows.rows_read;
  counters.d1_rows_written += rows.rows_written;
  counters.d1_changes += rows.changes;
  const s = (counters.by_statement[sql] ??= { count: 0, rows_read: 0, rows_written: 0, changes: 0 });
  s.count++;
  s.rows_read += rows.rows_read;
  s.rows_written += rows.rows_written;
  s.changes += rows.changes;
  return rows;
}

/** One request to the database: a statement alone, or a batch of them (one entry per statement). */
function roundTrip(parts: { sql: string; meta: D1Meta | undefined }[]) {
  counters.d1_round_trips++;
  const shape: { label: string; n: number }[] = [];
  let rowsRead = 0;
  let rowsWritten = 0;
  for (const { sql, meta } of parts) {
    const rows = tally(sql, meta);
    rowsRead += rows.rows_read;
    rowsWritten += rows.rows_written;
    const label = sql.slice(0, 60);
    const last = shape[shape.length - 1];
    if (last?.label === label) last.n++;
    else shape.push({ label, n: 1 });
  }
  const key = shape.map((p) => (p.n > 1 ? `${p.label} ×${p.n}` : p.label)).join(" | ");
  const t = (counters.by_round_trip[key] ??= { count: 0, statements: 0, rows_read: 0, rows_written: 0 });
  t.count++;
  t.statements += parts.length;
  t.rows_read += rowsRead;
  t.rows_written += rowsWritten;
}

class CountedStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    readonly sql: string,
  ) {}
  bind(...values: unknown[]) {
    return new CountedStatement(this.inner.bind(...values), this.sql);
  }
  async all<T>() {
    const r = await this.inner.all<T>();
    roundTrip([{ sql: this.sql, meta: r.meta }]);
    return r;
  }
  async run<T>() {
    const r = await this.inner.run<T>();
    roundTrip([{ sql: this.sql, meta: r.meta }]);
    return r;
  }
  /** Through all(), so its metadata is counted. */
  async first<T>(column?: string) {
    const r = await this.all<Record<string, unknown>>();
    const row = r.results[0];
    return (row === undefined ? null : column ? row[column] : row) as T | null;
  }
  async raw<T>(options?: { columnNames?: boolean }) {
    const r = (await this.inner.raw<T>(options as { columnNames: true })) as T[];
    roundTrip([{ sql: this.sql, meta: undefined }]);
    return r;
  }
}

function countingD1(db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => new CountedStatement(target.prepare(sql), statementLabel(sql));
      if (prop === "batch")
        return async (statements: (D1PreparedStatement | CountedStatement)[]) => {
          const results = await target.batch(statements.map((s) => (s instanceof CountedStatement ? s.inner : s)));
          roundTrip(
            results.map((r, i) => {
              const s = statements[i];
              return { sql: s instanceof CountedStatement ? s.sql : "(uncounted statement)", meta: r.meta };
            }),
          );
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
  } finally {
    count("consumer_invocations_finished");
  }
}

/** How many keys a storage call touches: one key, an array of keys, or an object of entries (put). */
function keysIn(arg: unknown): number {
  if (Array.isArray(arg)) return arg.length;
  if (typeof arg === "object" && arg !== null) return Object.keys(arg).length;
  return 1;
}

type StorageCall = (...args: unknown[]) => unknown;

/** A storage (or a transaction's) key-value and alarm methods, counted per key as they are billed. */
function countingStorage<S extends object>(storage: S): S {
  const after =
    (fn: StorageCall, counted: (args: unknown[], result: unknown) => void): StorageCall =>
    (...args) => {
      const result = fn(...args);
      if (result instanceof Promise) return result.then((r) => (counted(args, r), r));
      counted(args, result);
      return result;
    };
  return new Proxy(storage, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      const fn = (value as StorageCall).bind(target);
      switch (prop) {
        case "get":
          return after(fn, ([keys]) => count("do_storage_reads", keysIn(keys)));
        case "list":
          return after(fn, (_, r) => count("do_storage_reads", Math.max(1, (r as Map<string, unknown>).size)));
        case "put":
          return after(fn, ([entries]) => count("do_storage_writes", keysIn(entries)));
        case "delete":
          return after(fn, ([keys]) => count("do_storage_deletes", keysIn(keys)));
        case "deleteAll":
        case "deleteAlarm":
          return after(fn, () => count("do_storage_deletes"));
        case "setAlarm":
          return after(fn, () => count("do_storage_writes"));
        case "getAlarm":
          return after(fn, () => count("do_storage_reads"));
        case "transaction":
          return (closure: (txn: DurableObjectTransaction) => Promise<unknown>) =>
            fn((txn: DurableObjectTransaction) => closure(countingStorage(txn)));
        default:
          return fn;
      }
    },
  });
}

/**
 * A Durable Object's state with its storage counted (see do_storage_* above). The object's constructor puts it in
 * place of `this.ctx` after super() (the base class only takes the runtime's own state). The state as it is
 * without BENCH_METRICS. The SQL API
 * (ctx.storage.sql) and the synchronous ctx.storage.kv are not counted: the sequencer uses neither.
 */
export function instrumentState(ctx: DurableObjectState, env: Env): DurableObjectState {
  if (env.BENCH_METRICS !== "1") return ctx;
  const storage = countingStorage(ctx.storage);
  return new Proxy(ctx, {
    get(target, prop) {
      if (prop === "storage") return storage;
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The env every entry point uses: counting wrappers when BENCH_METRICS is "1", the bindings as they are otherwise. */
export function instrument(env: Env): Env {
  if (env.BENCH_METRICS !== "1") return env;
  return {
    ...withDatabases(env, countingD1),
    DELIVERIES: countingQueue(env.DELIVERIES),
    JOBS: countingQueue(env.JOBS),
  };
}

/** `env` with every D1 binding it routes sites to (DB and those SITE_DATABASES names) wrapped. */
function withDatabases(env: Env, wrap: (db: D1Database) => D1Database): Env {
  const bindings = env as unknown as Record<string, D1Database>;
  const wrapped = parseSiteDatabases(env.SITE_DATABASES).names.flatMap((name) =>
    bindings[name] ? [[name, wrap(bindings[name])] as const] : [],
  );
  return { ...env, ...Object.fromEntries(wrapped) };
}

/**
 * D1 wrapped to count round trips (a statement run alone, or one batch) made through it: how the console shows,
 * with BENCH_METRICS on, what one page cost. Per request, unlike the module-wide counters above.
 */
export function countRoundTrips(env: Env): { env: Env; trips: () => number } {
  let trips = 0;
  const bump = () => trips++;
  return { env: withDatabases(env, (db) => tripCountingD1(db, bump)), trips: () => trips };
}

function tripCountingD1(db: D1Database, bump: () => void): D1Database {
  const wrap = (inner: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(inner, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values));
        if (prop === "all" || prop === "run" || prop === "first" || prop === "raw") {
          const fn = Reflect.get(target, prop) as (...args: unknown[]) => unknown;
          return (...args: unknown[]) => (bump(), fn.apply(target, args));
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
          bump();
          return target.batch(
            statements.map((s) => (s as unknown as Record<symbol, D1PreparedStatement>)[UNWRAP] ?? s),
          );
        };
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return counted;
}

const UNWRAP = Symbol("unwrap");
