// Explicit-port binding: rewrites a sidecar's listeners and inbound clusters for meshes without interception.
import { clone, create } from "@bufbuild/protobuf";
import type { Cluster } from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import { type Listener, ListenerSchema } from "../../gen/envoy/config/listener/v3/listener_pb.ts";
import { ClusterSchema } from "../../gen/envoy/config/cluster/v3/cluster_pb.ts";
import type { ProxyIdentity } from "../model/types.ts";
import type { ProxyResources } from "./proxy-resources.ts";
import { VIRTUAL_INBOUND } from "./names.ts";

/**
 * Istio relies on iptables: outbound listeners sit on 0.0.0.0/VIPs and inbound traffic arrives on 15006.
 * Where nothing intercepts traffic (workloads on loopback addresses of one machine, VMs), a proxy whose
 * node metadata names its addresses gets: outbound listeners bound on WEFT_OUTBOUND_ADDRESS (one per port),
 * one inbound listener per workload port on WEFT_INBOUND_ADDRESS, and inbound clusters that reach the app
 * on WEFT_APP_ADDRESS. Without bindings the resources are returned unchanged (pure).
 */
export function applyLocalBindings(resources: ProxyResources, proxy: ProxyIdentity): ProxyResources {
  const b = proxy.bindings;
  if (!b || proxy.type !== "sidecar") return resources;
  const listeners: Listener[] = [];
  const outboundPorts = new Set<number>();
  for (const l of resources.listeners) {
    if (l.name === VIRTUAL_INBOUND) {
      if (!b.inboundAddress) listeners.push(l);
      else listeners.push(...splitInbound(l, b.inboundAddress));
      continue;
    }
    if (!b.outboundAddress) {
      listeners.push(l);
      continue;
    }
    const port = portOf(l);
    if (port === undefined || outboundPorts.has(port)) continue;
    outboundPorts.add(port);
    listeners.push(rebind(l, `outbound_${port}`, b.outboundAddress, port));
  }
  const clusters: Cluster[] = b.appAddress
    ? resources.clusters.map((c) => toApp(c, b.appAddress!))
    : [...resources.clusters];
  return { ...resources, listeners, clusters };
}

function portOf(l: Listener): number | undefined {
  const a = l.address?.address;
  return a?.case === "socketAddress" && a.value.portSpecifier.case === "portValue"
    ? a.value.portSpecifier.value
    : undefined;
}

function rebind(l: Listener, name: string, address: string, port: number): Listener {
  const copy = clone(ListenerSchema, l);
  copy.name = name;
  copy.address = create(ListenerSchema, {
    address: {
      address: {
        case: "socketAddress",
        value: { address, portSpecifier: { case: "portValue", value: port } },
      },
    },
  }).address;
  return copy;
}

/** virtualInbound's chains match destination_port: each becomes a listener bound on that port. */
function splitInbound(l: Listener, address: string): Listener[] {
  return l.filterChains.flatMap((chain) => {
    const port = chain.filterChainMatch?.destinationPort;
    if (!port) return [];
    const listener = rebind(
      create(ListenerSchema, { filterChains: [] }),
      `inbound_${address}_${port}`,
      address,
      port,
    );
    const only = clone(ListenerSchema, create(ListenerSchema, { filterChains: [chain] })).filterChains[0];
    only.filterChainMatch = undefined;
    listener.filterChains = [only];
    return [listener];
  });
}

function toApp(c: Cluster, appAddress: string): Cluster {
  if (!c.name.startsWith("inbound|") || !c.loadAssignment) return c;
  const copy = clone(ClusterSchema, c);
  for (const locality of copy.loadAssignment!.endpoints) {
    for (const lbe of locality.lbEndpoints) {
      const sa = lbe.hostIdentifier.case === "endpoint"
        ? lbe.hostIdentifier.value.address?.address
        : undefined;
      if (sa?.case === "socketAddress") sa.value.address = appAddress;
    }
  }
  return copy;
}
