// Vitest configuration for tests/workers/: runs inside workerd (the Workers runtime) via vitest-pool-workers.
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      main: "./tests/workers/support/test-worker.ts",
      miniflare: {
        compatibilityDate: "2025-09-01",
        compatibilityFlags: ["nodejs_compat"],
        kvNamespaces: ["WEFT_CONFIG_KV"],
      },
    }),
  ],
  test: {
    include: ["tests/workers/**/*.test.ts"],
    globalSetup: ["./tests/workers/global-setup.ts"],
    setupFiles: ["./tests/workers/support/deferred-rejections.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    reporters: ["default", "./tests/support/count-reporter.ts"],
  },
});
