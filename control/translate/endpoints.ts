// buildEndpoints: a ClusterLoadAssignment per EDS cluster the proxy sees (subset clusters pick instances by labels).
import type { ClusterLoadAssignment } from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import type { ProxyIdentity } from "../model/types.ts";
import type { PushContext } from "../push-context/push-context.ts";
import { outboundPlan, usesEds } from "./cluster-plan.ts";
import type { WarningSink } from "./context.ts";
import { loadAssignment, loadAssignmentKey } from "./load-assignment.ts";
import { memoContent, memoOutbound, memoPush, objectId } from "./outbound-cache.ts";

export function buildEndpoints(
  push: PushContext,
  proxy: ProxyIdentity,
  warn?: WarningSink,
): readonly ClusterLoadAssignment[] {
  // One frozen list per proxy class: the snapshot builder turns it into a resource map once for all of them.
  return memoOutbound(push, proxy, "endpoints", warn, (w) => {
    const list = outboundPlan(push, proxy, w).filter(usesEds).map((c) => {
      const labels = c.subset === undefined ? undefined : c.subset.labels ?? {};
      // Endpoints depend only on the cluster's instances, not on the proxy: kept from push to push, and
      // looked up once per push for all classes that see the cluster.
      return memoPush(push, `eds-cluster\u0000${c.name}\u0000${objectId(c.subset)}`, w, (w2) => {
        const instances = push.instances(c.service.hostname, c.port.port, labels);
        const key = `eds\u0000${loadAssignmentKey(c.name, instances)}`;
        return memoContent(push, key, w2, () => loadAssignment(c.name, instances));
      });
    });
    return Object.freeze(list);
  });
}
