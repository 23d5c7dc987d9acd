import { applyD1Migrations, env } from "cloudflare:test";

// Storage is isolated per test file; every file starts from the migrated schema, in DB and in DB_2 (the second
// database SITE_DATABASES sends some sites to: vitest.config.ts).
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
await applyD1Migrations(env.DB_2, env.TEST_MIGRATIONS);
