// The runtime boundary: proxy/ and control/ (and mod.ts) never import node:, Deno. or cloudflare:.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const FORBIDDEN = [
  { pattern: /from\s+["']node:|import\(\s*["']node:|require\(\s*["']node:/, what: "a node: import" },
  { pattern: /\bDeno\./, what: "a Deno. global" },
  { pattern: /from\s+["']cloudflare:|import\(\s*["']cloudflare:/, what: "a cloudflare: import" },
  { pattern: /\bprocess\.(env|argv|exit|stdout|stderr)\b/, what: "Node's process global" },
  { pattern: /\bBuffer\.(from|alloc|concat|byteLength)\b/, what: "Node's Buffer global" },
];

function sourceFiles(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(sourceFiles(path));
    else if (/\.(ts|js|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

export function findLeaks(files: readonly string[]): string[] {
  const leaks: string[] = [];
  for (const file of files) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((line, i) => {
      if (/^\s*(\/\/|\/\*|\*)/.test(line)) return;
      for (const { pattern, what } of FORBIDDEN) {
        if (pattern.test(line)) leaks.push(`${relative(root, file)}:${i + 1} [${what}] ${line.trim()}`);
      }
    });
  }
  return leaks;
}

describe("runtime boundary", () => {
  it("proxy/, control/ and mod.ts use only web-standard globals", () => {
    const files = [
      ...sourceFiles(join(root, "proxy")),
      ...sourceFiles(join(root, "control")),
      join(root, "mod.ts"),
    ].filter((f) => {
      try {
        return statSync(f).isFile();
      } catch {
        return false;
      }
    });
    expect(files.length).toBeGreaterThan(10);
    expect(findLeaks(files)).toEqual([]);
  });

  it("the conformance cases run on every runtime: no runtime APIs in cases/, case-api.ts, bootstrap.ts", () => {
    const dir = join(root, "tests/conformance");
    const files = [...sourceFiles(join(dir, "cases")), join(dir, "case-api.ts"), join(dir, "bootstrap.ts")];
    expect(files.length).toBeGreaterThan(4);
    expect(findLeaks(files)).toEqual([]);
  });

  it("adapters/deno uses Deno's own APIs: node:tls only where Deno has no TLS server API, no process or Buffer", () => {
    const files = sourceFiles(join(root, "adapters/deno"));
    expect(files.length).toBeGreaterThan(3);
    // Client certificates and TLS on accepted sockets: Deno.listenTls / Deno.serve cannot do them.
    const nodeTls = ["mtls-listen.ts", "node-tls.ts", "start-tls.ts"].map((f) => `adapters/deno/${f}:`);
    const allowed = (leak: string) =>
      leak.includes("[a Deno. global]") ||
      (leak.includes("[a node: import]") && nodeTls.some((f) => leak.startsWith(f)) &&
        /from "node:(tls|stream)"/.test(leak));
    expect(findLeaks(files).filter((l) => !allowed(l))).toEqual([]);
  });

  it("the guard itself catches each forbidden form", () => {
    const probe = join(root, "tests/architecture/fixtures/leaky.ts.txt");
    const leaks = findLeaks([probe]);
    expect(leaks.map((l) => /\[(.*)\]/.exec(l)?.[1])).toEqual([
      "a node: import",
      "a Deno. global",
      "a cloudflare: import",
      "Node's process global",
      "Node's Buffer global",
    ]);
  });
});
