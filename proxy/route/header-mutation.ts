// Header add/remove lists (route, virtual host, route configuration) compiled into one flat program.
import { HeaderValueOption_HeaderAppendAction as AppendAction } from "../../gen/envoy/config/core/v3/base_pb.ts";
import type { HeaderValueOption } from "../../gen/envoy/config/core/v3/base_pb.ts";
import type { HeaderMap } from "../http/types.ts";
import { configError } from "./config-error.ts";

/** One header edit. */
export type HeaderOp =
  | { readonly kind: "remove"; readonly name: string }
  | {
    readonly kind: "append" | "add_if_absent" | "overwrite" | "overwrite_if_exists";
    readonly name: string;
    readonly value: string;
  };

/** A compiled, ordered list of header edits; apply with `applyHeaderMutation`. */
export interface HeaderMutation {
  readonly ops: readonly HeaderOp[];
}

/** The add/remove lists of one level (weighted cluster, route, virtual host or route configuration). */
export interface HeaderMutationLevel {
  readonly add: readonly HeaderValueOption[];
  readonly remove: readonly string[];
  /** Field path prefix for errors, e.g. "virtual_hosts[0].routes[1].request_headers_to_" . */
  readonly path: string;
}

export const EMPTY_MUTATION: HeaderMutation = { ops: [] };

/**
 * Compiles levels given most specific first. Envoy's default evaluates route → virtual host →
 * configuration, so the outer level's overwrite wins; `mostSpecificWins` (the route
 * configuration's most_specific_header_mutations_wins) reverses the order. Within a level,
 * removals run before additions, as in Envoy.
 */
export function compileHeaderMutation(
  levels: readonly HeaderMutationLevel[],
  mostSpecificWins: boolean,
): HeaderMutation {
  const ordered = mostSpecificWins ? [...levels].reverse() : levels;
  const ops: HeaderOp[] = [];
  for (const level of ordered) {
    level.remove.forEach((name, i) =>
      ops.push({ kind: "remove", name: checkName(name, `${level.path}remove[${i}]`) })
    );
    level.add.forEach((option, i) => {
      const op = compileOption(option, `${level.path}add[${i}]`);
      if (op !== undefined) ops.push(op);
    });
  }
  return ops.length === 0 ? EMPTY_MUTATION : { ops };
}

function compileOption(option: HeaderValueOption, path: string): HeaderOp | undefined {
  const header = option.header;
  if (header === undefined) throw configError(`${path}.header`, "a header is required");
  const name = checkName(header.key, `${path}.header.key`);
  const raw = header.value !== "" ? header.value : String.fromCharCode(...header.rawValue);
  const value = literalValue(raw, `${path}.header.value`);
  // Envoy skips an edit whose value is empty unless keep_empty_value is set.
  if (value === "" && !option.keepEmptyValue) return undefined;
  let action = option.appendAction;
  if (option.append !== undefined) {
    if (action !== AppendAction.APPEND_IF_EXISTS_OR_ADD) {
      throw configError(path, "append and append_action are mutually exclusive");
    }
    action = option.append ? AppendAction.APPEND_IF_EXISTS_OR_ADD : AppendAction.OVERWRITE_IF_EXISTS_OR_ADD;
  }
  switch (action) {
    case AppendAction.APPEND_IF_EXISTS_OR_ADD:
      return { kind: "append", name, value };
    case AppendAction.ADD_IF_ABSENT:
      return { kind: "add_if_absent", name, value };
    case AppendAction.OVERWRITE_IF_EXISTS_OR_ADD:
      return { kind: "overwrite", name, value };
    case AppendAction.OVERWRITE_IF_EXISTS:
      return { kind: "overwrite_if_exists", name, value };
    default:
      throw configError(`${path}.append_action`, `unknown append action ${action}`);
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

function checkName(name: string, path: string): string {
  const lower = name.toLowerCase();
  if (lower.startsWith(":")) throw configError(path, `pseudo-header "${name}" may not be modified`);
  if (!TOKEN.test(lower)) throw configError(path, `invalid header name "${name}"`);
  if (lower === "host") throw configError(path, `header "${name}" may not be modified`);
  return lower;
}

/**
 * Header values are literals: `%%` is a literal "%", and an Envoy command operator (`%REQ(…)%`,
 * `%DOWNSTREAM_REMOTE_ADDRESS%`, …) is rejected because formatters are not supported yet.
 */
export function literalValue(raw: string, path: string): string {
  if (/[\r\n\0]/.test(raw)) throw configError(path, "header values may not contain CR, LF or NUL");
  if (!raw.includes("%")) return raw;
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== "%") {
      out += c;
    } else if (raw[i + 1] === "%") {
      out += "%";
      i++;
    } else if (/^[A-Z][A-Z0-9_]*[(%]/.test(raw.slice(i + 1))) {
      const command = /^[A-Z][A-Z0-9_]*/.exec(raw.slice(i + 1))![0];
      throw configError(
        path,
        `"%${command}" — header value formatters (%…%) are not supported yet; write %% for a literal %`,
      );
    } else {
      out += "%";
    }
  }
  return out;
}

/** Applies a mutation to `headers` in place. Arrays already in the map are never mutated, only replaced. */
export function applyHeaderMutation(mutation: HeaderMutation, headers: HeaderMap): void {
  const ops = mutation.ops;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    const current = headers[op.name];
    switch (op.kind) {
      case "remove":
        if (current !== undefined) delete headers[op.name];
        break;
      case "append":
        headers[op.name] = current === undefined
          ? op.value
          : typeof current === "string"
          ? [current, op.value]
          : [...current, op.value];
        break;
      case "add_if_absent":
        if (current === undefined) headers[op.name] = op.value;
        break;
      case "overwrite":
        headers[op.name] = op.value;
        break;
      case "overwrite_if_exists":
        if (current !== undefined) headers[op.name] = op.value;
        break;
    }
  }
}
