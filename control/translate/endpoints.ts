// buildEndpoints: a ClusterLoadAssignment per EDS cluster the proxy sees (subset clusters pick instances by labels).
import type { ClusterLoadAssignment } from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import type { ProxyIdentity } from "../model/types.ts";
import type { PushContext } from "../push-context/push-context.ts";
import { planOutboundClusters, usesEds } from "./cluster-plan.ts";
import { createTranslateContext, type WarningSink } from "./context.ts";
import { loadAssignment } from "./load-assignment.ts";

export function buildEndpoints(
  push: PushContext,
  proxy: ProxyIdentity,
  warn?: WarningSink,
): ClusterLoadAssignment[] {
  const ctx = createTranslateContext(push, proxy, warn);
  return planOutboundClusters(ctx).filter(usesEds).map((c) => {
    const labels = c.subset === undefined ? undefined : c.subset.labels ?? {};
    return loadAssignment(c.name, push.instances(c.service.hostname, c.port.port, labels));
  });
}
