// Test helpers for the config tests: Bookinfo fixtures and a compact view of problems.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ConfigFile } from "../../../control/config/config-store.ts";
import type { ConfigProblem } from "../../../control/config/problem.ts";
import { checkConfigFile } from "../../../control/config/validate.ts";

export const BOOKINFO = join(import.meta.dirname, "../../fixtures/istio/bookinfo");

/** A Bookinfo sample file, e.g. "networking/virtual-service-all-v1.yaml", named as given. */
export function bookinfo(path: string): ConfigFile {
  return { file: path, text: readFileSync(join(BOOKINFO, path), "utf8") };
}

/** `line field: message` (warnings prefixed "warning:"), for compact assertions. */
export function brief(p: ConfigProblem): string {
  return `${p.line} ${p.field}: ${p.severity === "warning" ? "warning: " : ""}${p.message}`;
}

/** Validates YAML text and returns the problems in brief form. */
export function problemsOf(yaml: string, file = "test.yaml"): string[] {
  return checkConfigFile(yaml, file).problems.map(brief);
}

/** Only the errors, in brief form. */
export function errorsOf(yaml: string): string[] {
  return checkConfigFile(yaml, "test.yaml").problems.filter((p) => p.severity === "error").map(brief);
}

/** A VirtualService document around the given `spec:` body (indented by the caller at two spaces). */
export function virtualService(spec: string, apiVersion = "networking.istio.io/v1"): string {
  return `apiVersion: ${apiVersion}\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n${spec}`;
}
