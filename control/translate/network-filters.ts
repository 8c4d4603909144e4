// Network filters the translators emit: HTTP connection manager (RDS or inline routes, router filter) and tcp_proxy.
import type {
  FilterSchema,
  ListenerFilterSchema,
} from "../../gen/envoy/config/listener/v3/listener_components_pb.ts";
import type { RouteConfigurationSchema } from "../../gen/envoy/config/route/v3/route_pb.ts";
import { RouterSchema } from "../../gen/envoy/extensions/filters/http/router/v3/router_pb.ts";
import { TlsInspectorSchema } from "../../gen/envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector_pb.ts";
import {
  HttpConnectionManager_CodecType as CodecType,
  HttpConnectionManagerSchema,
} from "../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.ts";
import { TcpProxySchema } from "../../gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.ts";
import { adsConfigSource, type Init, packed } from "./proto.ts";

export type FilterInit = Init<typeof FilterSchema>;

/** The HCM's routes: by name over ADS (RDS), or inline. */
export type RouteSource =
  | { readonly rds: string }
  | { readonly inline: Init<typeof RouteConfigurationSchema> };

/** The HttpConnectionManager (codec AUTO, router as the only and last HTTP filter), packed as an Any. */
export function httpConnectionManager(statPrefix: string, routes: RouteSource) {
  return packed(HttpConnectionManagerSchema, {
    codecType: CodecType.AUTO,
    statPrefix,
    routeSpecifier: "rds" in routes
      ? { case: "rds", value: { configSource: adsConfigSource(), routeConfigName: routes.rds } }
      : { case: "routeConfig", value: routes.inline },
    httpFilters: [{
      name: "envoy.filters.http.router",
      configType: { case: "typedConfig", value: packed(RouterSchema, {}) },
    }],
  });
}

export function hcmFilter(statPrefix: string, routes: RouteSource): FilterInit {
  return {
    name: "envoy.filters.network.http_connection_manager",
    configType: { case: "typedConfig", value: httpConnectionManager(statPrefix, routes) },
  };
}

/** One weighted upstream of a tcp_proxy. */
export interface TcpTarget {
  readonly cluster: string;
  readonly weight: number;
}

/** tcp_proxy to one cluster, or weighted_clusters when several targets carry traffic. */
export function tcpProxyFilter(statPrefix: string, targets: readonly TcpTarget[]): FilterInit {
  const clusterSpecifier = targets.length === 1 ? { case: "cluster" as const, value: targets[0].cluster } : {
    case: "weightedClusters" as const,
    value: { clusters: targets.map((t) => ({ name: t.cluster, weight: t.weight })) },
  };
  return {
    name: "envoy.filters.network.tcp_proxy",
    configType: { case: "typedConfig", value: packed(TcpProxySchema, { statPrefix, clusterSpecifier }) },
  };
}

/** The TLS inspector, needed before filter chains can match on SNI. */
export function tlsInspector(): Init<typeof ListenerFilterSchema> {
  return {
    name: "envoy.filters.listener.tls_inspector",
    configType: { case: "typedConfig", value: packed(TlsInspectorSchema, {}) },
  };
}
