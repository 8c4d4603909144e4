// buildEndpoints: a ClusterLoadAssignment per EDS cluster the proxy sees (subset clusters pick instances by labels).
import type { ClusterLoadAssignment } from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import type { ProxyIdentity } from "../model/types.ts";
import type { PushContext } from "../push-context/push-context.ts";
import { outboundPlan, usesEds } from "./cluster-plan.ts";
import type { WarningSink } from "./context.ts";
import { loadAssignment, loadAssignmentKey } from "./load-assignment.ts";
import { memoContent, memoOutbound } from "./outbound-cache.ts";

export function buildEndpoints(
  push: PushContext,
  proxy: ProxyIdentity,
  warn?: WarningSink,
): readonly ClusterLoadAssignment[] {
  // One frozen list per proxy class: the snapshot builder turns it into a resource map once for all of them.
  return memoOutbound(push, proxy, "endpoints", warn, (w) => {
    const list = outboundPlan(push, proxy, w).filter(usesEds).map((c) => {
      // Endpoints depend only on the cluster's instances, not on the proxy: kept from push to push, and
      // looked up once per push for all classes that see the cluster (by its name and subset, no key string).
      const bySubset = clustersOf(push);
      let known = bySubset.get(c.name);
      if (known === undefined) bySubset.set(c.name, known = new Map());
      let entry = known.get(c.subset);
      if (entry === undefined) {
        const warnings: string[] = [];
        const labels = c.subset === undefined ? undefined : c.subset.labels ?? {};
        const instances = push.instances(c.service.hostname, c.port.port, labels);
        const key = `eds\u0000${loadAssignmentKey(c.name, instances)}`;
        const value = memoContent(
          push,
          key,
          (m) => warnings.push(m),
          () => loadAssignment(c.name, instances),
        );
        known.set(c.subset, entry = { value, warnings });
      }
      for (const message of entry.warnings) w(message);
      return entry.value;
    });
    return Object.freeze(list);
  });
}

interface Built {
  readonly value: ClusterLoadAssignment;
  readonly warnings: readonly string[];
}

/** Per push: cluster name → subset (an object of the plan, or undefined) → its load assignment. */
const perPush = new WeakMap<PushContext, Map<string, Map<object | undefined, Built>>>();

function clustersOf(push: PushContext): Map<string, Map<object | undefined, Built>> {
  let map = perPush.get(push);
  if (map === undefined) perPush.set(push, map = new Map());
  return map;
}
