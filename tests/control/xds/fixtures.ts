// Small xDS resource sets for the control-plane xDS tests, built with create() like translation would.
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Cluster_DiscoveryType, ClusterSchema } from "../../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { ClusterLoadAssignmentSchema } from "../../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import { ListenerSchema } from "../../../gen/envoy/config/listener/v3/listener_pb.ts";
import { RouteConfigurationSchema } from "../../../gen/envoy/config/route/v3/route_pb.ts";
import {
  HttpConnectionManagerSchema,
} from "../../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.ts";
import { TcpProxySchema } from "../../../gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.ts";
import type { SnapshotResources } from "../../../control/xds/snapshot-cache.ts";

export const REVIEWS = "outbound|9080||reviews.default.svc.cluster.local";
export const RATINGS = "outbound|9080||ratings.default.svc.cluster.local";

export function httpListener(name: string, routeConfigName: string) {
  const hcm = create(HttpConnectionManagerSchema, {
    statPrefix: name,
    routeSpecifier: { case: "rds", value: { routeConfigName } },
  });
  return create(ListenerSchema, {
    name,
    filterChains: [{
      filters: [{
        name: "envoy.filters.network.http_connection_manager",
        configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, hcm) },
      }],
    }],
  });
}

export function tcpListener(name: string, cluster: string) {
  const tcp = create(TcpProxySchema, {
    statPrefix: name,
    clusterSpecifier: { case: "cluster", value: cluster },
  });
  return create(ListenerSchema, {
    name,
    filterChains: [{
      filters: [{
        name: "envoy.filters.network.tcp_proxy",
        configType: { case: "typedConfig", value: anyPack(TcpProxySchema, tcp) },
      }],
    }],
  });
}

export function routeConfig(name: string, cluster: string) {
  return create(RouteConfigurationSchema, {
    name,
    virtualHosts: [{
      name: "reviews",
      domains: ["*"],
      routes: [{
        match: { pathSpecifier: { case: "prefix", value: "/" } },
        action: { case: "route", value: { clusterSpecifier: { case: "cluster", value: cluster } } },
      }],
    }],
  });
}

export function edsCluster(name: string, serviceName = "") {
  return create(ClusterSchema, {
    name,
    clusterDiscoveryType: { case: "type", value: Cluster_DiscoveryType.EDS },
    edsClusterConfig: { serviceName, edsConfig: { configSourceSpecifier: { case: "ads", value: {} } } },
  });
}

export function endpoints(clusterName: string, ...addresses: string[]) {
  return create(ClusterLoadAssignmentSchema, {
    clusterName,
    endpoints: [{
      lbEndpoints: addresses.map((address) => ({
        hostIdentifier: {
          case: "endpoint" as const,
          value: {
            address: {
              address: {
                case: "socketAddress" as const,
                value: { address, portSpecifier: { case: "portValue" as const, value: 9080 } },
              },
            },
          },
        },
      })),
    }],
  });
}

/** One listener → one route config → reviews (EDS); ratings is a second cluster with its own endpoints. */
export function meshResources(reviewsIps: string[] = ["10.0.0.1"]): SnapshotResources {
  return {
    listeners: [httpListener("0.0.0.0_9080", "9080")],
    routes: [routeConfig("9080", REVIEWS), routeConfig("ratings", RATINGS)],
    clusters: [edsCluster(REVIEWS), edsCluster(RATINGS)],
    endpoints: [endpoints(REVIEWS, ...reviewsIps), endpoints(RATINGS, "10.0.1.1")],
  };
}

/** An async iterable the test pushes requests into (a client's request stream). */
export function createPushable<T>() {
  const items: T[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  return {
    push(item: T) {
      items.push(item);
      wake?.();
    },
    end() {
      done = true;
      wake?.();
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<T> {
      for (;;) {
        if (items.length > 0) yield items.shift()!;
        else if (done) return;
        else await new Promise<void>((resolve) => wake = resolve);
      }
    },
  };
}

/** Pulls responses from a stream one at a time, with a timeout, and can check that nothing more arrives. */
export function createReader<T>(stream: AsyncIterable<T>) {
  const iterator = stream[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined;
  const pull = () => pending ??= iterator.next();
  return {
    async next(timeoutMs = 5_000): Promise<T> {
      const result = await Promise.race([
        pull(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error("no response in time")), timeoutMs)
        ),
      ]);
      pending = undefined;
      if (result.done) throw new Error("stream ended");
      return result.value;
    },
    /** Resolves true if nothing arrived within `ms`. */
    async quiet(ms = 300): Promise<boolean> {
      const winner = await Promise.race([
        pull().then(() => "message"),
        new Promise<string>((resolve) => setTimeout(() => resolve("quiet"), ms)),
      ]);
      return winner === "quiet";
    },
  };
}
