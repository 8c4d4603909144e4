// Renders docs/configuration.md from the supported-field table (proxy/config/supported-fields.ts).
import { writeFileSync } from "node:fs";
import { SUPPORTED_FIELDS } from "../proxy/config/supported-fields.ts";

export function renderSupportedFields(): string {
  const words = (s: string | undefined) => (s ?? "").split(/\s+/).filter(Boolean);
  let out = `# Supported Envoy configuration

Generated from \`proxy/config/supported-fields.ts\` by \`npm run docs:config\`; a test keeps it in sync.
A field that is set but not listed as supported or ignored is rejected at load (bootstrap) or NACKed (xDS)
with its path — Weft never silently ignores config that would change behaviour.

`;
  for (const [type, support] of Object.entries(SUPPORTED_FIELDS)) {
    out += `## ${type}\n\n`;
    const supported = words(support.supported);
    out += supported.length
      ? `- supported: ${supported.map((f) => `\`${f}\``).join(", ")}\n`
      : "- supported: (no fields)\n";
    const ignored = words(support.ignored);
    if (ignored.length) out += `- accepted without effect: ${ignored.map((f) => `\`${f}\``).join(", ")}\n`;
    for (const [field, values] of Object.entries(support.values ?? {})) {
      out += `- \`${field}\` values: ${words(values).join(", ")}\n`;
    }
    for (const [field, types] of Object.entries(support.anyTypes ?? {})) {
      out += `- \`${field}\` types: ${words(types).map((t) => `\`${t}\``).join(", ")}\n`;
    }
    for (const [field, reason] of Object.entries(support.unsupported ?? {})) {
      out += `- not supported: \`${field}\` — ${reason}\n`;
    }
    out += "\n";
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(new URL("../docs/configuration.md", import.meta.url), renderSupportedFields());
  console.log("docs/configuration.md written");
}
