// Normalized views of Istio config objects: hosts resolved to FQDNs, gateway names as "namespace/name".
import type { ConfigObject } from "../model/types.ts";
import { resolveHost } from "./hosts.ts";
import type {
  Destination,
  DestinationRuleSpec,
  GatewaySpec,
  HTTPRoute,
  SidecarSpec,
  StringMap,
  TCPRoute,
  TLSRoute,
  VirtualServiceSpec,
} from "./istio-spec.ts";

/** The gateway name sidecars use. */
export const MESH_GATEWAY = "mesh";

export interface VirtualServiceView {
  readonly name: string;
  readonly namespace: string;
  /** Resolved hosts ("reviews" → "reviews.default.svc.cluster.local"). */
  readonly hosts: readonly string[];
  /** "mesh" and/or "namespace/name"; ["mesh"] when the spec names none. */
  readonly gateways: readonly string[];
  /** Routes with destination hosts resolved and match gateways normalized. */
  readonly http: readonly HTTPRoute[];
  readonly tcp: readonly TCPRoute[];
  readonly tls: readonly TLSRoute[];
  readonly exportTo?: readonly string[];
  readonly config: ConfigObject;
}

export interface DestinationRuleView {
  readonly name: string;
  readonly namespace: string;
  /** Resolved host (may be a wildcard). */
  readonly host: string;
  readonly spec: DestinationRuleSpec;
  readonly config: ConfigObject;
}

export interface GatewayView {
  readonly name: string;
  readonly namespace: string;
  /** "namespace/name", as VirtualServices reference it. */
  readonly key: string;
  readonly spec: GatewaySpec;
  readonly config: ConfigObject;
}

export interface SidecarView {
  readonly name: string;
  readonly namespace: string;
  readonly selector: StringMap | undefined;
  /** Raw egress host entries ("ns/host"), all listeners merged; undefined = no egress section (all visible). */
  readonly egressHosts: readonly string[] | undefined;
  readonly config: ConfigObject;
}

/** Normalizes a gateway reference written in `namespace`: "gw" → "ns/gw", "gw.ns.svc.cluster.local" → "ns/gw". */
export function normalizeGatewayName(name: string, namespace: string): string {
  if (name === MESH_GATEWAY || name.includes("/")) return name;
  const dot = name.indexOf(".");
  if (dot < 0) return `${namespace}/${name}`;
  const [gw, ns] = name.split(".");
  return `${ns}/${gw}`;
}

export function virtualServiceView(obj: ConfigObject, domainSuffix: string): VirtualServiceView {
  const spec = (obj.spec ?? {}) as unknown as VirtualServiceSpec;
  const ns = obj.namespace;
  const dest = (d: Destination): Destination => ({ ...d, host: resolveHost(d.host, ns, domainSuffix) });
  const gateways = (list: readonly string[] | undefined) => list?.map((g) => normalizeGatewayName(g, ns));
  return {
    name: obj.name,
    namespace: ns,
    hosts: (spec.hosts ?? []).map((h) => resolveHost(h, ns, domainSuffix)),
    gateways: gateways(spec.gateways?.length ? spec.gateways : undefined) ?? [MESH_GATEWAY],
    http: (spec.http ?? []).map((r) => ({
      ...r,
      match: r.match?.map((m) => ({ ...m, gateways: gateways(m.gateways) })),
      route: r.route?.map((d) => ({ ...d, destination: dest(d.destination) })),
    })),
    tcp: (spec.tcp ?? []).map((r) => ({
      ...r,
      match: r.match?.map((m) => ({ ...m, gateways: gateways(m.gateways) })),
      route: r.route?.map((d) => ({ ...d, destination: dest(d.destination) })),
    })),
    tls: (spec.tls ?? []).map((r) => ({
      ...r,
      match: r.match?.map((m) => ({ ...m, gateways: gateways(m.gateways) })),
      route: r.route?.map((d) => ({ ...d, destination: dest(d.destination) })),
    })),
    exportTo: spec.exportTo,
    config: obj,
  };
}

/** Every gateway a VirtualService binds to, top level and per match (Istio indexes by both). */
export function boundGateways(vs: VirtualServiceView): Set<string> {
  const out = new Set(vs.gateways);
  for (const list of [vs.http, vs.tcp, vs.tls]) {
    for (const r of list) for (const m of r.match ?? []) for (const g of m.gateways ?? []) out.add(g);
  }
  return out;
}

export function destinationRuleView(obj: ConfigObject, domainSuffix: string): DestinationRuleView {
  const spec = (obj.spec ?? {}) as unknown as DestinationRuleSpec;
  return {
    name: obj.name,
    namespace: obj.namespace,
    host: resolveHost(spec.host ?? "", obj.namespace, domainSuffix),
    spec,
    config: obj,
  };
}

export function gatewayView(obj: ConfigObject): GatewayView {
  return {
    name: obj.name,
    namespace: obj.namespace,
    key: `${obj.namespace}/${obj.name}`,
    spec: (obj.spec ?? {}) as unknown as GatewaySpec,
    config: obj,
  };
}

export function sidecarView(obj: ConfigObject): SidecarView {
  const spec = (obj.spec ?? {}) as SidecarSpec;
  const labels = spec.workloadSelector?.labels;
  return {
    name: obj.name,
    namespace: obj.namespace,
    selector: labels !== undefined && Object.keys(labels).length > 0 ? labels : undefined,
    egressHosts: spec.egress === undefined ? undefined : spec.egress.flatMap((e) => e.hosts ?? []),
    config: obj,
  };
}
