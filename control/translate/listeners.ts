// buildListeners: sidecar outbound/inbound listeners, gateway server listeners, or proxyless gRPC API listeners.
import { create } from "@bufbuild/protobuf";
import { type Listener, ListenerSchema } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import type { ProxyIdentity } from "../model/types.ts";
import type { PushContext } from "../push-context/push-context.ts";
import { createTranslateContext, type TranslateContext, type WarningSink } from "./context.ts";
import { gatewayListeners } from "./listeners-gateway.ts";
import { sidecarInboundListener, sidecarOutboundListeners } from "./listeners-sidecar.ts";
import { proxylessName } from "./names.ts";
import { httpConnectionManager } from "./network-filters.ts";
import { joinShared, memoRouting } from "./outbound-cache.ts";

/**
 * Outbound listeners are shared by the proxy's class (and kept while routing config is unchanged);
 * a sidecar's virtualInbound is its own.
 */
export function buildListeners(
  push: PushContext,
  proxy: ProxyIdentity,
  warn?: WarningSink,
): readonly Listener[] {
  const outbound = memoRouting(push, proxy, "listeners", warn, (w) => {
    const ctx = createTranslateContext(push, proxy, w);
    switch (proxy.type) {
      case "sidecar":
        return Object.freeze(sidecarOutboundListeners(ctx));
      case "router":
        return Object.freeze(gatewayListeners(ctx));
      case "proxyless":
        return Object.freeze(proxylessListeners(ctx));
    }
  });
  const inbound = proxy.type === "sidecar"
    ? sidecarInboundListener(createTranslateContext(push, proxy, warn))
    : undefined;
  return joinShared(push, outbound, inbound === undefined ? [] : [inbound]);
}

/**
 * For `xds:///<host>:<port>`: a Listener named "<host>:<port>" whose api_listener is an HttpConnectionManager
 * fetching the route configuration of the same name over ADS.
 */
function proxylessListeners(ctx: TranslateContext): Listener[] {
  const out: Listener[] = [];
  for (const svc of ctx.scope.services) {
    for (const port of svc.ports) {
      const name = proxylessName(svc.hostname, port.port);
      out.push(create(ListenerSchema, {
        name,
        apiListener: { apiListener: httpConnectionManager(name, { rds: name }) },
      }));
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
