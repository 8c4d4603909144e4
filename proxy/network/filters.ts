// The network filters Weft knows, listed explicitly (no registration by import side effect).
import { type Any, anyIs, anyUnpack } from "@bufbuild/protobuf/wkt";
import { HttpConnectionManagerSchema } from "../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.ts";
import { TcpProxySchema } from "../../gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.ts";
import type { Runtime } from "../runtime/types.ts";
import type { ClusterManager } from "../cluster/cluster-manager.ts";
import type { StatsStore } from "../stats/stats-store.ts";
import type { NetworkFilter } from "../listener/network-chain.ts";
import { createConnectionManager } from "../http/connection-manager.ts";
import { compileRouteConfiguration, type RouteTable } from "../route/route-table.ts";
import type { RouteStore } from "../http/route-store.ts";
import { createHttpNetworkFilter } from "./http-connection-manager-filter.ts";
import { createTcpProxy } from "./tcp-proxy.ts";
import { WeftError } from "../errors.ts";

export interface NetworkFilterContext {
  readonly runtime: Runtime;
  readonly clusters: ClusterManager;
  readonly stats: StatsStore;
  readonly accessLog: boolean;
  /** Route configurations from RDS. */
  readonly routeStore: RouteStore;
  /** Collects the RDS names the filters being built refer to. */
  readonly rdsNames: Set<string>;
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
    const spec = hcm.routeSpecifier;
    let routes: () => RouteTable | undefined;
    if (spec.case === "routeConfig") {
      const table = withFieldPrefix(
        `${field}.typed_config.route_config`,
        () => compileRouteConfiguration(spec.value),
      );
      routes = () => table;
    } else if (spec.case === "rds") {
      const name = spec.value.routeConfigName;
      if (!name) throw new WeftError("config", `${field}.typed_config.rds.route_config_name: required`);
      ctx.rdsNames.add(name);
      const store = ctx.routeStore;
      routes = () => store.get(name);
    } else {
      throw new WeftError(
        "config",
        `${field}.typed_config: ${spec.case ?? "no"} route specifier; use route_config or rds`,
      );
    }
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
