// The control-plane harness bundled the way `npm run build` bundles `weft control`, so the benchmark measures what runs.
import { build } from "esbuild";
import { join } from "node:path";
import { NODE_BUNDLE_OPTIONS } from "../../scripts/node-bundle.js";

/**
 * Bundles bench/control/control-process.ts (startNodeControlPlane plus the benchmark's events) into
 * dist/bench/ with the CLI bundle's settings, and returns its path. In dist/ so that what stays outside the
 * bundle (undici, loaded through createRequire) resolves from the package's node_modules.
 */
export async function bundleControlHarness(root: string): Promise<string> {
  const outfile = join(root, "dist/bench/control-process.mjs");
  await build({
    ...NODE_BUNDLE_OPTIONS,
    entryPoints: [join(root, "bench/control/control-process.ts")],
    outfile,
  });
  return outfile;
}
