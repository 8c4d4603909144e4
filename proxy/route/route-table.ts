// compileRouteConfiguration: an Envoy RouteConfiguration compiled once into the router's per-request lookup.
import type { RouteConfiguration } from "../../gen/envoy/config/route/v3/route_pb.ts";
import {
  type HedgePolicy,
  type RouteAction_RequestMirrorPolicy,
  type VirtualHost,
  VirtualHost_TlsRequirementType as TlsRequirement,
} from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import { clusterFromHeader, pickWeightedCluster } from "./cluster-specifier.ts";
import { rejectUnsupported } from "./config-error.ts";
import { compileHeaderMutation, type HeaderMutation, type HeaderMutationLevel } from "./header-mutation.ts";
import { type CompiledRedirect, redirectLocation } from "./redirect.ts";
import { RequestView, type RouteInput } from "./request-view.ts";
import { compileRetryPolicy, type RetryPolicy } from "./retry-policy.ts";
import { rewriteHost, rewritePath } from "./rewrite.ts";
import { type CompiledRoute, compileRoute, type ForwardPolicy } from "./route-entry.ts";
import { matchedLength, matchRoute } from "./route-matcher.ts";
import { createVirtualHostSelector } from "./virtual-host-selector.ts";

export type { RouteInput } from "./request-view.ts";

/** A compiled virtual host. `config` is the proto (cors, rate limits, per-filter config, metadata). */
export interface CompiledVirtualHost {
  readonly name: string;
  readonly config: VirtualHost;
  readonly routes: readonly CompiledRoute[];
  readonly retryPolicy: RetryPolicy | undefined;
  /** require_tls: "all" redirects every plain-text request to https; "external_only" spares x-envoy-internal ones. */
  readonly requireTls: "none" | "external_only" | "all";
  readonly includeRequestAttemptCount: boolean;
  readonly includeAttemptCountInResponse: boolean;
  /** Response headers of the virtual host and configuration levels (used by the require_tls redirect). */
  readonly responseHeaders: HeaderMutation;
}

/** The resolved action of a forwarding route. */
export interface ForwardResolution {
  readonly kind: "forward";
  /** The upstream cluster; "" when cluster_header named a header the request lacks (reply `policy.clusterNotFoundStatus`). */
  readonly cluster: string;
  readonly policy: ForwardPolicy;
  /** The upstream path (and query): rewritten, or the request's own. */
  readonly path: string;
  /** True when `path` was rewritten (the router then sets x-envoy-original-path). */
  readonly pathRewritten: boolean;
  /** The new authority, or undefined to keep the request's (or, for auto_host_rewrite, to use the endpoint's). */
  readonly host: string | undefined;
  /** Apply to the upstream request / downstream response with `applyHeaderMutation`. */
  readonly requestHeaders: HeaderMutation;
  readonly responseHeaders: HeaderMutation;
}

export interface RedirectResolution {
  readonly kind: "redirect";
  readonly status: number;
  readonly location: string;
  readonly responseHeaders: HeaderMutation;
}

export interface DirectResponseResolution {
  readonly kind: "direct_response";
  readonly status: number;
  readonly body: string | Uint8Array | undefined;
  readonly responseHeaders: HeaderMutation;
}

export type ResolvedAction = ForwardResolution | RedirectResolution | DirectResponseResolution;

export interface SelectedRoute {
  readonly virtualHost: CompiledVirtualHost;
  /** undefined only for the require_tls redirect, which happens before route matching. */
  readonly route: CompiledRoute | undefined;
  readonly action: ResolvedAction;
}

/** The compiled route table of one RouteConfiguration; immutable, safe to share across requests. */
export interface RouteTable {
  readonly name: string;
  readonly virtualHosts: readonly CompiledVirtualHost[];
  /** internal_only_headers: the connection manager strips them from external requests. */
  readonly internalOnlyHeaders: readonly string[];
  /**
   * Selects the virtual host and the first matching route, and resolves its action. For weighted
   * clusters the cluster is picked here, with `input.random` (or the configured random-value
   * header). Returns undefined when no virtual host or no route matches (Envoy replies 404, NR).
   */
  route(input: RouteInput): SelectedRoute | undefined;
}

/**
 * Compiles a RouteConfiguration. Throws WeftError("config") naming the offending field, e.g.
 * `virtual_hosts[0].routes[2].match.safe_regex.regex: invalid regex "(": …`, for invalid values and
 * for fields that would change routing but are not supported (vhds, cluster specifier plugins,
 * metadata/TLS-context matching, internal redirects, …). Fields carried out by other components
 * (cors, rate limits, typed_per_filter_config, mirroring, hedging) are left on `config`.
 */
