// A sidecar's listeners: outbound per service address and port (HTTP → RDS "<port>", TCP/TLS → tcp_proxy), and virtualInbound.
import { create } from "@bufbuild/protobuf";
import { TrafficDirection } from "../../gen/envoy/config/core/v3/base_pb.ts";
import type { FilterChainSchema } from "../../gen/envoy/config/listener/v3/listener_components_pb.ts";
import { type Listener, ListenerSchema } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import type { Service, ServicePort } from "../model/types.ts";
import { isHttpProtocol, isTlsProtocol } from "../registry/protocol.ts";
import { MESH_GATEWAY } from "../push-context/views.ts";
import { proxyInstances, type TranslateContext } from "./context.ts";
import { tcpRouteTargets, tlsRouteChains } from "./l4-routes.ts";
import {
  inboundClusterName,
  listenerName,
  outboundClusterName,
  sidecarRouteName,
  VIRTUAL_INBOUND,
  VIRTUAL_INBOUND_PORT,
} from "./names.ts";
import { hcmFilter, tcpProxyFilter, tlsInspector } from "./network-filters.ts";
import { durationOf, type Init, socketAddress } from "./proto.ts";
import { memoContent } from "./outbound-cache.ts";
import { meshVirtualService } from "./virtual-hosts.ts";

type FilterChainInit = Init<typeof FilterChainSchema>;

interface PortEntry {
  readonly service: Service;
  readonly port: ServicePort;
}

/**
 * Outbound listeners, sorted by name: they depend on the proxy's namespace and Sidecar scope, not its instances.
 * As in Istio, HTTP services share one wildcard listener per port (`0.0.0.0_<port>`; RDS picks the service by
 * Host), and TCP/TLS services get a listener on their service address: a thousand HTTP services on port 8080
 * are one listener, not a thousand.
 */
