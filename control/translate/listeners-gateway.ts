// A router's listeners: one per Gateway server port (HTTP → RDS "http.<port>", TCP → tcp_proxy, TLS passthrough → SNI).
import { create } from "@bufbuild/protobuf";
import { TrafficDirection } from "../../gen/envoy/config/core/v3/base_pb.ts";
import { type Listener, ListenerSchema } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import { hostIntersection, parseNamespacedHost } from "../push-context/hosts.ts";
import type { TranslateContext } from "./context.ts";
import { type GatewayPort, planGatewayPorts, serverHosts } from "./gateway-plan.ts";
import { type SniChain, tcpRouteTargets, tlsRouteChains } from "./l4-routes.ts";
import { gatewayRouteName, listenerName } from "./names.ts";
import { hcmFilter, tcpProxyFilter, tlsInspector } from "./network-filters.ts";
import { socketAddress } from "./proto.ts";

export function gatewayListeners(ctx: TranslateContext): Listener[] {
  const out: Listener[] = [];
  for (const gp of planGatewayPorts(ctx)) {
    const name = listenerName("0.0.0.0", gp.port);
    const base = {
      name,
      address: socketAddress("0.0.0.0", gp.port),
      trafficDirection: TrafficDirection.OUTBOUND,
    };
    if (gp.kind === "http") {
      out.push(create(ListenerSchema, {
        ...base,
        filterChains: [{ filters: [hcmFilter(`outbound_${name}`, { rds: gatewayRouteName(gp.port) })] }],
      }));
    } else if (gp.kind === "tcp") {
      const targets = tcpTargets(ctx, gp);
      if (targets === undefined) {
        ctx.warn(`gateway port ${gp.port}: no VirtualService tcp route is bound to it; no listener`);
        continue;
      }
      out.push(
        create(ListenerSchema, { ...base, filterChains: [{ filters: [tcpProxyFilter(name, targets)] }] }),
      );
    } else {
      const chains = sniChains(ctx, gp);
      if (chains.length === 0) {
        ctx.warn(`gateway port ${gp.port}: no VirtualService tls route is bound to it; no listener`);
        continue;
      }
      out.push(create(ListenerSchema, {
        ...base,
        listenerFilters: [tlsInspector()],
        filterChains: chains.map((c) => ({
          filterChainMatch: { serverNames: [...c.serverNames] },
          filters: [tcpProxyFilter(name, c.targets)],
        })),
      }));
    }
  }
  return out;
}

function tcpTargets(ctx: TranslateContext, gp: GatewayPort) {
  for (const bound of gp.servers) {
    const services = ctx.push.virtualServicesFor(bound.gateway.key).filter((vs) =>
      serverHosts(bound, vs).length > 0
    );
    const targets = tcpRouteTargets(ctx, services, { gateway: bound.gateway.key, port: gp.port });
    if (targets !== undefined) return targets;
  }
  return undefined;
}

function sniChains(ctx: TranslateContext, gp: GatewayPort): SniChain[] {
  const out: SniChain[] = [];
  const claimed = new Set<string>();
  for (const bound of gp.servers) {
    const services = ctx.push.virtualServicesFor(bound.gateway.key).filter((vs) =>
      serverHosts(bound, vs).length > 0
    );
    const admit = (_vs: unknown, sni: string) =>
      (bound.server.hosts ?? ["*"]).flatMap((raw) => {
        const hit = hostIntersection(parseNamespacedHost(raw, bound.gateway.namespace).host, sni);
        return hit === undefined ? [] : [hit];
      });
    for (const chain of tlsRouteChains(ctx, services, { gateway: bound.gateway.key, port: gp.port }, admit)) {
      const names = chain.serverNames.filter((n) => !claimed.has(n));
      for (const n of names) claimed.add(n);
      if (names.length > 0) out.push({ serverNames: names, targets: chain.targets });
    }
  }
  return out;
}
