// Regenerates gen/ (protobuf-es TypeScript for Envoy's xDS v3 protos) offline with buf.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const deps = join(root, "node_modules/@grpc/grpc-js-xds/deps");
const work = join(root, ".proto-deps");
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
// buf refuses module paths outside its directory, so link the bundled trees in.
for (const name of ["envoy-api", "xds", "googleapis"]) {
  if (!existsSync(join(deps, name))) {
    throw new Error(`missing ${name} in @grpc/grpc-js-xds/deps: run npm install`);
  }
  symlinkSync(join(deps, name), join(work, name));
}
rmSync(join(root, "gen"), { recursive: true, force: true });
execFileSync(join(root, "node_modules/.bin/buf"), ["generate"], { cwd: root, stdio: "inherit" });
console.log("gen/ regenerated");