export function sidecarOutboundListeners(ctx: TranslateContext): Listener[] {
  const groups = new Map<string, { bind: string; port: number; entries: PortEntry[] }>();
  for (const service of ctx.scope.services) {
    for (const port of service.ports) {
      const bind = isHttpProtocol(port.protocol) ? "0.0.0.0" : service.address ?? "0.0.0.0";
      const key = listenerName(bind, port.port);
      let group = groups.get(key);
      if (group === undefined) groups.set(key, group = { bind, port: port.port, entries: [] });
      group.entries.push({ service, port });
    }
  }
  const out: Listener[] = [];
  for (const [name, group] of [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const listener = outboundListener(ctx, name, group.bind, group.port, group.entries);
    if (listener !== undefined) out.push(listener);
  }
  return out;
}

function outboundListener(
  ctx: TranslateContext,
  name: string,
  bind: string,
  port: number,
  entries: readonly PortEntry[],
): Listener | undefined {
  const http = entries.filter((e) => isHttpProtocol(e.port.protocol));
  const tls = entries.filter((e) => isTlsProtocol(e.port.protocol));
  const tcp = entries.filter((e) => !isHttpProtocol(e.port.protocol) && !isTlsProtocol(e.port.protocol));
  const base = {
    name,
    address: socketAddress(bind, port),
    trafficDirection: TrafficDirection.OUTBOUND,
  };
  const ignore = (list: readonly PortEntry[], winner: string, warn = ctx.warn) => {
    if (list.length === 0) return;
    const hosts = list.map((e) => e.service.hostname).join(", ");
    warn(
      `listener ${name}: ${hosts} cannot share the port with ${winner}; they are not reachable through it`,
    );
  };
  if (http.length > 0) {
    // Depends only on the address and the services on it: shared by every proxy that sees them.
    const services = entries.map((e) => `${e.service.hostname}:${e.port.port}:${e.port.protocol}`).join(",");
    return memoContent(ctx.push, `lds-http\u0000${name}\u0000${services}`, ctx.warn, (warn) => {
      ignore([...tls, ...tcp], "HTTP services", warn);
      return create(ListenerSchema, {
        ...base,
        filterChains: [{ filters: [hcmFilter(`outbound_${name}`, { rds: sidecarRouteName(port) })] }],
      });
    });
  }
  const env = { gateway: MESH_GATEWAY, port };
  if (tls.length > 0) {
    ignore(tcp, "TLS services");
    const chains: FilterChainInit[] = [];
    const claimed = new Set<string>();
    for (const e of tls) {
      const vs = meshVirtualService(ctx, e.service.hostname, (v) => v.tls.length > 0);
      for (const chain of tlsRouteChains(ctx, vs === undefined ? [] : [vs], env, (_v, sni) => [sni])) {
        const names = chain.serverNames.filter((n) => !claimed.has(n));
        if (names.length === 0) continue;
        for (const n of names) claimed.add(n);
        chains.push(sniChain(names, chain.targets, name));
      }
      const cluster = outboundClusterName(e.port.port, undefined, e.service.hostname);
      if (bind !== "0.0.0.0") {
        chains.push({ filters: [tcpProxyFilter(cluster, [{ cluster, weight: 1 }])] });
      } else if (!claimed.has(e.service.hostname)) {
        claimed.add(e.service.hostname);
        chains.push(sniChain([e.service.hostname], [{ cluster, weight: 1 }], cluster));
      }
    }
    return create(ListenerSchema, { ...base, listenerFilters: [tlsInspector()], filterChains: chains });
  }
  const [first, ...rest] = tcp;
  ignore(rest, first.service.hostname);
  const vs = meshVirtualService(ctx, first.service.hostname, (v) => v.tcp.length > 0);
  const cluster = outboundClusterName(first.port.port, undefined, first.service.hostname);
  const targets = (vs === undefined ? undefined : tcpRouteTargets(ctx, [vs], env)) ??
    [{ cluster, weight: 1 }];
  return create(ListenerSchema, { ...base, filterChains: [{ filters: [tcpProxyFilter(cluster, targets)] }] });
}

function sniChain(
  serverNames: readonly string[],
  targets: readonly { cluster: string; weight: number }[],
  statPrefix: string,
): FilterChainInit {
  return {
    filterChainMatch: { serverNames: [...serverNames] },
    filters: [tcpProxyFilter(statPrefix, targets)],
  };
}

/**
 * virtualInbound on 0.0.0.0:15006: one filter chain per workload port of the proxy's own instances (matched
 * by destination port), HTTP ports through an HCM with an inline catch-all route to `inbound|<port>||`.
 */
export function sidecarInboundListener(ctx: TranslateContext): Listener | undefined {
  if (ctx.proxy.type !== "sidecar") return undefined;
  const ports = new Map<number, ServicePort>();
  for (const i of proxyInstances(ctx)) {
    const port = ctx.push.service(i.hostname)?.ports.find((p) => p.port === i.servicePort);
    if (port !== undefined && !ports.has(i.port)) ports.set(i.port, port);
  }
  if (ports.size === 0) return undefined;
  const sorted = [...ports].sort((a, b) => a[0] - b[0]);
  // The same for every sidecar whose workload ports (and whether they speak HTTP) are the same.
  const key = sorted.map(([target, port]) => `${target}:${isHttpProtocol(port.protocol)}`).join(",");
  return memoContent(ctx.push, `lds-inbound\u0000${key}`, ctx.warn, () => inboundListener(sorted));
}

function inboundListener(sorted: readonly (readonly [number, ServicePort])[]): Listener {
  const chains = sorted.map(([target, port]): FilterChainInit => {
    const cluster = inboundClusterName(target);
    const filter = isHttpProtocol(port.protocol)
      ? hcmFilter(cluster, {
        inline: {
          name: cluster,
          virtualHosts: [{
            name: `inbound|http|${target}`,
            domains: ["*"],
            routes: [{
              name: "default",
              match: { pathSpecifier: { case: "prefix", value: "/" } },
              action: {
                case: "route",
                value: { clusterSpecifier: { case: "cluster", value: cluster }, timeout: durationOf(0) },
              },
            }],
          }],
        },
      })
      : tcpProxyFilter(cluster, [{ cluster, weight: 1 }]);
    return { name: cluster, filterChainMatch: { destinationPort: target }, filters: [filter] };
  });
  return create(ListenerSchema, {
    name: VIRTUAL_INBOUND,
    address: socketAddress("0.0.0.0", VIRTUAL_INBOUND_PORT),
    trafficDirection: TrafficDirection.INBOUND,
    filterChains: chains,
  });
}
