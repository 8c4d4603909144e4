// docs/configuration.md is generated from the supported-field table and must match it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderSupportedFields } from "../../scripts/supported-fields-doc.ts";

describe("docs/configuration.md", () => {
  it("is up to date with proxy/config/supported-fields.ts (run npm run docs:config)", () => {
    const onDisk = readFileSync(join(import.meta.dirname, "../../docs/configuration.md"), "utf8");
    expect(onDisk).toBe(renderSupportedFields());
  });
});
