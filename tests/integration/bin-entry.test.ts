// bin/weft.js runs the bundle when it is at least as new as every source file, else the sources through tsx.
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

/** A package laid out like Weft's, whose bundle and sources each say which one ran (and with what). */
function fakePackage(): string {
  const dir = mkdtempSync(join(tmpdir(), "weft-bin-"));
  mkdirSync(join(dir, "bin"));
  copyFileSync(join(ROOT, "bin/weft.js"), join(dir, "bin/weft.js"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  mkdirSync(join(dir, "dist"));
  writeFileSync(join(dir, "dist/weft.mjs"), `console.log("bundle", process.argv.slice(2).join(" "));\n`);
  mkdirSync(join(dir, "adapters/node"), { recursive: true });
  writeFileSync(
    join(dir, "adapters/node/cli.ts"),
    `export async function main(args: string[]): Promise<number> {\n` +
      `  console.log("sources", args.join(" "));\n  return 3;\n}\n`,
  );
  for (const sub of ["proxy/http", "control", "gen"]) {
    mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, sub, "x.ts"), "export {};\n");
  }
  return dir;
}

function setTime(path: string, seconds: number) {
  utimesSync(path, seconds, seconds);
}

function run(dir: string) {
  const r = spawnSync(process.execPath, [join(dir, "bin/weft.js"), "proxy", "-c", "x.yaml"], {
    encoding: "utf8",
  });
  return { out: r.stdout.trim(), status: r.status, stderr: r.stderr };
}

describe("bin/weft.js", () => {
  let dir: string;
  const T = 1_700_000_000;
  beforeAll(() => {
    dir = fakePackage();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs the bundle when no source is newer than it", () => {
    for (const f of ["adapters/node/cli.ts", "proxy/http/x.ts", "control/x.ts", "gen/x.ts"]) {
      setTime(join(dir, f), T);
    }
    setTime(join(dir, "dist/weft.mjs"), T + 10);
    expect(run(dir)).toMatchObject({ out: "bundle proxy -c x.yaml", status: 0 });
  });

  it("runs the sources through tsx when one of them changed after the build (in a subdirectory too)", () => {
    setTime(join(dir, "proxy/http/x.ts"), T + 20);
    expect(run(dir)).toMatchObject({ out: "sources proxy -c x.yaml", status: 3 });
    setTime(join(dir, "dist/weft.mjs"), T + 30); // rebuilt
    expect(run(dir).out).toBe("bundle proxy -c x.yaml");
  });

  it("runs the sources when there is no bundle", () => {
    rmSync(join(dir, "dist/weft.mjs"));
    expect(run(dir)).toMatchObject({ out: "sources proxy -c x.yaml", status: 3 });
  });
});
