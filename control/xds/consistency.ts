// Snapshot consistency (go-control-plane's Consistent()): every name a resource refers to must exist.
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Any } from "@bufbuild/protobuf/wkt";
import { type Cluster, Cluster_DiscoveryType } from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import type { FilterChain } from "../../gen/envoy/config/listener/v3/listener_components_pb.ts";
import type { Listener } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import type { RouteConfiguration } from "../../gen/envoy/config/route/v3/route_pb.ts";
import { HttpConnectionManagerSchema } from "../../gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.ts";
import { TcpProxySchema } from "../../gen/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.ts";
import { keyTokenOf, type ResourceMap } from "./map-facts.ts";
import { type Snapshot, TYPE_URLS } from "./snapshot.ts";

const EMPTY: ResourceMap = new Map();

// Resources are shared between proxies' snapshots and never mutated: their references are read once each.
const routeClusterCache = new WeakMap<RouteConfiguration, ReadonlySet<string>>();
const listenerRefCache = new WeakMap<Listener, ListenerRefs>();

/** Cluster names a route configuration sends traffic (or mirrors) to; cluster_header targets are dynamic. */
export function routeClusters(route: RouteConfiguration): ReadonlySet<string> {
  let out = routeClusterCache.get(route);
  if (out === undefined) routeClusterCache.set(route, out = collectRouteClusters(route));
  return out;
}

function collectRouteClusters(route: RouteConfiguration): Set<string> {
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
  let refs = listenerRefCache.get(listener);
  if (refs === undefined) listenerRefCache.set(listener, refs = collectListenerRefs(listener));
  return refs;
}

function collectListenerRefs(listener: Listener): ListenerRefs {
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

/**
 * Problems that make a snapshot unfit to publish; empty when it is consistent. Checked in three parts —
 * listeners, routes, clusters — each a function of its own map and the set of names it refers into, and
 * cached on those (maps are shared between snapshots and never mutated; see map-facts.ts).
 */
export function checkConsistency(snapshot: Snapshot): string[] {
  const listeners = snapshot.resources.get(TYPE_URLS.listener) ?? EMPTY;
  const routes = snapshot.resources.get(TYPE_URLS.route) ?? EMPTY;
  const clusters = snapshot.resources.get(TYPE_URLS.cluster) ?? EMPTY;
  const endpoints = snapshot.resources.get(TYPE_URLS.endpoint) ?? EMPTY;
  return [
    ...cached(
      listenerCache,
      [listeners, keyTokenOf(routes), keyTokenOf(clusters)],
      () => listenerProblems(listeners, routes, clusters),
    ),
    ...cached(routeCache, [routes, keyTokenOf(clusters)], () => routeProblems(routes, clusters)),
    ...cached(clusterCache, [clusters, keyTokenOf(endpoints)], () => clusterProblems(clusters, endpoints)),
  ];
}

type Nested = WeakMap<object, Nested | readonly string[]>;
const listenerCache: Nested = new WeakMap();
const routeCache: Nested = new WeakMap();
const clusterCache: Nested = new WeakMap();

function cached(root: Nested, keys: readonly object[], compute: () => string[]): readonly string[] {
  let level = root;
  for (const key of keys.slice(0, -1)) {
    let next = level.get(key) as Nested | undefined;
    if (next === undefined) level.set(key, next = new WeakMap());
    level = next;
  }
  const last = keys[keys.length - 1];
  let problems = level.get(last) as readonly string[] | undefined;
  if (problems === undefined) level.set(last, problems = compute());
  return problems;
}

function missingCluster(clusters: ResourceMap, problems: string[], owner: string, name: string): void {
  if (!clusters.has(name)) {
    problems.push(`${owner} refers to cluster "${name}", which is not in the snapshot`);
  }
}

function listenerProblems(listeners: ResourceMap, routes: ResourceMap, clusters: ResourceMap): string[] {
  const problems: string[] = [];
  for (const [name, r] of listeners) {
    const refs = listenerRefs(r.resource as Listener);
    for (const rc of refs.routeConfigs) {
      if (!routes.has(rc)) {
        problems.push(
          `listener "${name}" refers to route configuration "${rc}" (rds), which is not in the snapshot`,
        );
      }
    }
    for (const c of refs.clusters) missingCluster(clusters, problems, `listener "${name}" (tcp_proxy)`, c);
    for (const inline of refs.inlineRoutes) {
      for (const c of routeClusters(inline)) {
        missingCluster(clusters, problems, `listener "${name}" (inline route_config)`, c);
      }
    }
  }
  return problems;
}

function routeProblems(routes: ResourceMap, clusters: ResourceMap): string[] {
  const problems: string[] = [];
  for (const [name, r] of routes) {
    for (const c of routeClusters(r.resource as RouteConfiguration)) {
      missingCluster(clusters, problems, `route configuration "${name}"`, c);
    }
  }
  return problems;
}

function clusterProblems(clusters: ResourceMap, endpoints: ResourceMap): string[] {
  const problems: string[] = [];
  for (const [name, r] of clusters) {
    const cluster = r.resource as Cluster;
    const kind = cluster.clusterDiscoveryType;
    if (kind.case !== "type" || kind.value !== Cluster_DiscoveryType.EDS) continue;
    const service = cluster.edsClusterConfig?.serviceName || name;
    if (!endpoints.has(service)) {
      problems.push(`cluster "${name}" (EDS) needs endpoints "${service}", which are not in the snapshot`);
    }
  }
  return problems;
}
