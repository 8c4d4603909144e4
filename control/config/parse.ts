// Multi-document Istio/Kubernetes YAML (or JSON) → ConfigObjects with source lines, plus a field → line locator.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from "yaml";
import type { Document, Node, Pair } from "yaml";
import type { ConfigObject } from "../model/types.ts";
import type { ConfigProblem } from "./problem.ts";
import { parseField } from "./problem.ts";

/** Kinds whose data sits at the top level of the document rather than under `spec` (the object's `spec` is then
 * everything but apiVersion/kind/metadata: EndpointSlice {addressType, endpoints, ports}, Endpoints {subsets},
 * Pod {spec, status}). */
const TOP_LEVEL_BODY = new Set(["EndpointSlice", "Endpoints", "Pod"]);

/** Where a kind's `ConfigObject.spec` lives in the document: "spec", or "" for the top-level kinds. */
export function bodyPath(kind: string): string {
  return TOP_LEVEL_BODY.has(kind) ? "" : "spec";
}

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** One object read from a file, and a way to find where a field path (from the object's root) is written. */
export interface ParsedDocument {
  readonly object: ConfigObject;
  /** The document as written (for checks on what parsing normalized, like label values that were not strings). */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly locate: (fieldPath: string) => Position;
}

export interface ParsedFile {
  readonly documents: readonly ParsedDocument[];
  readonly errors: readonly ConfigProblem[];
}

/** Parses every document of a file; `kind: List` documents are expanded into their items; empty documents skipped. */
export function parseConfigDocuments(text: string, file: string): ParsedFile {
  const lines = new LineCounter();
  const documents: ParsedDocument[] = [];
  const errors: ConfigProblem[] = [];
  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
  });
  for (const doc of docs) {
    const issues = [
      ...doc.errors.map((e) => ({ e, severity: "error" as const })),
      ...doc.warnings.map((e) => ({ e, severity: "warning" as const })),
    ];
    for (const { e, severity } of issues) {
      const { line, col } = lines.linePos(e.pos[0]);
      const what = e.code === "DUPLICATE_KEY" ? "duplicate key" : "invalid YAML";
      errors.push({
        file,
        line,
        column: col,
        field: "",
        message: `${what}: ${firstLine(e.message)}`,
        severity,
      });
    }
    if (doc.errors.length > 0 || doc.contents === null) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      errors.push({
        file,
        line: 0,
        field: "",
        message: `cannot read YAML: ${(err as Error).message}`,
        severity: "error",
      });
      continue;
    }
    if (value === null || value === undefined) continue;
    readDocument(value, doc.contents as Node, doc, lines, file, documents, errors);
  }
  return { documents, errors };
}

/** The objects of a file (see parseConfigDocuments) and its syntax/structure errors. */
export function parseConfigFile(
  text: string,
  file: string,
): { objects: ConfigObject[]; errors: ConfigProblem[] } {
  const { documents, errors } = parseConfigDocuments(text, file);
  return { objects: documents.map((d) => d.object), errors: [...errors] };
}

function readDocument(
  value: unknown,
  node: Node,
  doc: Document,
  lines: LineCounter,
  file: string,
  out: ParsedDocument[],
  errors: ConfigProblem[],
): void {
  const locate = (fieldPath: string): Position => locateIn(doc, node, lines, fieldPath);
  const at = locate("");
  if (!isPlainObject(value)) {
    errors.push({
      file,
      line: at.line,
      column: at.column,
      field: "",
      message: "a document must be a mapping with apiVersion, kind and metadata",
      severity: "error",
    });
    return;
  }
  const problem = (fieldPath: string, message: string): ConfigProblem => {
    const pos = locate(fieldPath);
    return { file, line: pos.line, column: pos.column, field: fieldPath, message, severity: "error" };
  };
  if (typeof value.apiVersion !== "string" || value.apiVersion === "") {
    errors.push(problem("apiVersion", "apiVersion is required"));
    return;
  }
  if (typeof value.kind !== "string" || value.kind === "") {
    errors.push(problem("kind", "kind is required"));
    return;
  }
  if (value.kind === "List" || (value.kind.endsWith("List") && Array.isArray(value.items))) {
    const items = Array.isArray(value.items) ? value.items : [];
    const itemsNode = findChild(doc, node, "items");
    items.forEach((item, i) => {
      const itemNode = isSeq(itemsNode) ? (itemsNode.items[i] as Node | undefined) : undefined;
      if (itemNode === undefined) return;
      readDocument(item, itemNode, doc, lines, file, out, errors);
    });
    return;
  }
  const metadata = isPlainObject(value.metadata) ? value.metadata : {};
  const body = bodyPath(value.kind) === "spec" ? value.spec : topLevelBody(value);
  const object: ConfigObject = {
    apiVersion: value.apiVersion,
    kind: value.kind,
    name: typeof metadata.name === "string" ? metadata.name : "",
    namespace: typeof metadata.namespace === "string" && metadata.namespace !== ""
      ? metadata.namespace
      : "default",
    labels: stringMap(metadata.labels),
    annotations: stringMap(metadata.annotations),
    spec: isPlainObject(body) ? body : {},
    source: { file, line: at.line },
  };
  out.push({ object, raw: value, locate });
}

function topLevelBody(value: Record<string, unknown>): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, metadata: _m, ...rest } = value;
  return rest;
}

/** Labels and annotations as strings (validation reports values that were not strings in the YAML). */
function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isPlainObject(v)) return out;
  for (const [k, val] of Object.entries(v)) {
    if (val !== null && val !== undefined && typeof val !== "object") out[k] = String(val);
  }
  return out;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Walks the path as far as the YAML goes; answers the key of the last map step or the last list item reached. */
function locateIn(doc: Document, root: Node, lines: LineCounter, fieldPath: string): Position {
  let node: unknown = root;
  let mark: Node | undefined = root;
  for (const step of parseField(fieldPath)) {
    const current = resolveAlias(doc, node);
    if (typeof step === "number") {
      const item = isSeq(current) ? (current.items[step] as Node | undefined) : undefined;
      if (item === undefined) break;
      node = item;
      mark = resolveAlias(doc, item) as Node;
    } else {
      const pair = isMap(current) ? findPair(current.items as Pair[], step) : undefined;
      if (pair === undefined) break;
      node = pair.value;
      mark = (pair.key as Node | null) ?? mark;
    }
  }
  const offset = mark?.range?.[0] ?? root.range?.[0] ?? 0;
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

function findChild(doc: Document, node: Node, key: string): unknown {
  const current = resolveAlias(doc, node);
  return isMap(current) ? findPair(current.items as Pair[], key)?.value : undefined;
}

function findPair(items: readonly Pair[], key: string): Pair | undefined {
  return items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
}

function resolveAlias(doc: Document, node: unknown): unknown {
  let current = node;
  for (let i = 0; i < 100 && isAlias(current); i++) current = current.resolve(doc);
  return current;
}

function firstLine(message: string): string {
  return message.split("\n")[0].trim();
}
