// One envoy.config.route.v3.Route compiled: its match, and its action (forward, redirect or direct response).
import type {
  HedgePolicy,
  Route,
  RouteAction,
  RouteAction_RequestMirrorPolicy,
} from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import {
  RouteAction_ClusterNotFoundResponseCode as NotFound,
  RouteAction_InternalRedirectAction,
} from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import {
  type ClusterSpecifier,
  compileClusterSpecifier,
  type EnclosingHeaders,
} from "./cluster-specifier.ts";
import { configError, rejectUnsupported } from "./config-error.ts";
import { durationToMs } from "./duration.ts";
import { compileHashPolicy, type HashPolicy } from "./hash-policy.ts";
import { compileHeaderMutation, type HeaderMutation, type HeaderMutationLevel } from "./header-mutation.ts";
import { type CompiledRedirect, compileRedirect } from "./redirect.ts";
import { compileRetryPolicy, type RetryPolicy } from "./retry-policy.ts";
import { compileHostRewrite, compilePathRewrite, type HostRewrite, type PathRewrite } from "./rewrite.ts";
import { type CompiledRouteMatch, compileRouteMatch } from "./route-matcher.ts";

/** Everything a forwarding route needs per request, computed at config time. */
export interface ForwardPolicy {
  readonly clusters: ClusterSpecifier;
  /** Status when the cluster is unknown or the cluster header is missing (cluster_not_found_response_code). */
  readonly clusterNotFoundStatus: number;
  readonly pathRewrite: PathRewrite | undefined;
  readonly hostRewrite: HostRewrite | undefined;
  readonly appendXForwardedHost: boolean;
  /** Whole-request timeout in ms: 15 000 unless set; 0 = no timeout. */
  readonly timeoutMs: number;
  /** Stream idle timeout in ms; undefined = the connection manager's; 0 = disabled. */
  readonly idleTimeoutMs: number | undefined;
  /** The route's retry policy, else the virtual host's; undefined = no retries. */
  readonly retryPolicy: RetryPolicy | undefined;
  readonly hashPolicy: HashPolicy | undefined;
  /** Per-route upgrade overrides, lower-case upgrade type → enabled; absent = the connection manager decides. */
  readonly upgrades: ReadonlyMap<string, boolean>;
  /** max_stream_duration fields in ms (undefined = unset). */
  readonly maxStreamDurationMs: number | undefined;
  readonly grpcTimeoutHeaderMaxMs: number | undefined;
  readonly grpcTimeoutHeaderOffsetMs: number | undefined;
  /** The route's mirror policies, else the virtual host's, else the configuration's (carried out by the router). */
  readonly mirrorPolicies: readonly RouteAction_RequestMirrorPolicy[];
  /** The route's hedge policy, else the virtual host's (raw; carried out by the router). */
  readonly hedgePolicy: HedgePolicy | undefined;
  /** Header programs for cluster / cluster_header routes (weighted entries carry their own). */
  readonly requestHeaders: HeaderMutation;
  readonly responseHeaders: HeaderMutation;
}

export interface CompiledDirectResponse {
  readonly status: number;
  readonly body: string | Uint8Array | undefined;
}

export type CompiledAction =
  | { readonly kind: "forward"; readonly forward: ForwardPolicy }
  | { readonly kind: "redirect"; readonly redirect: CompiledRedirect }
  | { readonly kind: "direct_response"; readonly directResponse: CompiledDirectResponse };

/** A compiled route. `config` is the proto, for per-filter config, metadata, decorator, rate limits, cors. */
export interface CompiledRoute {
  readonly name: string;
  readonly config: Route;
  readonly match: CompiledRouteMatch;
  readonly action: CompiledAction;
  /** Response headers for redirect and direct-response routes (route → virtual host → configuration). */
  readonly responseHeaders: HeaderMutation;
}

/** What a route inherits from its virtual host and route configuration. */
export interface RouteContext {
  readonly headers: EnclosingHeaders;
  readonly retryPolicy: RetryPolicy | undefined;
  readonly hedgePolicy: HedgePolicy | undefined;
  readonly mirrorPolicies: readonly RouteAction_RequestMirrorPolicy[];
  readonly maxDirectResponseBodyBytes: number;
}

const NOT_FOUND_STATUS: Record<number, number> = {
  [NotFound.SERVICE_UNAVAILABLE]: 503,
  [NotFound.NOT_FOUND]: 404,
  [NotFound.INTERNAL_SERVER_ERROR]: 500,
};

