// Config text to JSON: format choice, YAML features (anchors, merge keys, tags), and path-to-position mapping.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../proxy/config/config-error.ts";
import { parseBootstrap } from "../../../proxy/config/load-bootstrap.ts";
import { parseSourceText, sourceFormatOf } from "../../../proxy/config/source-text.ts";

function errorOf(text: string, file = "b.yaml"): ConfigError {
  try {
    parseBootstrap(text, file);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("sourceFormatOf", () => {
  it("goes by extension, then by a leading brace", () => {
    expect(sourceFormatOf("{}", "a.YAML")).toBe("yaml");
    expect(sourceFormatOf("a: 1", "a.yml")).toBe("yaml");
    expect(sourceFormatOf("a: 1", "a.json")).toBe("json");
    expect(sourceFormatOf("  \n{ }", "bootstrap")).toBe("json");
    expect(sourceFormatOf("node: {}", "bootstrap")).toBe("yaml");
  });
});

describe("parseSourceText", () => {
  it("locates snake_case paths in camelCase YAML, keys and values separately", () => {
    const text = "staticResources:\n  clusters:\n  - name: a\n    connectTimeout: 1s\n";
    const src = parseSourceText(text, "b.yaml");
    expect(src.json).toEqual({ staticResources: { clusters: [{ name: "a", connectTimeout: "1s" }] } });
    const path = ["static_resources", "clusters", 0, "connect_timeout"];
    expect(src.locate(path, "key")).toEqual({ line: 4, column: 5 });
    expect(src.locate(path, "value")).toEqual({ line: 4, column: 21 });
    expect(src.locate(["static_resources", "clusters", 0], "value")).toEqual({ line: 3, column: 5 });
    // a path that leaves the document stops at the deepest node found
    expect(src.locate(["static_resources", "clusters", 3, "name"], "key")).toEqual({ line: 3, column: 3 });
  });

  it("follows anchors, aliases and merge keys to the text that holds the field", () => {
    const text = [
      "x-defaults: &defaults",
      "  connect_timeout: 1s",
      "  outlier_detection: {}",
      "static_resources:",
      "  clusters:",
      "  - <<: *defaults",
      "    name: a",
      "",
    ].join("\n");
    // x-defaults is not a Bootstrap field: decoding reports it first; the merged field is still located
    const src = parseSourceText(text, "b.yaml");
    expect(src.locate(["static_resources", "clusters", 0, "outlier_detection"], "key")).toEqual({
      line: 3,
      column: 3,
    });
    expect(src.locate(["static_resources", "clusters", 0, "name"], "key")).toEqual({ line: 7, column: 5 });
    const err = errorOf(text);
    expect([err.path, err.line]).toEqual(["x-defaults", 1]);
  });

  it("treats YAML warnings such as unresolved tags as errors", () => {
    const err = errorOf("node: !secret { id: a }\n");
    expect(err.line).toBe(1);
    expect(err.reason).toMatch(/invalid YAML: .*tag/i);
  });

  it("reports duplicate YAML keys and every syntax problem with positions", () => {
    const err = errorOf("node:\n  id: a\n  id: b\n");
    expect([err.line, err.column]).toEqual([3, 3]);
    expect(err.reason).toMatch(/^duplicate key/);
  });

  it("reads JSON indented with tabs and keeps JSON's own number semantics", () => {
    const src = parseSourceText('{\n\t"node": {\n\t\t"id": "a",\n\t\t"cluster": "c"\n\t}\n}', "b.json");
    expect(src.format).toBe("json");
    expect(src.json).toEqual({ node: { id: "a", cluster: "c" } });
    expect(src.locate(["node", "cluster"], "value")).toEqual({ line: 4, column: 14 });
  });
});
