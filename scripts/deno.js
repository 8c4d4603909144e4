// Runs the Deno binary shipped in the npm `deno` package, with caches kept inside the repo.
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { denoBinary } from "./deno-binary.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = denoBinary();
const env = { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(root, ".deno"), NO_COLOR: "1" };
const result = spawnSync(bin, process.argv.slice(2), { cwd: root, env, stdio: "inherit" });
if (result.error) {
  console.error(`cannot run ${bin}: ${result.error.message} (run npm install)`);
  process.exit(1);
}
process.exit(result.status ?? 1);
