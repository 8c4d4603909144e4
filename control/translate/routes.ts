// buildRoutes: RouteConfigurations — sidecar "<port>", gateway "http.<port>", proxyless gRPC "<host>:<port>".
import { create } from "@bufbuild/protobuf";
import {
  type Route,
  RouteSchema,
  type VirtualHost,
  VirtualHost_TlsRequirementType as TlsRequirement,
  VirtualHostSchema,
} from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import {
  type RouteConfiguration,
  RouteConfigurationSchema,
} from "../../gen/envoy/config/route/v3/route_pb.ts";
import type { ProxyIdentity, Service, ServicePort } from "../model/types.ts";
import type { PushContext } from "../push-context/push-context.ts";
import { MESH_GATEWAY } from "../push-context/views.ts";
import { isHttpProtocol } from "../registry/protocol.ts";
import { createTranslateContext, type TranslateContext, type WarningSink } from "./context.ts";
import { planGatewayPorts, serverHosts } from "./gateway-plan.ts";
import type { RouteEnv } from "./http-match.ts";
import { buildVirtualServiceRoutes, defaultRoute, type RouteInit } from "./http-route.ts";
import { gatewayRouteName, outboundClusterName, proxylessName, sidecarRouteName } from "./names.ts";
import { memoRouting, memoRoutingPiece } from "./outbound-cache.ts";
import { sharedVirtualServiceRoutes } from "./shared-routes.ts";
import type { Init } from "./proto.ts";
import { claimDomains, meshVirtualService, sidecarDomains } from "./virtual-hosts.ts";

type VirtualHostInit = Init<typeof VirtualHostSchema>;

export function buildRoutes(
  push: PushContext,
  proxy: ProxyIdentity,
  warn?: WarningSink,
): readonly RouteConfiguration[] {
  // Frozen and shared by the proxy's class (see joinShared).
  return memoRouting(push, proxy, "routes", warn, (w) => {
    const ctx = createTranslateContext(push, proxy, w);
    switch (proxy.type) {
      case "sidecar":
        return Object.freeze(sidecarRoutes(ctx));
      case "router":
        return Object.freeze(gatewayRoutes(ctx));
      case "proxyless":
        return Object.freeze(proxylessRoutes(ctx));
    }
  });
}

/** The routes of one service port for the mesh: its VirtualService's, or the default route. */
function serviceRoutes(
  ctx: TranslateContext,
  svc: Service,
  port: ServicePort,
  env: RouteEnv,
): (Route | RouteInit)[] {
  const vs = meshVirtualService(ctx, svc.hostname);
  if (vs === undefined) {
    return [
      defaultRoute(ctx, outboundClusterName(port.port, undefined, svc.hostname), svc.hostname, port.port),
    ];
  }
  return [...sharedVirtualServiceRoutes(ctx, vs, env)];
}

/** One route configuration per HTTP port of the visible services, a virtual host per service on that port. */
function sidecarRoutes(ctx: TranslateContext): RouteConfiguration[] {
  const byPort = new Map<number, { svc: Service; port: ServicePort }[]>();
  for (const svc of ctx.scope.services) {
    for (const port of svc.ports) {
      if (!isHttpProtocol(port.protocol)) continue;
      const list = byPort.get(port.port) ?? [];
      list.push({ svc, port });
      byPort.set(port.port, list);
    }
  }
  return [...byPort].sort((a, b) => a[0] - b[0]).map(([portNumber, entries]) => {
    const used = new Set<string>();
    const env: RouteEnv = { gateway: MESH_GATEWAY, port: portNumber, proxyless: false };
    const virtualHosts: VirtualHost[] = [];
    for (const { svc, port } of entries) {
      const domains = claimDomains(used, sidecarDomains(ctx, svc, portNumber));
      if (domains.length === 0) continue;
      virtualHosts.push(sidecarVirtualHost(ctx, svc, port, domains, env));
    }
    // The virtual hosts are messages already: set, not passed to create (which would walk every one of them).
    const rc = create(RouteConfigurationSchema, { name: sidecarRouteName(portNumber) });
    rc.virtualHosts = virtualHosts;
    return rc;
  });
}

