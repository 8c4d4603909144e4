// The control-plane harness bundled the way `npm run build` bundles `weft control`, so the benchmark measures what runs.
import { build } from "esbuild";
import { join } from "node:path";
import { NODE_BUNDLE_OPTIONS } from "../../scripts/node-bundle.js";

/**
 * Bundles bench/control/control-process.ts and the harness its worker runs (control-harness.ts:
 * startNodeControlPlane plus the benchmark's events) into dist/bench/ with the CLI bundle's settings, and returns
 * the process's path. In dist/ so that what stays outside the bundle (undici, loaded through createRequire)
 * resolves from the package's node_modules.
 */
export async function bundleControlHarness(root: string): Promise<string> {
  await build({
    ...NODE_BUNDLE_OPTIONS,
    entryPoints: [
      join(root, "bench/control/control-process.ts"),
      join(root, "bench/control/control-harness.ts"),
    ],
    outdir: join(root, "dist/bench"),
  });
  return join(root, "dist/bench/control-process.mjs");
}
