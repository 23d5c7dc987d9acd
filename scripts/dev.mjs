#!/usr/bin/env node
// npm run dev: the whole service locally. Creates .dev.vars on first run (random ADMIN_TOKEN and
// ENCRYPTION_KEY, DEV_DESTINATION_HOSTS=127.0.0.1,localhost with ALLOW_DEV_DESTINATIONS=1), applies the D1 migrations, starts
// `wrangler dev` on 127.0.0.1:8787 (PORT overrides) and, since cron triggers do not fire under
// wrangler dev, drives the scheduled handler (sweeper, retention, exports) every SWEEP_EVERY_SECONDS.
// Pass --persist-to DIR to keep local state elsewhere than .wrangler/state.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT, applyMigrations, startWranglerDev } from "./wrangler-dev.mjs";

const { values } = parseArgs({ options: { "persist-to": { type: "string" } } });
const persistTo = values["persist-to"];
const varsFile = join(ROOT, ".dev.vars");

if (!existsSync(varsFile)) {
  writeFileSync(
    varsFile,
    [
      `ADMIN_TOKEN=eh_root_${randomBytes(24).toString("hex")}`,
      `ENCRYPTION_KEY=${randomBytes(32).toString("base64")}`,
      "DEV_DESTINATION_HOSTS=127.0.0.1,localhost",
      "ALLOW_DEV_DESTINATIONS=1",
      "",
    ].join("\n"),
  );
  console.log("Created .dev.vars with a fresh ADMIN_TOKEN and ENCRYPTION_KEY.");
}
// A .dev.vars from before ALLOW_DEV_DESTINATIONS existed: without it, the dev hosts would be ignored.
if (!/^ALLOW_DEV_DESTINATIONS=/m.test(readFileSync(varsFile, "utf8"))) {
  writeFileSync(varsFile, readFileSync(varsFile, "utf8").replace(/\n?$/, "\nALLOW_DEV_DESTINATIONS=1\n"));
}
const vars = Object.fromEntries(
  readFileSync(varsFile, "utf8")
    .split("\n")
    .filter((l) => l.includes("=") && !l.trim().startsWith("#"))
    .map((l) => [l.slice(0, l.indexOf("=")).trim(), l.slice(l.indexOf("=") + 1).trim()]),
);

console.log("Applying D1 migrations (local)…");
applyMigrations({ persistTo });

const port = Number(process.env.PORT ?? 8787);
console.log(`Starting wrangler dev on 127.0.0.1:${port}…`);
// wrangler reads .dev.vars itself; nothing secret goes on its command line here.
const dev = await startWranglerDev({ port, persistTo, timeoutMs: 120_000 });
const base = dev.baseUrl;

console.log(`
Edgehooks is running.

  Console        ${base}/console   (sign in with the admin token below, or a site key)
  API            ${base}/v1
  API reference  ${base}/docs
  OpenAPI        ${base}/openapi.json
  Health         ${base}/health
  Admin token    ${vars.ADMIN_TOKEN}

  export EH=${base} ADMIN=${vars.ADMIN_TOKEN}
  Start a receiver in another terminal:  npm run receiver -- --secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
  Then follow the README's walkthrough.  Ctrl-C stops everything.
`);

const every = Number(process.env.SWEEP_EVERY_SECONDS ?? 30) * 1000;
const sweeper = setInterval(() => {
  fetch(`${base}/__scheduled?cron=*+*+*+*+*`, { signal: AbortSignal.timeout(60_000) }).catch(() => {});
}, every);

let stopping = false;
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(sweeper);
    await dev.stop();
    process.exit(0);
  });
}
dev.child.on("exit", (code) => {
  if (stopping) return;
  clearInterval(sweeper);
  console.error(`wrangler dev exited (${code})`);
  process.exit(code ?? 1);
});
