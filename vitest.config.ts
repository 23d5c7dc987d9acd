// Unit and integration tests run inside workerd, with the bindings of wrangler.toml and local D1/Queues/DOs.
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

import { TEST_ADMIN_TOKEN, TEST_ENCRYPTION_KEY } from "./test/constants.ts";

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
          },
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
