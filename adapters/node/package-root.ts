// Finds files shipped with Weft (package.json, examples/) from the sources or from the dist/ bundle alike.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The directory holding Weft's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) || !existsSync(join(dir, "proxy"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find Weft's package root");
    dir = parent;
  }
  return root = dir;
}

export function packagePath(relative: string): string {
  return join(packageRoot(), relative);
}
