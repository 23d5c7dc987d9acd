import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** The second D1 database of the tests (vitest.config.ts), for the sites SITE_DATABASES sends there. */
      DB_2: D1Database;
      FUZZ_RUNS: string;
      FUZZ_SEED: string;
    }
  }
}
