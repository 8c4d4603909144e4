// ConfigError: a rejected bootstrap or resource, naming the file position and field path, and what to do.
import { WeftError } from "../errors.ts";

/** One problem in a config: where it is and why it is rejected. */
export interface ConfigIssue {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** Field path such as `static_resources.clusters[0].lb_policy`; "" when the problem is the whole text. */
  readonly path: string;
  readonly reason: string;
}

/** Most issues listed in one error message; the full list stays in `issues`. */
const MAX_LISTED = 20;

/** `bootstrap.yaml:12:7: static_resources.clusters[0].lb_policy: CLUSTER_PROVIDED is not supported (…)` */
export function formatConfigIssue(issue: ConfigIssue): string {
  let where = issue.file ?? "";
  if (issue.line !== undefined) {
    where += `${where === "" ? "" : ":"}${issue.line}`;
    if (issue.column !== undefined) where += `:${issue.column}`;
  }
  const parts = [where, issue.path, issue.reason].filter((p) => p !== "");
  return parts.join(": ");
}

export class ConfigError extends WeftError implements ConfigIssue {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly path: string;
  readonly reason: string;
  /** Every issue found in the same pass, this one first. */
  readonly issues: readonly ConfigIssue[];

  constructor(issue: ConfigIssue, options?: { cause?: unknown; others?: readonly ConfigIssue[] }) {
    const others = options?.others ?? [];
    super("config", configErrorMessage(issue, others), { cause: options?.cause });
    this.file = issue.file;
    this.line = issue.line;
    this.column = issue.column;
    this.path = issue.path;
    this.reason = issue.reason;
    this.issues = [issue, ...others];
  }
}

/** The error for a non-empty list of issues: the first leads, the rest are listed after it. */
export function configErrorOf(issues: readonly ConfigIssue[]): ConfigError {
  if (issues.length === 0) throw new RangeError("configErrorOf needs at least one issue");
  return new ConfigError(issues[0], { others: issues.slice(1) });
}

function configErrorMessage(first: ConfigIssue, others: readonly ConfigIssue[]): string {
  if (others.length === 0) return formatConfigIssue(first);
  const listed = others.slice(0, MAX_LISTED).map((i) => `\n  ${formatConfigIssue(i)}`).join("");
  const rest = others.length > MAX_LISTED ? `\n  … and ${others.length - MAX_LISTED} more` : "";
  return `${formatConfigIssue(first)}\n${others.length} more problem(s):${listed}${rest}`;
}