export function compileRouteConfiguration(config: RouteConfiguration): RouteTable {
  rejectUnsupported(config.vhds !== undefined, "vhds");
  rejectUnsupported(config.clusterSpecifierPlugins.length > 0, "cluster_specifier_plugins");
  const mostSpecificWins = config.mostSpecificHeaderMutationsWins;
  const configLevel = (kind: "request" | "response"): HeaderMutationLevel => ({
    add: kind === "request" ? config.requestHeadersToAdd : config.responseHeadersToAdd,
    remove: kind === "request" ? config.requestHeadersToRemove : config.responseHeadersToRemove,
    path: `${kind}_headers_to_`,
  });
  const maxBody = config.maxDirectResponseBodySizeBytes ?? 4096;
  const virtualHosts = config.virtualHosts.map((vh, v): CompiledVirtualHost => {
    const path = `virtual_hosts[${v}]`;
    rejectUnsupported(vh.matcher !== undefined, `${path}.matcher`);
    rejectUnsupported(vh.retryPolicyTypedConfig !== undefined, `${path}.retry_policy_typed_config`);
    const level = (kind: "request" | "response"): HeaderMutationLevel => ({
      add: kind === "request" ? vh.requestHeadersToAdd : vh.responseHeadersToAdd,
      remove: kind === "request" ? vh.requestHeadersToRemove : vh.responseHeadersToRemove,
      path: `${path}.${kind}_headers_to_`,
    });
    const retryPolicy = vh.retryPolicy === undefined
      ? undefined
      : compileRetryPolicy(vh.retryPolicy, `${path}.retry_policy`);
    const mirrorPolicies: readonly RouteAction_RequestMirrorPolicy[] = vh.requestMirrorPolicies.length > 0
      ? vh.requestMirrorPolicies
      : config.requestMirrorPolicies;
    const hedgePolicy: HedgePolicy | undefined = vh.hedgePolicy;
    const ctx = {
      headers: {
        request: [level("request"), configLevel("request")],
        response: [level("response"), configLevel("response")],
        mostSpecificWins,
      },
      retryPolicy,
      hedgePolicy,
      mirrorPolicies,
      maxDirectResponseBodyBytes: maxBody,
    };
    return {
      name: vh.name,
      config: vh,
      routes: vh.routes.map((r, i) => compileRoute(r, `${path}.routes[${i}]`, ctx)),
      retryPolicy,
      requireTls: vh.requireTls === TlsRequirement.ALL
        ? "all"
        : vh.requireTls === TlsRequirement.EXTERNAL_ONLY
        ? "external_only"
        : "none",
      includeRequestAttemptCount: vh.includeRequestAttemptCount,
      includeAttemptCountInResponse: vh.includeAttemptCountInResponse,
      responseHeaders: compileHeaderMutation([level("response"), configLevel("response")], mostSpecificWins),
    };
  });
  const selector = createVirtualHostSelector(
    virtualHosts.map((vh, i) => ({ domains: vh.config.domains, value: vh, path: `virtual_hosts[${i}]` })),
    { ignorePort: config.ignorePortInHostMatching },
  );
  const ignorePathParameters = config.ignorePathParametersInPathMatching;

  return {
    name: config.name,
    virtualHosts,
    internalOnlyHeaders: config.internalOnlyHeaders.map((h) => h.toLowerCase()),
    route(input) {
      const vhost = selector.select(input.authority);
      if (vhost === undefined) return undefined;
      if (vhost.requireTls !== "none" && needsTlsRedirect(vhost, input)) return tlsRedirect(vhost, input);
      const req = new RequestView(input, ignorePathParameters);
      const routes = vhost.routes;
      for (let i = 0; i < routes.length; i++) {
        const route = routes[i];
        if (matchRoute(route.match, req)) return { virtualHost: vhost, route, action: resolve(route, req) };
      }
      return undefined;
    },
  };
}

function resolve(route: CompiledRoute, req: RequestView): ResolvedAction {
  const action = route.action;
  switch (action.kind) {
    case "forward":
      return resolveForward(route, action.forward, req);
    case "redirect":
      return resolveRedirect(route, action.redirect, req);
    case "direct_response":
      return {
        kind: "direct_response",
        status: action.directResponse.status,
        body: action.directResponse.body,
        responseHeaders: route.responseHeaders,
      };
  }
}

function resolveForward(route: CompiledRoute, policy: ForwardPolicy, req: RequestView): ForwardResolution {
  let cluster: string;
  let requestHeaders = policy.requestHeaders;
  let responseHeaders = policy.responseHeaders;
  let hostRewrite = policy.hostRewrite;
  const spec = policy.clusters;
  if (spec.kind === "cluster") {
    cluster = spec.name;
  } else if (spec.kind === "cluster_header") {
    cluster = clusterFromHeader(req, spec.header);
  } else {
    const entry = pickWeightedCluster(spec, req);
    cluster = entry.clusterHeader === undefined ? entry.name : clusterFromHeader(req, entry.clusterHeader);
    requestHeaders = entry.requestHeaders;
    responseHeaders = entry.responseHeaders;
    hostRewrite = entry.hostRewrite ?? hostRewrite;
  }
  const original = req.input.path;
  const path = policy.pathRewrite === undefined
    ? original
    : rewritePath(policy.pathRewrite, original, matchedLength(route.match, req));
  return {
    kind: "forward",
    cluster,
    policy,
    path,
    pathRewritten: path !== original,
    host: hostRewrite === undefined ? undefined : rewriteHost(hostRewrite, req),
    requestHeaders,
    responseHeaders,
  };
}

function resolveRedirect(
  route: CompiledRoute,
  redirect: CompiledRedirect,
  req: RequestView,
): RedirectResolution {
  return {
    kind: "redirect",
    status: redirect.status,
    location: redirectLocation(redirect, req, matchedLength(route.match, req)),
    responseHeaders: route.responseHeaders,
  };
}

function needsTlsRedirect(vhost: CompiledVirtualHost, input: RouteInput): boolean {
  if (input.scheme === "https") return false;
  return vhost.requireTls === "all" || input.headers["x-envoy-internal"] !== "true";
}

const HTTPS_REDIRECT: CompiledRedirect = {
  status: 301,
  scheme: "https",
  host: undefined,
  port: 0,
  path: undefined,
  rewrite: undefined,
  stripQuery: false,
};

function tlsRedirect(vhost: CompiledVirtualHost, input: RouteInput): SelectedRoute {
  const location = redirectLocation(HTTPS_REDIRECT, new RequestView(input, false), 0);
  return {
    virtualHost: vhost,
    route: undefined,
    action: { kind: "redirect", status: 301, location, responseHeaders: vhost.responseHeaders },
  };
}
