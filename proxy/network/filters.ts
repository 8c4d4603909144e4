// The network filters Weft knows, listed explicitly (no registration by import side effect).
import { type Any, anyIs, anyUnpack } from "@bufbuild/protobuf/wkt";
import { HttpConnectionManagerSchema } from "../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.ts";
import { TcpProxySchema } from "../../gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.ts";
import type { Runtime } from "../runtime/types.ts";
import type { ClusterManager } from "../cluster/cluster-manager.ts";
import type { StatsStore } from "../stats/stats-store.ts";
import type { NetworkFilter } from "../listener/network-chain.ts";
import { createConnectionManager } from "../http/connection-manager.ts";
import { compileRouteConfiguration } from "../route/route-table.ts";
import { createHttpNetworkFilter } from "./http-connection-manager-filter.ts";
import { createTcpProxy } from "./tcp-proxy.ts";
import { WeftError } from "../errors.ts";

export interface NetworkFilterContext {
  readonly runtime: Runtime;
  readonly clusters: ClusterManager;
  readonly stats: StatsStore;
  readonly accessLog: boolean;
}

export interface NetworkFilterFactory {
  /** Envoy's dotted name. */
  readonly name: string;
  readonly matches: (config: Any) => boolean;
  create(config: Any, ctx: NetworkFilterContext, field: string): NetworkFilter;
}

export const httpConnectionManagerFactory: NetworkFilterFactory = {
  name: "envoy.filters.network.http_connection_manager",
  matches: (c) => anyIs(c, HttpConnectionManagerSchema),
  create(config, ctx, field) {
    const hcm = anyUnpack(config, HttpConnectionManagerSchema)!;
    const spec = hcm.routeSpecifier;
    if (spec.case !== "routeConfig") {
      throw new WeftError(
        "config",
        `${field}.typed_config: only an inline route_config is supported (rds arrives with the control plane)`,
      );
    }
    const filters = hcm.httpFilters;
    if (filters.length === 0 || !filters[filters.length - 1].name.includes("router")) {
      throw new WeftError(
        "config",
        `${field}.typed_config.http_filters: the last HTTP filter must be envoy.filters.http.router`,
      );
    }
    filters.slice(0, -1).forEach((f, i) => {
      throw new WeftError(
        "config",
        `${field}.typed_config.http_filters[${i}]: HTTP filter ${f.name} is not supported yet`,
      );
    });
    const routes = withFieldPrefix(
      `${field}.typed_config.route_config`,
      () => compileRouteConfiguration(spec.value),
    );
    const manager = createConnectionManager(hcm, { ...ctx, routes });
    return createHttpNetworkFilter(ctx.runtime, manager);
  },
};

export const tcpProxyFactory: NetworkFilterFactory = {
  name: "envoy.filters.network.tcp_proxy",
  matches: (c) => anyIs(c, TcpProxySchema),
  create(config, ctx, field) {
    const tcp = createTcpProxy(
      anyUnpack(config, TcpProxySchema)!,
      ctx.runtime,
      ctx.clusters,
      ctx.stats,
      `${field}.typed_config`,
    );
    return {
      handle(conn) {
        tcp.handle(conn).catch(() => conn.destroy());
        return undefined;
      },
    };
  },
};

export const NETWORK_FILTERS: readonly NetworkFilterFactory[] = [
  httpConnectionManagerFactory,
  tcpProxyFactory,
];

/** Route-table errors name paths inside the RouteConfiguration; prefix them with where it sits. */
function withFieldPrefix<T>(prefix: string, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof WeftError && err.code === "config") {
      throw new WeftError("config", `${prefix}.${err.message}`, { cause: err });
    }
    throw err;
  }
}
