// Unit and integration tests run inside workerd, with the bindings of wrangler.toml and local D1/Queues/DOs.
// Plus a second D1 database, DB_2, holding the sites SITE_DATABASES names (test/integration/sharding.test.ts): the
// options below merge into wrangler.toml's (bindings and databases are added to, a binding given here wins).
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

import { TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY } from "./test/constants.ts";

/** The sites that live in DB_2 in tests: site id → binding. */
const SHARDED_SITES = { site_shard_two: "DB_2", site_shard_three: "DB_2" };

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ADMIN_TOKEN: TEST_ADMIN_TOKEN,
            ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
            DEV_DESTINATION_HOSTS: "127.0.0.1,localhost",
            ALLOW_DEV_DESTINATIONS: "1",
            // `npm run fuzz` runs the API fuzz sweep longer (see test/fuzz/api.fuzz.test.ts).
            FUZZ_RUNS: process.env.FUZZ_RUNS ?? "",
            FUZZ_SEED: process.env.FUZZ_SEED ?? "",
            // Two sites in DB_2; every other site (each test's generated ids) stays in DB.
            SITE_DATABASES: JSON.stringify(SHARDED_SITES),
          },
          // Alongside wrangler.toml's DB; test/setup.ts migrates both.
          d1Databases: { DB_2: "edgehooks-test-db-2" },
          // Lets a test call exports.default.queue() directly and see msg.retry's delaySeconds.
          compatibilityFlags: ["service_binding_extra_handlers"],
        },
      }),
    ],
    test: {
      include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts", "test/fuzz/**/*.test.ts"],
      setupFiles: ["./test/setup.ts"],
      globalSetup: ["./test/http-fixture.ts"],
      // Two shared cores and workerd per file: a test's time says nothing about its correctness, so no test fails
      // for being slow (the default 5 s cap did, under load). A test that hangs still ends, here.
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  };
});
