// End-to-end tests: Node drives a real `wrangler dev` (workerd with local D1, Queues, DOs, R2) and a real
// HTTP receiver on 127.0.0.1. One runtime per test file, files one after another.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
