// VirtualService HTTPMatchRequest → Envoy RouteMatch, keeping only the matches that apply to this proxy and port.
import type {
  HeaderMatcherSchema,
  QueryParameterMatcherSchema,
  RouteMatchSchema,
} from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import type { StringMatcherSchema } from "../../gen/envoy/type/matcher/v3/string_pb.ts";
import { matchesSelector } from "../registry/labels.ts";
import type { HTTPMatchRequest, StringMatch } from "../push-context/istio-spec.ts";
import type { TranslateContext } from "./context.ts";
import type { Init } from "./proto.ts";

export type RouteMatchInit = Init<typeof RouteMatchSchema>;

/** Where the routes are being built: which gateway names apply and which listener port. */
export interface RouteEnv {
  /** "mesh" for sidecars and proxyless clients; the gateway's "namespace/name" for routers. */
  readonly gateway: string;
  /** The port of the route configuration (for `match.port` and destinations without a port). */
  readonly port: number;
  /** Proxyless gRPC: drop what gRPC clients cannot do. */
  readonly proxyless: boolean;
}

/** The kind of path match, which decides how a `rewrite.uri` is expressed. */
export type PathKind = "prefix" | "path" | "regex";

export interface BuiltMatch {
  readonly match: RouteMatchInit;
  readonly pathKind: PathKind;
}

/**
 * The Envoy matches of one HTTPRoute for this proxy: one per applicable Istio match (they are ORed), or a
 * catch-all when the route has no matches. Returns [] when every match was filtered out (port, gateway,
 * sourceLabels, sourceNamespace) — the route then does not apply at all. A match without `gateways`
 * inherits the VirtualService's `vsGateways`.
 */
export function buildRouteMatches(
  ctx: TranslateContext,
  matches: readonly HTTPMatchRequest[] | undefined,
  env: RouteEnv,
  vsGateways: readonly string[],
  where: string,
): BuiltMatch[] {
  if (matches === undefined || matches.length === 0) {
    if (!vsGateways.includes(env.gateway)) return [];
    return [{ match: { pathSpecifier: { case: "prefix", value: "/" } }, pathKind: "prefix" }];
  }
  const out: BuiltMatch[] = [];
  for (const m of matches) {
    if (!applies(ctx, m, env, vsGateways)) continue;
    if (env.proxyless && m.queryParams !== undefined && Object.keys(m.queryParams).length > 0) {
      ctx.warn(`${where}: proxyless gRPC cannot match query parameters; the match is left out`);
      continue;
    }
    out.push(buildMatch(m));
  }
  return out;
}

function applies(
  ctx: TranslateContext,
  m: HTTPMatchRequest,
  env: RouteEnv,
  vsGateways: readonly string[],
): boolean {
  const gateways = m.gateways !== undefined && m.gateways.length > 0 ? m.gateways : vsGateways;
  if (!gateways.includes(env.gateway)) return false;
  if (m.port !== undefined && m.port !== env.port) return false;
  if (m.sourceLabels !== undefined && !matchesSelector(ctx.proxy.labels, m.sourceLabels)) return false;
  if (m.sourceNamespace !== undefined && m.sourceNamespace !== ctx.proxy.namespace) return false;
  return true;
}

function buildMatch(m: HTTPMatchRequest): BuiltMatch {
  const headers: Init<typeof HeaderMatcherSchema>[] = [];
  const pseudo: [string, StringMatch | undefined][] = [
    [":scheme", m.scheme],
    [":method", m.method],
    [":authority", m.authority],
  ];
  for (const [name, sm] of pseudo) if (sm !== undefined) headers.push(headerMatcher(name, sm, false));
  for (const [name, sm] of sortedEntries(m.headers)) {
    headers.push(headerMatcher(name.toLowerCase(), sm, false));
  }
  for (const [name, sm] of sortedEntries(m.withoutHeaders)) {
    headers.push(headerMatcher(name.toLowerCase(), sm, true));
  }
  const queryParameters = sortedEntries(m.queryParams).map((
    [name, sm],
  ): Init<typeof QueryParameterMatcherSchema> =>
    isPresence(sm)
      ? { name, queryParameterMatchSpecifier: { case: "presentMatch", value: true } }
      : { name, queryParameterMatchSpecifier: { case: "stringMatch", value: stringMatcher(sm) } }
  );
  const uri = m.uri;
  let pathKind: PathKind = "prefix";
  let pathSpecifier: RouteMatchInit["pathSpecifier"] = { case: "prefix", value: "/" };
  if (uri?.exact !== undefined) {
    pathKind = "path";
    pathSpecifier = { case: "path", value: uri.exact };
  } else if (uri?.prefix !== undefined) {
    pathSpecifier = { case: "prefix", value: uri.prefix };
  } else if (uri?.regex !== undefined) {
    pathKind = "regex";
    pathSpecifier = { case: "safeRegex", value: { regex: uri.regex } };
  }
  const match: RouteMatchInit = { pathSpecifier, headers, queryParameters };
  if (m.ignoreUriCase === true) match.caseSensitive = false;
  return { match, pathKind };
}

function headerMatcher(name: string, sm: StringMatch, invert: boolean): Init<typeof HeaderMatcherSchema> {
  if (isPresence(sm)) {
    return { name, headerMatchSpecifier: { case: "presentMatch", value: true }, invertMatch: invert };
  }
  const out: Init<typeof HeaderMatcherSchema> = {
    name,
    headerMatchSpecifier: { case: "stringMatch", value: stringMatcher(sm) },
    invertMatch: invert,
  };
  // withoutHeaders must also match when the header is absent: Envoy fails a missing header before inverting
  if (invert) out.treatMissingHeaderAsEmpty = true;
  return out;
}

/** An empty StringMatch (or an empty prefix) only asks that the header be present. */
function isPresence(sm: StringMatch): boolean {
  return sm.exact === undefined && sm.regex === undefined && (sm.prefix === undefined || sm.prefix === "");
}

export function stringMatcher(sm: StringMatch): Init<typeof StringMatcherSchema> {
  if (sm.exact !== undefined) return { matchPattern: { case: "exact", value: sm.exact } };
  if (sm.prefix !== undefined) return { matchPattern: { case: "prefix", value: sm.prefix } };
  return { matchPattern: { case: "safeRegex", value: { regex: sm.regex ?? ".*" } } };
}

function sortedEntries<V>(record: Readonly<Record<string, V>> | undefined): [string, V][] {
  return Object.entries(record ?? {}).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
