// Starts and stops `wrangler dev` (workerd with local D1, Queues, R2 and Durable Objects) for `npm run dev`,
// the end-to-end tests, the benchmark and the chaos run. Each gets its own process group, so a stop takes
// the whole runtime down, exactly like a crash would.
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");

export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

/** A fixed key for throwaway local state only (never a deployment's): base64 of the bytes 0…31. */
export const LOCAL_ENCRYPTION_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/**
 * The variables of a throwaway run on fresh local state that delivers to receivers on this machine (the e2e and
 * browser tests, the bench, chaos): a fixed key, and loopback destinations allowed, as `npm run dev` allows them.
 */
export function localRunVars(adminToken, vars = {}) {
  return {
    ADMIN_TOKEN: adminToken,
    ENCRYPTION_KEY: LOCAL_ENCRYPTION_KEY,
    DEV_DESTINATION_HOSTS: "127.0.0.1,localhost",
    ALLOW_DEV_DESTINATIONS: "1",
    ...vars,
  };
}

/** Applies the D1 migrations to the local database under `persistTo` (no prompt). */
export function applyMigrations({ persistTo, config } = {}) {
  const args = ["d1", "migrations", "apply", "DB", "--local"];
  if (persistTo) args.push("--persist-to", persistTo);
  if (config) args.push("--config", config);
  const out = spawnSync(WRANGLER, args, { cwd: ROOT, env: { ...process.env, CI: "true" }, encoding: "utf8" });
  if (out.status !== 0) throw new Error(`migrations failed:\n${out.stdout}\n${out.stderr}`);
  return out.stdout;
}

/**
 * Spawns `wrangler dev`. `vars` become --var KEY:VALUE (secrets included, so the repo's .dev.vars is
 * neither needed nor touched). Resolves once GET /health answers.
 */
export async function startWranglerDev({
  port,
  persistTo,
  vars = {},
  logFile,
  config,
  healthPath = "/health",
  timeoutMs = 90_000,
  extraArgs = [],
} = {}) {
  port ??= await freePort();
  const inspector = await freePort();
  const args = [
    "dev",
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--inspector-port",
    String(inspector),
    "--test-scheduled",
    "--show-interactive-dev-session=false",
    ...extraArgs,
  ];
  if (persistTo) args.push("--persist-to", persistTo);
  if (config) args.push("--config", config);
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  let log = null;
  if (logFile) {
    mkdirSync(dirname(logFile), { recursive: true });
    log = createWriteStream(logFile, { flags: "a" });
  }
  const child = spawn(WRANGLER, args, {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d) => (log ? log.write(d) : process.stdout.write(d)));
  child.stderr.on("data", (d) => (log ? log.write(d) : process.stderr.write(d)));
  let exited = false;
  child.on("exit", () => (exited = true));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`wrangler dev exited before it was ready${logFile ? ` (see ${logFile})` : ""}`);
    try {
      const res = await fetch(baseUrl + healthPath, { signal: AbortSignal.timeout(2000) });
      if (res.status < 500 || healthPath !== "/health") break;
    } catch {}
    if (Date.now() > deadline) {
      killGroup(child);
      throw new Error(`wrangler dev not ready within ${timeoutMs} ms${logFile ? ` (see ${logFile})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    port,
    baseUrl,
    child,
    /** The DevTools inspector of the Worker (bench/profile.mjs takes CPU profiles through it). */
    inspectorPort: inspector,
    /** Stops the whole process group: SIGTERM, then SIGKILL if it lingers. */
    async stop() {
      if (exited) return;
      const done = new Promise((r) => child.once("exit", r));
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), 5000);
      await done;
      clearTimeout(timer);
      log?.end();
    },
    /** A hard stop, as a crash would be: SIGKILL to the group at once. */
    async kill() {
      if (exited) return;
      const done = new Promise((r) => child.once("exit", r));
      killGroup(child, "SIGKILL");
      await done;
    },
  };
}

function killGroup(child, signal = "SIGTERM") {
  try {
    process.kill(-child.pid, signal);
  } catch {}
}
