#!/usr/bin/env node
// The `weft` command: runs the bundle that `npm install` builds (dist/weft.mjs), or the TypeScript sources through
// tsx when there is no complete bundle or one of the files it was built from changed since (a checkout being edited).
import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(root, "dist/weft.mjs");

/** Why the bundle cannot be run, or undefined when it can. */
function staleBundle() {
  let inputs;
  let built;
  try {
    // Written by scripts/build.js after everything else: missing while a build runs or after one failed.
    inputs = JSON.parse(readFileSync(join(root, "dist/weft-inputs.json"), "utf8"));
    built = statSync(bundle).mtimeMs;
  } catch {
    return "dist/weft.mjs is not built";
  }
  if (!Array.isArray(inputs)) return "dist/weft-inputs.json is not a list of files";
  for (const input of inputs) {
    try {
      if (statSync(join(root, input)).mtimeMs > built) {
        return `${input} changed after dist/weft.mjs was built`;
      }
    } catch {
      return `${input}, which dist/weft.mjs was built from, is gone`;
    }
  }
  return undefined;
}

const stale = staleBundle();
if (stale === undefined) {
  await import(bundle); // runs the CLI (adapters/node/main.ts)
} else {
  process.stderr.write(
    `weft: running the TypeScript sources through tsx (${stale}); \`npm run build\` makes the faster bundle\n`,
  );
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import("../adapters/node/cli.ts");
  process.exitCode = await main(process.argv.slice(2));
}
