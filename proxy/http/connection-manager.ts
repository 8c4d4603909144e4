// The HTTP connection manager: per-request headers (request id, XFF), routing, local replies, stats, access log.
import type { HttpConnectionManager } from "../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.ts";
import { HttpConnectionManager_CodecType as CodecType } from "../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.ts";
import type { Runtime } from "../runtime/types.ts";
import type { ClusterManager } from "../cluster/cluster-manager.ts";
import { declareCounters, recordValue, type StatsStore } from "../stats/stats-store.ts";
import { durationMs } from "../duration.ts";
import type {
  DownstreamRequest,
  HeaderMap,
  HttpHandler,
  HttpResponse,
  HttpServeOptions,
  UpstreamRequest,
} from "./types.ts";
import { forwardableHeaders } from "./hop-by-hop.ts";
import { createHeaderPolicy } from "./request-headers.ts";
import { localReply, replyForError, type ResponseFlag } from "./local-reply.ts";
import type { RouteTable } from "../route/route-table.ts";
import { routeUpgradeEnabled } from "../route/route-entry.ts";
import { applyHeaderMutation } from "../route/header-mutation.ts";
import { hashRequest } from "../route/hash-policy.ts";
import { forward, type ForwardResult } from "./router.ts";
import type { ForwardResolution } from "../route/route-table.ts";
import type { UpstreamCluster } from "../cluster/cluster.ts";
import { proxyUpgrade } from "./upgrade.ts";
import { type AccessLogger, createAccessLogger } from "./access-log.ts";

const HCM_COUNTERS = [
  "downstream_rq_total",
  "downstream_rq_1xx",
  "downstream_rq_2xx",
  "downstream_rq_3xx",
  "downstream_rq_4xx",
  "downstream_rq_5xx",
  "downstream_rq_http1_total",
  "downstream_rq_http2_total",
  "downstream_rq_ws_on_non_ws_route",
  "downstream_rq_timeout",
  "no_route",
  "no_cluster",
  "rq_direct_response",
  "rq_redirect",
  "upgrades_total",
] as const;

export interface ConnectionManagerDeps {
  readonly runtime: Runtime;
  readonly clusters: ClusterManager;
  readonly stats: StatsStore;
  /** The route table for each request: fixed for inline route_config, looked up by name for RDS. */
  readonly routes: () => RouteTable | undefined;
  readonly accessLog?: boolean;
}

export interface ConnectionManager {
  readonly codec: "auto" | "http1" | "http2";
  readonly serveOptions: Omit<HttpServeOptions, "protocol">;
  readonly handler: HttpHandler;
}

