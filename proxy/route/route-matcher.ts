// envoy.config.route.v3.RouteMatch compiled once: path, headers, query parameters, runtime fraction, gRPC.
import type {
  QueryParameterMatcher,
  RouteMatch,
} from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import { FractionalPercent_DenominatorType } from "../../gen/envoy/type/v3/percent_pb.ts";
import { configError, rejectUnsupported } from "./config-error.ts";
import { type CompiledHeaderMatcher, compileHeaderMatcher, matchHeaders } from "./header-matcher.ts";
import { compileFullMatch } from "./regex.ts";
import type { RequestView } from "./request-view.ts";
import { asciiLower, compileStringMatcher, type StringMatch } from "./string-matcher.ts";

/** How the path is matched; `matchedLength` for prefix_rewrite follows from the kind. */
export type PathMatchKind = "prefix" | "path" | "safe_regex" | "path_separated_prefix" | "connect";

export interface CompiledRouteMatch {
  readonly kind: PathMatchKind;
  /** The prefix / path literal (lower-cased when case-insensitive); "" for regex and connect. */
  readonly literal: string;
  readonly caseSensitive: boolean;
  readonly regex: RegExp | undefined;
  readonly headers: readonly CompiledHeaderMatcher[];
  readonly queryParameters: readonly CompiledQueryMatcher[];
  /** runtime_fraction as parts per million (1_000_000 = always); runtime keys are not consulted. */
  readonly fractionPpm: number;
  readonly grpc: boolean;
}

export interface CompiledQueryMatcher {
  readonly name: string;
  /** undefined = present_match. */
  readonly test: StringMatch | undefined;
}

const PPM: Record<number, number> = {
  [FractionalPercent_DenominatorType.HUNDRED]: 10_000,
  [FractionalPercent_DenominatorType.TEN_THOUSAND]: 100,
  [FractionalPercent_DenominatorType.MILLION]: 1,
};

/** Compiles a RouteMatch; `path` is its field path for errors (e.g. "virtual_hosts[0].routes[2].match"). */
export function compileRouteMatch(match: RouteMatch | undefined, path: string): CompiledRouteMatch {
  if (match === undefined) throw configError(path, "a match is required");
  const caseSensitive = match.caseSensitive ?? true;
  const spec = match.pathSpecifier;
  let kind: PathMatchKind;
  let literal = "";
  let regex: RegExp | undefined;
  switch (spec.case) {
    case "prefix":
    case "path":
      kind = spec.case;
      literal = caseSensitive ? spec.value : asciiLower(spec.value);
      break;
    case "pathSeparatedPrefix":
      kind = "path_separated_prefix";
      if (!/^[^?#]+[^?#/]$/.test(spec.value)) {
        throw configError(
          `${path}.path_separated_prefix`,
          "must not be empty, end with '/' or contain '?' or '#'",
        );
      }
      literal = caseSensitive ? spec.value : asciiLower(spec.value);
      break;
    case "safeRegex":
      kind = "safe_regex";
      regex = compileFullMatch(spec.value, `${path}.safe_regex`);
      break;
    case "connectMatcher":
      kind = "connect";
      break;
    case "pathMatchPolicy":
      throw configError(`${path}.path_match_policy`, "path match extensions are not supported");
    default:
      throw configError(
        path,
        "one of prefix, path, safe_regex, path_separated_prefix or connect_matcher is required",
      );
  }
  rejectUnsupported(match.tlsContext !== undefined, `${path}.tls_context`);
  rejectUnsupported(match.dynamicMetadata.length > 0, `${path}.dynamic_metadata`);
  const fraction = match.runtimeFraction?.defaultValue;
  let fractionPpm = 1_000_000;
  if (match.runtimeFraction !== undefined) {
    const scale = PPM[fraction?.denominator ?? 0];
    if (scale === undefined) {
      throw configError(`${path}.runtime_fraction.default_value.denominator`, "unknown denominator");
    }
    fractionPpm = Math.min((fraction?.numerator ?? 0) * scale, 1_000_000);
  }
  return {
    kind,
    literal,
    caseSensitive,
    regex,
    headers: match.headers.map((h, i) => compileHeaderMatcher(h, `${path}.headers[${i}]`)),
    queryParameters: match.queryParameters.map((q, i) =>
      compileQueryMatcher(q, `${path}.query_parameters[${i}]`)
    ),
    fractionPpm,
    grpc: match.grpc !== undefined,
  };
}

function compileQueryMatcher(q: QueryParameterMatcher, path: string): CompiledQueryMatcher {
  if (q.name === "") throw configError(`${path}.name`, "a query parameter name is required");
  const spec = q.queryParameterMatchSpecifier;
  if (spec.case === "stringMatch") {
    return { name: q.name, test: compileStringMatcher(spec.value, `${path}.string_match`) };
  }
  if (spec.case === "presentMatch") return { name: q.name, test: undefined };
  throw configError(path, "one of string_match or present_match is required");
}

/** True when the request satisfies every part of the match (path first: it is the cheapest and most selective). */
export function matchRoute(m: CompiledRouteMatch, req: RequestView): boolean {
  if (!matchPath(m, req)) return false;
  if (m.headers.length > 0 && !matchHeaders(m.headers, req)) return false;
  for (let i = 0; i < m.queryParameters.length; i++) {
    const q = m.queryParameters[i];
    const value = req.queryParam(q.name);
    if (value === undefined || (q.test !== undefined && !q.test(value))) return false;
  }
  if (m.grpc && !isGrpcContentType(req.header("content-type"))) return false;
  if (m.fractionPpm < 1_000_000 && Math.floor(req.fractionDraw() * 1_000_000) >= m.fractionPpm) return false;
  return true;
}

function matchPath(m: CompiledRouteMatch, req: RequestView): boolean {
  switch (m.kind) {
    case "prefix":
      return (m.caseSensitive ? req.path : req.lowerPath).startsWith(m.literal);
    case "path":
      return (m.caseSensitive ? req.pathNoQuery : req.lowerPathNoQuery) === m.literal;
    case "path_separated_prefix": {
      const p = m.caseSensitive ? req.pathNoQuery : req.lowerPathNoQuery;
      return p.startsWith(m.literal) &&
        (p.length === m.literal.length || p.charCodeAt(m.literal.length) === 47);
    }
    case "safe_regex":
      return m.regex!.test(req.pathNoQuery);
    case "connect":
      return req.input.method === "CONNECT";
  }
}

/** Envoy's gRPC test: content-type is application/grpc, or application/grpc+… / application/grpc;… */
export function isGrpcContentType(value: string | undefined): boolean {
  if (value === undefined || !value.startsWith("application/grpc")) return false;
  const next = value.charCodeAt(16);
  return value.length === 16 || next === 43 /* + */ || next === 59 /* ; */;
}

/** How many leading characters of the request path the match consumed (prefix_rewrite replaces them). */
export function matchedLength(m: CompiledRouteMatch, req: RequestView): number {
  return m.kind === "prefix" || m.kind === "path_separated_prefix"
    ? m.literal.length
    : req.pathNoQuery.length;
}
