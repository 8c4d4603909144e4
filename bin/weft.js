#!/usr/bin/env node
// The `weft` command: runs the bundle that `npm install` builds (dist/weft.mjs), or the TypeScript sources through
// tsx when there is no bundle or a source file is newer than it (a checkout being edited).
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(root, "dist/weft.mjs");
/** What the bundle is built from (scripts/build.js bundles adapters/node/main.ts and everything it imports). */
const SOURCES = ["adapters", "proxy", "control", "gen"];

/** Whether any .ts file under `dir` was modified after `time` (milliseconds). */
function changedSince(dir, time) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (
      entry.isDirectory()
        ? changedSince(path, time)
        : entry.name.endsWith(".ts") && statSync(path).mtimeMs > time
    ) {
      return true;
    }
  }
  return false;
}

function bundleIsCurrent() {
  if (!existsSync(bundle)) return false;
  const built = statSync(bundle).mtimeMs;
  return !SOURCES.some((dir) => existsSync(join(root, dir)) && changedSince(join(root, dir), built));
}

if (bundleIsCurrent()) {
  await import(bundle); // runs the CLI (adapters/node/main.ts)
} else {
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import("../adapters/node/cli.ts");
  process.exitCode = await main(process.argv.slice(2));
}
