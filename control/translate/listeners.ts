// buildListeners: sidecar outbound/inbound listeners, gateway server listeners, or proxyless gRPC API listeners.
import { create } from "@bufbuild/protobuf";
import { type Listener, ListenerSchema } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import type { ProxyIdentity } from "../model/types.ts";
import type { PushContext } from "../push-context/push-context.ts";
import { createTranslateContext, type TranslateContext, type WarningSink } from "./context.ts";
import { gatewayListeners } from "./listeners-gateway.ts";
import { sidecarListeners } from "./listeners-sidecar.ts";
import { proxylessName } from "./names.ts";
import { httpConnectionManager } from "./network-filters.ts";

export function buildListeners(push: PushContext, proxy: ProxyIdentity, warn?: WarningSink): Listener[] {
  const ctx = createTranslateContext(push, proxy, warn);
  switch (proxy.type) {
    case "sidecar":
      return sidecarListeners(ctx);
    case "router":
      return gatewayListeners(ctx);
    case "proxyless":
      return proxylessListeners(ctx);
  }
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
