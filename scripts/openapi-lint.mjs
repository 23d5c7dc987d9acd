#!/usr/bin/env node
// npm run openapi:lint: lints docs/openapi.json with Redocly's `recommended` rules (redocly.yaml) and fails
// on any problem, warning or error. Offline: the document has no external $refs.
import { formatProblems, getTotals, lint, loadConfig } from "@redocly/openapi-core";
import { join } from "node:path";
import { ROOT } from "./wrangler-dev.mjs";

const ref = join(ROOT, "docs", "openapi.json");
const config = await loadConfig({ configPath: join(ROOT, "redocly.yaml") });
// Findings accepted on purpose are listed, with their reasons, in .redocly.lint-ignore.yaml.
const all = (await lint({ ref, config })).map((p) => config.addProblemToIgnore(p));
const problems = all.filter((p) => !p.ignored);
const ignored = all.length - problems.length;
if (problems.length) {
  formatProblems(problems, {
    format: process.argv[2] ?? "stylish",
    totals: getTotals(problems),
    cwd: ROOT,
    maxProblems: 1000,
  });
  console.error(`docs/openapi.json: ${problems.length} problem(s); every warning counts.`);
  process.exit(1);
}
console.log(
  `docs/openapi.json: no problems (Redocly recommended)${ignored ? `; ${ignored} accepted in .redocly.lint-ignore.yaml` : ""}.`,
);
