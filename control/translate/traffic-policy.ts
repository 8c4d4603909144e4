// The DestinationRule traffic policy in force for one port and subset (top level < port level < subset < subset port).
import type { DestinationRuleView } from "../push-context/views.ts";
import type { PortTrafficPolicy, TrafficPolicy } from "../push-context/istio-spec.ts";
import { findSubset } from "../push-context/destination-rules.ts";

export type EffectivePolicy = Omit<PortTrafficPolicy, "port">;

/** Merges a policy with its portLevelSettings entry for `port` (each present field replaces the outer one). */
function atPort(policy: TrafficPolicy | undefined, port: number): EffectivePolicy {
  if (policy === undefined) return {};
  const { portLevelSettings, ...outer } = policy;
  const local = portLevelSettings?.find((p) => p.port?.number === port);
  if (local === undefined) return outer;
  const { port: _ignored, ...fields } = local;
  return { ...outer, ...definedOnly(fields) };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The policy for traffic to `port` of the rule's host, in `subset` when given: the subset's own policy
 * (with its port-level settings) overrides the top-level one field by field, as Istio merges them.
 */
export function effectivePolicy(
  rule: DestinationRuleView | undefined,
  port: number,
  subset?: string,
): EffectivePolicy {
  const base = atPort(rule?.spec.trafficPolicy, port);
  if (subset === undefined) return base;
  const own = findSubset(rule, subset)?.trafficPolicy;
  if (own === undefined) return base;
  return { ...base, ...definedOnly(atPort(own, port)) };
}
