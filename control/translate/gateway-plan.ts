// A router's ports: the servers of the Gateways selecting it, grouped by port and kind (http, tcp, tls passthrough).
import { parseProtocol } from "../registry/protocol.ts";
import { hostIntersection, isExportedTo, parseNamespacedHost } from "../push-context/hosts.ts";
import type { GatewayServer } from "../push-context/istio-spec.ts";
import type { GatewayView, VirtualServiceView } from "../push-context/views.ts";
import type { TranslateContext } from "./context.ts";

export interface BoundServer {
  readonly gateway: GatewayView;
  readonly server: GatewayServer;
}

export interface GatewayPort {
  readonly port: number;
  readonly kind: "http" | "tcp" | "tls";
  readonly servers: readonly BoundServer[];
}

/** The ports to listen on, sorted; servers that cannot be served are reported and left out. */
export function planGatewayPorts(ctx: TranslateContext): GatewayPort[] {
  const ports = new Map<number, { kind: GatewayPort["kind"]; servers: BoundServer[] }>();
  for (const gateway of ctx.push.gatewaysFor(ctx.proxy)) {
    for (const server of gateway.spec.servers ?? []) {
      const kind = serverKind(ctx, gateway, server);
      if (kind === undefined) continue;
      const port = server.port.number;
      const entry = ports.get(port);
      if (entry === undefined) {
        ports.set(port, { kind, servers: [{ gateway, server }] });
      } else if (entry.kind !== kind) {
        ctx.warn(
          `Gateway ${gateway.key} port ${port}: already served as ${entry.kind}; this ${kind} server is left out`,
        );
      } else {
        entry.servers.push({ gateway, server });
      }
    }
  }
  return [...ports].sort((a, b) => a[0] - b[0]).map(([port, e]) => ({
    port,
    kind: e.kind,
    servers: e.servers,
  }));
}

function serverKind(
  ctx: TranslateContext,
  gateway: GatewayView,
  server: GatewayServer,
): GatewayPort["kind"] | undefined {
  const protocol = parseProtocol(server.port.protocol);
  if (protocol === "HTTP" || protocol === "HTTP2" || protocol === "GRPC") return "http";
  if (protocol === "HTTPS" || protocol === "TLS") {
    const mode = server.tls?.mode;
    // PASSTHROUGH is the proto default of ServerTLSSettings.mode
    if (mode === undefined || mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH") return "tls";
    ctx.warn(
      `Gateway ${gateway.key} port ${server.port.number}: TLS termination (mode ${mode}) needs ` +
        "certificates over SDS, which Weft does not serve yet; the server is left out",
    );
    return undefined;
  }
  return "tcp";
}

/**
 * The hosts a VirtualService serves through a gateway server: each VS host intersected with each server host
 * whose namespace part admits the VS's namespace ("ns/host", "./host", "*\/host").
 */
export function serverHosts(bound: BoundServer, vs: VirtualServiceView): string[] {
  if (!isExportedTo(vs.exportTo, vs.namespace, bound.gateway.namespace)) return [];
  const out = new Set<string>();
  for (const raw of bound.server.hosts ?? ["*"]) {
    const sel = parseNamespacedHost(raw, bound.gateway.namespace);
    if (sel.namespace !== "*" && sel.namespace !== vs.namespace) continue;
    for (const h of vs.hosts) {
      const hit = hostIntersection(sel.host, h);
      if (hit !== undefined) out.add(hit);
    }
  }
  return [...out];
}
