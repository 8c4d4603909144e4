// ClusterLoadAssignment from service instances: one locality, endpoint weights, health status.
import { create } from "@bufbuild/protobuf";
import { HealthStatus } from "../../gen/envoy/config/core/v3/health_check_pb.ts";
import {
  type ClusterLoadAssignment,
  ClusterLoadAssignmentSchema,
} from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import type { ServiceInstance } from "../model/types.ts";
import { type Init, socketAddress } from "./proto.ts";
import type { LocalityLbEndpointsSchema } from "../../gen/envoy/config/endpoint/v3/endpoint_components_pb.ts";

/** Everything `loadAssignment(clusterName, instances)` reads, as a string (a content key for memos). */
export function loadAssignmentKey(clusterName: string, instances: readonly ServiceInstance[]): string {
  let key = clusterName;
  for (const i of instances) key += `\u0001${i.address}\u0002${i.port}\u0002${i.weight}\u0002${i.healthy}`;
  return key;
}

/**
 * The endpoints of one cluster. All instances go into one (empty) locality whose weight is the sum of theirs:
 * gRPC xDS clients ignore localities without a weight. An empty list gives a ClusterLoadAssignment without
 * localities (the cluster exists but has no endpoints).
 */
export function loadAssignment(
  clusterName: string,
  instances: readonly ServiceInstance[],
): ClusterLoadAssignment {
  const seen = new Set<string>();
  const unique = instances.filter((i) => {
    const key = `${i.address}:${i.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const weight = unique.reduce((sum, i) => sum + Math.max(1, i.weight), 0);
  const locality: Init<typeof LocalityLbEndpointsSchema> = {
    locality: {},
    loadBalancingWeight: weight,
    lbEndpoints: unique.map((i) => ({
      hostIdentifier: { case: "endpoint", value: { address: socketAddress(i.address, i.port) } },
      healthStatus: i.healthy ? HealthStatus.HEALTHY : HealthStatus.UNHEALTHY,
      loadBalancingWeight: Math.max(1, i.weight),
    })),
  };
  return create(ClusterLoadAssignmentSchema, {
    clusterName,
    endpoints: unique.length === 0 ? [] : [locality],
  });
}
