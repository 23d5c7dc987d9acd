#!/usr/bin/env node
// npm run openapi: writes docs/openapi.json, the API's OpenAPI document exactly as the Worker serves it at
// GET /openapi.json. It starts `wrangler dev` on a free loopback port with throwaway local state, fetches
// the document, formats it with the repo's Prettier settings and stops the runtime.
//
// `npm test` then lints the committed file (scripts/openapi-lint.mjs) and a workerd test
// (test/integration/openapi.test.ts) fails when the served document and the committed one differ.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as prettier from "prettier";
import { LOCAL_ENCRYPTION_KEY, ROOT, startWranglerDev } from "./wrangler-dev.mjs";

const OUT = join(ROOT, "docs", "openapi.json");

const persistTo = mkdtempSync(join(tmpdir(), "edgehooks-openapi-"));
const logFile = join(persistTo, "wrangler.log");
// The document needs no state and no real secrets; these only let the Worker start as it would anywhere.
const vars = { ADMIN_TOKEN: "openapi-generation", ENCRYPTION_KEY: LOCAL_ENCRYPTION_KEY };
let dev;
try {
  dev = await startWranglerDev({ persistTo, vars, logFile, healthPath: "/openapi.json" });
  const res = await fetch(`${dev.baseUrl}/openapi.json`, { signal: AbortSignal.timeout(30_000) });
  if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
  const doc = await res.json();
  const options = (await prettier.resolveConfig(OUT)) ?? {};
  writeFileSync(OUT, await prettier.format(JSON.stringify(doc, null, 2), { ...options, filepath: OUT }));
  console.log(`Wrote docs/openapi.json (${Object.keys(doc.paths ?? {}).length} paths).`);
} finally {
  await dev?.stop();
  rmSync(persistTo, { recursive: true, force: true });
}
