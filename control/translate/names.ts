// Istio's resource names: cluster names, listener names and route configuration names.

/** `outbound|9080|v1|reviews.default.svc.cluster.local` (subset "" when none). */
export function outboundClusterName(port: number, subset: string | undefined, hostname: string): string {
  return `outbound|${port}|${subset ?? ""}|${hostname}`;
}

/** `inbound|9080||`: the local workload port. */
export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

export interface ParsedClusterName {
  readonly direction: "outbound" | "inbound";
  readonly port: number;
  readonly subset: string;
  readonly hostname: string;
}

/** Splits an Istio cluster name; undefined for names of another shape. */
export function parseClusterName(name: string): ParsedClusterName | undefined {
  const parts = name.split("|");
  if (parts.length !== 4 || (parts[0] !== "outbound" && parts[0] !== "inbound")) return undefined;
  const port = Number(parts[1]);
  if (!Number.isInteger(port)) return undefined;
  return { direction: parts[0], port, subset: parts[2], hostname: parts[3] };
}

/** `0.0.0.0_9080`, `10.96.0.12_9080`. */
export function listenerName(address: string, port: number): string {
  return `${address}_${port}`;
}

/** The sidecar's outbound HTTP route configuration for a port: "9080". */
export function sidecarRouteName(port: number): string {
  return String(port);
}

/** A gateway's route configuration for a plain HTTP server port: "http.80". */
export function gatewayRouteName(port: number): string {
  return `http.${port}`;
}

/** The proxyless gRPC listener and route configuration name: "reviews.default.svc.cluster.local:9080". */
export function proxylessName(hostname: string, port: number): string {
  return `${hostname}:${port}`;
}

export const VIRTUAL_INBOUND = "virtualInbound";
export const VIRTUAL_INBOUND_PORT = 15006;
