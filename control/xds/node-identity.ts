// Reads who a proxy is from its xDS Node: Istio's node id form and metadata, or a proxyless gRPC client.
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { Node } from "../../gen/envoy/config/core/v3/base_pb.ts";
import type { ProxyIdentity } from "../model/types.ts";

interface IstioId {
  readonly type: "sidecar" | "router";
  readonly ip: string;
  readonly podName: string;
  readonly namespace: string;
}

/** `<type>~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`; anything else is not an Istio id. */
function parseIstioId(id: string): IstioId | undefined {
  const parts = id.split("~");
  if (parts.length !== 4) return undefined;
  const [type, ip, podDotNs, domain] = parts;
  if (type !== "sidecar" && type !== "router") return undefined;
  if (!ip || !podDotNs || !domain) return undefined;
  const dot = podDotNs.lastIndexOf(".");
  const domainNs = domain.split(".")[0];
  const namespace = dot > 0 ? podDotNs.slice(dot + 1) : domainNs;
  const podName = dot > 0 ? podDotNs.slice(0, dot) : podDotNs;
  if (!namespace) return undefined;
  return { type, ip, podName, namespace };
}

function str(value: JsonValue | undefined): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function labelsOf(value: JsonValue | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) return labels;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === "string") labels[k] = v;
    else if (typeof v === "number" || typeof v === "boolean") labels[k] = String(v);
  }
  return labels;
}

/** Parses a proxy's identity; never throws (a node with nothing recognisable is a proxyless client in "default"). */
export function parseProxyIdentity(node: Node): ProxyIdentity {
  const meta: JsonObject = node.metadata ?? {};
  const istio = parseIstioId(node.id);
  const proxyless = meta["GENERATOR"] === "grpc" || istio === undefined;
  const namespace = str(meta["NAMESPACE"]) ?? istio?.namespace ?? "default";
  const identity: {
    -readonly [K in keyof ProxyIdentity]: ProxyIdentity[K];
  } = {
    id: node.id,
    type: proxyless ? "proxyless" : istio.type,
    namespace,
    labels: labelsOf(meta["LABELS"]),
  };
  const ip = istio?.ip ?? firstIp(meta["INSTANCE_IPS"]);
  if (ip !== undefined) identity.ip = ip;
  const workloadName = str(meta["WORKLOAD_NAME"]);
  if (workloadName !== undefined) identity.workloadName = workloadName;
  const serviceAccount = str(meta["SERVICE_ACCOUNT"]);
  if (serviceAccount !== undefined) identity.serviceAccount = serviceAccount;
  const clusterId = str(meta["CLUSTER_ID"]);
  if (clusterId !== undefined) identity.clusterId = clusterId;
  const outboundAddress = str(meta["WEFT_OUTBOUND_ADDRESS"]);
  const appAddress = str(meta["WEFT_APP_ADDRESS"]);
  const inboundAddress = str(meta["WEFT_INBOUND_ADDRESS"]) ?? (appAddress ? ip : undefined);
  if (outboundAddress || appAddress || inboundAddress) {
    identity.bindings = { outboundAddress, inboundAddress, appAddress };
  }
  return identity;
}

/** Istio's INSTANCE_IPS is a comma-separated list. */
function firstIp(value: JsonValue | undefined): string | undefined {
  const list = str(value);
  return list?.split(",")[0]?.trim() || undefined;
}
