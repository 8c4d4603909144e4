// `weft analyze <dir|file>...`: validate Istio/Kubernetes YAML and check references, like `istioctl analyze`.
import { stat } from "node:fs/promises";
import { relative } from "node:path";
import { parseArgs } from "node:util";
import { analyzeFiles } from "../../control/config/analyze-files.ts";
import type { ConfigFile } from "../../control/config/config-store.ts";
import type { ConfigProblem } from "../../control/config/problem.ts";
import { objectRef } from "../../control/config/problem.ts";
import { createNodeFileSystem } from "./node-file-system.ts";

const USAGE = `Usage: weft analyze <dir|file>... [--output json]

Validates Istio and Kubernetes config (VirtualService, DestinationRule, Gateway, ServiceEntry,
WorkloadEntry, Sidecar, Service, EndpointSlice, Endpoints, Pod, …) and checks the references
between objects: destination hosts and subsets, gateways, selectors, conflicting VirtualServices.
Directories are read recursively (*.yaml, *.yml, *.json).

Options:
  -o, --output <format>   "text" (default) or "json"
  -h, --help              Show this help.

Exit status: 0 when there are no errors (warnings alone are fine), 1 when there are errors,
2 on a usage error.
`;

export async function runAnalyzeCommand(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        output: { type: "string", short: "o", default: "text" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    console.error(`weft analyze: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }
  const output = args.values.output;
  if (output !== "text" && output !== "json") {
    console.error(`weft analyze: --output must be "text" or "json", got "${output}"\n\n${USAGE}`);
    return 2;
  }
  if (args.positionals.length === 0) {
    console.error(`weft analyze: give at least one directory or file\n\n${USAGE}`);
    return 2;
  }
  const files = await readInputs(args.positionals);
  if (typeof files === "string") {
    console.error(`weft analyze: ${files}`);
    return 2;
  }
  const problems = analyzeFiles(files);
  if (output === "json") console.log(JSON.stringify(problems.map(toJson), null, 2));
  else if (problems.length === 0) {
    console.log(`✔ No validation issues found when analyzing ${args.positionals.join(", ")}.`);
  } else for (const p of problems) console.log(formatAnalyzeLine(p));
  return problems.some((p) => p.severity === "error") ? 1 : 0;
}

/** `Error [IST0101] (VirtualService default/reviews bookinfo.yaml:12) Referenced host not found: "reviewz"` */
export function formatAnalyzeLine(p: ConfigProblem): string {
  const level = p.severity === "error" ? "Error" : "Warning";
  return `${level} [${p.code ?? "IST0106"}] (${origin(p)}) ${message(p)}`;
}

function origin(p: ConfigProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}` : p.file;
  return p.kind === undefined ? where : `${p.kind} ${objectRef(p)} ${where}`;
}

function message(p: ConfigProblem): string {
  const text = p.field === "" || p.code !== undefined && !["IST0106", "IST0133"].includes(p.code)
    ? p.message
    : `${p.field}: ${p.message}`;
  if (p.code === "IST0106" || p.code === undefined) return `Schema validation error: ${text}`;
  if (p.code === "IST0133") return `Schema validation warning: ${text}`;
  return text;
}

function toJson(p: ConfigProblem) {
  return {
    code: p.code ?? "IST0106",
    level: p.severity === "error" ? "Error" : "Warning",
    origin: p.kind === undefined ? undefined : `${p.kind} ${objectRef(p)}`,
    reference: p.line > 0 ? `${p.file}:${p.line}` : p.file,
    message: message(p),
    file: p.file,
    line: p.line,
    column: p.column,
    field: p.field,
    kind: p.kind,
    namespace: p.namespace,
    name: p.name,
  };
}

/** Reads every config file under the given paths. Names are shown relative to the directory when only one
 * directory is given, else relative to the working directory. */
async function readInputs(paths: readonly string[]): Promise<ConfigFile[] | string> {
  const fs = createNodeFileSystem();
  const files: ConfigFile[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) return `cannot read ${path}: no such file or directory`;
    const names = info.isDirectory() ? await fs.list(path) : [path];
    const base = info.isDirectory() && paths.length === 1 ? path : process.cwd();
    for (const name of names) {
      try {
        files.push({ file: relative(base, name) || name, text: await fs.read(name) });
      } catch (err) {
        return `cannot read ${name}: ${(err as Error).message}`;
      }
    }
  }
  return files;
}