export function compileRoute(route: Route, path: string, ctx: RouteContext): CompiledRoute {
  const match = compileRouteMatch(route.match, `${path}.match`);
  const level = (kind: "request" | "response"): HeaderMutationLevel => ({
    add: kind === "request" ? route.requestHeadersToAdd : route.responseHeadersToAdd,
    remove: kind === "request" ? route.requestHeadersToRemove : route.responseHeadersToRemove,
    path: `${path}.${kind}_headers_to_`,
  });
  const headers: EnclosingHeaders = {
    request: [level("request"), ...ctx.headers.request],
    response: [level("response"), ...ctx.headers.response],
    mostSpecificWins: ctx.headers.mostSpecificWins,
  };
  const responseHeaders = compileHeaderMutation(headers.response, headers.mostSpecificWins);
  const action = route.action;
  let compiled: CompiledAction;
  switch (action.case) {
    case "route":
      compiled = { kind: "forward", forward: compileForward(action.value, `${path}.route`, headers, ctx) };
      break;
    case "redirect":
      compiled = { kind: "redirect", redirect: compileRedirect(action.value, `${path}.redirect`) };
      break;
    case "directResponse": {
      const at = `${path}.direct_response`;
      const { status, body } = action.value;
      if (status < 200 || status > 599) {
        throw configError(`${at}.status`, `must be in [200, 600), got ${status}`);
      }
      const spec = body?.specifier;
      let value: string | Uint8Array | undefined;
      if (spec?.case === "inlineString" || spec?.case === "inlineBytes") value = spec.value;
      else if (spec?.case !== undefined) {
        throw configError(
          `${at}.body`,
          `${spec.case} bodies are not supported (use inline_string or inline_bytes)`,
        );
      }
      const size = typeof value === "string" ? new TextEncoder().encode(value).length : value?.length ?? 0;
      if (size > ctx.maxDirectResponseBodyBytes) {
        throw configError(
          `${at}.body`,
          `${size} bytes exceeds max_direct_response_body_size_bytes (${ctx.maxDirectResponseBodyBytes})`,
        );
      }
      compiled = { kind: "direct_response", directResponse: { status, body: value } };
      break;
    }
    case "filterAction":
    case "nonForwardingAction":
      throw configError(
        path,
        `${action.case === "filterAction" ? "filter_action" : "non_forwarding_action"} is not supported`,
      );
    default:
      throw configError(path, "one of route, redirect or direct_response is required");
  }
  return { name: route.name, config: route, match, action: compiled, responseHeaders };
}

function compileForward(
  a: RouteAction,
  path: string,
  headers: EnclosingHeaders,
  ctx: RouteContext,
): ForwardPolicy {
  rejectUnsupported(a.metadataMatch !== undefined, `${path}.metadata_match`);
  rejectUnsupported(a.pathRewritePolicy !== undefined, `${path}.path_rewrite_policy`);
  rejectUnsupported(a.retryPolicyTypedConfig !== undefined, `${path}.retry_policy_typed_config`);
  rejectUnsupported(a.internalRedirectPolicy !== undefined, `${path}.internal_redirect_policy`);
  rejectUnsupported(
    a.internalRedirectAction === RouteAction_InternalRedirectAction.HANDLE_INTERNAL_REDIRECT,
    `${path}.internal_redirect_action`,
    "HANDLE_INTERNAL_REDIRECT",
  );
  const notFound = NOT_FOUND_STATUS[a.clusterNotFoundResponseCode];
  if (notFound === undefined) throw configError(`${path}.cluster_not_found_response_code`, "unknown code");
  const upgrades = new Map<string, boolean>();
  a.upgradeConfigs.forEach((u, i) => {
    if (u.upgradeType === "") throw configError(`${path}.upgrade_configs[${i}].upgrade_type`, "is required");
    upgrades.set(u.upgradeType.toLowerCase(), u.enabled ?? true);
  });
  const msd = a.maxStreamDuration;
  return {
    clusters: compileClusterSpecifier(a, path, headers),
    clusterNotFoundStatus: notFound,
    pathRewrite: compilePathRewrite(a.prefixRewrite, a.regexRewrite, path),
    hostRewrite: compileHostRewrite(a, path),
    appendXForwardedHost: a.appendXForwardedHost,
    timeoutMs: durationToMs(a.timeout, `${path}.timeout`, 15_000),
    idleTimeoutMs: durationToMs(a.idleTimeout, `${path}.idle_timeout`),
    retryPolicy: a.retryPolicy === undefined
      ? ctx.retryPolicy
      : compileRetryPolicy(a.retryPolicy, `${path}.retry_policy`),
    hashPolicy: compileHashPolicy(a.hashPolicy, `${path}.hash_policy`),
    upgrades,
    maxStreamDurationMs: durationToMs(
      msd?.maxStreamDuration,
      `${path}.max_stream_duration.max_stream_duration`,
    ),
    grpcTimeoutHeaderMaxMs: durationToMs(
      msd?.grpcTimeoutHeaderMax,
      `${path}.max_stream_duration.grpc_timeout_header_max`,
    ),
    grpcTimeoutHeaderOffsetMs: durationToMs(
      msd?.grpcTimeoutHeaderOffset,
      `${path}.max_stream_duration.grpc_timeout_header_offset`,
    ),
    mirrorPolicies: a.requestMirrorPolicies.length > 0 ? a.requestMirrorPolicies : ctx.mirrorPolicies,
    hedgePolicy: a.hedgePolicy ?? ctx.hedgePolicy,
    requestHeaders: compileHeaderMutation(headers.request, headers.mostSpecificWins),
    responseHeaders: compileHeaderMutation(headers.response, headers.mostSpecificWins),
  };
}

/** Whether the route allows `upgradeType` (e.g. "websocket"): true/false, or undefined to defer to the connection manager. */
export function routeUpgradeEnabled(policy: ForwardPolicy, upgradeType: string): boolean | undefined {
  return policy.upgrades.size === 0 ? undefined : policy.upgrades.get(upgradeType.toLowerCase());
}
