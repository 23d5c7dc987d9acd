#!/usr/bin/env node
// npm run cf-typegen: writes worker-configuration.d.ts (the Worker's `Env`) from wrangler.toml with
// `wrangler types`. `--check` regenerates into a scratch file beside it and fails when the committed file
// differs, so `npm test` catches a binding added to wrangler.toml without regenerating.
//
// Deterministic on any machine: the secrets' names come from .dev.vars.example (committed, values empty),
// never from a local .dev.vars or the process environment. Only the bindings are generated
// (--include-runtime=false): the runtime's own types come from @cloudflare/workers-types. Vars are typed
// `string` (--strict-vars=false) because .dev.vars, --var and other environments override them.
//
// Not `wrangler types --check`: in wrangler 4.86 it ignores --env-file (it reads .dev.vars instead, so the
// answer depends on the machine) and compares only a hash in the header, not the file itself.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./wrangler-dev.mjs";

const OUT = "worker-configuration.d.ts";
// Same folder as OUT, so the generated import paths ("./src/index") are the same.
const SCRATCH = ".worker-configuration.check.d.ts";
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const check = process.argv.includes("--check");

function generate(file) {
  const args = ["types", file, "--include-runtime=false", "--strict-vars=false", "--env-file", ".dev.vars.example"];
  const env = {
    ...process.env,
    CI: "true",
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "true",
  };
  delete env.CLOUDFLARE_INCLUDE_PROCESS_ENV;
  const out = spawnSync(WRANGLER, args, { cwd: ROOT, env, encoding: "utf8" });
  if (out.status !== 0) {
    console.error(out.stdout, out.stderr);
    throw new Error(`wrangler types failed (${out.status})`);
  }
  return readFileSync(join(ROOT, file), "utf8");
}

if (!check) {
  generate(OUT);
  console.log(`Wrote ${OUT}.`);
} else {
  let fresh;
  try {
    // The header names the output file; name the committed one so the two compare byte for byte.
    fresh = generate(SCRATCH).replaceAll(SCRATCH, OUT);
  } finally {
    rmSync(join(ROOT, SCRATCH), { force: true });
  }
  let committed = "";
  try {
    committed = readFileSync(join(ROOT, OUT), "utf8");
  } catch {}
  if (committed !== fresh) {
    console.error(
      `${OUT} is out of date with wrangler.toml or .dev.vars.example: run \`npm run cf-typegen\` and commit it.`,
    );
    process.exit(1);
  }
  console.log(`${OUT} is up to date.`);
}
