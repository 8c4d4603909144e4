// DestinationRule lookup for a proxy and a service host, with Istio's namespace precedence.
import type { ProxyIdentity } from "../model/types.ts";
import { matchesSelector } from "../registry/labels.ts";
import { hostCandidates, hostMatches, isExportedTo } from "./hosts.ts";
import type { Subset } from "./istio-spec.ts";
import type { DestinationRuleView } from "./views.ts";

const drHosts = (dr: DestinationRuleView) => [dr.host];

/**
 * The DestinationRule that applies to `hostname` for `proxy`: among the rules whose host covers it, exported
 * to the proxy's namespace and (with a workloadSelector) selecting the proxy, prefer one in the proxy's
 * namespace, then the service's namespace, then the root namespace, then any; within a namespace the most
 * specific host (exact, then the longest wildcard), then config order.
 */
export function selectDestinationRule(
  rules: readonly DestinationRuleView[],
  hostname: string,
  serviceNamespace: string | undefined,
  proxy: ProxyIdentity,
  rootNamespace: string,
): DestinationRuleView | undefined {
  let best: DestinationRuleView | undefined;
  let bestScore = -1;
  for (const i of hostCandidates(rules, drHosts, hostname)) {
    const dr = rules[i];
    if (!hostMatches(dr.host, hostname)) continue;
    if (!isExportedTo(dr.spec.exportTo, dr.namespace, proxy.namespace)) continue;
    const selector = dr.spec.workloadSelector?.matchLabels;
    if (
      selector !== undefined && (dr.namespace !== proxy.namespace || !matchesSelector(proxy.labels, selector))
    ) {
      continue;
    }
    const nsRank = dr.namespace === proxy.namespace
      ? 3
      : dr.namespace === serviceNamespace
      ? 2
      : dr.namespace === rootNamespace
      ? 1
      : 0;
    const specificity = dr.host === hostname ? 100_000 : dr.host.length;
    const score = nsRank * 1_000_000 + specificity;
    if (score > bestScore) {
      best = dr;
      bestScore = score;
    }
  }
  return best;
}

/** The named subset of a rule, if it defines one. */
export function findSubset(rule: DestinationRuleView | undefined, name: string): Subset | undefined {
  return rule?.spec.subsets?.find((s) => s.name === name);
}
