// Route destinations → cluster names (port and subset resolved), weighted clusters, header operations, hash policy.
import type { HeaderValueOptionSchema } from "../../gen/envoy/config/core/v3/base_pb.ts";
import { HeaderValueOption_HeaderAppendAction as AppendAction } from "../../gen/envoy/config/core/v3/base_pb.ts";
import type {
  RouteAction_HashPolicySchema,
  RouteActionSchema,
  WeightedCluster_ClusterWeightSchema,
} from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import type {
  Destination,
  HeaderOperations,
  HeadersSpec,
  RouteDestination,
} from "../push-context/istio-spec.ts";
import type { TranslateContext } from "./context.ts";
import { outboundClusterName } from "./names.ts";
import type { Init } from "./proto.ts";
import { effectivePolicy } from "./traffic-policy.ts";

type RouteActionInit = Init<typeof RouteActionSchema>;
export type HeaderOptionInit = Init<typeof HeaderValueOptionSchema>;

/**
 * The cluster for a destination: its port is the one given, else the service's only port, else the port of
 * the route configuration. Unknown hosts and subsets still get Istio's name (the cluster is then missing,
 * which Envoy answers with 503 NC) and a warning.
 */
export function destinationCluster(
  ctx: TranslateContext,
  d: Destination,
  routePort: number,
  where: string,
): string {
  const service = ctx.push.service(d.host);
  let port = d.port?.number;
  if (port === undefined) port = service?.ports.length === 1 ? service.ports[0].port : routePort;
  if (service === undefined) {
    ctx.warn(`${where}: destination host ${d.host} is not a known service`);
  } else if (!ctx.scope.isServiceVisible(service)) {
    ctx.warn(`${where}: destination host ${d.host} is not visible to this proxy (Sidecar egress)`);
  }
  if (d.subset !== undefined && d.subset !== "") {
    const rule = ctx.push.destinationRule(ctx.proxy, d.host);
    if (rule?.spec.subsets?.some((s) => s.name === d.subset) !== true) {
      ctx.warn(`${where}: subset ${d.subset} of ${d.host} is not defined by any DestinationRule`);
    }
  }
  return outboundClusterName(port, d.subset === "" ? undefined : d.subset, d.host);
}

/** The destinations that carry traffic: weight 0 drops one; a lone destination without a weight gets all. */
export function activeDestinations<D extends RouteDestination>(list: readonly D[] | undefined): D[] {
  return (list ?? []).filter((d) => d.weight === undefined || d.weight > 0);
}

/** Istio header operations → Envoy: `set` overwrites, `add` appends, `remove` removes. */
export function headerOptions(
  ops: HeaderOperations | undefined,
): { add: HeaderOptionInit[]; remove: string[] } {
  const add: HeaderOptionInit[] = [];
  for (const [key, value] of Object.entries(ops?.set ?? {})) {
    add.push({ header: { key, value }, appendAction: AppendAction.OVERWRITE_IF_EXISTS_OR_ADD });
  }
  for (const [key, value] of Object.entries(ops?.add ?? {})) {
    add.push({ header: { key, value }, appendAction: AppendAction.APPEND_IF_EXISTS_OR_ADD });
  }
  return { add, remove: [...(ops?.remove ?? [])] };
}

/** Header fields of a route, cluster weight, … from an Istio `headers` block. */
export function headerFields(headers: HeadersSpec | undefined) {
  const request = headerOptions(headers?.request);
  const response = headerOptions(headers?.response);
  return {
    requestHeadersToAdd: request.add,
    requestHeadersToRemove: request.remove,
    responseHeadersToAdd: response.add,
    responseHeadersToRemove: response.remove,
  };
}

export interface ClusterChoice {
  readonly action: RouteActionInit;
  /** Header operations of a lone destination, to merge into the route. */
  readonly destinationHeaders: HeadersSpec | undefined;
}

/** The cluster specifier for a list of destinations (weighted_clusters when more than one carries traffic). */
export function clusterSpecifier(
  ctx: TranslateContext,
  destinations: readonly (RouteDestination & { readonly headers?: HeadersSpec })[],
  routePort: number,
  where: string,
): ClusterChoice {
  const active = activeDestinations(destinations);
  if (active.length === 1) {
    const name = destinationCluster(ctx, active[0].destination, routePort, where);
    return {
      action: { clusterSpecifier: { case: "cluster", value: name } },
      destinationHeaders: active[0].headers,
    };
  }
  const clusters = active.map((d): Init<typeof WeightedCluster_ClusterWeightSchema> => ({
    name: destinationCluster(ctx, d.destination, routePort, where),
    weight: d.weight ?? 1,
    ...headerFields(d.headers),
  }));
  return {
    action: { clusterSpecifier: { case: "weightedClusters", value: { clusters } } },
    destinationHeaders: undefined,
  };
}

/** The hash policy for consistent-hash load balancing of the (first) destination's DestinationRule. */
export function hashPolicies(
  ctx: TranslateContext,
  d: Destination | undefined,
  routePort: number,
  where: string,
): Init<typeof RouteAction_HashPolicySchema>[] {
  if (d === undefined) return [];
  const service = ctx.push.service(d.host);
  const port = d.port?.number ?? (service?.ports.length === 1 ? service.ports[0].port : routePort);
  const policy = effectivePolicy(ctx.push.destinationRule(ctx.proxy, d.host), port, d.subset || undefined);
  const hash = policy.loadBalancer?.consistentHash;
  if (hash === undefined) return [];
  if (hash.httpHeaderName !== undefined) {
    return [{ policySpecifier: { case: "header", value: { headerName: hash.httpHeaderName } } }];
  }
  if (hash.httpCookie !== undefined) {
    if (hash.httpCookie.ttl !== undefined || hash.httpCookie.path !== undefined) {
      ctx.warn(
        `${where}: consistentHash.httpCookie ttl/path (cookie generation) is not supported; the existing cookie is hashed`,
      );
    }
    return [{ policySpecifier: { case: "cookie", value: { name: hash.httpCookie.name } } }];
  }
  if (hash.useSourceIp === true) {
    return [{ policySpecifier: { case: "connectionProperties", value: { sourceIp: true } } }];
  }
  if (hash.httpQueryParameterName !== undefined) {
    return [{ policySpecifier: { case: "queryParameter", value: { name: hash.httpQueryParameterName } } }];
  }
  return [];
}
