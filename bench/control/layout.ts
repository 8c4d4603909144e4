// The benchmark mesh's shape, shared by the config generator and the simulated proxies: names, namespaces, IPs.

export interface MeshShape {
  readonly services: number;
  readonly endpointsPerService: number;
  readonly namespaces: number;
  /** Every `subsetEvery`-th service gets Pods with version labels, a DestinationRule and a VirtualService. */
  readonly subsetEvery: number;
  readonly proxies: number;
}

export const SERVICE_PORT = 8080;
export const TARGET_PORT = 8080;

export function serviceName(i: number): string {
  return `svc-${String(i).padStart(4, "0")}`;
}

export function namespaceOf(i: number, shape: MeshShape): string {
  return `ns-${i % shape.namespaces}`;
}

export function hostnameOf(i: number, shape: MeshShape): string {
  return `${serviceName(i)}.${namespaceOf(i, shape)}.svc.cluster.local`;
}

export function hasSubsets(i: number, shape: MeshShape): boolean {
  return i % shape.subsetEvery === 0;
}

/** 10.x addresses, never connected to: endpoint `j` of service `i`. */
export function endpointIp(i: number, j: number, shape: MeshShape): string {
  const k = i * shape.endpointsPerService + j;
  return `10.${1 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`;
}

/** The address that replaces an endpoint in the `change`-th endpoint edit (outside every generated range). */
export function changedIp(change: number): string {
  return `10.200.${(change >> 8) & 255}.${change & 255}`;
}

export function podName(i: number, j: number): string {
  return `${serviceName(i)}-${j}`;
}

export function versionOf(j: number): string {
  return j % 2 === 0 ? "v1" : "v2";
}

export function edsClusterName(i: number, shape: MeshShape): string {
  return `outbound|${SERVICE_PORT}||${hostnameOf(i, shape)}`;
}

/** A simulated sidecar: the proxy of endpoint 0 of a service, spread evenly over the services. */
export interface ProxySpec {
  readonly nodeId: string;
  readonly ip: string;
  readonly namespace: string;
  readonly pod: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
}

export function proxySpec(p: number, shape: MeshShape): ProxySpec {
  const i = Math.floor((p * shape.services) / shape.proxies) % shape.services;
  const ns = namespaceOf(i, shape);
  const ip = endpointIp(i, 0, shape);
  const pod = podName(i, 0);
  return {
    nodeId: `sidecar~${ip}~${pod}.${ns}~${ns}.svc.cluster.local`,
    ip,
    namespace: ns,
    pod,
    labels: { app: serviceName(i), version: versionOf(0) },
    serviceAccount: serviceName(i),
  };
}
