// A mesh VirtualService's routes as Route messages shared by the proxy classes that see the VirtualService alike.
//
// Each proxy class (namespace) builds its own virtual hosts, since a service's short names are valid in its own
// namespace only; the routes inside them mostly are not class-specific. Built once per VirtualService and what
// they depend on, they are the same message objects in every class's RouteConfiguration, so they are encoded
// once (route-encoding.ts caches each Route's bytes) instead of once per class.
import { create } from "@bufbuild/protobuf";
import { type Route, RouteSchema } from "../../gen/envoy/config/route/v3/route_components_pb.ts";
import type { VirtualServiceView } from "../push-context/views.ts";
import type { TranslateContext } from "./context.ts";
import type { RouteEnv } from "./http-match.ts";
import { buildVirtualServiceRoutes } from "./http-route.ts";
import { memoRoutingPiece, objectId, outboundKey } from "./outbound-cache.ts";

/**
 * The routes of `vs` for this proxy, shared with every proxy that would build the same ones. Besides the
 * VirtualService and the route configuration (env), they depend on the proxy through: matches on the source
 * (sourceLabels, sourceNamespace: then only the proxy's class shares them), the DestinationRule each
 * destination host resolves to for it (hash policies, subset checks), whether each destination service is
 * visible to it (warnings), and its type.
 */
export function sharedVirtualServiceRoutes(
  ctx: TranslateContext,
  vs: VirtualServiceView,
  env: RouteEnv,
): Route[] {
  const hosts = new Set<string>();
  let bySource = false;
  for (const http of vs.http) {
    for (const m of http.match ?? []) {
      if (m.sourceLabels !== undefined || m.sourceNamespace !== undefined) bySource = true;
    }
    // (Mirrors are not built, only warned about: once they are, their resolved hosts belong here too.)
    for (const d of http.route ?? []) hosts.add(d.destination.host);
  }
  const perHost = [...hosts].map((host) => {
    const service = ctx.push.service(host);
    const visible = service === undefined ? "-" : ctx.scope.isServiceVisible(service) ? "v" : "h";
    return `${host}=${objectId(ctx.push.destinationRule(ctx.proxy, host))}${visible}`;
  });
  const key = [
    "vs-routes",
    objectId(vs),
    env.gateway,
    env.port,
    env.proxyless,
    ctx.proxy.type,
    bySource ? outboundKey(ctx.push, ctx.proxy) : "",
    ...perHost,
  ].join("\u0000");
  return memoRoutingPiece(
    ctx.push,
    key,
    ctx.warn,
    (warn) => buildVirtualServiceRoutes({ ...ctx, warn }, vs, env).map((init) => create(RouteSchema, init)),
  );
}
