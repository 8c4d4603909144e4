// buildEndpoints: a ClusterLoadAssignment per EDS cluster the proxy sees (subset clusters pick instances by labels).
import type { ClusterLoadAssignment } from "../../gen/envoy/config/endpoint/v3/endpoint_pb.ts";
import { sameItems } from "../model/order.ts";
import type { ProxyIdentity, ServiceInstance } from "../model/types.ts";
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
      // Endpoints depend only on the cluster's instances, not on the proxy: looked up once per push for all
      // classes that see the cluster (by its name, and its subset's id for a subset cluster), and taken over
      // from the previous push when its instances are the same objects (registries keep an unchanged host's).
      const memo = memoOf(push);
      const id = c.subset === undefined ? c.name : `${c.name}\u0000${objectId(c.subset)}`;
      let entry = memo.clusters.get(id);
      if (entry === undefined) {
        const labels = c.subset === undefined ? undefined : c.subset.labels ?? {};
        const instances = push.instances(c.service.hostname, c.port.port, labels);
        const before = memo.prior?.get(id);
        if (before !== undefined && sameItems(before.instances, instances)) entry = before;
        else {
          const warnings: string[] = [];
          const key = `eds\u0000${loadAssignmentKey(c.name, instances)}`;
          const value = memoContent(
            push,
            key,
            (m) => warnings.push(m),
            () => loadAssignment(c.name, instances),
          );
          entry = { value, warnings, instances };
        }
        memo.clusters.set(id, entry);
      }
      for (const message of entry.warnings) w(message);
      return entry.value;
    });
    // Classes that see the same load assignments share one list, so the snapshot builder makes one resource
    // map for all of them per push (an endpoint edit otherwise patched a copy per class).
    const key = `eds-list\u0000${list.map(objectId).join(",")}`;
    return memoPush(push, key, () => {}, () => Object.freeze(list));
  });
}

interface Built {
  readonly value: ClusterLoadAssignment;
  readonly warnings: readonly string[];
  readonly instances: readonly ServiceInstance[];
}

/**
 * Cluster name (plus the subset object's id for a subset cluster: classes that see different DestinationRules
 * may give one subset cluster name different labels) → its load assignment. One map per push, not one per
 * cluster: it lives until the next push, so whatever it holds is promoted to the old generation.
 */
type ByCluster = Map<string, Built>;

/** Per push: the load assignments built, and the previous push's to take unchanged ones over from. */
interface PushMemo {
  readonly clusters: ByCluster;
  /** The previous push's, until the next push starts (one step back, never a chain). */
  prior: ByCluster | undefined;
}

const perPush = new WeakMap<PushContext, PushMemo>();
let latest: PushMemo | undefined;

function memoOf(push: PushContext): PushMemo {
  let memo = perPush.get(push);
  if (memo === undefined) {
    memo = { clusters: new Map(), prior: latest?.clusters };
    if (latest) latest.prior = undefined;
    latest = memo;
    perPush.set(push, memo);
  }
  return memo;
}
