// Snapshot consistency (go-control-plane's Consistent()): every name a resource refers to must exist.
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Any } from "@bufbuild/protobuf/wkt";
import { type Cluster, Cluster_DiscoveryType } from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import type { FilterChain } from "../../gen/envoy/config/listener/v3/listener_components_pb.ts";
import type { Listener } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import type { RouteConfiguration } from "../../gen/envoy/config/route/v3/route_pb.ts";
import { HttpConnectionManagerSchema } from "../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.ts";
import { TcpProxySchema } from "../../gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.ts";
import { type Snapshot, TYPE_URLS, type VersionedResource } from "./snapshot.ts";

function resourcesOf<T>(snapshot: Snapshot, typeUrl: string): [string, T][] {
  const map: ReadonlyMap<string, VersionedResource> = snapshot.resources.get(typeUrl) ?? new Map();
  return [...map].map(([name, r]) => [name, r.resource as T]);
}

/** Cluster names a route configuration sends traffic (or mirrors) to; cluster_header targets are dynamic. */
export function routeClusters(route: RouteConfiguration): Set<string> {
  const out = new Set<string>();
  for (const vh of route.virtualHosts) {
    for (const r of vh.routes) {
      if (r.action.case !== "route") continue;
      const spec = r.action.value.clusterSpecifier;
      if (spec.case === "cluster") out.add(spec.value);
      else if (spec.case === "weightedClusters") { for (const c of spec.value.clusters) out.add(c.name); }
      for (const m of r.action.value.requestMirrorPolicies) if (m.cluster) out.add(m.cluster);
    }
  }
  return out;
}

interface ListenerRefs {
  readonly routeConfigs: string[];
  readonly clusters: string[];
  readonly inlineRoutes: RouteConfiguration[];
}

function filterRefs(config: Any, refs: ListenerRefs): void {
  const hcm = anyUnpack(config, HttpConnectionManagerSchema);
  if (hcm) {
    const spec = hcm.routeSpecifier;
    if (spec.case === "rds") refs.routeConfigs.push(spec.value.routeConfigName);
    else if (spec.case === "routeConfig") refs.inlineRoutes.push(spec.value);
    return;
  }
  const tcp = anyUnpack(config, TcpProxySchema);
  if (tcp) {
    const spec = tcp.clusterSpecifier;
    if (spec.case === "cluster") refs.clusters.push(spec.value);
    else if (spec.case === "weightedClusters") refs.clusters.push(...spec.value.clusters.map((c) => c.name));
  }
}

/** The route configurations (rds) and clusters (tcp_proxy, inline routes) a listener refers to. */
export function listenerRefs(listener: Listener): ListenerRefs {
  const refs: ListenerRefs = { routeConfigs: [], clusters: [], inlineRoutes: [] };
  const chains: FilterChain[] = [...listener.filterChains];
  if (listener.defaultFilterChain) chains.push(listener.defaultFilterChain);
  for (const chain of chains) {
    for (const filter of chain.filters) {
      if (filter.configType.case === "typedConfig") filterRefs(filter.configType.value, refs);
    }
  }
  const api = listener.apiListener?.apiListener;
  if (api) filterRefs(api, refs);
  return refs;
}

/** Problems that make a snapshot unfit to publish; empty when it is consistent. */
export function checkConsistency(snapshot: Snapshot): string[] {
  const problems: string[] = [];
  const routes = new Map(resourcesOf<RouteConfiguration>(snapshot, TYPE_URLS.route));
  const clusters = new Map(resourcesOf<Cluster>(snapshot, TYPE_URLS.cluster));
  const endpoints = snapshot.resources.get(TYPE_URLS.endpoint) ?? new Map();
  const needCluster = (owner: string, name: string) => {
    if (!clusters.has(name)) {
      problems.push(`${owner} refers to cluster "${name}", which is not in the snapshot`);
    }
  };
  for (const [name, listener] of resourcesOf<Listener>(snapshot, TYPE_URLS.listener)) {
    const refs = listenerRefs(listener);
    for (const rc of refs.routeConfigs) {
      if (!routes.has(rc)) {
        problems.push(
          `listener "${name}" refers to route configuration "${rc}" (rds), which is not in the snapshot`,
        );
      }
    }
    for (const c of refs.clusters) needCluster(`listener "${name}" (tcp_proxy)`, c);
    for (const inline of refs.inlineRoutes) {
      for (const c of routeClusters(inline)) needCluster(`listener "${name}" (inline route_config)`, c);
    }
  }
  for (const [name, route] of routes) {
    for (const c of routeClusters(route)) needCluster(`route configuration "${name}"`, c);
  }
  for (const [name, cluster] of clusters) {
    const kind = cluster.clusterDiscoveryType;
    if (kind.case !== "type" || kind.value !== Cluster_DiscoveryType.EDS) continue;
    const service = cluster.edsClusterConfig?.serviceName || name;
    if (!endpoints.has(service)) {
      problems.push(`cluster "${name}" (EDS) needs endpoints "${service}", which are not in the snapshot`);
    }
  }
  return problems;
}
