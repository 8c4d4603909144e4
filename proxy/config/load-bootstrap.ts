// Loads an Envoy bootstrap from YAML or JSON text: parse, decode with the config registry, validate strictly.
import { fromJson } from "@bufbuild/protobuf";
import type { Registry } from "@bufbuild/protobuf";
import type { Bootstrap } from "../../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import { BootstrapSchema } from "../../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import { ConfigError } from "./config-error.ts";
import { decodeReason, diagnoseJson } from "./decode-diagnose.ts";
import { fieldIssue } from "./field-path.ts";
import { createConfigRegistry } from "./registry.ts";
import { parseSourceText } from "./source-text.ts";
import { toConfigIssues, validateBootstrap } from "./validate.ts";

export interface ParseBootstrapOptions {
  /** Resolves typed_config types; defaults to createConfigRegistry(). */
  readonly registry?: Registry;
  /** Check the supported subset and cross-references (default true). Off only for tools that inspect raw config. */
  readonly validate?: boolean;
}

/**
 * Parses a bootstrap file's text. YAML or JSON is chosen by the file name (.yaml/.yml/.json; otherwise JSON when
 * the text starts with "{"); fields may be snake_case (as Envoy writes them) or camelCase. Every problem —
 * syntax, unknown key, bad value, unknown typed_config type, unsupported field, dangling reference — throws a
 * ConfigError naming the file, line, column and field path. No environment-variable substitution is done.
 */
export function parseBootstrap(
  text: string,
  fileName: string,
  options: ParseBootstrapOptions = {},
): Bootstrap {
  const registry = options.registry ?? createConfigRegistry();
  const source = parseSourceText(text, fileName);
  if (source.json === null) {
    throw new ConfigError({
      file: fileName,
      path: "",
      reason: "the file is empty: a bootstrap needs static_resources",
    });
  }
  let bootstrap: Bootstrap;
  try {
    bootstrap = fromJson(BootstrapSchema, source.json, { registry });
  } catch (err) {
    const found = diagnoseJson(BootstrapSchema, source.json, registry);
    if (found.length === 0) found.push(fieldIssue([], decodeReason(err), "value"));
    const [first, ...others] = toConfigIssues(found, { file: fileName, locate: source.locate });
    throw new ConfigError(first, { others, cause: err });
  }
  if (options.validate !== false) {
    validateBootstrap(bootstrap, registry, { file: fileName, locate: source.locate });
  }
  return bootstrap;
}

/** parseBootstrap with validation always on: the entry point for runtimes (`weft proxy -c bootstrap.yaml`). */
export function loadBootstrap(
  text: string,
  fileName: string,
  registry: Registry = createConfigRegistry(),
): Bootstrap {
  return parseBootstrap(text, fileName, { registry });
}
