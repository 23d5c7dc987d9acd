// For migration tests: this file's database (storage is per test file) as an older version left it.
import { applyD1Migrations, env } from "cloudflare:test";
import { expect } from "vitest";

/** Wipes the database and applies the migrations before the first one whose SQL contains `marker`. */
export async function databaseBefore(marker: string) {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
  ).all<{ name: string }>();
  for (const { name } of results) await env.DB.prepare(`DROP TABLE "${name}"`).run();
  const at = env.TEST_MIGRATIONS.findIndex((m) => m.queries.some((q) => q.includes(marker)));
  expect(at).toBeGreaterThan(0);
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS.slice(0, at));
}

/** Applies the rest of the migrations, as a deploy does. */
export const applyTheRest = () => applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
