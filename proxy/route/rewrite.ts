// Route-level path and host rewrites (prefix_rewrite, regex_rewrite, host_rewrite_*), compiled once.
import type { RouteAction } from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import type { RegexMatchAndSubstitute } from "../../gen/envoy/type/matcher/v3/regex_pb.ts";
import { configError } from "./config-error.ts";
import { type CompiledSubstitution, compileSubstitution } from "./regex.ts";
import type { RequestView } from "./request-view.ts";

/** A compiled path rewrite: replace the matched prefix, or regex-substitute the path (query kept). */
export type PathRewrite =
  | { readonly kind: "prefix"; readonly value: string }
  | { readonly kind: "regex"; readonly substitution: CompiledSubstitution };

/** A compiled host rewrite; `auto` (auto_host_rewrite) is resolved by the router from the chosen endpoint. */
export type HostRewrite =
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "header"; readonly name: string }
  | { readonly kind: "path_regex"; readonly substitution: CompiledSubstitution }
  | { readonly kind: "auto" };

/** prefix_rewrite / regex_rewrite (mutually exclusive); `path` is the field path of their parent message. */
export function compilePathRewrite(
  prefixRewrite: string,
  regexRewrite: RegexMatchAndSubstitute | undefined,
  path: string,
): PathRewrite | undefined {
  if (prefixRewrite !== "" && regexRewrite !== undefined) {
    throw configError(path, "only one of prefix_rewrite and regex_rewrite may be set");
  }
  if (regexRewrite !== undefined) {
    return { kind: "regex", substitution: compileSubstitution(regexRewrite, `${path}.regex_rewrite`) };
  }
  return prefixRewrite === "" ? undefined : { kind: "prefix", value: prefixRewrite };
}

/** RouteAction.host_rewrite_specifier. */
export function compileHostRewrite(action: RouteAction, path: string): HostRewrite | undefined {
  const spec = action.hostRewriteSpecifier;
  switch (spec.case) {
    case "hostRewriteLiteral":
      return { kind: "literal", value: spec.value };
    case "hostRewriteHeader":
      if (spec.value === "") throw configError(`${path}.host_rewrite_header`, "a header name is required");
      return { kind: "header", name: spec.value.toLowerCase() };
    case "hostRewritePathRegex":
      return {
        kind: "path_regex",
        substitution: compileSubstitution(spec.value, `${path}.host_rewrite_path_regex`),
      };
    case "autoHostRewrite":
      return spec.value.value ? { kind: "auto" } : undefined;
    default:
      return undefined;
  }
}

/**
 * Applies a path rewrite to `path` (path and query). A prefix rewrite replaces the first
 * `matchedLength` characters (the matched prefix, or the whole path without query for exact and
 * regex routes); a regex rewrite substitutes every match in the path without query. The query
 * string is kept either way.
 */
export function rewritePath(rewrite: PathRewrite, path: string, matchedLength: number): string {
  if (rewrite.kind === "prefix") return rewrite.value + path.slice(matchedLength);
  const q = queryStart(path);
  const { pattern, replacement } = rewrite.substitution;
  return path.slice(0, q).replace(pattern, replacement) + path.slice(q);
}

/** The rewritten host, or undefined to keep the request's (header missing, or `auto`). */
export function rewriteHost(rewrite: HostRewrite, req: RequestView): string | undefined {
  switch (rewrite.kind) {
    case "literal":
      return rewrite.value;
    case "header": {
      const value = req.input.headers[rewrite.name];
      return typeof value === "string" ? value : value?.[0];
    }
    case "path_regex":
      return req.input.path.slice(0, queryStart(req.input.path)).replace(
        rewrite.substitution.pattern,
        rewrite.substitution.replacement,
      );
    case "auto":
      return undefined;
  }
}

export function queryStart(path: string): number {
  const q = path.indexOf("?");
  return q < 0 ? path.length : q;
}