export function createConnectionManager(
  config: HttpConnectionManager,
  deps: ConnectionManagerDeps,
): ConnectionManager {
  const { runtime, clusters, routes } = deps;
  const prefix = `http.${config.statPrefix}.`;
  const stats = declareCounters(deps.stats, prefix, HCM_COUNTERS);
  const active = deps.stats.gauge(prefix + "downstream_rq_active");
  const rqTime = deps.stats.histogram(prefix + "downstream_rq_time");
  const flagCounters = new Map<string, { value: number }>();
  const byClass = [
    stats.downstream_rq_1xx,
    stats.downstream_rq_1xx,
    stats.downstream_rq_2xx,
    stats.downstream_rq_3xx,
    stats.downstream_rq_4xx,
    stats.downstream_rq_5xx,
  ];
  const headerPolicy = createHeaderPolicy(config);
  const websocketEnabled = config.upgradeConfigs.some((u) =>
    u.upgradeType.toLowerCase() === "websocket" && (u.enabled ?? true)
  );
  const log: AccessLogger | undefined = deps.accessLog ? createAccessLogger(runtime) : undefined;
  const clock = runtime.clock;

  const finish = (
    req: DownstreamRequest,
    res: HttpResponse,
    start: number,
    flags: readonly ResponseFlag[],
    upstream?: string,
  ) => {
    active.value--;
    const statusClass = byClass[(res.status / 100) | 0];
    if (statusClass) statusClass.value++;
    const elapsed = clock.now() - start;
    recordValue(rqTime, elapsed);
    for (const f of flags) {
      let c = flagCounters.get(f);
      if (!c) flagCounters.set(f, c = deps.stats.counter(`${prefix}response_flags.${f}`));
      c.value++;
    }
    log?.(req, res.status, flags, elapsed, upstream);
    headerPolicy.prepareResponse(res.headers);
    return res;
  };

  /** The response to a forwarded request, once the router has an answer (or gave up). */
  const forwarded = (
    req: DownstreamRequest,
    start: number,
    action: ForwardResolution,
    cluster: UpstreamCluster,
    result: ForwardResult,
  ): HttpResponse => {
    if (!result.ok) {
      if (result.error.code === "upstream_timeout") stats.downstream_rq_timeout.value++;
      // Envoy's local-reply bodies ("upstream request timeout", …); the error's detail is in the access log flags.
      const message = result.flags[0] === "UH"
        ? "no healthy upstream"
        : replyForError(result.error.code).message;
      const reply = localReply(req, statusFor(result.flags[0]), message);
      return finish(req, reply, start, result.flags, cluster.name);
    }
    const res = result.response;
    const resHeaders = forwardableHeaders(res.headers);
    applyHeaderMutation(action.responseHeaders, resHeaders);
    return finish(
      req,
      { status: res.status, headers: resHeaders, body: res.body, trailers: res.trailers },
      start,
      result.flags ?? NO_FLAGS,
      result.host.key,
    );
  };

  /** Routes one request; local replies are answered synchronously, forwarded ones through a promise. */
  const handle = (req: DownstreamRequest): HttpResponse | Promise<HttpResponse> => {
    const start = clock.now();
    stats.downstream_rq_total.value++;
    active.value++;
    if (req.protocol === "HTTP/2") stats.downstream_rq_http2_total.value++;
    else stats.downstream_rq_http1_total.value++;

    const table = routes();
    if (!table) {
      stats.no_route.value++;
      return finish(req, localReply(req, 503, "route configuration not yet received"), start, NR);
    }
    const selected = table.route({
      authority: req.authority,
      path: headerPolicy.routingPath(req.path),
      method: req.method,
      headers: req.headers,
      scheme: req.scheme,
      random: runtime.random,
    });
    if (!selected) {
      stats.no_route.value++;
      return finish(req, localReply(req, 404, "route not found"), start, NR);
    }
    const action = selected.action;
    if (action.kind === "direct_response") {
      stats.rq_direct_response.value++;
      const body = action.body ?? null;
      const headers: HeaderMap = body === null ? {} : { "content-type": "text/plain" };
      applyHeaderMutation(action.responseHeaders, headers);
      return finish(req, { status: action.status, headers, body }, start, NO_FLAGS);
    }
    if (action.kind === "redirect") {
      stats.rq_redirect.value++;
      const headers: HeaderMap = { location: action.location };
      applyHeaderMutation(action.responseHeaders, headers);
      return finish(req, { status: action.status, headers, body: null }, start, NO_FLAGS);
    }
    const policy = action.policy;
    const cluster = action.cluster ? clusters.get(action.cluster) : undefined;
    if (!cluster) {
      stats.no_cluster.value++;
      const status = policy.clusterNotFoundStatus;
      return finish(
        req,
        localReply(req, status, `cluster ${action.cluster || "(from header)"} not found`),
        start,
        NC,
      );
    }
    const isUpgrade = req.upgrade !== undefined;
    if (isUpgrade && !(routeUpgradeEnabled(policy, "websocket") ?? websocketEnabled)) {
      stats.downstream_rq_ws_on_non_ws_route.value++;
      return finish(req, localReply(req, 403, "upgrade not allowed on this route"), start, NO_FLAGS);
    }
    const headers = forwardableHeaders(req.headers, isUpgrade);
    headerPolicy.prepareRequest(req, headers);
    if (action.pathRewritten) headers["x-envoy-original-path"] = req.path;
    const authority = action.host ?? req.authority;
    headers["host"] = authority;
    applyHeaderMutation(action.requestHeaders, headers);
    const upstream: UpstreamRequest = {
      method: req.method,
      scheme: req.scheme,
      authority,
      path: action.path,
      headers,
      body: req.body,
      cancel: undefined,
    };
    const hash = policy.hashPolicy
      ? hashRequest(policy.hashPolicy, { ...upstream, sourceIp: req.remoteAddress })
      : undefined;

    if (isUpgrade) {
      stats.upgrades_total.value++;
      return proxyUpgrade(runtime, cluster, req, upstream, hash).then((result) =>
        finish(req, result.response ?? { status: 101, headers: {}, body: null }, start, result.flags)
      );
    }

    return forward(runtime, cluster, upstream, {
      timeoutMs: policy.timeoutMs,
      retry: policy.retryPolicy,
      hash,
      downstream: req,
    }).then((result) => forwarded(req, start, action, cluster, result));
  };

  // Never throws synchronously (callers treat a rejection and a throw alike, but only expect the former).
  const handler: HttpHandler = (req) => {
    try {
      return handle(req);
    } catch (err) {
      return Promise.reject(err);
    }
  };

  return {
    codec: config.codecType === CodecType.HTTP1
      ? "http1"
      : config.codecType === CodecType.HTTP2
      ? "http2"
      : "auto",
    serveOptions: {
      maxRequestHeadersKb: config.maxRequestHeadersKb ?? 60,
      maxHeadersCount: config.commonHttpProtocolOptions?.maxHeadersCount ?? 100,
      idleTimeoutMs: durationMs(config.commonHttpProtocolOptions?.idleTimeout, 3_600_000),
      requestHeadersTimeoutMs: durationMs(config.requestHeadersTimeout, 0),
      streamIdleTimeoutMs: durationMs(config.streamIdleTimeout, 300_000),
      http2: config.http2ProtocolOptions && {
        maxConcurrentStreams: config.http2ProtocolOptions.maxConcurrentStreams,
        initialStreamWindowSize: config.http2ProtocolOptions.initialStreamWindowSize,
        initialConnectionWindowSize: config.http2ProtocolOptions.initialConnectionWindowSize,
      },
    },
    handler,
  };
}

const NO_FLAGS: readonly ResponseFlag[] = [];
const NR: readonly ResponseFlag[] = ["NR"];
const NC: readonly ResponseFlag[] = ["NC"];

function statusFor(flag: ResponseFlag | undefined): number {
  switch (flag) {
    case "UT":
      return 504;
    case "UPE":
      return 502;
    default:
      return 503;
  }
}
