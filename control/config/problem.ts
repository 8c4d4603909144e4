// Config problems (file, line, object, field, message) and the field-path text they carry.

/** One thing wrong (or doubtful) in the user's config, pointing at the file, line and field. */
export interface ConfigProblem {
  readonly file: string;
  /** 1-based; 0 when the problem has no single line (e.g. a file that could not be read). */
  readonly line: number;
  readonly column?: number;
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
  /** Path from the document root, e.g. "spec.http[0].route[1].weight"; "" for the object as a whole. */
  readonly field: string;
  readonly message: string;
  readonly severity: "error" | "warning";
  /** Istio analyzer code where one exists, e.g. "IST0101". */
  readonly code?: string;
}

/** `bookinfo.yaml:42: VirtualService default/reviews: spec.http[0].route[1].weight: must be 0..100, got 150` */
export function formatProblem(p: ConfigProblem): string {
  // file:line, and the column too for problems of the text itself (YAML syntax), which have no object
  const where = p.line <= 0
    ? p.file
    : p.kind === undefined && p.column !== undefined
    ? `${p.file}:${p.line}:${p.column}`
    : `${p.file}:${p.line}`;
  const parts = [where];
  if (p.kind !== undefined) parts.push(`${p.kind} ${objectRef(p)}`);
  if (p.field !== "") parts.push(p.field);
  parts.push(p.severity === "warning" ? `warning: ${p.message}` : p.message);
  return parts.join(": ");
}

/** "namespace/name", or just the name when there is no namespace. */
export function objectRef(p: { readonly namespace?: string; readonly name?: string }): string {
  const name = p.name ?? "<unnamed>";
  return p.namespace ? `${p.namespace}/${name}` : name;
}

export function hasErrors(problems: readonly ConfigProblem[]): boolean {
  return problems.some((p) => p.severity === "error");
}

/** Orders problems by file, line, then message, so output is stable. */
export function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || (a.message < b.message ? -1 : 1)
  );
}

/** A step of a field path: a field name / map key, or a list index. */
export type FieldStep = string | number;

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `field("spec.http[0]", "route")` → "spec.http[0].route"; `field(p, 2)` → "p[2]"; odd keys are quoted. */
export function field(base: string, step: FieldStep): string {
  if (typeof step === "number") return `${base}[${step}]`;
  if (!PLAIN_KEY.test(step)) return `${base}[${JSON.stringify(step)}]`;
  return base === "" ? step : `${base}.${step}`;
}

/** The inverse of `field`: "spec.http[0].match[0].headers.end-user" → ["spec","http",0,"match",0,"headers","end-user"]. */
export function parseField(path: string): FieldStep[] {
  const steps: FieldStep[] = [];
  const re = /\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < path.length && (m = re.exec(path)) !== null) {
    if (m[1] !== undefined) steps.push(m[1]);
    else if (m[2] !== undefined) steps.push(Number(m[2]));
    else steps.push(JSON.parse(m[3]) as string);
  }
  return steps;
}
