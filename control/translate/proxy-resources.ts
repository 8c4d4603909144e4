// buildProxyResources: everything one proxy should see (listeners, routes, clusters, endpoints) plus warnings.
import type { Cluster } from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import type { ClusterLoadAssignment } from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import type { Listener } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import type { RouteConfiguration } from "../../gen/envoy/config/route/v3/route_pb.ts";
import type { ProxyIdentity } from "../model/types.ts";
import type { PushContext } from "../push-context/push-context.ts";
import { buildClusters } from "./clusters.ts";
import { buildEndpoints } from "./endpoints.ts";
import { buildListeners } from "./listeners.ts";
import { buildRoutes } from "./routes.ts";

export interface ProxyResources {
  readonly listeners: readonly Listener[];
  readonly routes: readonly RouteConfiguration[];
  readonly clusters: readonly Cluster[];
  readonly endpoints: readonly ClusterLoadAssignment[];
  /**
   * Config that was left out, once each, e.g. "VirtualService default/reviews http[0]: fault injection is not
   * supported by Weft's proxy yet; it is left out". Callers log them; they never block a push.
   */
  readonly warnings: readonly string[];
}

/** Pure: the same push context and proxy always give equal resources, in the same order. */
export function buildProxyResources(push: PushContext, proxy: ProxyIdentity): ProxyResources {
  const warnings = new Set<string>();
  const warn = (message: string) => warnings.add(message);
  return {
    listeners: buildListeners(push, proxy, warn),
    routes: buildRoutes(push, proxy, warn),
    clusters: buildClusters(push, proxy, warn),
    endpoints: buildEndpoints(push, proxy, warn),
    warnings: [...warnings],
  };
}
