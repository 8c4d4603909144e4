// Vitest configuration for the Node test run (unit, simulation and real-socket integration tests).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    reporters: ["default", "./tests/support/count-reporter.ts"],
  },
});
