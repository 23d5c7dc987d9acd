// Browser tests of the console: Node drives Debian's Chromium (playwright-core) against a real `wrangler dev`
// and the e2e receiver. One runtime per file, files one after another.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/browser/**/*.browser.test.ts"],
    environment: "node",
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
