// Validation entry points: one object, or a whole file (parse + classify + validate, problems on their lines).
import type { ConfigObject } from "../model/types.ts";
import { classifyKind } from "./kinds.ts";
import type { KindInfo } from "./kinds.ts";
import { didYouMean } from "../../proxy/config/suggest.ts";
import { bodyPath, isPlainObject, parseConfigDocuments } from "./parse.ts";
import type { ParsedDocument, Position } from "./parse.ts";
import type { ConfigProblem } from "./problem.ts";
import { field } from "./problem.ts";
import type { Reporter } from "./schema.ts";
import { checkLabels, isDNS1123Label, isDNS1123Subdomain } from "./validate-common.ts";

/** A problem found in an object before it is placed on a line. */
export interface Finding {
  readonly field: string;
  readonly message: string;
  readonly severity: "error" | "warning";
  readonly code?: string;
}

export interface CheckedFile {
  /** Objects of kinds Weft reads (validated or stored), whether or not they have problems. */
  readonly objects: readonly ConfigObject[];
  readonly problems: readonly ConfigProblem[];
  /** Where a field of one of `objects` is written (for problems found later, e.g. by analyze). */
  readonly locate: (o: ConfigObject, fieldPath: string) => Position | undefined;
}

/** Parses, classifies and validates every document of a file. */
export function checkConfigFile(text: string, file: string): CheckedFile {
  const parsed = parseConfigDocuments(text, file);
  const objects: ConfigObject[] = [];
  const problems: ConfigProblem[] = [...parsed.errors];
  /** Which parsed document each kept object came from. */
  const from: number[] = [];
  parsed.documents.forEach((doc, i) => {
    const { findings, keep } = checkDocument(doc.object, doc.raw);
    if (keep) {
      objects.push(doc.object);
      from.push(i);
    }
    const placed = findings.map((f) => place(f, doc, file));
    problems.push(...placed.sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0)));
  });
  // Locating a field needs the YAML node tree; keeping it for every file cost more memory than the objects
  // themselves (a control plane holds a thousand files), so it is parsed again the first time it is asked for.
  let locators: Map<ConfigObject, ParsedDocument["locate"]> | undefined;
  const locate = (o: ConfigObject, fieldPath: string) => {
    if (locators === undefined) {
      const again = parseConfigDocuments(text, file).documents;
      locators = new Map(objects.map((object, k) => [object, again[from[k]].locate]));
    }
    return locators.get(o)?.(fieldPath);
  };
  return { objects, problems, locate };
}

/** Validates one object (e.g. built in code); problems carry the object's source line, when it has one. */
export function validateConfigObject(o: ConfigObject): ConfigProblem[] {
  const { findings } = checkDocument(o, undefined);
  return findings.map((f) => ({
    ...objectFields(o),
    file: o.source?.file ?? "",
    line: o.source?.line ?? 0,
    ...f,
  }));
}

function checkDocument(
  o: ConfigObject,
  raw: Record<string, unknown> | undefined,
): { findings: Finding[]; keep: boolean } {
  const findings: Finding[] = [];
  const report: Reporter = {
    error: (fieldPath, message, code) =>
      findings.push({ field: fieldPath, message, severity: "error", code }),
    warn: (fieldPath, message, code) =>
      findings.push({ field: fieldPath, message, severity: "warning", code }),
  };
  const kind = classifyKind(o.apiVersion, o.kind);
  if (kind.status === "ignored") return { findings, keep: false };
  if (kind.status === "rejected") {
    report[kind.severity === "error" ? "error" : "warn"](kind.field, kind.message);
    return { findings, keep: false };
  }
  checkMetadata(o, raw, kind.info, report);
  kind.info.validate?.(o, report);
  return { findings, keep: true };
}

const TOP_LEVEL = ["apiVersion", "kind", "metadata", "spec", "status"];

function checkMetadata(
  o: ConfigObject,
  raw: Record<string, unknown> | undefined,
  info: KindInfo,
  report: Reporter,
): void {
  const meta = raw === undefined ? undefined : raw.metadata;
  if (raw !== undefined && !isPlainObject(meta)) {
    return report.error("metadata", "metadata with a name is required");
  }
  if (o.name === "") report.error("metadata.name", "metadata.name is required");
  else if (!isDNS1123Subdomain(o.name)) {
    report.error(
      "metadata.name",
      `invalid name ${JSON.stringify(o.name)}: use lower-case letters, digits, '-' and '.'`,
    );
  }
  if (
    o.namespace !== "default" && (!isDNS1123Label(o.namespace) || o.namespace !== o.namespace.toLowerCase())
  ) {
    report.error("metadata.namespace", `invalid namespace ${JSON.stringify(o.namespace)}`);
  }
  if (isPlainObject(meta)) {
    checkLabels(meta.labels, "metadata.labels", report, true);
    const annotations = isPlainObject(meta.annotations) ? meta.annotations : {};
    for (const [k, v] of Object.entries(annotations)) {
      if (typeof v !== "string") {
        report.error(
          field("metadata.annotations", k),
          `annotation values must be strings, got ${JSON.stringify(v)} (quote it)`,
        );
      }
    }
  }
  if (raw !== undefined && info.group.endsWith(".istio.io")) {
    for (const key of Object.keys(raw)) {
      if (!TOP_LEVEL.includes(key)) report.error(key, `unknown field "${key}"${didYouMean(key, TOP_LEVEL)}`);
    }
  }
  if (
    info.disposition === "validated" && raw !== undefined && raw.spec === undefined &&
    bodyPath(info.kind) === "spec"
  ) {
    report.error("spec", "spec is required");
  }
}

function place(f: Finding, doc: ParsedDocument, file: string): ConfigProblem {
  const pos: Position = doc.locate(f.field);
  return { ...objectFields(doc.object), file, line: pos.line, column: pos.column, ...f };
}

function objectFields(o: ConfigObject): Pick<ConfigProblem, "kind" | "name" | "namespace"> {
  return { kind: o.kind, name: o.name, namespace: o.namespace };
}
