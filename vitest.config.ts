// Vitest configuration for the Node test run (unit, simulation and real-socket integration tests).
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // tests/workers/ runs inside workerd (vitest.workers.config.ts); Deno's tests run under `deno test`.
    exclude: [
      ...configDefaults.exclude,
      "tests/workers/**",
      "tests/conformance/deno.test.ts",
      "tests/deno/**",
    ],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    reporters: ["default", "./tests/support/count-reporter.ts"],
  },
});
