// bin/weft.js runs the bundle when every file it was built from is older than it, else the sources through tsx.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
/** What the fake bundle says it was built from (scripts/build.js writes the real list). */
const INPUTS = ["adapters/node/cli.ts", "proxy/http/x.ts", "control/x.ts", "examples/app.ts"];
const T = 1_700_000_000;

/** A package laid out like Weft's, whose bundle and sources each say which one ran (and with what). */
function fakePackage(): string {
  const dir = mkdtempSync(join(tmpdir(), "weft-bin-"));
  mkdirSync(join(dir, "bin"));
  copyFileSync(join(ROOT, "bin/weft.js"), join(dir, "bin/weft.js"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  for (const file of [...INPUTS, "adapters/deno/y.ts"]) {
    mkdirSync(join(dir, file, ".."), { recursive: true });
    writeFileSync(join(dir, file), "export {};\n");
  }
  writeFileSync(
    join(dir, "adapters/node/cli.ts"),
    `export async function main(args: string[]): Promise<number> {\n` +
      `  console.log("sources", args.join(" "));\n  return 3;\n}\n`,
  );
  mkdirSync(join(dir, "dist"));
  writeFileSync(join(dir, "dist/weft.mjs"), `console.log("bundle", process.argv.slice(2).join(" "));\n`);
  writeFileSync(join(dir, "dist/weft-inputs.json"), JSON.stringify(INPUTS));
  for (const file of [...INPUTS, "adapters/deno/y.ts"]) utimesSync(join(dir, file), T, T);
  utimesSync(join(dir, "dist/weft.mjs"), T + 10, T + 10);
  return dir;
}

function run(dir: string) {
  const r = spawnSync(process.execPath, [join(dir, "bin/weft.js"), "proxy", "-c", "x.yaml"], {
    encoding: "utf8",
  });
  return { out: r.stdout.trim(), status: r.status, stderr: r.stderr.trim() };
}

describe("bin/weft.js", () => {
  let dir: string;
  beforeAll(() => {
    dir = fakePackage();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs the bundle when no file it was built from is newer; other files do not count", () => {
    utimesSync(join(dir, "adapters/deno/y.ts"), T + 20, T + 20); // not in the bundle
    expect(run(dir)).toEqual({ out: "bundle proxy -c x.yaml", status: 0, stderr: "" });
  });

  it("runs the sources through tsx, and says why, when one of them changed after the build", () => {
    utimesSync(join(dir, "examples/app.ts"), T + 20, T + 20);
    expect(run(dir)).toEqual({
      out: "sources proxy -c x.yaml",
      status: 3,
      stderr:
        "weft: running the TypeScript sources through tsx (examples/app.ts changed after dist/weft.mjs " +
        "was built); `npm run build` makes the faster bundle",
    });
    utimesSync(join(dir, "dist/weft.mjs"), T + 30, T + 30); // rebuilt
    expect(run(dir).out).toBe("bundle proxy -c x.yaml");
  });

  it("runs the sources when a file the bundle was built from is gone", () => {
    rmSync(join(dir, "control/x.ts"));
    const r = run(dir);
    expect(r).toMatchObject({ out: "sources proxy -c x.yaml", status: 3 });
    expect(r.stderr).toContain("control/x.ts, which dist/weft.mjs was built from, is gone");
    writeFileSync(join(dir, "control/x.ts"), "export {};\n");
    utimesSync(join(dir, "control/x.ts"), T, T);
  });

  it("runs the sources when the build did not finish (no list of inputs)", () => {
    expect(run(dir).out).toBe("bundle proxy -c x.yaml");
    rmSync(join(dir, "dist/weft-inputs.json"));
    const r = run(dir);
    expect(r).toMatchObject({ out: "sources proxy -c x.yaml", status: 3 });
    expect(r.stderr).toContain("dist/weft.mjs is not built");
  });
});
