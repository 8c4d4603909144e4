// The outbound clusters a proxy needs: one per visible service port, plus one per DestinationRule subset.
import type { Service, ServicePort } from "../model/types.ts";
import type { Subset } from "../push-context/istio-spec.ts";
import type { DestinationRuleView } from "../push-context/views.ts";
import type { ProxyIdentity } from "../model/types.ts";
import type { PushContext } from "../push-context/push-context.ts";
import { createTranslateContext, type TranslateContext, type WarningSink } from "./context.ts";
import { outboundClusterName } from "./names.ts";
import { memoRouting } from "./outbound-cache.ts";

export interface PlannedCluster {
  readonly name: string;
  readonly service: Service;
  readonly port: ServicePort;
  readonly rule: DestinationRuleView | undefined;
  readonly subset: Subset | undefined;
}

/** Every outbound cluster of the proxy's visible services, sorted by name. */
export function planOutboundClusters(ctx: TranslateContext): PlannedCluster[] {
  const out: PlannedCluster[] = [];
  for (const service of ctx.scope.services) {
    const rule = ctx.push.destinationRule(ctx.proxy, service.hostname);
    for (const port of service.ports) {
      out.push({
        name: outboundClusterName(port.port, undefined, service.hostname),
        service,
        port,
        rule,
        subset: undefined,
      });
      for (const subset of rule?.spec.subsets ?? []) {
        out.push({
          name: outboundClusterName(port.port, subset.name, service.hostname),
          service,
          port,
          rule,
          subset,
        });
      }
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Whether the cluster gets its endpoints over EDS (DNS services carry them inline). */
export function usesEds(c: PlannedCluster): boolean {
  return c.service.resolution !== "DNS";
}

/**
 * The plan for the proxy's class, kept while services and Istio config are unchanged (it never reads instances):
 * an endpoint edit reuses it for both clusters and load assignments.
 */
export function outboundPlan(
  push: PushContext,
  proxy: ProxyIdentity,
  warn: WarningSink | undefined,
): readonly PlannedCluster[] {
  return memoRouting(
    push,
    proxy,
    "cluster-plan",
    warn,
    (w) => Object.freeze(planOutboundClusters(createTranslateContext(push, proxy, w))),
  );
}
