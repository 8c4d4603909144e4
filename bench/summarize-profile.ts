// Prints the top self-time functions of a V8 .cpuprofile: `node --import tsx bench/summarize-profile.ts <file> [top]`.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { markdownProfile, summarizeProfile } from "./lib/cpu-profile.ts";
import { createTsxMapper } from "./lib/source-map.ts";

const [file, top] = process.argv.slice(2);
if (!file) {
  console.error("usage: node --import tsx bench/summarize-profile.ts <file.cpuprofile> [top=15]");
  process.exit(2);
}
const root = fileURLToPath(new URL("../", import.meta.url));
const profile = JSON.parse(readFileSync(file, "utf8"));
console.log(markdownProfile(summarizeProfile(profile, root, Number(top ?? 15), createTsxMapper())));
