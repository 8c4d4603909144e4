// A static bootstrap for the edge from JSON (a Worker var): strict like loadBootstrap, without the YAML parser.
import { fromJson, type JsonValue, type Registry } from "@bufbuild/protobuf";
import { type Bootstrap, BootstrapSchema } from "../../gen/envoy/config/bootstrap/v3/bootstrap_pb.ts";
import { ConfigError } from "../../proxy/config/config-error.ts";
import { decodeReason, diagnoseJson } from "../../proxy/config/decode-diagnose.ts";
import { fieldIssue } from "../../proxy/config/field-path.ts";
import { createConfigRegistry } from "../../proxy/config/registry.ts";
import { toConfigIssues, validateBootstrap } from "../../proxy/config/validate.ts";

/**
 * Decodes and validates a bootstrap given as JSON text or as an already-parsed object (wrangler.jsonc vars
 * may hold objects). Problems throw a ConfigError naming `name` and the field path, as loadBootstrap does;
 * the YAML parser (a third of the bundle) stays out of the Worker.
 */
export function loadJsonBootstrap(
  value: string | object,
  name: string,
  registry: Registry = createConfigRegistry(),
): Bootstrap {
  let json: JsonValue;
  try {
    json = typeof value === "string" ? JSON.parse(value) : value as JsonValue;
  } catch (err) {
    throw new ConfigError({ file: name, path: "", reason: `not JSON: ${(err as Error).message}` });
  }
  let bootstrap: Bootstrap;
  try {
    bootstrap = fromJson(BootstrapSchema, json, { registry });
  } catch (err) {
    const found = diagnoseJson(BootstrapSchema, json, registry);
    if (found.length === 0) found.push(fieldIssue([], decodeReason(err), "value"));
    const [first, ...others] = toConfigIssues(found, { file: name });
    throw new ConfigError(first, { others, cause: err });
  }
  validateBootstrap(bootstrap, registry, { file: name });
  return bootstrap;
}
