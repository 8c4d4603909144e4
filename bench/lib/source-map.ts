// Maps positions in tsx-transformed code (what a .cpuprofile reports for .ts files) back to the TypeScript source line.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** (file path, 0-based generated line, 0-based column, function name) → 1-based source line, or undefined. */
export type LocationMapper = (
  file: string,
  line: number,
  column: number,
  functionName: string,
) => number | undefined;

interface Transformed {
  readonly lines: readonly string[];
  /** Per generated line: [generatedColumn, sourceLine] pairs in column order. */
  readonly mappings: readonly (readonly [number, number][])[];
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Decodes a source map `mappings` string (base64 VLQ) into [generatedColumn, sourceLine] per generated line. */
export function decodeMappings(mappings: string): [number, number][][] {
  const out: [number, number][][] = [];
  let sourceLine = 0;
  for (const line of mappings.split(";")) {
    const segments: [number, number][] = [];
    let column = 0;
    for (const segment of line.split(",")) {
      if (!segment) continue;
      const fields: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segment) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          fields.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      column += fields[0];
      if (fields.length >= 4) {
        sourceLine += fields[2];
        segments.push([column, sourceLine]);
      }
    }
    out.push(segments);
  }
  return out;
}

/**
 * Re-runs the transform tsx applies to .ts files (esbuild: minifyWhitespace + keepNames + source map), so
 * profile positions can be mapped. Each mapping is checked: the function's name must appear in the
 * generated code just before the reported column, otherwise the location is left unmapped.
 */
export function createTsxMapper(): LocationMapper | undefined {
  let esbuild: {
    transformSync(code: string, options: Record<string, unknown>): { code: string; map: string };
  };
  try {
    // esbuild comes with tsx; resolve it from tsx's own location.
    const req = createRequire(createRequire(import.meta.url).resolve("tsx/package.json"));
    esbuild = req("esbuild");
  } catch {
    return undefined;
  }
  const cache = new Map<string, Transformed | undefined>();
  const transformed = (file: string): Transformed | undefined => {
    if (cache.has(file)) return cache.get(file);
    let result: Transformed | undefined;
    try {
      const out = esbuild.transformSync(readFileSync(file, "utf8"), {
        target: `node${process.versions.node}`,
        loader: file.endsWith(".tsx") ? "tsx" : "ts",
        format: "esm",
        sourcemap: true,
        minifyWhitespace: true,
        keepNames: true,
        sourcefile: file,
      });
      result = { lines: out.code.split("\n"), mappings: decodeMappings(JSON.parse(out.map).mappings) };
    } catch {
      result = undefined;
    }
    cache.set(file, result);
    return result;
  };
  return (file, line, column, functionName) => {
    const t = transformed(file);
    const code = t?.lines[line];
    if (!t || code === undefined) return undefined;
    if (
      functionName &&
      !code.slice(Math.max(0, column - functionName.length - 40), column + 1).includes(functionName)
    ) {
      return undefined;
    }
    let best: number | undefined;
    for (const [col, src] of t.mappings[line] ?? []) {
      if (col > column) break;
      best = src;
    }
    return best === undefined ? undefined : best + 1;
  };
}
