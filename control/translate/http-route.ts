// VirtualService HTTPRoute → Envoy Routes: matches, forward/redirect/direct-response actions, retries, timeouts.
import { RedirectAction_RedirectResponseCode as RedirectCode } from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import type {
  RedirectActionSchema,
  RetryPolicySchema,
  RouteActionSchema,
  RouteSchema,
} from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import type { HTTPRetry, HTTPRoute } from "../push-context/istio-spec.ts";
import type { VirtualServiceView } from "../push-context/views.ts";
import type { TranslateContext } from "./context.ts";
import { buildRouteMatches, type PathKind, type RouteEnv } from "./http-match.ts";
import { parseDurationMs } from "../config/duration.ts";
import { durationOf, type Init } from "./proto.ts";
import { clusterSpecifier, hashPolicies, headerFields } from "./route-destinations.ts";

export type RouteInit = Init<typeof RouteSchema>;

const UNSUPPORTED: readonly [keyof HTTPRoute, string][] = [
  ["fault", "fault injection"],
  ["mirror", "request mirroring"],
  ["mirrors", "request mirroring"],
  ["mirrorPercentage", "request mirroring"],
  ["mirrorPercent", "request mirroring"],
  ["corsPolicy", "CORS policy"],
];

/** Istio's retry policy when a route sets none. */
const DEFAULT_RETRY_ON = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

/** The Envoy routes of every HTTPRoute of a VirtualService that applies to this proxy, in order. */
export function buildVirtualServiceRoutes(
  ctx: TranslateContext,
  vs: VirtualServiceView,
  env: RouteEnv,
): RouteInit[] {
  const out: RouteInit[] = [];
  vs.http.forEach((http, i) => {
    const where = `VirtualService ${vs.namespace}/${vs.name} http[${i}]`;
    for (const [field, what] of UNSUPPORTED) {
      if (http[field] !== undefined) {
        ctx.warn(`${where}: ${what} is not supported by Weft's proxy yet; it is left out`);
      }
    }
    if ((http as { readonly delegate?: unknown }).delegate !== undefined) {
      ctx.warn(`${where}: delegate VirtualServices are not supported yet; the route is left out`);
      return;
    }
    for (const built of buildRouteMatches(ctx, http.match, env, vs.gateways, where)) {
      const route = buildRoute(ctx, http, built.pathKind, env, where);
      if (route !== undefined) out.push({ ...route, match: built.match });
    }
  });
  return out;
}

/** The catch-all route to a service port's cluster when no VirtualService applies. */
export function defaultRoute(
  ctx: TranslateContext,
  cluster: string,
  hostname: string,
  port: number,
): RouteInit {
  const action: Init<typeof RouteActionSchema> = {
    clusterSpecifier: { case: "cluster", value: cluster },
    timeout: durationOf(0),
    hashPolicy: hashPolicies(ctx, { host: hostname, port: { number: port } }, port, cluster),
  };
  if (ctx.proxy.type !== "proxyless") action.retryPolicy = retryPolicy(undefined);
  return {
    name: "default",
    match: { pathSpecifier: { case: "prefix", value: "/" } },
    action: { case: "route", value: action },
  };
}

function buildRoute(
  ctx: TranslateContext,
  http: HTTPRoute,
  pathKind: PathKind,
  env: RouteEnv,
  where: string,
): RouteInit | undefined {
  const base: RouteInit = { name: http.name ?? "", ...headerFields(http.headers) };
  if (http.redirect !== undefined || http.directResponse !== undefined) {
    if (env.proxyless) {
      ctx.warn(`${where}: proxyless gRPC cannot send redirects or direct responses; the route is left out`);
      return undefined;
    }
    if (http.redirect !== undefined) {
      return { ...base, action: { case: "redirect", value: redirect(ctx, http, where) } };
    }
    const dr = http.directResponse!;
    const body = dr.body?.string !== undefined
      ? { specifier: { case: "inlineString" as const, value: dr.body.string } }
      : dr.body?.bytes !== undefined
      ? { specifier: { case: "inlineBytes" as const, value: base64(dr.body.bytes) } }
      : undefined;
    return { ...base, action: { case: "directResponse", value: { status: dr.status, body } } };
  }
  if (http.route === undefined || http.route.length === 0) {
    ctx.warn(`${where}: no route, redirect or directResponse; the route is left out`);
    return undefined;
  }
  const choice = clusterSpecifier(ctx, http.route, env.port, where);
  const action: Init<typeof RouteActionSchema> = {
    ...choice.action,
    timeout: durationOf(parseDurationMs(http.timeout) ?? 0),
    hashPolicy: hashPolicies(ctx, http.route[0]?.destination, env.port, where),
  };
  const retry = env.proxyless && http.retries === undefined ? undefined : retryPolicy(http.retries);
  if (retry !== undefined) action.retryPolicy = retry;
  const rewrite = http.rewrite;
  if (rewrite !== undefined && env.proxyless) {
    ctx.warn(`${where}: proxyless gRPC cannot rewrite requests; the rewrite is left out`);
  } else if (rewrite !== undefined) {
    if (rewrite.uriRegexRewrite?.match !== undefined) {
      action.regexRewrite = {
        pattern: { regex: rewrite.uriRegexRewrite.match },
        substitution: rewrite.uriRegexRewrite.rewrite ?? "",
      };
    } else if (rewrite.uri !== undefined && pathKind === "regex") {
      action.regexRewrite = { pattern: { regex: "^.*$" }, substitution: rewrite.uri };
    } else if (rewrite.uri !== undefined) {
      action.prefixRewrite = rewrite.uri;
    }
    if (rewrite.authority !== undefined) {
      action.hostRewriteSpecifier = { case: "hostRewriteLiteral", value: rewrite.authority };
    }
  }
  const route: RouteInit = { ...base, action: { case: "route", value: action } };
  if (choice.destinationHeaders !== undefined) {
    const extra = headerFields(choice.destinationHeaders);
    route.requestHeadersToAdd = [...extra.requestHeadersToAdd, ...(base.requestHeadersToAdd ?? [])];
    route.requestHeadersToRemove = [...extra.requestHeadersToRemove, ...(base.requestHeadersToRemove ?? [])];
    route.responseHeadersToAdd = [...extra.responseHeadersToAdd, ...(base.responseHeadersToAdd ?? [])];
    route.responseHeadersToRemove = [
      ...extra.responseHeadersToRemove,
      ...(base.responseHeadersToRemove ?? []),
    ];
  }
  return route;
}