/**
 * A service's virtual host on a sidecar. Without a VirtualService it is the default route, which depends only
 * on the service port, its domains here and the DestinationRule that applies (hash policy). While the routing
 * config is unchanged it is one message for every proxy class that agrees on those (each namespace's proxies
 * see the other namespaces' services with the same domains), shared by their RouteConfigurations and encoded
 * once (route-encoding.ts).
 */
function sidecarVirtualHost(
  ctx: TranslateContext,
  svc: Service,
  port: ServicePort,
  domains: readonly string[],
  env: RouteEnv,
): VirtualHost {
  const name = `${svc.hostname}:${port.port}`;
  if (meshVirtualService(ctx, svc.hostname) !== undefined) {
    return create(VirtualHostSchema, {
      name,
      domains: [...domains],
      routes: serviceRoutes(ctx, svc, port, env),
    });
  }
  // The routing config is part of the memo key: the DestinationRule that applies is named, not printed.
  const dr = ctx.push.destinationRule(ctx.proxy, svc.hostname);
  const drName = dr === undefined ? "-" : `${dr.namespace}/${dr.name}`;
  // The route does not depend on the domains: the own namespace's variant and the others' share it (and its
  // encoding, route-encoding.ts).
  const route = memoRoutingPiece(
    ctx.push,
    `sidecar-route\u0000${name}\u0000${drName}`,
    ctx.warn,
    (warn) =>
      create(
        RouteSchema,
        defaultRoute(
          { ...ctx, warn },
          outboundClusterName(port.port, undefined, svc.hostname),
          svc.hostname,
          port.port,
        ),
      ),
  );
  // One virtual host per route and domain list (both shared objects: sidecarDomains, memoRoutingPiece).
  let byDomains = virtualHostsByRoute.get(route);
  if (byDomains === undefined) virtualHostsByRoute.set(route, byDomains = new WeakMap());
  let vh = byDomains.get(domains);
  if (vh === undefined) {
    byDomains.set(domains, vh = create(VirtualHostSchema, { name, domains: [...domains], routes: [route] }));
  }
  return vh;
}

const virtualHostsByRoute = new WeakMap<Route, WeakMap<readonly string[], VirtualHost>>();

/** "http.<port>" per HTTP gateway port: virtual hosts from the VirtualServices bound to the gateways there. */
function gatewayRoutes(ctx: TranslateContext): RouteConfiguration[] {
  return planGatewayPorts(ctx).filter((gp) => gp.kind === "http").map((gp) => {
    const hosts = new Map<string, { routes: RouteInit[]; requireTls: boolean }>();
    for (const bound of gp.servers) {
      const env: RouteEnv = { gateway: bound.gateway.key, port: gp.port, proxyless: false };
      for (const vs of ctx.push.virtualServicesFor(bound.gateway.key)) {
        const domains = serverHosts(bound, vs);
        if (domains.length === 0 || vs.http.length === 0) continue;
        const routes = buildVirtualServiceRoutes(ctx, vs, env);
        for (const d of domains) {
          let entry = hosts.get(d);
          if (entry === undefined) hosts.set(d, entry = { routes: [], requireTls: false });
          entry.routes.push(...routes);
          if (bound.server.tls?.httpsRedirect === true) entry.requireTls = true;
        }
      }
    }
    const virtualHosts = [...hosts].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([d, e]): VirtualHostInit => ({
      name: `${d}:${gp.port}`,
      // "host:*" lets any port in the Host header match; a wildcard host cannot carry a second wildcard
      domains: d.startsWith("*") ? [d] : [d, `${d}:*`],
      routes: e.routes,
      requireTls: e.requireTls ? TlsRequirement.ALL : TlsRequirement.NONE,
    }));
    return create(RouteConfigurationSchema, { name: gatewayRouteName(gp.port), virtualHosts });
  });
}

/** "<host>:<port>" per visible service port, one virtual host answering to "<host>:<port>" and "<host>". */
function proxylessRoutes(ctx: TranslateContext): RouteConfiguration[] {
  const out: RouteConfiguration[] = [];
  for (const svc of ctx.scope.services) {
    for (const port of svc.ports) {
      const name = proxylessName(svc.hostname, port.port);
      const env: RouteEnv = { gateway: MESH_GATEWAY, port: port.port, proxyless: true };
      out.push(create(RouteConfigurationSchema, {
        name,
        virtualHosts: [{ name, domains: [name, svc.hostname], routes: serviceRoutes(ctx, svc, port, env) }],
      }));
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
