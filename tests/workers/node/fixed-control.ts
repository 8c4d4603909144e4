// A control server with a fixed edge snapshot the workerd tests can stop, restart and switch over HTTP.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { type ControlServer, startControlServer } from "../../../adapters/node/control-server.ts";
import { edgeConfigRoutes } from "../../../control/edge/edge-config-service.ts";
import {
  buildSnapshot,
  createSnapshotCache,
  type SnapshotResources,
} from "../../../control/xds/snapshot-cache.ts";
import { Cluster_DiscoveryType, ClusterSchema } from "../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { ClusterLoadAssignmentSchema } from "../../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import { ListenerSchema } from "../../../gen/envoy/config/listener/v3/listener_pb.ts";
import { RouteConfigurationSchema } from "../../../gen/envoy/config/route/v3/route_pb.ts";
import { HttpConnectionManagerSchema } from "../../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.ts";
import { RouterSchema } from "../../../gen/envoy/extensions/filters/http/router/v3/router_pb.ts";
import { TcpProxySchema } from "../../../gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.ts";
import { EDGE_NODE_ID } from "../support/provided.ts";

export const WEB = "outbound|80||web.edge.test";

/** A listener the Workers runtime cannot run (tcp_proxy): the edge must reject it and keep what it had. */
function tcpListener() {
  const tcp = create(TcpProxySchema, {
    statPrefix: "tcp",
    clusterSpecifier: { case: "cluster", value: WEB },
  });
  return create(ListenerSchema, {
    name: "0.0.0.0_9000",
    filterChains: [{
      filters: [{
        name: "envoy.filters.network.tcp_proxy",
        configType: { case: "typedConfig", value: anyPack(TcpProxySchema, tcp) },
      }],
    }],
  });
}

/**
 * Variant "a" sends everything to `port` and tags responses x-config: a; "b" likewise; "tcp" is "a" plus a
 * tcp_proxy listener (config the Workers runtime rejects).
 */
export function edgeResources(variant: string, port: number): SnapshotResources {
  if (variant === "tcp") {
    const a = edgeResources("a", port);
    return { ...a, listeners: [...a.listeners, tcpListener()] };
  }
  const hcm = create(HttpConnectionManagerSchema, {
    statPrefix: "edge",
    routeSpecifier: { case: "rds", value: { routeConfigName: "http.80", configSource: {} } },
    httpFilters: [{
      name: "envoy.filters.http.router",
      configType: { case: "typedConfig", value: anyPack(RouterSchema, create(RouterSchema)) },
    }],
  });
  return {
    listeners: [create(ListenerSchema, {
      name: "0.0.0.0_80",
      filterChains: [{
        filters: [{
          name: "envoy.filters.network.http_connection_manager",
          configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, hcm) },
        }],
      }],
    })],
    routes: [create(RouteConfigurationSchema, {
      name: "http.80",
      virtualHosts: [{
        name: "edge",
        domains: ["*"],
        routes: [{
          match: { pathSpecifier: { case: "prefix", value: "/" } },
          action: { case: "route", value: { clusterSpecifier: { case: "cluster", value: WEB } } },
          responseHeadersToAdd: [{ header: { key: "x-config", value: variant } }],
        }],
      }],
    })],
    clusters: [create(ClusterSchema, {
      name: WEB,
      clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
      edsClusterConfig: { edsConfig: { configSourceSpecifier: { case: "ads", value: {} } } },
    })],
    endpoints: [create(ClusterLoadAssignmentSchema, {
      clusterName: WEB,
      endpoints: [{
        lbEndpoints: [{
          hostIdentifier: {
            case: "endpoint",
            value: {
              address: {
                address: {
                  case: "socketAddress",
                  value: { address: "127.0.0.1", portSpecifier: { case: "portValue", value: port } },
                },
              },
            },
          },
        }],
      }],
    })],
  };
}

export interface FixedControl {
  readonly url: string;
  readonly adminUrl: string;
  close(): Promise<void>;
}

/** `ports[0]` serves variant "a", `ports[1]` variant "b". */
export async function startFixedControl(ports: readonly number[]): Promise<FixedControl> {
  const cache = createSnapshotCache();
  const setVariant = (v: string) =>
    cache.set(EDGE_NODE_ID, buildSnapshot(edgeResources(v, v === "b" ? ports[1] : ports[0])));
  setVariant("a");
  const routes = edgeConfigRoutes({ cache, provider: { snapshotFor: (identity) => cache.get(identity.id) } });
  let server: ControlServer | undefined = await startControlServer({ host: "127.0.0.1", port: 0, routes });
  const port = server.port;

  const admin: Server = createServer(async (req, res) => {
    const [, action, arg] = (req.url ?? "").split("/");
    try {
      if (action === "stop") {
        await server?.close();
        server = undefined;
      } else if (action === "start") {
        server ??= await startControlServer({ host: "127.0.0.1", port, routes });
      } else if (action === "variant") {
        setVariant(arg);
      } else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/plain" }).end(cache.get(EDGE_NODE_ID)!.version);
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  await new Promise<void>((resolve) => admin.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${(admin.address() as AddressInfo).port}`,
    async close() {
      await server?.close();
      admin.closeAllConnections();
      await new Promise<void>((resolve) => admin.close(() => resolve()));
    },
  };
}
