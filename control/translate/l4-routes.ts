// VirtualService tcp and tls routes → tcp_proxy targets and SNI-matched filter chains.
import { matchesSelector } from "../registry/labels.ts";
import type { L4MatchAttributes, RouteDestination } from "../push-context/istio-spec.ts";
import type { VirtualServiceView } from "../push-context/views.ts";
import type { TranslateContext } from "./context.ts";
import type { TcpTarget } from "./network-filters.ts";
import { activeDestinations, destinationCluster } from "./route-destinations.ts";

/** The gateway ("mesh" or "ns/name") and listener port routes are built for. */
export interface L4Env {
  readonly gateway: string;
  readonly port: number;
}

/** A TLS route's filter chain: the SNI names it matches and where it sends the connection. */
export interface SniChain {
  readonly serverNames: readonly string[];
  readonly targets: readonly TcpTarget[];
}

function applies(
  ctx: TranslateContext,
  vs: VirtualServiceView,
  matches: readonly L4MatchAttributes[] | undefined,
  env: L4Env,
  where: string,
): boolean {
  if (matches === undefined || matches.length === 0) return vs.gateways.includes(env.gateway);
  return matches.some((m) => {
    const gateways = m.gateways !== undefined && m.gateways.length > 0 ? m.gateways : vs.gateways;
    if (!gateways.includes(env.gateway)) return false;
    if (m.port !== undefined && m.port !== env.port) return false;
    if (m.sourceLabels !== undefined && !matchesSelector(ctx.proxy.labels, m.sourceLabels)) return false;
    if (m.sourceNamespace !== undefined && m.sourceNamespace !== ctx.proxy.namespace) return false;
    if (m.destinationSubnets !== undefined) {
      ctx.warn(`${where}: destinationSubnets is not supported; it is ignored`);
    }
    return true;
  });
}

export function targetsOf(
  ctx: TranslateContext,
  destinations: readonly RouteDestination[] | undefined,
  port: number,
  where: string,
): TcpTarget[] {
  return activeDestinations(destinations).map((d) => ({
    cluster: destinationCluster(ctx, d.destination, port, where),
    weight: d.weight ?? 1,
  }));
}

/** The targets of the first tcp route (of the first VirtualService that has one) applying here. */
export function tcpRouteTargets(
  ctx: TranslateContext,
  services: readonly VirtualServiceView[],
  env: L4Env,
): TcpTarget[] | undefined {
  for (const vs of services) {
    for (const [i, route] of vs.tcp.entries()) {
      const where = `VirtualService ${vs.namespace}/${vs.name} tcp[${i}]`;
      if (!applies(ctx, vs, route.match, env, where)) continue;
      const targets = targetsOf(ctx, route.route, env.port, where);
      if (targets.length > 0) return targets;
    }
  }
  return undefined;
}

/**
 * One filter chain per applicable tls route match, named by its sniHosts (narrowed by `admit`, which returns
 * the SNI names a listener accepts for a route host, or [] to skip); an SNI already claimed is not reused.
 */
export function tlsRouteChains(
  ctx: TranslateContext,
  services: readonly VirtualServiceView[],
  env: L4Env,
  admit: (vs: VirtualServiceView, sni: string) => readonly string[],
): SniChain[] {
  const claimed = new Set<string>();
  const out: SniChain[] = [];
  for (const vs of services) {
    for (const [i, route] of vs.tls.entries()) {
      const where = `VirtualService ${vs.namespace}/${vs.name} tls[${i}]`;
      for (const m of route.match ?? []) {
        if (!applies(ctx, vs, [m], env, where)) continue;
        const names = (m.sniHosts ?? []).flatMap((sni) => admit(vs, sni.toLowerCase())).filter((n) =>
          !claimed.has(n)
        );
        if (names.length === 0) continue;
        const targets = targetsOf(ctx, route.route, env.port, where);
        if (targets.length === 0) continue;
        for (const n of names) claimed.add(n);
        out.push({ serverNames: [...new Set(names)], targets });
      }
    }
  }
  return out;
}
