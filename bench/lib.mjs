// Shared by bench/run.mjs and bench/chaos.mjs: a fresh Edgehooks under wrangler dev, an API client, and stats.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, applyMigrations, localRunVars, startWranglerDev } from "../scripts/wrangler-dev.mjs";

export const ADMIN = "bench-admin-token";
export const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

export async function startEdgehooks(name, vars = {}, extraArgs = []) {
  mkdirSync(join(ROOT, "bench", ".state"), { recursive: true });
  const persistTo = mkdtempSync(join(ROOT, "bench", ".state", `${name}-`));
  applyMigrations({ persistTo });
  const allVars = localRunVars(ADMIN, vars);
  const logFile = join(persistTo, "wrangler.log");
  let dev = await startWranglerDev({ persistTo, vars: allVars, logFile, extraArgs });
  const port = dev.port;
  const eh = {
    baseUrl: dev.baseUrl,
    persistTo,
    async api(method, path, body, token = ADMIN) {
      const res = await fetch(dev.baseUrl + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      let parsed = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: res.status, body: parsed };
    },
    runScheduled: () =>
      fetch(`${dev.baseUrl}/__scheduled?cron=*+*+*+*+*`, { signal: AbortSignal.timeout(60_000) }).catch(
        () => undefined,
      ),
    async kill() {
      await dev.kill();
    },
    async start() {
      dev = await startWranglerDev({ port, persistTo, vars: allVars, logFile, extraArgs });
    },
    stop: () => dev.stop(),
    get inspectorPort() {
      return dev.inspectorPort;
    },
    /** The process group of the runtime (wrangler and its workerd), for groupCpuMs. */
    get pgid() {
      return dev.child.pid;
    },
  };
  return eh;
}

const TICKS_PER_S = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;

/**
 * CPU time (user + system, ms) used so far by the live processes of a process group, from /proc (Linux; null
 * elsewhere). For `wrangler dev` that is wrangler and workerd, with the local D1, queues and objects inside it.
 */
export function groupCpuMs(pgid) {
  let ticks = 0;
  try {
    for (const pid of readdirSync("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      let stat;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      } catch {
        continue; // gone meanwhile
      }
      // After the command name (in parentheses, may hold spaces): state ppid pgrp … utime(12th) stime(13th).
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]);
    }
  } catch {
    return null;
  }
  return (ticks * 1000) / TICKS_PER_S;
}

export async function setupSite(eh, slug) {
  const site = `site_${slug}`;
  const r = await eh.api("POST", "/v1/sites", { id: site, slug, host: `${slug}.example.com` });
  if (r.status !== 201) throw new Error(`site: ${JSON.stringify(r.body)}`);
  const ops = (await eh.api("POST", `/v1/sites/${site}/keys`, { name: "ops", role: "integrations-admin" })).body.token;
  const cms = (await eh.api("POST", `/v1/sites/${site}/keys`, { name: "cms", role: "ingest" })).body.token;
  return { site, base: `/v1/sites/${site}`, ops, cms };
}

/** Like an operator's script: a 5xx (the local database busy under load) is tried again; anything else throws. */
async function must(eh, what, method, path, body, token, ok) {
  for (let attempt = 1; ; attempt++) {
    const r = await eh.api(method, path, body, token).catch((err) => ({ status: 0, body: String(err) }));
    if (r.status === ok) return r;
    if ((r.status !== 0 && r.status < 500) || attempt === 10)
      throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    await sleep(200 * attempt);
  }
}

export async function createWebhook(eh, s, { url, events, secret = SECRET, retry_policy, failure_mode, timeout_ms }) {
  const made = await must(eh, "webhook", "POST", `${s.base}/webhooks`, { name: "bench", url, secret }, s.ops, 201);
  const id = made.body.id;
  await must(eh, "subscribe", "PUT", `${s.base}/webhooks/${id}/events`, { events }, s.ops, 200);
  const policy = {
    ...(retry_policy && { retry_policy }),
    ...(failure_mode && { failure_mode }),
    ...(timeout_ms && { timeout_ms }),
  };
  if (Object.keys(policy).length)
    await must(eh, "policy", "PUT", `${s.base}/webhooks/${id}/delivery`, policy, s.ops, 200);
  return id;
}

export function percentile(values, p) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function summary(values) {
  return {
    n: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length ? Math.max(...values) : null,
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(values) {
  const xs = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!xs.length) return null;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** Waits, polling at most until `timeoutMs`, for `check()` to be true. */
export async function until(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` at once. */
export async function pool(n, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

let seq = 0;
export function makeEvent(type, targetId, extra = {}) {
  return {
    event_type: type,
    event_id: `evt_b_${process.pid}_${Date.now().toString(36)}_${++seq}`,
    actor: { id: "user_ada", email: "ada@example.com" },
    target: { type: "post", id: targetId, title: "Bench post", url: "https://example.com/p" },
    ...extra,
  };
}

/**
 * Which code a run measured, for its file in bench/history/: the commit, and whether the code it runs (the
 * Worker, its configuration, the bench and the receiver) differed from that commit.
 */
export function codeVersion() {
  const git = (...args) => spawnSync("git", args, { cwd: ROOT, encoding: "utf8" }).stdout?.trim() ?? "";
  const changed = git(
    "status",
    "--porcelain",
    "--",
    "src",
    "migrations",
    "scripts",
    "bench/*.mjs",
    "bench/ceiling",
    "wrangler.toml",
    "package.json",
    "package-lock.json",
  );
  return { commit: git("rev-parse", "--short", "HEAD") || null, uncommitted_changes: changed.length > 0 };
}
