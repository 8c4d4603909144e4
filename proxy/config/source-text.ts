// Config text (YAML or JSON) to a JSON value, plus a map from field paths back to line and column.
import type { JsonValue } from "@bufbuild/protobuf";
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Node, Pair, YAMLError } from "yaml";
import type { ConfigIssue } from "./config-error.ts";
import { configErrorOf } from "./config-error.ts";
import type { Locate, PathSegment } from "./field-path.ts";

export type SourceFormat = "yaml" | "json";

export interface SourceText {
  readonly format: SourceFormat;
  readonly json: JsonValue;
  readonly locate: Locate;
}

/** .yaml/.yml → YAML, .json → JSON; otherwise JSON when the text starts with "{", else YAML. */
export function sourceFormatOf(text: string, fileName: string): SourceFormat {
  const lower = fileName.toLowerCase();
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return "yaml";
  if (lower.endsWith(".json")) return "json";
  return text.trimStart().startsWith("{") ? "json" : "yaml";
}

/** Parses the text; throws a ConfigError (with line and column) for syntax errors and duplicate keys. */
export function parseSourceText(text: string, fileName: string): SourceText {
  const format = sourceFormatOf(text, fileName);
  let json: JsonValue | undefined;
  if (format === "json") {
    try {
      json = JSON.parse(text) as JsonValue;
    } catch (err) {
      throw configErrorOf([jsonSyntaxIssue(text, fileName, err as Error)]);
    }
  }
  // YAML is a superset of JSON: the same parser gives positions and duplicate-key checks for both formats.
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true });
  const problems = format === "json"
    ? doc.errors.filter((e) => e.code === "DUPLICATE_KEY")
    : [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    throw configErrorOf(problems.map((e) => yamlIssue(e, fileName, lines, format)));
  }
  if (json === undefined) {
    try {
      json = doc.toJS() as JsonValue;
    } catch (err) {
      throw configErrorOf([{
        file: fileName,
        path: "",
        reason: `cannot read YAML: ${(err as Error).message}`,
      }]);
    }
  }
  const usable = format === "yaml" || doc.errors.length === 0;
  return {
    format,
    json: json ?? null,
    locate: (segments, at) => usable ? locateIn(doc, lines, segments, at) : undefined,
  };
}

function yamlIssue(e: YAMLError, file: string, lines: LineCounter, format: SourceFormat): ConfigIssue {
  const { line, col } = lines.linePos(e.pos[0]);
  const what = e.code === "DUPLICATE_KEY"
    ? "duplicate key"
    : format === "json"
    ? "invalid JSON"
    : "invalid YAML";
  return { file, line, column: col, path: "", reason: `${what}: ${e.message}` };
}

function jsonSyntaxIssue(text: string, file: string, err: Error): ConfigIssue {
  const reason = `invalid JSON: ${err.message.replace(/\s*\(line \d+ column \d+\)$/, "")}`;
  const lineCol = /line (\d+) column (\d+)/.exec(err.message);
  if (lineCol) return { file, line: Number(lineCol[1]), column: Number(lineCol[2]), path: "", reason };
  const offset = /position (\d+)/.exec(err.message);
  if (!offset) return { file, path: "", reason };
  const before = text.slice(0, Number(offset[1]));
  const line = before.split("\n").length;
  return { file, line, column: before.length - before.lastIndexOf("\n"), path: "", reason };
}

/** Follows the path through maps (snake_case or camelCase keys, merge keys) and sequences, as deep as it goes. */
function locateIn(doc: Document, lines: LineCounter, segments: readonly PathSegment[], at: "key" | "value") {
  let node: unknown = doc.contents;
  let key: Node | undefined;
  let complete = true;
  for (const seg of segments) {
    const current = resolve(doc, node);
    let next: { key?: Node; value: unknown } | undefined;
    if (typeof seg === "number") {
      const item = isSeq(current) ? current.items[seg] : undefined;
      next = item === undefined ? undefined : { value: item };
    } else if (isMap(current)) {
      const pair = findPair(doc, current.items, seg, new Set());
      next = pair === undefined ? undefined : { key: pair.key as Node, value: pair.value };
    }
    if (next === undefined) {
      complete = false;
      break;
    }
    node = next.value;
    key = next.key;
  }
  const value = resolve(doc, node) as Node | null | undefined;
  const target = (complete && at === "key") || value?.range == null ? key ?? value : value;
  const offset = target?.range?.[0];
  if (offset === undefined) return undefined;
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

function findPair(
  doc: Document,
  items: readonly unknown[],
  seg: string | { key: string },
  seen: Set<unknown>,
): Pair | undefined {
  const pairs = items.filter(isPair) as Pair[];
  const keyOf = (
    p: Pair,
  ) => (isScalar(p.key) && typeof p.key.value !== "symbol" ? String(p.key.value) : undefined);
  // with `merge: true` the yaml package gives a merge key (`<<`) a symbol value
  const isMerge = (p: Pair) => isScalar(p.key) && (typeof p.key.value === "symbol" || p.key.value === "<<");
  const found = typeof seg === "string"
    ? pairs.find((p) => keyOf(p) === seg) ?? pairs.find((p) => sameField(keyOf(p), seg))
    : pairs.find((p) => keyOf(p) === seg.key);
  if (found !== undefined) return found;
  for (const merge of pairs.filter(isMerge)) {
    const sources = isSeq(merge.value) ? merge.value.items : [merge.value];
    for (const source of sources) {
      const map = resolve(doc, source);
      if (!isMap(map) || seen.has(map)) continue;
      seen.add(map);
      const inner: Pair | undefined = findPair(doc, map.items, seg, seen);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

/** `static_resources` matches `staticResources` (protobuf JSON accepts both). */
function sameField(key: string | undefined, field: string): boolean {
  return key !== undefined && key.replace(/_/g, "").toLowerCase() === field.replace(/_/g, "").toLowerCase();
}

function resolve(doc: Document, node: unknown): unknown {
  let current = node;
  for (let i = 0; i < 100 && isAlias(current); i++) current = current.resolve(doc);
  return current;
}