/**
 * Istio retries → Envoy: no `retries` = Istio's default (2 retries on connect-failure, refused-stream,
 * unavailable, cancelled and 503); attempts 0 = none. Status codes in retryOn become retriable_status_codes;
 * `backoff` is the base back-off interval; the previous-hosts predicate unless retryIgnorePreviousHosts is false.
 */
export function retryPolicy(retries: HTTPRetry | undefined): Init<typeof RetryPolicySchema> | undefined {
  if (retries?.attempts === 0) return undefined;
  const tokens = (retries?.retryOn ?? DEFAULT_RETRY_ON).split(",").map((t) => t.trim()).filter((t) =>
    t !== ""
  );
  const codes = tokens.filter((t) => /^\d{3}$/.test(t)).map(Number);
  const conditions = tokens.filter((t) => !/^\d{3}$/.test(t));
  if (codes.length > 0 && !conditions.includes("retriable-status-codes")) {
    conditions.push("retriable-status-codes");
  }
  const policy: Init<typeof RetryPolicySchema> = {
    retryOn: conditions.join(","),
    numRetries: retries?.attempts ?? 2,
    retriableStatusCodes: retries === undefined ? [503] : codes,
  };
  if (retries?.retryIgnorePreviousHosts !== false) {
    policy.retryHostPredicate = [{ name: "envoy.retry_host_predicates.previous_hosts" }];
    policy.hostSelectionRetryMaxAttempts = 5n;
  }
  const perTry = parseDurationMs(retries?.perTryTimeout);
  if (perTry !== undefined) policy.perTryTimeout = durationOf(perTry);
  const backoff = parseDurationMs(retries?.backoff);
  if (backoff !== undefined && backoff > 0) policy.retryBackOff = { baseInterval: durationOf(backoff) };
  return policy;
}

const REDIRECT_CODES: Readonly<Record<number, RedirectCode>> = {
  301: RedirectCode.MOVED_PERMANENTLY,
  302: RedirectCode.FOUND,
  303: RedirectCode.SEE_OTHER,
  307: RedirectCode.TEMPORARY_REDIRECT,
  308: RedirectCode.PERMANENT_REDIRECT,
};

function redirect(ctx: TranslateContext, http: HTTPRoute, where: string): Init<typeof RedirectActionSchema> {
  const r = http.redirect!;
  const out: Init<typeof RedirectActionSchema> = {
    hostRedirect: r.authority ?? "",
    portRedirect: r.port ?? 0,
    responseCode: REDIRECT_CODES[r.redirectCode ?? 301] ?? RedirectCode.MOVED_PERMANENTLY,
  };
  if (r.redirectCode !== undefined && REDIRECT_CODES[r.redirectCode] === undefined) {
    ctx.warn(`${where}: redirectCode ${r.redirectCode} is not one Envoy can send; 301 is used`);
  }
  if (r.derivePort !== undefined) {
    ctx.warn(`${where}: redirect.derivePort is not supported yet; it is left out`);
  }
  if (r.uri !== undefined) out.pathRewriteSpecifier = { case: "pathRedirect", value: r.uri };
  if (r.scheme !== undefined) out.schemeRewriteSpecifier = { case: "schemeRedirect", value: r.scheme };
  return out;
}

function base64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
