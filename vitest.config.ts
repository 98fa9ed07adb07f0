import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Each file gets its own databases and Redis prefix, so files may run side by side.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
