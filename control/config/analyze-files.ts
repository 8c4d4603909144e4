// `weft analyze` in one call: validate a set of files (IST0106 / IST0133) and analyze the objects they hold.
import type { ConfigObject, Service } from "../model/types.ts";
import { analyze } from "./analyze.ts";
import type { ConfigFile } from "./config-store.ts";
import { duplicateProblems } from "./config-store.ts";
import type { Position } from "./parse.ts";
import type { ConfigProblem } from "./problem.ts";
import { checkConfigFile } from "./validate.ts";

/** Every problem in the files, validation and analysis alike, errors first, each group by file and line. */
export function analyzeFiles(
  files: readonly ConfigFile[],
  registryServices: readonly Service[] = [],
): ConfigProblem[] {
  const objects: ConfigObject[] = [];
  const problems: ConfigProblem[] = [];
  const locators: ((o: ConfigObject, f: string) => Position | undefined)[] = [];
  for (const f of files) {
    const checked = checkConfigFile(f.text, f.file);
    objects.push(...checked.objects);
    locators.push(checked.locate);
    for (const p of checked.problems) {
      problems.push(p.code ? p : { ...p, code: p.severity === "error" ? "IST0106" : "IST0133" });
    }
  }
  for (const p of duplicateProblems(objects)) problems.push({ ...p, code: "IST0106" });
  const locate = (o: ConfigObject, f: string) => {
    for (const l of locators) {
      const pos = l(o, f);
      if (pos) return pos;
    }
    return undefined;
  };
  problems.push(...analyze(objects, registryServices, locate));
  const rank = (p: ConfigProblem) => (p.severity === "error" ? 0 : 1);
  return problems.sort((a, b) =>
    rank(a) - rank(b) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line ||
    (a.column ?? 0) - (b.column ?? 0)
  );
}
