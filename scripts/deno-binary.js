// Locates the Deno binary shipped by the npm `deno` package (its install script is not run: npm allowScripts).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export function denoBinary() {
  const copied = join(root, "node_modules/deno/deno");
  if (existsSync(copied)) return copied;
  // The package's own resolver finds the platform package (@deno/linux-x64-glibc, …) that holds the binary.
  const require = createRequire(join(root, "node_modules/deno/package.json"));
  return require("./install_api.cjs").runInstall();
}
