// Turns a ClusterLoadAssignment into hosts (static endpoints, or host names to resolve for DNS clusters).
import type { ClusterLoadAssignment } from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import { HealthStatus } from "../../gen/envoy/config/core/v3/health_check_pb.ts";
import { WeftError } from "../errors.ts";

export interface EndpointSpec {
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly healthy: boolean;
}

const UNHEALTHY = new Set<number>([HealthStatus.UNHEALTHY, HealthStatus.DRAINING, HealthStatus.TIMEOUT]);

export function endpointsOf(cla: ClusterLoadAssignment | undefined, field: string): EndpointSpec[] {
  const out: EndpointSpec[] = [];
  if (!cla) return out;
  cla.endpoints.forEach((locality, i) => {
    if (locality.priority !== 0) {
      throw new WeftError("config", `${field}.endpoints[${i}].priority: only priority 0 is supported`);
    }
    const localityWeight = locality.loadBalancingWeight ?? 1;
    locality.lbEndpoints.forEach((lbe, j) => {
      const path = `${field}.endpoints[${i}].lb_endpoints[${j}]`;
      if (lbe.hostIdentifier.case !== "endpoint") {
        throw new WeftError("config", `${path}: only inline endpoints are supported`);
      }
      const sa = lbe.hostIdentifier.value.address?.address;
      if (sa?.case !== "socketAddress" || sa.value.portSpecifier.case !== "portValue") {
        throw new WeftError(
          "config",
          `${path}.endpoint.address: a socket_address with port_value is required`,
        );
      }
      out.push({
        address: sa.value.address,
        port: sa.value.portSpecifier.value,
        weight: (lbe.loadBalancingWeight ?? 1) * localityWeight,
        healthy: !UNHEALTHY.has(lbe.healthStatus),
      });
    });
  });
  return out;
}
